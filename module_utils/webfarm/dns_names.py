"""DNS names and record types: one rule for the DNS filters and the zone module.

Pure functions; no Ansible import, so the module ships it to hosts too.
"""
from __future__ import annotations

import re
from typing import Any

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_NAME = re.compile(rf"^{_LABEL}(\.{_LABEL})*$", re.I)
TYPES = ("A", "AAAA", "CNAME", "MX", "NS", "SRV", "TXT")


def webfarm_dns_name_problem(name: Any, relative: bool = False) -> str:
    """'' when name is a valid DNS name (relative: one or more labels, or '@'),
    else what is wrong with it.

    Example::

        {{ 'www..webfarm.test' | webfarm_dns_name_problem }}
        -> "has an empty label (two dots in a row, or a dot at an end)"
    """
    text = str(name).rstrip(".") if not relative else str(name)
    if relative and text == "@":
        return ""
    if not text:
        return "is empty"
    if len(text) > 253:
        return f"is {len(text)} characters long (253 at most)"
    for label in text.split("."):
        if not label:
            return "has an empty label (two dots in a row, or a dot at an end)"
        if len(label) > 63:
            return f"has a label of {len(label)} characters ({label[:12]}...): 63 at most"
    if not _NAME.match(text):
        return "may hold letters, digits and '-' only, with no label starting or ending with '-'"
    return ""
