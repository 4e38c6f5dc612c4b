"""webfarm ACME filters: the balancers' certificates from an ACME directory.

Pure functions of their inputs. Bad input raises AnsibleFilterError naming
the variable and the value, before any host changes.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.webfarm.cluster.plugins.module_utils.checks import filter_table
from ansible_collections.webfarm.cluster.plugins.module_utils.dns_names import webfarm_dns_name_problem

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^\s*([0-9]+)\s*([smhd])\s*$")


def webfarm_seconds(value: Any, var: str = "duration") -> int:
    """A duration (a whole number and a unit: s, m, h or d) in seconds.

    Example::

        {{ '30d' | webfarm_seconds('lb_acme_renew_margin') }}  ->  2592000
    """
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if not match or int(match.group(1)) == 0:
        raise AnsibleFilterError(f"{var} = {value!r}: must be a duration above 0, a whole number and a unit "
                                 "(s, m, h or d), such as 30d or 12h")
    return int(match.group(1)) * _UNITS[match.group(2)]


def webfarm_acme_challenge_names(domains: Sequence[Any], zone: str,
                                 var: str = "lb_acme_certificates[].domains") -> list[str]:
    """The _acme-challenge names, relative to ``zone``, that DNS-01 writes a
    TXT record at for ``domains`` (a wildcard's is its base name's). A domain
    outside the zone is refused: the zone's server cannot prove it.

    Example::

        {{ ['www.webfarm.test', '*.webfarm.test'] | webfarm_acme_challenge_names('webfarm.test') }}
        ->  ['_acme-challenge.www', '_acme-challenge']
    """
    if isinstance(domains, (str, bytes)):
        raise AnsibleFilterError(f"{var} must be a list of names, got {domains!r}")
    if not domains:
        return []
    zone = str(zone or "").rstrip(".").lower()
    problem = webfarm_dns_name_problem(zone) if zone else "is empty"
    if problem:
        raise AnsibleFilterError(f"{var}: DNS-01 needs the zone its name server serves; the zone {zone!r} {problem}")
    names: list[str] = []
    for domain in domains:
        name = str(domain).rstrip(".").lower()
        base = name[2:] if name.startswith("*.") else name
        problem = webfarm_dns_name_problem(base) if base else "is empty"
        if problem:
            raise AnsibleFilterError(f"{var}: {domain!r} {problem}")
        if base != zone and not base.endswith("." + zone):
            raise AnsibleFilterError(f"{var}: {domain!r} is not in the zone {zone} that DNS-01 updates "
                                     f"(lb_acme_dns_zone): its name server cannot prove it")
        relative = base[: -len(zone)].rstrip(".")
        challenge = f"_acme-challenge.{relative}" if relative else "_acme-challenge"
        if challenge not in names:
            names.append(challenge)
    return names


def webfarm_acme_with_challenge(certificates: Sequence[Any], challenge: str, default: str = "dns-01",
                                var: str = "lb_acme_certificates") -> list[dict[str, Any]]:
    """The certificates the CA checks by ``challenge``: each its own
    ``challenge``, else ``default`` (lb_acme_challenge).

    Example::

        {{ [{'name': 'lb'}, {'name': 'shop', 'challenge': 'http-01'}] | webfarm_acme_with_challenge('http-01') }}
        ->  [{'name': 'shop', 'challenge': 'http-01'}]
    """
    if isinstance(certificates, (str, bytes, Mapping)) or not all(isinstance(c, Mapping) for c in certificates):
        raise AnsibleFilterError(f"{var} must be a list of certificates ({{name, domains}}), got {certificates!r}")
    return [dict(c) for c in certificates if (c.get("challenge") or default) == challenge]


class FilterModule:
    """webfarm ACME filters."""

    def filters(self) -> dict[str, Any]:
        return filter_table(webfarm_seconds, webfarm_acme_challenge_names, webfarm_acme_with_challenge)
