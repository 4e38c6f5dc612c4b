"""webfarm secret filters: a secret still holding a placeholder is refused by name.

``inventories/production.example/`` ships its secrets as ``CHANGE-ME`` for
the operator to replace before the vault is encrypted. A placeholder left
in place must stop the play before any host changes, even where it would
pass a role's other checks (``CHANGE-ME-CHANGE-ME`` is long enough for a
password, ``changemechangeme`` is valid base64). Each role lists its
secrets in ``tasks/validate.yml`` and asks ``webfarm_placeholders`` which of
them still hold one; the answer names variables, never values.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.webfarm.cluster.plugins.module_utils.checks import filter_table

# Anywhere in the value, once case and punctuation are dropped
# ("Change-Me", "CHANGE_ME", "ssh-ed25519 AAAA...ChangeMe..."): a random
# secret holds one of these words about once in 10^12 values.
_ANYWHERE = ("changeme", "changethis")
# As the first word of the value ("TODO", "REPLACE_WITH_...", "fixme: ...";
# not "replacement-...").
_FIRST_WORD = re.compile(r"^\W*(todo|tbd|fixme|replace|replaceme|placeholder)(?![a-z0-9])", re.I)
# The whole value: "<your secret>", "xxxxxx".
_WHOLE = re.compile(r"^(<[^<>]*>|x{3,})$", re.I)


def webfarm_is_placeholder(value: Any) -> bool:
    """True when ``value`` is a placeholder such as ``CHANGE-ME``, ``changeme``,
    ``TODO``, ``REPLACE_WITH_SECRET`` or ``<secret>`` rather than a secret.
    Values that are not strings are never placeholders.

    Example::

        {{ 'CHANGE-ME' | webfarm_is_placeholder }}  ->  True
        {{ 'c2VjcmV0c2VjcmV0c2VjcmV0' | webfarm_is_placeholder }}  ->  False
    """
    if not isinstance(value, str):
        return False
    text = value.strip()
    folded = re.sub(r"[^a-z0-9]", "", text.lower())
    return any(word in folded for word in _ANYWHERE) or bool(_FIRST_WORD.match(text) or _WHOLE.match(text))


def _leaves(name: str, value: Any) -> Iterator[tuple[str, Any]]:
    """Every string inside value, named NAME, NAME[0], NAME.key, ..."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(f"{name}.{key}", item)
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        for i, item in enumerate(value):
            yield from _leaves(f"{name}[{i}]", item)
    else:
        yield name, value


def webfarm_placeholders(secrets: Mapping[str, Any]) -> list[str]:
    """The names of the secrets (``{variable: value}``) that still hold a
    placeholder, in order. Lists and mappings are looked into: an entry is
    named ``VAR[0]``, a key ``VAR.key``. A name ``VAR[].FIELD`` looks at the
    FIELD of each entry of the list only (an entry without it, or that is no
    mapping, is skipped: other checks name it), named ``VAR[0].FIELD``.

    Example::

        {{ {'pacemaker_cluster_corosync_authkey': pacemaker_cluster_corosync_authkey,
            'pacemaker_cluster_fence_devices[].params': pacemaker_cluster_fence_devices} | webfarm_placeholders }}
        -> ['pacemaker_cluster_fence_devices[0].params.password']
    """
    if not isinstance(secrets, Mapping):
        raise AnsibleFilterError("webfarm_placeholders: expects a mapping of variable names to values, "
                                 f"got {type(secrets).__name__}")
    found = []
    for var, value in secrets.items():
        var, _, field = str(var).partition("[].")
        if field:
            entries = value if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) else []
            leaves = [leaf for i, entry in enumerate(entries) if isinstance(entry, Mapping) and field in entry
                      for leaf in _leaves(f"{var}[{i}].{field}", entry[field])]
        else:
            leaves = list(_leaves(var, value))
        found += [name for name, leaf in leaves if webfarm_is_placeholder(leaf)]
    return found


class FilterModule:
    """webfarm secret filters."""

    def filters(self) -> dict[str, Any]:
        return filter_table(webfarm_is_placeholder, webfarm_placeholders)
