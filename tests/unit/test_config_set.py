"""module_utils/webfarm/config_set.py and library/webfarm_config_set.py: a
set of configuration files is written, checked in place as one set, and put
back whole when the checker refuses it."""
from __future__ import annotations

import os
import sys

import pytest
from ansible_collections.webfarm.cluster.plugins.module_utils import config_set as cs
from ansible_collections.webfarm.cluster.plugins.module_utils.config_set import File, SetRefused

# A checker the tests can point at: exits 1 when any file of the set holds "bad".
CHECK = [sys.executable, "-c",
         "import sys, pathlib; bad = [p for p in sys.argv[1:] if 'bad' in pathlib.Path(p).read_text()];"
         " print('refused: ' + ', '.join(bad)) if bad else None; sys.exit(1 if bad else 0)"]


def check_of(*paths) -> list[str]:
    return [*CHECK, *map(str, paths)]


def test_a_good_set_is_written_whole_and_checked_in_place(tmp_path):
    a, b = tmp_path / "a.conf", tmp_path / "b.conf"
    a.write_text("old a\n")
    written = cs.apply([File(str(a), b"new a\n", 0o640), File(str(b), b"new b\n", 0o600)], check_of(a, b))
    assert written == [str(a), str(b)]
    assert (a.read_text(), b.read_text()) == ("new a\n", "new b\n")
    assert (os.stat(a).st_mode & 0o777, os.stat(b).st_mode & 0o777) == (0o640, 0o600)


def test_a_refused_set_is_put_back_whole_and_the_checkers_words_told(tmp_path):
    a, b, c = tmp_path / "a.conf", tmp_path / "b.conf", tmp_path / "new.conf"
    a.write_text("old a\n")
    b.write_text("old b\n")
    os.chmod(b, 0o600)
    files = [File(str(a), b"new a\n", 0o644), File(str(b), b"bad b\n", 0o640), File(str(c), b"new c\n")]
    with pytest.raises(SetRefused, match="refused the new set .* the previous files are back") as caught:
        cs.apply(files, check_of(a, b, c))
    assert f"refused: {b}" in caught.value.output
    assert (a.read_text(), b.read_text()) == ("old a\n", "old b\n")
    assert os.stat(b).st_mode & 0o777 == 0o600, "the old file's mode came back too"
    assert not c.exists(), "a file new to the set is removed again"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".webfarm-")], "no temporary file is left"


def test_an_unchanged_set_writes_nothing_and_runs_no_checker(tmp_path):
    a = tmp_path / "a.conf"
    a.write_text("same\n")
    os.chmod(a, 0o644)
    calls = []
    assert cs.apply([File(str(a), b"same\n", 0o644)], ["never"], checker=lambda argv: calls.append(argv) or (1, "")) == []
    assert calls == []


def test_a_mode_change_alone_is_a_change(tmp_path):
    a = tmp_path / "a.conf"
    a.write_text("same\n")
    os.chmod(a, 0o644)
    assert cs.apply([File(str(a), b"same\n", 0o600)]) == [str(a)]
    assert os.stat(a).st_mode & 0o777 == 0o600


def test_a_path_named_twice_or_a_missing_directory_is_refused(tmp_path):
    a = str(tmp_path / "a.conf")
    with pytest.raises(ValueError, match="named twice"):
        cs.apply([File(a, b"1"), File(a, b"2")])
    with pytest.raises(SetRefused, match="writing the set failed"):
        cs.apply([File(a, b"1"), File(str(tmp_path / "nowhere" / "b.conf"), b"2")])
    assert not os.path.exists(a), "the file written before the failed one is removed again"


@pytest.mark.parametrize("spec, message", [
    ({"path": "rel/a.conf", "content": "x"}, "must be absolute"),
    ({"path": "/etc/a.conf"}, "exactly one of content and secret_content"),
    ({"path": "/etc/a.conf", "content": "x", "secret_content": "y"}, "exactly one of content and secret_content"),
    ({"path": "/etc/a.conf", "content": "x", "mode": "rw-r--r--"}, "not an octal string"),
    ({"path": "/etc/a.conf", "content": "x", "owner": "no-such-user-webfarm"}, "no such user or group"),
])
def test_the_modules_bad_entries_are_named(spec, message):
    with pytest.raises(ValueError, match=message):
        cs.to_file(spec)


def test_a_secret_entry_is_known_as_secret():
    f, secret = cs.to_file({"path": "/etc/k.conf", "secret_content": "key", "mode": "0640"})
    assert (f.content, f.mode, secret) == (b"key", 0o640, True)
