"""lab.playbook.overridden: a benchmark's other setting is converged for the
block only; the inventory's own values come back, also when the block fails."""
from __future__ import annotations

import subprocess

import pytest

from lab import playbook


@pytest.fixture
def converges(monkeypatch):
    calls = []

    def fake(inventory, name, *, limit=None, extra_vars=None, timeout=600, **_):
        calls.append((name, limit, extra_vars))
        return subprocess.CompletedProcess([], 0 if not (extra_vars or {}).get("fail") else 2, "recap", "")
    monkeypatch.setattr(playbook, "run_playbook", fake)
    return calls


def test_the_setting_is_converged_for_the_block_then_put_back(converges):
    with playbook.overridden("inventories/lab", "nlb.yml", {"lb_keepalived_advert_interval": 1}, limit="nlb"):
        assert converges == [("nlb.yml", "nlb", {"lb_keepalived_advert_interval": 1})]
    assert converges[-1] == ("nlb.yml", "nlb", None)


def test_the_inventory_comes_back_when_the_block_fails(converges):
    with pytest.raises(RuntimeError, match="the drill broke"), playbook.overridden("inv", "nlb.yml", {"x": 1}):
        raise RuntimeError("the drill broke")
    assert [c[2] for c in converges] == [{"x": 1}, None]


def test_nothing_to_converge_without_a_setting(converges):
    with playbook.overridden("inv", "nlb.yml", {}):
        pass
    assert converges == []


def test_a_failed_converge_is_named(converges):
    with pytest.raises(RuntimeError, match="nlb.yml with {'fail': True} failed"), \
            playbook.overridden("inv", "nlb.yml", {"fail": True}):
        pass
