#!/usr/bin/env python3
"""Read the host's apt configuration for the lab image, at run time.

The repository never names a mirror: the image is built from whatever the
host's own apt sources point at, and gets a copy of them so apt works inside
the lab containers.

    apt_sources.py codename   the host's release codename (bookworm)
    apt_sources.py suite      the image's release: $WEBFARM_SUITE, else the host's
    apt_sources.py mirror     the URI serving the image's main suite
    apt_sources.py sources    a deb822 sources file for the image
    apt_sources.py conf       the host's Acquire:: settings (proxy, validity)
    apt_sources.py proxy      the host's HTTP proxy for apt (host:port), or nothing

The image may follow another release than the host (WEBFARM_SUITE=trixie on
a bookworm host): the host's entries for its own release are copied with the
release renamed (bookworm-updates becomes trixie-updates), from the same
mirrors.
"""
from __future__ import annotations

import glob
import os
import re
import sys

APT = os.environ.get("WEBFARM_APT_ROOT", "/etc/apt")
DISTRO_KEYRINGS = (
    "/usr/share/keyrings/debian-archive-keyring.gpg",
    "/usr/share/keyrings/debian-archive-keyring.pgp",
    "/usr/share/keyrings/ubuntu-archive-keyring.gpg",
)
# While the image is built: its root, where a Signed-By keyring must exist
# to be named (another release may ship it under another name).
IMAGE_ROOT = os.environ.get("WEBFARM_IMAGE_ROOT", "")
# Releases without -updates and -security suites.
ROLLING = ("sid", "unstable")


def os_release() -> dict[str, str]:
    out: dict[str, str] = {}
    with open(os.environ.get("WEBFARM_OS_RELEASE", "/etc/os-release"), encoding="utf-8") as fh:
        for line in fh:
            key, sep, value = line.strip().partition("=")
            if sep:
                out[key] = value.strip('"')
    return out


def codename() -> str:
    rel = os_release()
    name = rel.get("VERSION_CODENAME") or rel.get("UBUNTU_CODENAME")
    if not name:
        raise SystemExit("apt_sources: /etc/os-release has no VERSION_CODENAME")
    return name


def suite() -> str:
    """The release the lab image is built from: $WEBFARM_SUITE or the host's."""
    name = os.environ.get("WEBFARM_SUITE", "").strip() or codename()
    if not re.fullmatch(r"[a-z][a-z0-9]*", name):
        raise SystemExit(f"apt_sources: WEBFARM_SUITE={name!r} is not a release codename (for example bookworm, trixie)")
    if name != codename() and os_release().get("ID") != "debian":
        raise SystemExit(f"apt_sources: WEBFARM_SUITE={name} needs a Debian host: the image comes from the host's own "
                         f"mirrors, which serve {codename()}")
    return name


def parse_deb822(text: str) -> list[dict[str, str]]:
    entries = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = None
        for line in stanza.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0].isspace() and key:
                fields[key] += " " + line.strip()
                continue
            key, _, value = line.partition(":")
            key = key.strip()
            fields[key] = value.strip()
        if fields:
            entries.append(fields)
    return entries


def parse_one_line(text: str) -> list[dict[str, str]]:
    entries = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        opts = ""
        match = re.match(r"^(deb|deb-src)\s+\[([^\]]*)\]\s+(.*)$", line)
        if match:
            kind, opts, rest = match.groups()
        else:
            kind, _, rest = line.partition(" ")
        parts = rest.split()
        if len(parts) < 2:
            continue
        entry = {"Types": kind, "URIs": parts[0], "Suites": parts[1],
                 "Components": " ".join(parts[2:])}
        for opt in opts.split():
            name, _, value = opt.partition("=")
            if name == "signed-by":
                entry["Signed-By"] = value
        entries.append(entry)
    return entries


def host_entries() -> list[dict[str, str]]:
    entries: list[dict[str, str]] = []
    one_line = [os.path.join(APT, "sources.list")] + sorted(glob.glob(os.path.join(APT, "sources.list.d", "*.list")))
    for path in one_line:
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as fh:
                entries += parse_one_line(fh.read())
    for path in sorted(glob.glob(os.path.join(APT, "sources.list.d", "*.sources"))):
        with open(path, encoding="utf-8") as fh:
            entries += parse_deb822(fh.read())
    return entries


def distro_entries() -> list[dict[str, str]]:
    """Enabled binary entries serving the host's own release, nothing else,
    renamed to the image's release."""
    name, target = codename(), suite()
    keep = []
    for entry in host_entries():
        if entry.get("Enabled", "yes").lower() == "no":
            continue
        if "deb" not in entry.get("Types", "").split():
            continue
        suites = [s for s in entry.get("Suites", "").split() if s.split("-")[0].split("/")[0] == name]
        if not suites or not entry.get("URIs"):
            continue
        renamed = [target + s[len(name):] for s in suites if target not in ROLLING or s == name]
        if renamed:
            keep.append({**entry, "Suites": " ".join(renamed)})
    if not keep:
        raise SystemExit(f"apt_sources: no enabled apt source for '{name}' in {APT}")
    return keep


def mirror() -> str:
    name = suite()
    for entry in distro_entries():
        if name in entry["Suites"].split():
            return entry["URIs"].split()[0]
    raise SystemExit(f"apt_sources: no apt source serves the '{name}' suite itself")


def sources() -> str:
    out = []
    for entry in distro_entries():
        lines = [
            "Types: deb",
            f"URIs: {entry['URIs']}",
            f"Suites: {entry['Suites']}",
            f"Components: {entry.get('Components', 'main')}",
        ]
        key = entry.get("Signed-By", "")
        if key in DISTRO_KEYRINGS and (not IMAGE_ROOT or os.path.exists(IMAGE_ROOT + key)):
            lines.append(f"Signed-By: {key}")
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def conf() -> str:
    """Acquire:: settings (proxies, date checks) without any hook commands."""
    out = []
    for path in sorted(glob.glob(os.path.join(APT, "apt.conf.d", "*"))) + [os.path.join(APT, "apt.conf")]:
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        if "Acquire::" in text and "Invoke" not in text and "DEP-11" not in text:
            out.append(f"// from the host's {path}\n{text.strip()}\n")
    return "".join(out)


def proxy() -> str:
    """host:port of the HTTP proxy the host's apt uses, or an empty string."""
    found = ""
    for path in sorted(glob.glob(os.path.join(APT, "apt.conf.d", "*"))) + [os.path.join(APT, "apt.conf")]:
        if os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as fh:
                for m in re.finditer(r'Acquire::http::Proxy\s+"http://(?:[^@"/]*@)?([^/":]+(?::\d+)?)/?"\s*;', fh.read()):
                    found = m.group(1)  # the last setting wins, as in apt
    if found and ":" not in found:
        found += ":80"
    return found


def main(argv: list[str]) -> int:
    commands = {"codename": codename, "suite": suite, "mirror": mirror, "sources": sources, "conf": conf, "proxy": proxy}
    if len(argv) != 2 or argv[1] not in commands:
        print(f"usage: {argv[0]} {{{','.join(commands)}}}", file=sys.stderr)
        return 2
    sys.stdout.write(commands[argv[1]]().rstrip("\n") + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
