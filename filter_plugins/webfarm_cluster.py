"""webfarm cluster filters: a Pacemaker cluster's resources from the pacemaker_cluster role's variables.

``webfarm_cluster_services`` turns ``pacemaker_cluster_services`` into resource
groups (disk, virtual IP, service, network name, in that order) and
``webfarm_cluster_fencing`` turns ``pacemaker_cluster_fence_devices`` into stonith
resources and the constraints that keep each device off the node it fences.
Both return the data library/webfarm_pacemaker_cib.py takes, and refuse bad
input with an AnsibleFilterError that names the variable and the entry.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ansible.errors import AnsibleFilterError
from ansible_collections.webfarm.cluster.plugins.module_utils.addresses import is_ipv6, unusable6
from ansible_collections.webfarm.cluster.plugins.module_utils.checks import filter_table
from ansible_collections.webfarm.cluster.plugins.module_utils.paths import normal_path, webfarm_path_problem

SERVICES = "pacemaker_cluster_services"
DEVICES = "pacemaker_cluster_fence_devices"
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_UNIT = re.compile(r"^[A-Za-z0-9@_.:-]+$")
_AGENT = re.compile(r"^fence_[a-z0-9_]+$")
_SERVICE_KEYS = {"name", "vip", "vip6", "vip_prefix", "dns_name", "disk", "service", "agent"}
_AGENT_KEYS = {"type", "provider", "params"}
_DISK_KEYS = {"device", "directory", "fstype", "options"}


def _fail(msg: str) -> AnsibleFilterError:
    return AnsibleFilterError(msg)


def _list_of_mappings(value: Any, var: str) -> list[Mapping[str, Any]]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise _fail(f"{var} must be a list of mappings, got {value!r}")
    for item in value:
        if not isinstance(item, Mapping):
            raise _fail(f"{var}: every entry must be a mapping, got {item!r}")
    return list(value)


def _named_entries(value: Any, var: str) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """Each entry of a list of named mappings as (name, where, entry): where
    names the variable, the index and the name for error messages. Names
    must be short lower-case words, each used once."""
    seen: set[str] = set()
    for index, entry in enumerate(_list_of_mappings(value, var)):
        name = entry.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise _fail(f"{var}[{index}]: name {name!r} must be lower case letters, digits and '-', starting with a letter")
        where = f"{var}[{index}] ({name})"
        if name in seen:
            raise _fail(f"{where}: the name {name!r} is used twice")
        seen.add(name)
        yield name, where, entry


def _ops(interval: str, timeout: str, start: str = "60s", stop: str = "60s") -> list[dict[str, str]]:
    return [
        {"name": "monitor", "interval": interval, "timeout": timeout, "on-fail": "restart"},
        {"name": "start", "interval": "0s", "timeout": start},
        {"name": "stop", "interval": "0s", "timeout": stop},
    ]


def _disk(name: str, disk: Any, where: str) -> dict[str, Any]:
    if not isinstance(disk, Mapping):
        raise _fail(f"{where}: disk must be a mapping with device, directory and fstype, got {disk!r}")
    unknown = sorted(set(disk) - _DISK_KEYS)
    if unknown:
        raise _fail(f"{where}: disk has unknown keys {unknown} (known: {sorted(_DISK_KEYS)})")
    directory = str(disk.get("directory", ""))
    problem = webfarm_path_problem(directory)
    if problem:
        raise _fail(f"{where}: disk.directory {directory!r} {problem}")
    device = str(disk.get("device", ""))
    if not device or device.rstrip("/") == "":
        raise _fail(f"{where}: disk.device {device!r} must name a block device, an NFS export or a directory other than /")
    fstype = str(disk.get("fstype", ""))
    if not re.match(r"^[a-z0-9.]+$", fstype):
        raise _fail(f"{where}: disk.fstype {fstype!r} must be a file system type (ext4, xfs, nfs4, or none for a bind mount)")
    # A bind mount's device is a directory of the node, mounted (and written
    # through) where the directory is: the same rule holds for it.
    if _is_bind(disk):
        problem = webfarm_path_problem(device)
        if problem:
            raise _fail(f"{where}: disk.device {device!r} (a bind mount's source directory) {problem}")
    params = {"device": device, "directory": directory, "fstype": fstype}
    if disk.get("options"):
        params["options"] = str(disk["options"])
    return {"id": f"webfarm-{name}-disk", "type": "Filesystem", "params": params}


def _is_bind(disk: Mapping[str, Any]) -> bool:
    """A bind mount: fstype none, or bind among the options."""
    options = [o.strip() for o in str(disk.get("options") or "").split(",")]
    return str(disk.get("fstype", "")) == "none" or "bind" in options or "rbind" in options


def _inside(path: str, other: str) -> bool:
    """path is other, or inside it (both normalised)."""
    return path == other or path.startswith(other.rstrip("/") + "/")


def webfarm_cluster_services(services: Any, network: str, node_addresses: Sequence[str],
                             options: Mapping[str, Any], network6: str | None = None,
                             node_addresses6: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The resource groups for ``pacemaker_cluster_services``.

    Example::

        {{ pacemaker_cluster_services | webfarm_cluster_services('10.213.0.0/24', ['10.213.0.41', '10.213.0.42'],
                                                          {'dns_zone': 'webfarm.test', ...}) }}

    ``network`` is the nodes' subnet (every VIP must be inside it and none may
    be a node's address). A service's ``vip6``, its IPv6 address, becomes a
    second IPaddr2 right after the first, so both move with the group; it
    must lie in ``network6``, the nodes' IPv6 prefix (none: the nodes have
    no IPv6 address, and a vip6 is refused), and be none of
    ``node_addresses6``. ``options`` carries the role's other variables:
    stickiness, migration_threshold, failure_timeout, monitor_interval,
    service_monitor_interval, dns_zone, dns_server, dns_keyfile, dns_ttl.
    """
    try:
        net = ipaddress.IPv4Interface(str(network)).network
    except ValueError:
        raise _fail(f"{SERVICES}: the nodes' subnet {network!r} is not an IPv4 network") from None
    nodes = {str(a) for a in node_addresses}
    net6 = None
    if network6 not in (None, ""):
        try:
            net6 = ipaddress.IPv6Interface(str(network6)).network
        except ValueError:
            raise _fail(f"{SERVICES}: the nodes' IPv6 prefix {network6!r} is not an IPv6 network") from None
    nodes6 = {ipaddress.IPv6Address(str(a)).compressed for a in node_addresses6 if a}
    groups = []
    # What each service holds, by the entry that holds it: two groups may run
    # on two nodes at once, so no VIP, disk or mount point is shared.
    vips: dict[str, str] = {}
    disks: list[tuple[str, str, str]] = []
    for name, where, svc in _named_entries(services, SERVICES):
        unknown = sorted(set(svc) - _SERVICE_KEYS)
        if unknown:
            raise _fail(f"{where}: unknown keys {unknown} (known: {sorted(_SERVICE_KEYS)})")
        members = []
        if svc.get("disk"):
            disk = _disk(name, svc["disk"], where)
            disk["ops"] = _ops(options["monitor_interval"], "40s")
            members.append(disk)
            device, directory = disk["params"]["device"], normal_path(disk["params"]["directory"])
            device = normal_path(device) if device.startswith("/") else device
            for other, other_device, other_directory in disks:
                if device == other_device:
                    raise _fail(f"{where}: disk.device {device!r} is already the disk of {other}: each service needs "
                                "a disk of its own (two groups may run on two nodes at once)")
                if _inside(directory, other_directory) or _inside(other_directory, directory):
                    raise _fail(f"{where}: disk.directory {directory!r} overlaps {other_directory!r}, the mount point of "
                                f"{other}: each service mounts its disk on a directory of its own, neither inside the other")
            disks.append((where, device, directory))
        try:
            given = ipaddress.IPv4Interface(str(svc.get("vip", "")))
        except ValueError:
            if is_ipv6(svc.get("vip")):
                raise _fail(f"{where}: vip {svc.get('vip')!r} is an IPv6 address, and vip holds the IPv4 one: "
                            "put it in vip6") from None
            raise _fail(f"{where}: vip {svc.get('vip')!r} is not an IPv4 address") from None
        vip = given.ip
        if vip not in net or vip in (net.network_address, net.broadcast_address):
            raise _fail(f"{where}: vip {vip} is outside the nodes' subnet {net} (or is its network or broadcast address)")
        if str(vip) in nodes:
            raise _fail(f"{where}: vip {vip} is a node's own address")
        if str(vip) in vips:
            raise _fail(f"{where}: vip {vip} is already the vip of {vips[str(vip)]}: each service needs an address of its own")
        vips[str(vip)] = where
        # The prefix: vip_prefix, else one written on the vip, else the subnet's.
        prefix = svc.get("vip_prefix", given.network.prefixlen if "/" in str(svc["vip"]) else net.prefixlen)
        if not isinstance(prefix, int) or isinstance(prefix, bool) or not 8 <= prefix <= 32:
            raise _fail(f"{where}: vip_prefix {prefix!r} must be a prefix length from 8 to 32")
        members.append({"id": f"webfarm-{name}-ip", "type": "IPaddr2",
                        "params": {"ip": str(vip), "cidr_netmask": prefix},
                        "ops": _ops(options["monitor_interval"], "20s", "20s", "20s")})
        if svc.get("vip6") not in (None, ""):
            vip6 = _vip6(svc["vip6"], where, net6, nodes6)
            if vip6 in vips:
                raise _fail(f"{where}: vip6 {vip6} is already the vip6 of {vips[vip6]}: each service needs an address "
                            "of its own")
            vips[vip6] = where
            # nodad: without it the address stays tentative for a second of
            # duplicate address detection, and IPaddr2 waits that out before
            # the service may start. The inventory gives each address one
            # owner, and fencing keeps the old node from holding it.
            # arp_bg: the unsolicited neighbour advertisements go out in the
            # background, as IPv4's gratuitous ARPs do by default; IPaddr2
            # sends IPv6's in the foreground (5 x 200 ms) otherwise.
            members.append({"id": f"webfarm-{name}-ip6", "type": "IPaddr2",
                            "params": {"ip": vip6, "cidr_netmask": net6.prefixlen if net6 else 64, "nodad": "true",
                                       "arp_bg": "true"},
                            "ops": _ops(options["monitor_interval"], "20s", "20s", "20s")})
        if svc.get("service") and svc.get("agent"):
            raise _fail(f"{where}: give service (a systemd unit) or agent (an OCF agent), not both")
        if svc.get("service"):
            unit = str(svc["service"])
            if not _UNIT.match(unit):
                raise _fail(f"{where}: service {unit!r} is not a systemd unit name")
            # webfarm's own agent (roles/pacemaker_cluster/files): systemctl
            # without the fixed 2 s Pacemaker's systemd class waits on each
            # start and stop, and a monitor cheap enough to ask twice a second.
            members.append({"id": f"webfarm-{name}-service", "type": "service", "provider": "webfarm",
                            "params": {"unit": unit},
                            "ops": _ops(options["service_monitor_interval"], "20s", "30s", "30s")})
        if svc.get("agent"):
            members.append(_agent(name, svc["agent"], where, options))
        if svc.get("dns_name"):
            members.append(_dns(svc["dns_name"], vip, name, where, options))
        for member in members:
            member["meta"] = {"migration-threshold": options["migration_threshold"],
                              "failure-timeout": options["failure_timeout"]}
        groups.append({"id": f"webfarm-{name}", "group": members,
                       "meta": {"resource-stickiness": options["stickiness"]}})
    return groups



