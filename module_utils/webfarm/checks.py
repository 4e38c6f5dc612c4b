"""The small pieces every webfarm filter shares.

- ``filter_table``: a FilterModule's filters, each under its function's name
  (so a grep for a filter from YAML lands on its def);
- ``whole_number``: an inventory number, given as an int or as its text;
- ``checked_entry``: one entry of a list of mappings, its keys checked.

Pure functions; errors are raised through the caller's own ``fail`` (each
filter file makes AnsibleFilterError in its own words).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def filter_table(*functions: Callable[..., Any]) -> dict[str, Callable[..., Any]]:
    """FilterModule.filters(): {function name: function}."""
    return {f.__name__: f for f in functions}


def whole_number(value: Any) -> int | None:
    """The int of ``value`` (an int, or text such as " 80 "); None for anything
    else, booleans included (YAML's yes is not 1)."""
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def checked_entry(where: str, item: Any, known: frozenset[str] | set[str], shape: str,
                  fail: Callable[[str], Exception]) -> Mapping[str, Any]:
    """``item`` itself when it is a mapping whose keys are all in ``known``;
    else ``fail(message)`` is raised, the message naming ``where``
    ("<where> must be a mapping <shape>" or "<where> has unknown keys ...")."""
    if not isinstance(item, Mapping):
        raise fail(f"{where} must be a mapping {shape}")
    unknown = sorted(set(item) - set(known))
    if unknown:
        raise fail(f"{where} has unknown keys {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    return item
