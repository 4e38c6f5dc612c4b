"""scripts/setup refuses what it cannot handle, with a clear message, and
names the lab image by its recipe."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile

from lab.inventory import ROOT

SETUP = str(ROOT / "scripts" / "setup")


def test_refuses_a_system_that_is_not_debian_or_ubuntu(tmp_path):
    release = tmp_path / "os-release"
    release.write_text('ID=fedora\nPRETTY_NAME="Fedora Linux 40"\n')
    out = subprocess.run([SETUP, "host"], env={"PATH": "/usr/bin:/bin", "WEBFARM_OS_RELEASE": str(release)},
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    assert "this is Fedora Linux 40; webfarm's setup supports Debian and Ubuntu only" in out.stderr


def test_refuses_to_run_without_root():
    # A copy in a world-readable place, wherever the checkout lives.
    top = tempfile.mkdtemp(prefix="webfarm-setup-")
    try:
        os.chmod(top, 0o755)
        os.mkdir(os.path.join(top, "scripts"), 0o755)
        for name in ("setup", "lib.sh"):
            shutil.copy(ROOT / "scripts" / name, os.path.join(top, "scripts", name))
        out = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                              os.path.join(top, "scripts", "setup"), "host"],
                             capture_output=True, text=True, timeout=30)
    finally:
        shutil.rmtree(top)
    assert out.returncode == 1
    assert "run as root" in out.stderr


def test_unknown_step_is_named():
    out = subprocess.run([SETUP, "bogus"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    assert "unknown step 'bogus'" in out.stderr


def image_tag(setup: str) -> str:
    return subprocess.run([setup, "image-tag"], capture_output=True, text=True, check=True, timeout=30).stdout.strip()


def test_image_tag_is_a_stable_hash_of_the_recipe(tmp_path):
    tag = image_tag(SETUP)
    assert re.fullmatch(r"webfarm-base:[a-z]+-[0-9a-f]{12}", tag)
    assert image_tag(SETUP) == tag
    # A copy of the scripts gives the same tag; a changed package list, another.
    copy = tmp_path / "scripts"
    shutil.copytree(ROOT / "scripts", copy)
    assert image_tag(str(copy / "setup")) == tag
    with open(copy / "image" / "packages.txt", "a") as fh:
        fh.write("less\n")
    assert image_tag(str(copy / "setup")) != tag


def test_the_release_is_part_of_the_tag_and_of_the_recipe():
    host = image_tag(SETUP)
    env = {**os.environ, "WEBFARM_SUITE": "trixie"}
    trixie = subprocess.run([SETUP, "image-tag"], env=env, capture_output=True, text=True, check=True, timeout=30).stdout.strip()
    assert re.fullmatch(r"webfarm-base:trixie-[0-9a-f]{12}", trixie)
    assert trixie.split("-")[-1] != host.split("-")[-1] or host.startswith("webfarm-base:trixie-")


def test_a_bad_release_name_is_refused():
    env = {**os.environ, "WEBFARM_SUITE": "Trixie 13"}
    out = subprocess.run([SETUP, "image-tag"], env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "WEBFARM_SUITE='Trixie 13' is not a release codename" in out.stderr


FAKE_PIP = """#!/bin/sh
echo "$*" >>"$CALLS"
if [ "$1" = show ]; then  # as pip: the installed ones, and status 1 if any is missing
  shift; rc=0
  for want in "$@"; do
    case " $INSTALLED " in *" $want "*) printf 'Name: %s\\nVersion: 1\\n---\\n' "$want" ;; *) rc=1 ;; esac
  done
  exit $rc
fi
"""


def venv_update(tmp_path, installed: str) -> tuple[list[str], str]:
    """Run `setup venv` on a copy whose .venv is a fake pip: its calls, and what setup said."""
    top = tmp_path / "top"
    shutil.copytree(ROOT / "scripts", top / "scripts")
    shutil.copy(ROOT / "requirements.txt", top / "requirements.txt")
    bin_ = top / ".venv" / "bin"
    bin_.mkdir(parents=True)
    (bin_ / "pip").write_text(FAKE_PIP)
    for name in ("python", "ansible-playbook"):
        (bin_ / name).write_text("#!/bin/sh\n")
    for f in bin_.iterdir():
        f.chmod(0o755)
    calls = tmp_path / "calls"
    env = {"PATH": "/usr/bin:/bin", "CALLS": str(calls), "INSTALLED": installed, "WEBFARM_LOG_DIR": str(tmp_path)}
    out = subprocess.run([str(top / "scripts" / "setup"), "venv"], env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr
    return calls.read_text().splitlines(), out.stdout


def test_a_venv_from_older_requirements_loses_what_they_no_longer_hold(tmp_path):
    calls, said = venv_update(tmp_path, "passlib molecule-plugins docker selinux pytest")
    uninstall = [c for c in calls if c.startswith("uninstall ")]
    assert len(uninstall) == 1
    assert set(uninstall[0].split()) >= {"passlib", "molecule-plugins", "docker", "selinux"}
    assert "pytest" not in uninstall[0].split()
    # passlib and libpass share their files: libpass goes too, then comes back whole.
    assert "libpass" in uninstall[0].split()
    assert calls.index(uninstall[0]) < next(i for i, c in enumerate(calls) if c.startswith("install "))
    assert "venv: removing passlib molecule-plugins docker selinux (no longer in requirements.txt)" in said


def test_a_current_venv_loses_nothing(tmp_path):
    calls, said = venv_update(tmp_path, "libpass pytest")
    assert not [c for c in calls if c.startswith("uninstall ")]
    assert [c for c in calls if c.startswith("install ")] and "removing" not in said


def test_retired_packages_are_not_required_again():
    required = {line.split("==")[0].split("[")[0].lower() for line in (ROOT / "requirements.txt").read_text().splitlines()
                if line and not line.startswith("#")}
    retired = re.search(r"^RETIRED_PACKAGES=\((.*)\)$", (ROOT / "scripts" / "setup").read_text(), re.M)[1].split()
    assert retired and not required & set(retired)