def _vip6(value: Any, where: str, net6: ipaddress.IPv6Network | None, nodes6: set[str]) -> str:
    """A service's IPv6 VIP, compressed, or an error naming the entry."""
    raw = str(value).strip()
    try:
        addr = ipaddress.IPv6Address(raw)
    except ValueError:
        try:
            ipaddress.IPv4Address(raw)
        except ValueError:
            raise _fail(f"{where}: vip6 {value!r} is not an IPv6 address") from None
        raise _fail(f"{where}: vip6 {value!r} is an IPv4 address, and vip6 holds the IPv6 one: put it in vip") from None
    why = unusable6(addr)
    if why:
        raise _fail(f"{where}: vip6 {str(addr)!r} cannot be a virtual IP: {why}")
    if net6 is None:
        raise _fail(f"{where}: vip6 {addr.compressed}: the nodes have no IPv6 address: give each node its "
                    "webfarm_address6 in the VIP's prefix")
    if addr not in net6 or addr == net6.network_address:
        raise _fail(f"{where}: vip6 {addr.compressed} is outside the nodes' IPv6 prefix {net6}")
    if addr.compressed in nodes6:
        raise _fail(f"{where}: vip6 {addr.compressed} is a node's own address")
    return addr.compressed


def _agent(name: str, agent: Any, where: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The service as an OCF agent of the user's choice (for example
    ocf:heartbeat:nginx, which also reads nginx's status page)."""
    if not isinstance(agent, Mapping) or not agent.get("type"):
        raise _fail(f"{where}: agent must be a mapping with a type (an OCF agent such as nginx), got {agent!r}")
    unknown = sorted(set(agent) - _AGENT_KEYS)
    if unknown:
        raise _fail(f"{where}: agent has unknown keys {unknown} (known: {sorted(_AGENT_KEYS)})")
    provider = str(agent.get("provider", "heartbeat"))
    if not re.match(r"^[A-Za-z0-9_.-]+$", str(agent["type"])) or not re.match(r"^[a-z0-9_-]+$", provider):
        raise _fail(f"{where}: agent type {agent['type']!r} / provider {agent.get('provider')!r} is not an OCF agent name")
    params = agent.get("params") or {}
    if not isinstance(params, Mapping):
        raise _fail(f"{where}: agent.params must be a mapping, got {params!r}")
    return {"id": f"webfarm-{name}-service", "type": str(agent["type"]), "provider": provider,
            "params": dict(params), "ops": _ops(options["service_monitor_interval"], "20s", "30s", "30s")}


def _dns(dns_name: Any, vip: ipaddress.IPv4Address, name: str, where: str, options: Mapping[str, Any]) -> dict[str, Any]:
    dns_name = str(dns_name).lower()
    if len(dns_name) > 63 or not re.match(rf"^{_LABEL}$", dns_name):
        raise _fail(f"{where}: dns_name {dns_name!r} is not a valid DNS name: one label of letters, digits and '-', "
                    "relative to the zone")
    zone = str(options.get("dns_zone") or "").lower().rstrip(".")
    if not zone or not options.get("dns_server") or not options.get("dns_keyfile"):
        raise _fail(f"{where}: dns_name {dns_name!r} needs pacemaker_cluster_dns_zone, pacemaker_cluster_dns_server and "
                    "pacemaker_cluster_dns_key_secret (set by playbooks/active_passive.yml when the inventory has rr_dns)")
    fqdn = f"{dns_name}.{zone}"
    return {"id": f"webfarm-{name}-name", "type": "dnsupdate",
            "params": {"hostname": fqdn, "ip": str(vip), "server": str(options["dns_server"]),
                       "keyfile": str(options["dns_keyfile"]), "ttl": int(options.get("dns_ttl", 5))},
            "ops": _ops(options["monitor_interval"], "30s", "30s", "30s")}


def webfarm_cluster_fencing(devices: Any, nodes: Sequence[str], winner: str, delay: int) -> dict[str, list[dict[str, Any]]]:
    """Stonith resources and their constraints for ``pacemaker_cluster_fence_devices``.

    Each device fences the nodes in its ``hosts`` (``pcmk_host_list``) and
    never runs on a node it fences. Devices that fence ``winner`` wait
    ``delay`` seconds (``pcmk_delay_base``), so in a partition the winner
    fences the other side first. Every node must be fenced by some device.
    """
    nodes = [str(n) for n in nodes]
    if winner not in nodes:
        raise _fail(f"pacemaker_cluster_fence_winner {winner!r} is not a cluster node ({', '.join(nodes)})")
    if not isinstance(delay, int) or isinstance(delay, bool) or not 0 <= delay <= 60:
        raise _fail(f"pacemaker_cluster_fence_delay {delay!r} must be 0 to 60 seconds")
    resources, constraints, covered = [], [], set()
    for name, where, dev in _named_entries(devices, DEVICES):
        agent = dev.get("agent")
        if not isinstance(agent, str) or not _AGENT.match(agent):
            raise _fail(f"{where}: agent {agent!r} must be a fence agent's name (fence_ipmilan, fence_docker, ...)")
        hosts = dev.get("hosts")
        if isinstance(hosts, (str, bytes)) or not isinstance(hosts, Sequence) or not hosts:
            raise _fail(f"{where}: hosts must list the cluster nodes this device fences, got {hosts!r}")
        strangers = [str(h) for h in hosts if str(h) not in nodes]
        if strangers:
            raise _fail(f"{where}: hosts {strangers} are not cluster nodes ({', '.join(nodes)})")
        params = dict(dev.get("params") or {})
        if "pcmk_host_list" in params:
            raise _fail(f"{where}: give the nodes as hosts, not as params.pcmk_host_list")
        params["pcmk_host_list"] = " ".join(str(h) for h in hosts)
        if winner in hosts and delay:
            # The node:time form: Pacemaker 2.1 parses the value as a map
            # first and logs an error for a bare time (it still applies it).
            params["pcmk_delay_base"] = f"{winner}:{delay}s"
        rid = f"webfarm-fence-{name}"
        resources.append({"id": rid, "class": "stonith", "type": agent, "params": params,
                          "ops": [{"name": "monitor", "interval": "60s", "timeout": "30s"}]})
        # A device for one node runs elsewhere: a node never fences itself.
        for host in hosts if len(hosts) == 1 else []:
            constraints.append({"id": f"{rid}-avoids-{host}", "rsc": rid, "node": str(host), "score": "-INFINITY"})
        covered.update(str(h) for h in hosts)
    missing = [n for n in nodes if n not in covered]
    if missing:
        raise _fail(f"{DEVICES}: no device fences {', '.join(missing)}; every node needs one (or switch fencing off "
                    "with pacemaker_cluster_fencing: false and pacemaker_cluster_fencing_disabled_acknowledged: true)")
    return {"resources": resources, "constraints": constraints}


def webfarm_cluster_disk_of(services: Any, path: str) -> str:
    """The id of the disk resource whose directory holds `path`, or '' when
    none does: which group's disk a content root lives on (both paths
    compared normalised).

        {{ pacemaker_cluster_services | webfarm_cluster_disk_of('/srv/webfarm/www') }} -> 'webfarm-web-disk'
    """
    path = normal_path(path)
    for svc in _list_of_mappings(services, SERVICES):
        disk = svc.get("disk")
        if isinstance(disk, Mapping) and disk.get("directory") and _inside(path, normal_path(disk["directory"])):
            return f"webfarm-{svc.get('name')}-disk"
    return ""


class FilterModule:
    """webfarm cluster filters."""

    def filters(self) -> dict[str, Any]:
        return filter_table(webfarm_cluster_services, webfarm_cluster_fencing, webfarm_cluster_disk_of)
