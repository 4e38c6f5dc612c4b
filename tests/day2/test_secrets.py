"""No secret reaches Ansible's output: a converge of the whole lab at -vvv
(every module's arguments and results printed) is searched for every
secret the lab generated (.lab/secrets/<lab>/: passwords, TSIG keys, the
Corosync authkey, private keys). Production's come from Ansible Vault, and
the same tasks handle them."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from lab.inventory import LAB_INVENTORY, ROOT
from lab.playbook import recap, run_playbook

PUBLIC = (".pub", ".crt", ".csr")


def secret_values(folder: Path) -> dict[str, str]:
    """value -> the file it came from: a password or key file's text; for a
    private key, each line of its body (lines the public half shares left out)."""
    public = "".join(p.read_text() for p in folder.rglob("*") if p.is_file() and p.name.endswith(PUBLIC))
    values: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name.endswith(PUBLIC):
            continue
        text = path.read_text()
        name = str(path.relative_to(folder))
        if "PRIVATE KEY" in text:
            for line in text.splitlines():
                if len(line) >= 40 and not line.startswith("-----") and line not in public:
                    values[line] = name
        else:
            value = text.split()[0] if text.split() else ""
            if len(value) >= 12:
                values[value] = name
    return values


def where(output: str, index: int) -> str:
    """The task the output at index belongs to."""
    tasks = list(re.finditer(r"^TASK \[(.*?)\]", output[:index], re.M))
    return tasks[-1].group(1) if tasks else "(before the first task)"


@pytest.mark.drill
def test_a_vvv_converge_of_every_topology_prints_no_secret(inventory):
    if Path(inventory.source).resolve() != LAB_INVENTORY.resolve():
        pytest.skip("reads the lab's generated secrets: runs against inventories/lab only")
    folder = ROOT / ".lab" / "secrets" / str(inventory.hosts()[0].var("webfarm_lab_name"))
    secrets = secret_values(folder)
    assert len(secrets) >= 10, f"expected the lab's secrets under {folder}, found {sorted(set(secrets.values()))}"
    out = run_playbook(inventory.source, "site.yml", env={"ANSIBLE_VERBOSITY": "3"}, timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert sum(c.get("changed", 0) for c in recap(out.stdout).values()) == 0, "the lab was not converged"
    text = out.stdout + out.stderr
    # The control: a public key is handed to a module as plainly as a secret
    # would be, and must show (the search would find a leak).
    public = (folder / "content-sync.pub").read_text().split()[1]
    assert "module_args" in text and public in text, "the run did not print its modules' arguments"
    leaks = sorted({f"{name} in task '{where(text, text.index(value))}'"
                    for value, name in secrets.items() if value in text})
    print(f"\n-vvv converge: {len(text) / 1e6:.1f} MB of output searched for {len(secrets)} secret values "
          f"from {len(set(secrets.values()))} files")
    assert not leaks, "secrets printed by a -vvv converge:\n" + "\n".join(leaks)
