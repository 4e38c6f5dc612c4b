"""Shared fixtures for every topology's tests: see lab/pytest_plugin.py.
Each tests/<topology>/conftest.py declares the groups its tests run over."""

pytest_plugins = ["lab.pytest_plugin"]
