"""The part of a Pacemaker CIB that webfarm owns: render it, compare it, merge it.

Pure functions over xml.etree elements, shared by library/webfarm_pacemaker_cib.py
and its unit tests. webfarm owns exactly the resources and constraints whose id
starts with its prefix (``webfarm-``) and the cluster properties it names;
everything else in the CIB (other tools' resources, an operator's
``pcs resource move`` constraints) is carried over untouched.

A resource is declared as data::

    {"id": "webfarm-web", "group": [<primitive>, ...], "meta": {...}}
    {"id": "webfarm-web-ip", "class": "ocf", "provider": "heartbeat",
     "type": "IPaddr2", "params": {...}, "meta": {...},
     "ops": [{"name": "monitor", "interval": "5s", "timeout": "20s", "on-fail": "restart"}]}

and a constraint as ``{"id": ..., "type": "location", "rsc": ..., "node": ..., "score": ...}``.
"""
from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from typing import Any

PREFIX = "webfarm-"
# Meta attributes an operator changes at run time (pcs resource disable /
# unmanage): kept as they are in the live CIB, never reset by a converge.
RUNTIME_META = ("target-role", "is-managed")
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_CLASSES = ("ocf", "systemd", "lsb", "service", "stonith")
_SCORE = re.compile(r"^[-+]?([0-9]+|INFINITY)$")


class CibError(ValueError):
    """Declared resources or constraints that cannot be rendered; the message names the culprit."""


