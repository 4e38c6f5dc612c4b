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
from collections.abc import Callable
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


# --- secrets: the parameter values masked in the module's results -------------
#
# A fence device's credentials must not reach a diff, a result or a log. The
# agent's own metadata (what Pacemaker reads: ``crm_resource --show-metadata
# stonith:<agent>``) says which parameters hold them; a parameter whose name
# says so is masked too, and that name rule is all there is when the metadata
# cannot be read.

# A parameter whose name contains one of these holds a secret.
SECRET_NAMES = ("password", "passwd", "secret", "token")
# Content types whose values are flags, numbers, durations or one of a fixed
# set of choices: never a secret by their wording ("Use sudo (without password)").
_PLAIN_TYPES = frozenset({"boolean", "integer", "nonnegative_integer", "port", "second", "time", "timeout",
                          "duration", "epoch_time", "percentage", "score", "select"})
# Wording that says the value is a secret: "Login password or passphrase",
# "Hexadecimal-encoded Kg key for IPMIv2 authentication", "API Key", "Secret Key.",
# "Authentication key", "API Token".
_SECRET_WORDS = re.compile(
    r"\b(?:pass(?:word|phrase)s?|passwd|secrets?|tokens?|credentials?|"
    r"(?:api|access|auth|authentication|private|shared|secret)[ _-]?keys?|"
    r"keys?\b[^.]*?\bauthentication)\b", re.IGNORECASE)
# Wording that says the value is where a secret lives, not the secret:
# "Path to client key (PEM format) for TLS authentication", "Script to run to
# retrieve password", "Identity file (private key) for SSH".
_LOCATION_WORDS = re.compile(r"\b(?:path|file|filename|script|directory|command|url)\b", re.IGNORECASE)
# The placeholder of the agent's own option: "-p, --password=[password]".
_SECRET_PLACEHOLDER = re.compile(r"=\[(?:password|passwd|pass|passphrase|authkey|secret|token)\]", re.IGNORECASE)
# How Pacemaker reads a true attribute (crm_is_true).
_TRUE = ("1", "true", "yes", "y", "on")

# Runs a command: argv -> (rc, stdout, stderr), as AnsibleModule.run_command does.
Runner = Callable[[list[str]], tuple[int, str, str]]


def secret_by_name(name: str) -> bool:
    """The fallback rule: the parameter's name says it holds a secret."""
    return any(word in str(name).lower() for word in SECRET_NAMES)


def _says_secret(text: str) -> bool:
    """The wording names a secret before it names a location (a path, a file, a script)."""
    secret = _SECRET_WORDS.search(text)
    if secret is None:
        return False
    location = _LOCATION_WORDS.search(text)
    return location is None or secret.start() < location.start()


def _marked_secret(param: ET.Element) -> bool:
    """One <parameter> of an agent's metadata: does it mark its value secret?"""
    if (param.get("private") or "").strip().lower() in _TRUE:  # Pacemaker's own mark (OCF 1.1)
        return True
    content = param.find("content")
    if content is not None and (content.get("type") or "string").lower() in _PLAIN_TYPES:
        return False
    getopt = param.find("getopt")
    if getopt is not None and _SECRET_PLACEHOLDER.search(getopt.get("mixed") or ""):
        return True
    return any(_says_secret(param.findtext(tag) or "") for tag in ("shortdesc", "longdesc"))


def metadata_secrets(metadata: str) -> set[str]:
    """The names of the parameters an agent's metadata marks secret.

    A parameter is secret when it carries ``private="1"`` (what Pacemaker
    itself honours), or when its value can hold text (no boolean, number,
    duration or choice) and its option's placeholder (``--password=[password]``)
    or its short or long description names a password, passphrase, secret,
    token, credentials or a key for authentication, unless the description
    says the value is only where the secret lives (a path, a file, a script).
    An alias (``password`` obsoletes ``passwd``) is secret with the name it
    stands for. Raise ValueError when the text is not an agent's metadata.
    """
    try:
        root = ET.fromstring(metadata)
    except ET.ParseError as exc:
        raise ValueError(f"agent metadata is not XML: {exc}") from None
    if root.tag != "resource-agent":
        raise ValueError(f"not an agent's metadata: the root element is <{root.tag}>")
    params = [p for p in root.iter("parameter") if p.get("name")]
    secret = {p.get("name", "") for p in params if _marked_secret(p)}
    for param in params:
        name, old = param.get("name", ""), param.get("obsoletes")
        if old and (name in secret or old in secret):
            secret |= {name, old}
    return secret


def agent_secrets(run: Runner, agent: str, cache: dict[str, set[str] | None] | None = None) -> set[str] | None:
    """The secret parameters of one agent (``stonith:fence_ipmilan``) from
    ``crm_resource --show-metadata``; None when its metadata cannot be read.
    `cache` (agent -> answer) saves asking twice."""
    if cache is not None and agent in cache:
        return cache[agent]
    rc, out, _ = run(["crm_resource", "--show-metadata", agent])
    found: set[str] | None = None
    if rc == 0 and out.strip():
        try:
            found = metadata_secrets(out)
        except ValueError:
            found = None
    if cache is not None:
        cache[agent] = found
    return found


def declared_primitives(resources: list[dict[str, Any]] | None) -> list[tuple[str, str, dict[str, Any]]]:
    """(class, type, params) of every declared primitive, group members included."""
    found = []
    for res in resources or []:
        members = res.get("group") if isinstance(res, dict) and isinstance(res.get("group"), list) else [res]
        for member in members:
            if not isinstance(member, dict):
                continue
            params = member.get("params")
            found.append((str(member.get("class", "ocf")), str(member.get("type") or ""),
                          params if isinstance(params, dict) else {}))
    return found


def live_primitives(cib: ET.Element, prefix: str = PREFIX) -> list[tuple[str, str, dict[str, Any]]]:
    """(class, type, params) of every primitive webfarm owns in a CIB (what
    the diff's "before" shows: an old password is as secret as the new one)."""
    found = []
    section = cib.find("configuration/resources")
    for child in section if section is not None else []:
        if not (child.get("id") or "").startswith(prefix):
            continue
        for prim in child.iter("primitive"):
            params = {nv.get("name", ""): nv.get("value") for nv in prim.findall("instance_attributes/nvpair")}
            found.append((prim.get("class", "ocf"), prim.get("type", ""), params))
    return found


def secret_values(primitives: list[tuple[str, str, dict[str, Any]]], run: Runner | None = None,
                  cache: dict[str, set[str] | None] | None = None) -> tuple[set[str], list[str]]:
    """The values to mask, and the fence agents whose metadata could not be read.

    A value is masked when its parameter's name says it is secret, or, for a
    fence device (class stonith), when the agent's metadata marks it so (read
    through `run`; without a runner, or when the metadata cannot be read, the
    name rule alone decides for that agent)."""
    values: set[str] = set()
    unread: list[str] = []
    cache = {} if cache is None else cache
    for cls, rtype, params in primitives:
        marked: set[str] = set()
        if cls == "stonith" and rtype and run is not None:
            agent = f"stonith:{rtype}"
            answer = agent_secrets(run, agent, cache)
            if answer is None:
                if agent not in unread:
                    unread.append(agent)
            else:
                marked = answer
        for name, value in params.items():
            # A flag is no secret, and masking "true" would hide every "true" in the output.
            if value in (None, "") or isinstance(value, (bool, dict, list)):
                continue
            if secret_by_name(name) or str(name) in marked:
                values.add(str(value))
    return values, unread
