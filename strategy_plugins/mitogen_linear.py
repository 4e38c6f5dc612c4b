"""Ansible's linear strategy run through Mitogen (PyPI `mitogen`).

The lab and Molecule use it by default (WEBFARM_STRATEGY=mitogen_linear,
set by scripts/lib.sh and .config/molecule/config.yml); WEBFARM_STRATEGY=linear
gives stock Ansible. Production keeps Ansible's default strategy unless its
operator chooses otherwise. Mitogen takes over the `docker` and `ssh`
connections by their short names; it runs each host's modules in one
persistent Python interpreter instead of starting one per task.

This file only re-exports Mitogen's own plugin so the strategy is found on
this project's plugin path wherever the virtualenv lives.
"""
from __future__ import annotations

from ansible_mitogen.plugins.strategy.mitogen_linear import StrategyModule

__all__ = ["StrategyModule"]
