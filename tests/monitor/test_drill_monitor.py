"""The farm monitor's page in a real browser (chromium, from Debian): every
watched host is shown up; a web node that stops turns down on the page
within 5 s and up again after it starts. Screenshots go to
artifacts/monitor/ (git-ignored)."""
from __future__ import annotations

import time

import pytest

from lab import browser, hosts
from lab import monitor as mon
from lab.drill import wait_for
from lab.inventory import ROOT, Inventory

pytestmark = pytest.mark.drill

ARTIFACTS = ROOT / "artifacts" / "monitor"


def page_states(page: browser.Page) -> dict[str, str]:
    """Row name -> state, as the page shows them now (read in one go: the
    page redraws itself every interval)."""
    pairs = page.driver.execute_script(  # type: ignore[attr-defined]
        "return Array.from(document.querySelectorAll('tr.row')).map(tr => [tr.dataset.name, tr.dataset.state]);")
    return dict(pairs or [])


def test_a_stopped_web_node_turns_down_on_the_page_and_back_up(inventory: Inventory, monitor, watched, drill_record):
    why = browser.available()
    if why:
        pytest.fail(f"the browser test cannot run: {why}")
    nodes = inventory.hosts("web_farm")
    if not nodes:
        pytest.skip("no web_farm group")
    victim = nodes[-1]
    # The balancers' rows ("web3 via lb1"): the victim's turn down once
    # HAProxy has taken it out and up once it is back; the other nodes' stay up.
    via = mon.balancer_rows(inventory, monitor, victim.name)
    other_via = [r for n in nodes if n is not victim for r in mon.balancer_rows(inventory, monitor, n.name)]
    # Laptop width; tall enough that the picture shows the events too.
    with browser.open_page(mon.url(monitor), width=1280, height=1500, headers=mon.authorization(monitor)) as page:
        not_up = mon.rows_not_showing(lambda: page_states(page), [*watched, *via, *other_via], "up", timeout=30)
        if not_up:
            page.screenshot(ARTIFACTS / "monitor-not-up.png")
            pytest.fail(f"not shown up: {not_up}")
        page.screenshot(ARTIFACTS / "monitor.png")
        try:
            stopped = hosts.stop(victim)
            down = wait_for(lambda: page_states(page).get(victim.name) == "down", timeout=15, interval=0.1)
            # From the moment the stop began (nginx may go before docker
            # stop returns): the stricter measure.
            shown_after = time.time() - stopped.t0
            # The balancers take it out within their checks' fall time.
            balancers_not_down = mon.rows_not_showing(lambda: page_states(page), via, "down", timeout=10)
            page.screenshot(ARTIFACTS / "monitor-node-down.png")
            # Only the stopped node's rows went down.
            others = {n: s for n, s in page_states(page).items()
                      if (n in watched and n != victim.name or n in other_via) and s != "up"}
        finally:
            started = hosts.start(victim)
        up = wait_for(lambda: page_states(page).get(victim.name) == "up", timeout=60, interval=0.2)
        balancers_not_up = mon.rows_not_showing(lambda: page_states(page), via, "up", timeout=30)
        events = mon.state(monitor)["events"]
    print(f"\nmonitor: {victim.name} stopped (docker stop took {stopped.t1 - stopped.t0:.2f} s); "
          f"the page showed it down {shown_after:.2f} s after the stop began ({down:.2f} s after it returned), "
          f"up {up:.2f} s after it was started (boot {started.t1 - started.t0:.2f} s)")
    print(f"screenshots: {ARTIFACTS}")
    drill_record(target="shown down <= 5 s", seconds=round(max(0.0, shown_after), 2), data_lost=None,
                 disrupted=stopped.t1, disrupted_label=f"{victim.name} stopped", returned=started.t1,
                 returned_label=f"{victim.name} started")
    assert shown_after <= 5, f"the page showed {victim.name} down {shown_after:.2f} s after it stopped (target 5 s)"
    assert not balancers_not_down, (
        f"the balancers' rows of {victim.name} did not turn down within 10 s of the page showing it down: "
        f"{balancers_not_down}")
    assert not others, f"other rows left up while {victim.name} stopped: {others}"
    assert not balancers_not_up, f"the balancers' rows of {victim.name} were not up 30 s after it was: {balancers_not_up}"
    texts = [e["text"] for e in events if e["subject"] == victim.name]
    assert any("-> down" in t for t in texts) and any("down -> up" in t for t in texts), texts
