"""module_utils/webfarm/checks.py: the pieces every filter shares."""
from __future__ import annotations

import re

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webfarm.cluster.plugins.module_utils.checks import checked_entry, filter_table, whole_number


def _fail(msg: str) -> AnsibleFilterError:
    return AnsibleFilterError(f"demo: {msg}")


@pytest.mark.parametrize("value, number", [(80, 80), ("80", 80), (" 443 ", 443), ("-1", -1),
                                           (True, None), (False, None), ("eighty", None), (None, None), (8.5, None)])
def test_whole_number(value, number):
    assert whole_number(value) == number


def test_a_good_entry_is_returned_as_it_is():
    item = {"name": "www", "port": 80}
    assert checked_entry("sites[0]", item, {"name", "port"}, "with a name", _fail) is item


@pytest.mark.parametrize("item, message", [
    ("www", "demo: sites[0] must be a mapping with a name"),
    (["name"], "demo: sites[0] must be a mapping with a name"),
    ({"name": "www", "prot": 80, "colour": "red"}, "demo: sites[0] has unknown keys colour, prot (known: name, port)"),
])
def test_a_bad_entry_fails_naming_where(item, message):
    with pytest.raises(AnsibleFilterError, match=f"^{re.escape(message)}$"):
        checked_entry("sites[0]", item, {"name", "port"}, "with a name", _fail)


def test_the_filter_table_names_each_filter_as_its_function():
    assert filter_table(whole_number, checked_entry) == {"whole_number": whole_number, "checked_entry": checked_entry}
