"""webfarm farm monitor: one page showing every server of the farm (HTTPMon).

A WSGI application, ``webfarm_monitor.web:application`` (run by gunicorn,
role farm_monitor). Collector threads
read every source each ``interval`` seconds and keep the last state of every
row plus a bounded history of changes (``history`` events):

- web nodes: the health answer and its latency, the content version the
  node publishes; the content master's push (``webfarm-content-push
  --status`` over SSH, a key that may run nothing else): running, or held
  and why;
- balancers: HAProxy's stats (CSV, a read-only stats user): every backend
  server as each balancer sees it; who answers at each VIP;
- DNS: the A records each name server publishes for the service names;
- the active/passive cluster: ``crm_mon`` XML over SSH (a key that may run
  nothing else): node states, where each resource group runs and since when;
- the session store: Redis INFO with a user that may run INFO and PING only.

Each row is up, degraded or down; a source the monitor cannot read (or a
reading older than three intervals plus twice the timeout: 8 s at the
defaults) is "unknown", never "up"; so is every row on a page that cannot
reach the monitor.

    GET /            the page (updates itself)
    GET /api/state   the same state as JSON
    GET /health      200 while the collectors run

With ``page_users`` in the configuration ([{user, password}]), the page and
/api/state want one of those logins (HTTP basic auth; the page is read-only
but maps the farm); /health stays open.

``python3 -m webfarm_monitor --check-config FILE`` checks a configuration
and exits non-zero naming what is wrong.

config       the configuration file and its checks
readings     a row's reading, the kinds of rows, and how sources are read (HTTP, SSH)
probes/      one module per panel: what a source says, as rows
farm         the farm's state: the last reading of every row, and the changes
collectors   the threads that read every source each interval
web          the page (page.html), the JSON state, logins, gunicorn's entry point
"""