def _check_id(value: Any, what: str, prefix: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise CibError(f"{what}: id {value!r} is not a valid XML id (a letter, then letters, digits, '-', '_', '.')")
    if not value.startswith(prefix):
        raise CibError(f"{what}: id {value!r} must start with {prefix!r}, the prefix of what webfarm owns")
    return value


def _nvset(parent: ET.Element, tag: str, owner: str, suffix: str, values: dict[str, Any]) -> None:
    if not values:
        return
    if not isinstance(values, dict):
        raise CibError(f"{owner}: {suffix} must be a mapping of names to values, got {values!r}")
    node = ET.SubElement(parent, tag, {"id": f"{owner}-{suffix}"})
    for name in sorted(values):
        value = values[name]
        if isinstance(value, bool):
            value = "true" if value else "false"
        if value is None or isinstance(value, (dict, list)):
            raise CibError(f"{owner}: {suffix} {name!r} must be a single value, got {value!r}")
        ET.SubElement(node, "nvpair", {"id": f"{owner}-{suffix}-{name}", "name": str(name), "value": str(value)})


def primitive(spec: dict[str, Any], prefix: str = PREFIX) -> ET.Element:
    """One resource (or fence device, class stonith) as CIB XML."""
    if not isinstance(spec, dict):
        raise CibError(f"a resource must be a mapping, got {spec!r}")
    rid = _check_id(spec.get("id"), "resource", prefix)
    cls = spec.get("class", "ocf")
    if cls not in _CLASSES:
        raise CibError(f"{rid}: class {cls!r} is not one of {', '.join(_CLASSES)}")
    rtype = spec.get("type")
    if not isinstance(rtype, str) or not rtype:
        raise CibError(f"{rid}: type (the agent, for example IPaddr2 or nginx) is required")
    attrs = {"id": rid, "class": cls, "type": rtype}
    if cls == "ocf":
        attrs["provider"] = spec.get("provider", "heartbeat")
    elif spec.get("provider"):
        raise CibError(f"{rid}: only ocf resources have a provider, class {cls!r} has none")
    node = ET.Element("primitive", attrs)
    _nvset(node, "instance_attributes", rid, "instance_attributes", spec.get("params") or {})
    _nvset(node, "meta_attributes", rid, "meta_attributes", spec.get("meta") or {})
    ops = spec.get("ops") or []
    if ops:
        holder = ET.SubElement(node, "operations")
        seen = set()
        for op in ops:
            if not isinstance(op, dict) or not op.get("name"):
                raise CibError(f"{rid}: every operation needs a name (monitor, start, stop), got {op!r}")
            interval = str(op.get("interval", "0s"))
            oid = f"{rid}-{op['name']}-interval-{interval}"
            if oid in seen:
                raise CibError(f"{rid}: two {op['name']} operations with interval {interval}")
            seen.add(oid)
            attrs = {"id": oid, "name": str(op["name"]), "interval": interval}
            for key in sorted(op):
                if key not in ("name", "interval"):
                    attrs[key] = str(op[key])
            ET.SubElement(holder, "op", attrs)
    return node


def resource(spec: dict[str, Any], prefix: str = PREFIX) -> ET.Element:
    """A primitive, or a group of primitives started in order on one node."""
    if isinstance(spec, dict) and "group" in spec:
        gid = _check_id(spec.get("id"), "group", prefix)
        members = spec["group"]
        if not isinstance(members, list) or not members:
            raise CibError(f"{gid}: a group needs at least one resource")
        node = ET.Element("group", {"id": gid})
        _nvset(node, "meta_attributes", gid, "meta_attributes", spec.get("meta") or {})
        for member in members:
            node.append(primitive(member, prefix))
        return node
    return primitive(spec, prefix)


def constraint(spec: dict[str, Any], prefix: str = PREFIX) -> ET.Element:
    """A location constraint: a resource's score for one node."""
    if not isinstance(spec, dict):
        raise CibError(f"a constraint must be a mapping, got {spec!r}")
    cid = _check_id(spec.get("id"), "constraint", prefix)
    if spec.get("type", "location") != "location":
        raise CibError(f"{cid}: only location constraints are supported, got {spec.get('type')!r}")
    score = str(spec.get("score", "INFINITY"))
    if not _SCORE.match(score):
        raise CibError(f"{cid}: score {score!r} is not an integer or [-+]INFINITY")
    for key in ("rsc", "node"):
        if not isinstance(spec.get(key), str) or not spec[key]:
            raise CibError(f"{cid}: {key} is required")
    return ET.Element("rsc_location", {"id": cid, "rsc": spec["rsc"], "node": spec["node"], "score": score})


def canonical(node: ET.Element) -> str:
    """One string per meaning: attribute order and whitespace do not count."""
    clean = copy.deepcopy(node)
    for element in clean.iter():
        element.text = None
        element.tail = None
    return ET.canonicalize(ET.tostring(clean, encoding="unicode"))


def _runtime_meta(live: ET.Element, wanted: ET.Element) -> None:
    """Carry an operator's run-time switches (RUNTIME_META) from the live element into the wanted one."""
    for owner in [wanted, *wanted.findall("primitive")]:
        live_owner = live if owner is wanted else live.find(f"primitive[@id='{owner.get('id')}']")
        if live_owner is None:
            continue
        kept = [nv for nv in live_owner.findall("meta_attributes/nvpair") if nv.get("name") in RUNTIME_META]
        if not kept:
            continue
        meta = owner.find("meta_attributes")
        if meta is None:
            meta = ET.Element("meta_attributes", {"id": f"{owner.get('id')}-meta_attributes"})
            # meta_attributes before operations, as pcs writes them
            ops = owner.find("operations")
            index = list(owner).index(ops) if ops is not None else len(owner)
            owner.insert(index, meta)
        for nv in kept:
            for mine in meta.findall(f"nvpair[@name='{nv.get('name')}']"):
                meta.remove(mine)
            meta.append(copy.deepcopy(nv))


def _merge_section(section: ET.Element, wanted: list[ET.Element], prefix: str, runtime: bool) -> list[str]:
    """Make section's prefix-owned children exactly `wanted`; return what changed."""
    changes = []
    live = {child.get("id"): child for child in section if (child.get("id") or "").startswith(prefix)}
    for node in wanted:
        old = live.pop(node.get("id"), None)
        if old is None:
            section.append(node)
            changes.append(f"add {node.tag} {node.get('id')}")
            continue
        if runtime:
            _runtime_meta(old, node)
        if canonical(old) != canonical(node):
            section.insert(list(section).index(old), node)
            section.remove(old)
            changes.append(f"change {node.tag} {node.get('id')}")
    for rid, old in live.items():
        section.remove(old)
        changes.append(f"remove {old.tag} {rid}")
    return changes


def _merge_properties(crm_config: ET.Element, properties: dict[str, Any]) -> list[str]:
    changes = []
    if not properties:
        return changes
    pset = crm_config.find("cluster_property_set[@id='cib-bootstrap-options']")
    if pset is None:
        pset = ET.SubElement(crm_config, "cluster_property_set", {"id": "cib-bootstrap-options"})
    for name in sorted(properties):
        value = properties[name]
        value = ("true" if value else "false") if isinstance(value, bool) else str(value)
        found = pset.findall(f"nvpair[@name='{name}']")
        if len(found) == 1 and found[0].get("value") == value:
            continue
        for old in found:
            pset.remove(old)
        ET.SubElement(pset, "nvpair", {"id": f"cib-bootstrap-options-{name}", "name": name, "value": value})
        changes.append(f"set property {name}={value}")
    return changes


def merge(cib: ET.Element, resources: list[dict[str, Any]], constraints: list[dict[str, Any]],
          properties: dict[str, Any], prefix: str = PREFIX) -> tuple[ET.Element, list[str]]:
    """The CIB with webfarm's part as declared, and the list of changes.

    The returned CIB is a copy; its epoch is one higher when anything changed,
    so a versioned patch from the original to it applies only to the very
    CIB it was computed from.
    """
    if cib.tag != "cib":
        raise CibError(f"not a CIB: the root element is <{cib.tag}>")
    wanted_resources = [resource(spec, prefix) for spec in resources]
    wanted_constraints = [constraint(spec, prefix) for spec in constraints]
    ids: dict[str, int] = {}
    for node in wanted_resources + wanted_constraints:
        for element in node.iter():
            if element.get("id"):
                ids[element.get("id")] = ids.get(element.get("id"), 0) + 1
    twice = sorted(i for i, n in ids.items() if n > 1)
    if twice:
        raise CibError(f"ids declared more than once: {', '.join(twice)}")
    known = {n.get("id") for n in wanted_resources} | {p.get("id") for n in wanted_resources for p in n.iter("primitive")}
    for node in wanted_constraints:
        if node.get("rsc") not in known:
            raise CibError(f"{node.get('id')}: rsc {node.get('rsc')!r} is none of the declared resources")

    new = copy.deepcopy(cib)
    configuration = new.find("configuration")
    if configuration is None:
        raise CibError("not a CIB: it has no <configuration>")
    sections = {}
    for tag in ("crm_config", "resources", "constraints"):
        sections[tag] = configuration.find(tag)
        if sections[tag] is None:
            sections[tag] = ET.SubElement(configuration, tag)
    changes = _merge_properties(sections["crm_config"], properties or {})
    changes += _merge_section(sections["resources"], wanted_resources, prefix, runtime=True)
    changes += _merge_section(sections["constraints"], wanted_constraints, prefix, runtime=False)
    if changes:
        new.set("epoch", str(int(cib.get("epoch", "0")) + 1))
        new.set("num_updates", "0")
    return new, changes


def owned(cib: ET.Element, prefix: str = PREFIX) -> str:
    """webfarm's part of a CIB as text, for --diff."""
    lines = []
    for path in ("configuration/resources", "configuration/constraints"):
        section = cib.find(path)
        for child in section if section is not None else []:
            if (child.get("id") or "").startswith(prefix):
                ET.indent(child)
                lines.append(ET.tostring(child, encoding="unicode").strip())
    return "\n".join(lines) + "\n"


def placement(status_xml: str) -> dict[str, list[str]]:
    """Where each resource runs, from `crm_mon --output-as xml`: {resource id: [node, ...]}."""
    root = ET.fromstring(status_xml)
    where: dict[str, list[str]] = {}
    for res in root.iter("resource"):
        if res.get("role") in ("Started", "Promoted", "Unpromoted", "Master", "Slave"):
            where.setdefault(res.get("id", ""), []).extend(n.get("name", "") for n in res.findall("node"))
    return where
