"""webfarm's test toolkit, shared by the lab, Molecule and the drills.

inventory  read an Ansible inventory (lab, Molecule scenario or production)
hosts      crash, stop, start, cut off and reconnect a lab host (Docker)
loadgen    a bounded load generator that runs inside the client container
drill      run loadgen in the background from the client, collect results
report     failed/total, outage windows, and plain-text tables
status     the `make lab` table: host, role, address, URL, state
"""
