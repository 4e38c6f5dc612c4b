"""Code webfarm's plugins share: the webfarm.cluster collection's module_utils.

Filters, modules and the lab package import it by name, as
``ansible_collections.webfarm.cluster.plugins.module_utils.<name>``: the
collection's tree in collections/ links its plugins/module_utils here,
ansible.cfg (`collections_path`, which Molecule uses too) points Ansible at
it, and scripts/setup puts it on the venv's path. A module that imports a
piece ships it to the host with itself. Keep each piece a plain function
that takes what it runs (a command runner, a file reader) as a parameter,
so unit tests call it without Ansible; pieces a module ships must not import
Ansible's controller code.
"""
