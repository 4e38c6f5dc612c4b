"""The path rule every role checks its host paths with (filter_plugins/webfarm_paths.py)."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webfarm.cluster.plugins.filter.webfarm_paths import (
    FilterModule,
    normal_path,
    webfarm_path,
    webfarm_path_problem,
)


@pytest.mark.parametrize("path", [
    # The roles' defaults and the inventories' values.
    "/var/www/webfarm", "/srv/webfarm/content", "/var/lib/webfarm/maintenance", "/var/lib/redis",
    "/run/haproxy/admin.sock", "/srv/webfarm", "/srv/webfarm-store/redis", "/srv/webfarm/www",
    # Inside the trees a deployment may use.
    "/home/web/site", "/root/.aws/credentials", "/tmp/webfarm", "/opt/site", "/srv/..hidden/x", "/srv/x..y",
    # Spelled unusually, fine once normalised.
    "/srv/webfarm/", "//srv/webfarm", "/srv/./webfarm", "/srv//webfarm",
])
def test_good_paths_pass(path):
    assert webfarm_path_problem(path) == ""


@pytest.mark.parametrize("path, problem", [
    # The spellings of / and of a system tree.
    ("/", "is /, the whole file system"),
    ("/.", "is / once normalised, the whole file system"),
    ("//", "is / once normalised, the whole file system"),
    ("///.//", "is / once normalised, the whole file system"),
    ("/etc", "is /etc, a system tree"),
    ("/etc/", "is /etc once normalised, a system tree"),
    ("//etc", "is /etc once normalised, a system tree"),
    ("/./etc/.", "is /etc once normalised, a system tree"),
    ("/srv/../etc", "must not contain a '..' segment"),
    ("/var/www/../../etc", "must not contain a '..' segment"),
    ("/var/..", "must not contain a '..' segment"),
    ("..", "must be an absolute path"),
    # Every system tree, exactly.
    *[(tree, f"is {tree}, a system tree") for tree in (
        "/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32", "/boot", "/dev", "/proc", "/sys", "/run",
        "/var", "/root", "/home", "/tmp")],
    # The folders of /var the system keeps for itself, in any spelling (a
    # folder inside them, /var/lib/redis, passes above).
    *[(folder, f"is {folder}, a system folder") for folder in (
        "/var/lib", "/var/log", "/var/cache", "/var/spool", "/var/backups", "/var/mail", "/var/tmp", "/var/run",
        "/var/lock", "/var/opt", "/var/local")],
    ("/var/lib/", "is /var/lib once normalised, a system folder"),
    ("//var//log/.", "is /var/log once normalised, a system folder"),
    # Inside the trees webfarm never writes into.
    ("/etc/passwd", "is inside /etc (/etc/passwd), a system tree webfarm never writes into"),
    ("/etc/nginx/", "is inside /etc (/etc/nginx once normalised)"),
    ("//usr/share/nginx", "is inside /usr"),
    ("/bin/sh", "is inside /bin"), ("/sbin/init", "is inside /sbin"), ("/lib/systemd", "is inside /lib"),
    ("/lib64/ld.so", "is inside /lib64"), ("/boot/grub", "is inside /boot"), ("/dev/sda1", "is inside /dev"),
    ("/proc/1", "is inside /proc"), ("/sys/fs", "is inside /sys"),
    # Not absolute, or not a path at all.
    ("", "must be an absolute path"), ("srv/content", "must be an absolute path"), ("www", "must be an absolute path"),
    ("./srv", "must be an absolute path"), (None, "must be an absolute path"),
    ("/srv/web\nroot", "must not contain control characters"), ("/srv/web\troot", "must not contain control characters"),
])
def test_bad_paths_are_refused_with_a_reason(path, problem):
    assert problem in webfarm_path_problem(path)


def test_a_role_may_keep_its_own_files_inside_a_system_tree():
    own = ["/etc/webfarm/cluster"]
    assert webfarm_path_problem("/etc/webfarm/cluster/fence-client.crt", own) == ""
    assert webfarm_path_problem("/etc//webfarm/cluster/./ca.crt", own) == ""
    # Only strictly inside: not the directory itself, nor a neighbour, nor a way out.
    assert "is inside /etc" in webfarm_path_problem("/etc/webfarm/cluster", own)
    assert "is inside /etc" in webfarm_path_problem("/etc/webfarm/cluster-x/key", own)
    assert "is inside /etc" in webfarm_path_problem("/etc/passwd", own)
    assert "'..'" in webfarm_path_problem("/etc/webfarm/cluster/../../passwd", own)


@pytest.mark.parametrize("path, normal", [
    ("/srv/webfarm/", "/srv/webfarm"), ("//srv/webfarm", "/srv/webfarm"), ("///srv//./webfarm/.", "/srv/webfarm"),
    ("/var/www/webfarm", "/var/www/webfarm"), ("/.", "/"), ("//", "/"),
])
def test_paths_are_normalised_with_a_leading_double_slash_read_as_one(path, normal):
    assert normal_path(path) == normal


def test_a_role_consumes_the_normalised_path_and_never_a_refused_one():
    assert webfarm_path("/var/www//webfarm/", "web_node_content_root") == "/var/www/webfarm"
    with pytest.raises(AnsibleFilterError, match=r"web_node_content_root = '/etc/': is /etc once normalised"):
        webfarm_path("/etc/", "web_node_content_root")
    filters = FilterModule().filters()
    assert filters["webfarm_path"] is webfarm_path and filters["webfarm_path_problem"] is webfarm_path_problem
