"""The image recipe reads the host's apt sources, whatever their format."""
from __future__ import annotations

import pytest

from scripts.image import apt_sources

MIRROR = "http://mirror.invalid/debian"


@pytest.fixture
def host(tmp_path, monkeypatch):
    (tmp_path / "apt" / "sources.list.d").mkdir(parents=True)
    (tmp_path / "apt" / "apt.conf.d").mkdir()
    (tmp_path / "os-release").write_text('ID=debian\nVERSION_CODENAME=bookworm\n')
    monkeypatch.setattr(apt_sources, "APT", str(tmp_path / "apt"))
    monkeypatch.setenv("WEBFARM_OS_RELEASE", str(tmp_path / "os-release"))
    monkeypatch.delenv("WEBFARM_SUITE", raising=False)  # the image follows the host unless a test says otherwise
    return tmp_path / "apt"


def test_deb822_sources_keep_the_release_and_drop_the_rest(host):
    (host / "sources.list.d" / "debian.sources").write_text(
        f"Types: deb\nURIs: {MIRROR}\nSuites: bookworm bookworm-updates\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        "Types: deb\nURIs: http://vendor.invalid/apt\nSuites: stable\nComponents: main\n\n"
        f"Types: deb\nURIs: {MIRROR}\nSuites: trixie\nComponents: main\n")
    assert apt_sources.mirror() == MIRROR
    out = apt_sources.sources()
    assert f"URIs: {MIRROR}\nSuites: bookworm bookworm-updates" in out
    assert "vendor.invalid" not in out and "trixie" not in out
    assert "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" in out


def test_one_line_sources_with_options(host):
    (host / "sources.list").write_text(
        f"# comment\ndeb [arch=amd64 signed-by=/etc/keys/x.gpg] {MIRROR} bookworm main contrib\n"
        f"deb-src {MIRROR} bookworm main\ndeb {MIRROR}-security bookworm-security main\n")
    out = apt_sources.sources()
    assert f"URIs: {MIRROR}\nSuites: bookworm\nComponents: main contrib" in out
    assert "Signed-By" not in out  # a key the image does not have is not referenced
    assert "bookworm-security" in out


def test_disabled_entries_are_ignored_and_absence_is_an_error(host):
    (host / "sources.list.d" / "off.sources").write_text(
        f"Enabled: no\nTypes: deb\nURIs: {MIRROR}\nSuites: bookworm\nComponents: main\n")
    with pytest.raises(SystemExit, match="no enabled apt source for 'bookworm'"):
        apt_sources.sources()


def test_acquire_settings_are_copied_without_hooks(host):
    (host / "apt.conf.d" / "90proxy").write_text('Acquire::http::Proxy "http://proxy.invalid:3142";\n')
    (host / "apt.conf.d" / "20hook").write_text('APT::Update::Post-Invoke { "true"; };\nAcquire::x "1";\n')
    out = apt_sources.conf()
    assert "Proxy" in out and "Post-Invoke" not in out


def test_another_release_renames_the_hosts_suites_on_the_same_mirrors(host, monkeypatch):
    (host / "sources.list.d" / "debian.sources").write_text(
        f"Types: deb\nURIs: {MIRROR}\nSuites: bookworm bookworm-updates\nComponents: main\n\n"
        f"Types: deb\nURIs: {MIRROR}-security\nSuites: bookworm-security\nComponents: main\n")
    monkeypatch.setenv("WEBFARM_SUITE", "trixie")
    assert apt_sources.suite() == "trixie"
    assert apt_sources.mirror() == MIRROR
    out = apt_sources.sources()
    assert f"URIs: {MIRROR}\nSuites: trixie trixie-updates" in out
    assert f"URIs: {MIRROR}-security\nSuites: trixie-security" in out
    assert "bookworm" not in out


def test_the_release_defaults_to_the_hosts(host):
    assert apt_sources.suite() == "bookworm"


def test_a_keyring_the_image_lacks_is_not_named(host, monkeypatch, tmp_path):
    (host / "sources.list.d" / "debian.sources").write_text(
        f"Types: deb\nURIs: {MIRROR}\nSuites: bookworm\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.pgp\n")
    assert "Signed-By: /usr/share/keyrings/debian-archive-keyring.pgp" in apt_sources.sources()
    monkeypatch.setattr(apt_sources, "IMAGE_ROOT", str(tmp_path / "rootfs"))
    assert "Signed-By" not in apt_sources.sources()
    (tmp_path / "rootfs" / "usr/share/keyrings").mkdir(parents=True)
    (tmp_path / "rootfs" / "usr/share/keyrings/debian-archive-keyring.pgp").write_text("")
    assert "Signed-By: /usr/share/keyrings/debian-archive-keyring.pgp" in apt_sources.sources()


def test_sid_has_no_updates_or_security_suites(host, monkeypatch):
    (host / "sources.list.d" / "debian.sources").write_text(
        f"Types: deb\nURIs: {MIRROR}\nSuites: bookworm bookworm-updates\nComponents: main\n\n"
        f"Types: deb\nURIs: {MIRROR}-security\nSuites: bookworm-security\nComponents: main\n")
    monkeypatch.setenv("WEBFARM_SUITE", "sid")
    out = apt_sources.sources()
    assert f"URIs: {MIRROR}\nSuites: sid\n" in out
    assert "-updates" not in out and "-security" not in out


def test_another_release_needs_a_debian_host(host, monkeypatch, tmp_path):
    (tmp_path / "os-release").write_text('ID=ubuntu\nVERSION_CODENAME=noble\n')
    monkeypatch.setenv("WEBFARM_SUITE", "trixie")
    with pytest.raises(SystemExit, match="WEBFARM_SUITE=trixie needs a Debian host"):
        apt_sources.suite()
    monkeypatch.setenv("WEBFARM_SUITE", "noble")
    assert apt_sources.suite() == "noble"


@pytest.mark.parametrize("conf, expected", [
    ('Acquire::http::Proxy "http://proxy.invalid:3128/";\n', "proxy.invalid:3128"),
    ('Acquire::http::Proxy "http://user:pw@proxy.invalid/";\n', "proxy.invalid:80"),
    ('Acquire::https::Proxy "http://tls.invalid:3128/";\n', ""),
    ("", ""),
])
def test_the_hosts_http_proxy_is_found(host, conf, expected):
    (host / "apt.conf.d" / "80proxy").write_text(conf)
    assert apt_sources.proxy() == expected
