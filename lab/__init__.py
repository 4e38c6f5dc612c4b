"""webfarm's lab package: what `make lab`, the tests, the drills and the
benchmarks share to read an inventory and drive its hosts.

inventory      read an Ansible inventory (lab, Molecule scenario or production)
hosts          crash, stop, start, cut off, partition and reconnect lab hosts
loadgen        a bounded HTTP/DNS/Redis/TCP load generator run in the client
drill          run loadgen in the background from the client, collect results
report         failed/total, outage windows, and plain-text tables
drill_report   the whole run's drill table and JSON: targets, records, rows (make drill)
drill_html     the drill report's page, with one timeline per drill
registry       the registry of topologies (topologies.yml) as the lab uses it
status         the `make lab` table; each topology adds its rows
pytest_plugin  the fixtures every topology's tests share
playbook       run one of the project's playbooks from a test or a benchmark
cluster        the active/passive cluster's state, mounts and fencings
failover       the cluster's drills, shared by its tests and its benchmark
content        the content master's and each web node's tree: versions, arrivals
sessions       one browser session against the session app, from the client
webclient      curl from the client, and wrk runs
monitor        the farm monitor's JSON state: one source for a host's state
browser        Debian's chromium driven by Selenium, talking to the lab only
"""
