"""Shared fixtures for every topology's tests: see toolkit/pytest_plugin.py.
Each tests/<topology>/conftest.py declares the groups its tests run over.

Modules in library/ import their shared code as Ansible ships it to hosts,
``ansible.module_utils.webfarm``: the unit tests find it the same way."""
from pathlib import Path

import ansible.module_utils

ansible.module_utils.__path__.append(str(Path(__file__).resolve().parents[1] / "module_utils"))

pytest_plugins = ["toolkit.pytest_plugin"]
