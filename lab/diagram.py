"""The farm's picture, drawn from an inventory: a graphviz graph of every
topology's hosts with their addresses, the VIPs and what talks to what.

    python -m lab.diagram [INVENTORY] [--svg OUT]   (make diagram)

Without --svg it prints the DOT text; with it, Debian's graphviz (`dot`)
renders it. Nothing is read from the hosts: the inventory alone.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable

from lab import registry
from lab.inventory import Host, Inventory

# Each inventory group, in drawing order, with what it is and its colour:
# the registry's (topologies.yml, diagram).
TOPOLOGIES = {d["group"]: d["label"] for d in registry.load()["diagram"]}
COLOURS = {d["group"]: d["colour"] for d in registry.load()["diagram"]}


def _id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _q(text: str) -> str:
    """A quoted DOT string; a line break becomes DOT's own \\n."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def placement(inv: Inventory) -> dict[str, list[Host]]:
    """Each host in the first topology group it belongs to (a cluster node
    that also runs the session store is drawn once, in the cluster)."""
    placed: dict[str, list[Host]] = {g: [] for g in TOPOLOGIES}
    seen: set[str] = set()
    for group in TOPOLOGIES:
        for host in inv.hosts(group):
            if host.name not in seen:
                seen.add(host.name)
                placed[group].append(host)
    return {g: hs for g, hs in placed.items() if hs}


def _vips(hosts: Iterable[Host], var: str) -> list[tuple[str, str]]:
    """(address, label) of the VIPs the first host of a group declares; the
    label ends with the VIP's IPv6 address where it has one."""
    first = next(iter(hosts), None)
    if first is None:
        return []
    if var == "lb_keepalived_vips":
        return [(str(v["address"]).split("/")[0], "VIP" + _also(v.get("address6"))) for v in first.var(var) or []]
    return [(str(s["vip"]), f"VIP ({s['name']})" + _also(s.get("vip6"))) for s in first.var(var) or [] if s.get("vip")]


def _also(address6: object) -> str:
    """A second line for an IPv6 address, or nothing."""
    return f"{chr(10)}{address6}" if address6 else ""


def dot(inv: Inventory, title: str = "") -> str:
    """The DOT text of the inventory's farm."""
    placed = placement(inv)
    lines = ["digraph webfarm {",
             f"  graph [rankdir=LR, compound=true, nodesep=0.25, ranksep=0.9, fontname=Helvetica, fontsize=12, "
             f"labelloc=t, label={_q(title or 'webfarm: ' + inv.source)}];",
             '  node [shape=box, style="rounded,filled", fillcolor=white, fontname=Helvetica, fontsize=10];',
             "  edge [fontname=Helvetica, fontsize=9, color=\"#555555\"];"]
    anchor: dict[str, str] = {}
    vips: dict[str, list[tuple[str, str]]] = {
        "nlb": _vips(placed.get("nlb", []), "lb_keepalived_vips"),
        "active_passive": _vips(placed.get("active_passive", []), "pacemaker_cluster_services"),
    }
    for group, members in placed.items():
        lines.append(f"  subgraph cluster_{group} {{")
        lines.append(f"    label={_q(TOPOLOGIES[group])}; style=\"rounded,filled\"; color=\"#999999\"; "
                     f"fillcolor={_q(COLOURS[group])};")
        for host in members:
            lines.append(f"    {_id(host.name)} [label={_q(host.name + chr(10) + host.address + _also(host.address6))}];")
        for address, label in vips.get(group, []):
            title, _, address6 = label.partition(chr(10))
            lines.append(f"    {_id('vip_' + address)} [shape=ellipse, fillcolor=\"#fff9c4\", "
                         f"label={_q(title + chr(10) + address + _also(address6))}];")
        lines.append("  }")
        anchor[group] = _id(members[0].name)
    edges: list[str] = []

    def to_group(src: str, group: str, **attrs: str) -> None:
        if group in anchor:
            extra = "".join(f", {k}={_q(v)}" for k, v in attrs.items())
            edges.append(f"  {src} -> {anchor[group]} [lhead=cluster_{group}{extra}];")

    client = _id(placed["clients"][0].name) if "clients" in placed else None
    balancers = placed.get("nlb", [])
    for i, (address, _) in enumerate(vips["nlb"]):
        if client:
            edges.append(f"  {client} -> {_id('vip_' + address)} [label=\"HTTPS\"];")
        for j, lb in enumerate(balancers):
            style = "solid" if j == i % len(balancers) else "dashed"
            edges.append(f"  {_id('vip_' + address)} -> {_id(lb.name)} [style={style}, arrowhead=none];")
    for lb in balancers:
        to_group(_id(lb.name), "web_farm", label="HTTP, checked")
    nodes = placed.get("active_passive", [])
    for address, label in vips["active_passive"]:
        if client and "web" in label:
            edges.append(f"  {client} -> {_id('vip_' + address)} [label=\"HTTP\"];")
        for node in nodes:
            edges.append(f"  {_id('vip_' + address)} -> {_id(node.name)} [style=dashed, arrowhead=none];")
    if client:
        to_group(client, "rr_dns", label="DNS")
    if "rr_dns" in anchor:
        to_group(anchor["rr_dns"], "web_farm", label="A records", style="dashed")
    if "content_sync" in anchor:
        to_group(anchor["content_sync"], "web_farm", label="rsync over SSH")
    store = [a for a, label in vips["active_passive"] if "store" in label]
    if "web_farm" in anchor:
        if store:
            edges.append(f"  {anchor['web_farm']} -> {_id('vip_' + store[0])} [ltail=cluster_web_farm, label=\"sessions\"];")
        elif "session_store" in anchor:
            edges.append(f"  {anchor['web_farm']} -> {anchor['session_store']} [ltail=cluster_web_farm, "
                         f"lhead=cluster_session_store, label=\"sessions\"];")
    if "monitor" in anchor:
        for group in placed:
            if group not in ("monitor", "clients", "content_sync"):
                to_group(anchor["monitor"], group, style="dotted", color="#8e7cc3")
    return "\n".join(lines + edges + ["}"]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inventory", nargs="?", help="inventory source (default: the lab's)")
    parser.add_argument("--svg", help="render to this SVG file with graphviz's dot")
    args = parser.parse_args(argv)
    inv = Inventory.load(args.inventory)
    text = dot(inv, f"webfarm lab, drawn from {args.inventory or 'inventories/lab'} (make diagram)")
    if not args.svg:
        sys.stdout.write(text)
        return 0
    if not shutil.which("dot"):
        print("diagram: graphviz's dot is missing (apt-get install graphviz)", file=sys.stderr)
        return 2
    subprocess.run(["dot", "-Tsvg", "-o", args.svg], input=text, text=True, check=True, timeout=60)
    print(f"diagram: wrote {args.svg}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
