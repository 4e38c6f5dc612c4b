"""Code shared by webfarm's modules in library/, shipped with them to hosts.

Modules import it as ``ansible.module_utils.webfarm.<name>``; ansible.cfg
(`module_utils`) and Molecule (through the project's ansible.cfg) put this
directory on Ansible's path, and tests/conftest.py on the unit tests'. Keep
each piece a plain function that takes what it runs (a command runner, a
file reader) as a parameter, so unit tests call it without Ansible.
"""
