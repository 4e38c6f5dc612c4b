"""Read an Ansible inventory through `ansible-inventory --list`."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from ansible_collections.webfarm.cluster.plugins.module_utils.addresses import host_address, host_address6

ROOT = Path(__file__).resolve().parents[1]
LAB_INVENTORY = ROOT / "inventories" / "lab"


def role_defaults(root: Path = ROOT) -> dict[str, Any]:
    """Every role's literal defaults (role-prefixed, so they never collide),
    for tests that read a setting the inventory leaves to the role."""
    merged: dict[str, Any] = {}
    for path in sorted(root.glob("roles/*/defaults/main.yml")):
        for key, value in (yaml.safe_load(path.read_text()) or {}).items():
            if not (isinstance(value, str) and "{{" in value):
                merged[key] = value
    return merged


ROLE_DEFAULTS = role_defaults()


@dataclass(frozen=True)
class Host:
    """One inventory host as the tests see it."""

    name: str
    groups: tuple[str, ...]
    vars: Mapping[str, Any] = field(repr=False)

    @property
    def address(self) -> str:
        """The host's address, by the plays' own rule (module_utils/webfarm/addresses.py)."""
        return host_address(self.name, self.vars)

    @property
    def address6(self) -> str | None:
        """The host's IPv6 address (webfarm_address6, compressed), or None
        where it declares none: the host is then IPv4 only."""
        return host_address6(self.name, self.vars)

    @property
    def container(self) -> str:
        """Container name of a lab host: its webfarm_lab_container (a lab
        reached over SSH), else its ansible_host (a lab reached through docker)."""
        if self.vars.get("webfarm_lab_container"):
            return str(self.vars["webfarm_lab_container"])
        if "docker" not in str(self.vars.get("ansible_connection", "")):
            raise ValueError(f"host {self.name} is not a lab container "
                             "(no webfarm_lab_container, and ansible_connection is not docker)")
        return str(self.vars.get("ansible_host") or self.name)

    @property
    def console(self) -> str:
        """The testinfra address tests look inside the host through. A lab host
        is looked at through docker even where Ansible reaches it over SSH: a
        drill must still see a host it has cut off the network."""
        try:
            return f"docker://{self.container}"
        except ValueError:
            return f"ansible://{self.name}"

    @property
    def network(self) -> str:
        return str(self.vars["webfarm_lab_network"])

    def url(self, port_var: str, path: str = "/", scheme: str = "http") -> str:
        """A URL on this host, at the port its port_var gives (inventory or
        role default); the scheme's own port is left out."""
        port = self.var(port_var)
        if port is None:
            raise KeyError(f"host {self.name} has no {port_var} and no role declares a default for it")
        default = {"http": 80, "https": 443}.get(scheme)
        return f"{scheme}://{self.address}" + ("" if int(port) == default else f":{port}") + path

    def var(self, key: str, default: Any = None) -> Any:
        """The inventory's value, else the role's default, else default."""
        return self.vars.get(key, ROLE_DEFAULTS.get(key, default))


class Inventory:
    """Groups and host variables of one inventory source."""

    def __init__(self, source: str | os.PathLike[str], data: Mapping[str, Any]):
        self.source = str(source)
        self._data = data
        self._hostvars: Mapping[str, Mapping[str, Any]] = data.get("_meta", {}).get("hostvars", {})

    @classmethod
    def load(cls, source: str | os.PathLike[str] | None = None) -> Inventory:
        source = str(source or os.environ.get("WEBFARM_INVENTORY") or LAB_INVENTORY)
        exe = shutil.which("ansible-inventory", path=os.path.dirname(sys.executable)) or "ansible-inventory"
        out = subprocess.run([exe, "-i", source, "--list"], check=True, capture_output=True, text=True, timeout=60)
        return cls(source, json.loads(out.stdout))

    def names(self, group: str = "all") -> list[str]:
        """Host names of a group and its children, in inventory order, once each."""
        seen: list[str] = []
        entry = self._data.get(group, {})
        for name in entry.get("hosts", []):
            if name not in seen:
                seen.append(name)
        for child in entry.get("children", []):
            for name in self.names(child):
                if name not in seen:
                    seen.append(name)
        return seen

    def groups_of(self, name: str) -> tuple[str, ...]:
        return tuple(g for g in self._data if g not in ("_meta", "all", "ungrouped") and name in self.names(g))

    def host(self, name: str) -> Host:
        if name not in self._hostvars:
            raise KeyError(f"host {name} is not in the inventory {self.source}")
        return Host(name, self.groups_of(name), self._hostvars[name])

    def hosts(self, group: str = "all") -> list[Host]:
        return [self.host(n) for n in self.names(group)]

    def client(self) -> Host:
        clients = self.hosts("clients")
        if not clients:
            raise LookupError(f"the inventory {self.source} has no host in the 'clients' group")
        return clients[0]
