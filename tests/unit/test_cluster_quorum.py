"""lab.cluster.qdevice_votes: a member's quorum device vote, read from
corosync-quorumtool -s as corosync 3.1 prints it (lab, bookworm)."""
from __future__ import annotations

import pytest

from lab.cluster import qdevice_votes

STATUS = """Votequorum information
----------------------
Expected votes:   3
Highest expected: 3
Total votes:      {total}
Quorum:           2
Flags:            Quorate Qdevice

Membership information
----------------------
    Nodeid      Votes    Qdevice Name
         1          1    {state} node1 (local)
         2          1    A,V,NMW node2
         0          {device}            Qdevice
"""


def test_a_voting_device():
    assert qdevice_votes(STATUS.format(total=3, state="A,V,NMW", device=1)) is True


@pytest.mark.parametrize("state", ["A,NV,NMW", "NA,NV,NMW"])
def test_an_arbiter_out_of_reach_does_not_vote(state):
    # Measured: corosync-qnetd stopped on the arbiter, both nodes A,NV,NMW.
    assert qdevice_votes(STATUS.format(total=2, state=state, device=0)) is False


def test_no_device():
    two_node = "Votequorum information\nExpected votes:   2\nFlags:            2Node Quorate WaitForAll\n" \
               "    Nodeid      Votes Name\n         1          1 node1 (local)\n"
    assert qdevice_votes(two_node) is None


def test_a_device_but_no_local_line_is_an_error():
    with pytest.raises(ValueError, match="names no local member"):
        qdevice_votes("Flags:            Quorate Qdevice\n")
