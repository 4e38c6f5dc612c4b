#!/usr/bin/python
"""webfarm_pacemaker_cib: webfarm's resources, constraints and properties in a Pacemaker CIB."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: webfarm_pacemaker_cib
short_description: Keep webfarm's part of a Pacemaker cluster's configuration (CIB) as declared
description:
  - Reads the live CIB (C(cibadmin --query)), renders the declared resources, constraints and cluster
    properties, and compares them with what the CIB holds. When they differ it checks the new CIB with
    C(crm_verify) and pushes only the difference as a versioned patch (C(crm_diff), C(cibadmin --patch)).
  - A versioned patch applies only to the CIB it was computed from; if the CIB changed in between (another
    node, an operator), the patch is refused and the module reads the CIB again, so an older CIB is never
    pushed over a newer one.
  - Owns exactly the resources and constraints whose id starts with O(prefix), and the properties it names.
    Other resources and constraints, including an operator's C(pcs resource move) constraints, are left
    alone. An operator's C(target-role) and C(is-managed) meta attributes are kept.
  - Resources that carry the prefix but are no longer declared are removed (Pacemaker stops them first).
  - Run it on one node of a running cluster (C(run_once)).
  - Fence devices' secrets are masked in everything the module returns (the diff included), and its invocation
    is not logged on the node. A parameter is secret when the fence agent's metadata (C(crm_resource
    --show-metadata stonith:AGENT), what Pacemaker reads) marks it so (C(private="1"), or a text value whose
    description or option names a password, passphrase, secret, token or a key for authentication, such as
    fence_ipmilan's C(hexadecimal_kg), and the aliases it C(obsoletes)), or when its name contains C(password),
    C(passwd), C(secret) or C(token). When an agent's metadata cannot be read, the name rule alone decides and the
    module warns. Values the live CIB holds for webfarm's resources (an old password in the diff's before) are
    masked the same way.
version_added: "1.0.0"
author: webfarm
options:
  resources:
    description:
      - Primitives and groups. A primitive has C(id), C(class) (ocf, systemd, lsb, service, stonith; default
        ocf), C(provider) (ocf only, default heartbeat), C(type) (the agent), C(params), C(meta) and C(ops)
        (each with C(name), C(interval) and other attributes such as C(timeout) and C(on-fail)).
      - A group has C(id), C(group) (its primitives, started in this order on one node) and C(meta).
    type: list
    elements: dict
    default: []
  constraints:
    description: Location constraints, each with C(id), C(rsc), C(node) and C(score) (an integer or C(-INFINITY)).
    type: list
    elements: dict
    default: []
  properties:
    description: Cluster properties (C(cib-bootstrap-options)), for example C(stonith-enabled).
    type: dict
    default: {}
  prefix:
    description: The id prefix of what this module owns.
    type: str
    default: webfarm-
  wait:
    description: After a change, seconds to wait for the cluster to settle (C(crm_resource --wait)); 0 does not wait.
    type: int
    default: 0
  retries:
    description: How many times to read the CIB again when it changed while the patch was prepared.
    type: int
    default: 5
"""

EXAMPLES = r"""
- name: The web service group
  webfarm_pacemaker_cib:
    resources:
      - id: webfarm-web
        meta: {resource-stickiness: 100}
        group:
          - {id: webfarm-web-ip, type: IPaddr2, params: {ip: 192.0.2.10, cidr_netmask: 24},
             ops: [{name: monitor, interval: 5s, timeout: 20s}]}
          - {id: webfarm-web-nginx, class: systemd, type: nginx}
    properties:
      stonith-enabled: true
  run_once: true
"""

RETURN = r"""
changes:
  description: What changed (or would change), one line each.
  returned: always
  type: list
  elements: str
placement:
  description: Where each started resource runs now, resource id to node names.
  returned: always
  type: dict
"""

import os  # noqa: E402
import tempfile  # noqa: E402
import xml.etree.ElementTree as ET  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.webfarm.cluster.plugins.module_utils.pacemaker_cib import (  # noqa: E402
    CibError,
    declared_primitives,
    live_primitives,
    merge,
    owned,
    placement,
    secret_values,
)


def _run(module, argv, data=None, check_rc=True):
    rc, out, err = module.run_command(argv, data=data, binary_data=data is not None)
    if check_rc and rc != 0:
        module.fail_json(msg=f"{' '.join(argv)} failed (rc {rc}): {(err or out).strip()}", rc=rc)
    return rc, out, err


def _placement(module):
    rc, out, _ = _run(module, ["crm_mon", "--one-shot", "--inactive", "--output-as", "xml"], check_rc=False)
    return placement(out) if rc == 0 and out.strip() else {}


def _push(module, original, new, workdir):
    """Verify the new CIB, then patch the live one; return None, or why the patch was refused."""
    orig_path = os.path.join(workdir, "original.xml")
    new_path = os.path.join(workdir, "new.xml")
    with open(orig_path, "w", encoding="utf-8") as handle:
        handle.write(original)
    with open(new_path, "w", encoding="utf-8") as handle:
        handle.write(ET.tostring(new, encoding="unicode"))
    rc, out, err = _run(module, ["crm_verify", "--xml-file", new_path], check_rc=False)
    if rc != 0:
        module.fail_json(msg=f"crm_verify refused the new configuration; nothing was pushed: {(err or out).strip()}")
    rc, patch, err = _run(module, ["crm_diff", "--original", orig_path, "--new", new_path], check_rc=False)
    if rc not in (0, 1):  # 1: the files differ, the patch is on stdout
        module.fail_json(msg=f"crm_diff failed (rc {rc}): {err.strip()}")
    rc, out, err = _run(module, ["cibadmin", "--patch", "--xml-pipe"], data=patch, check_rc=False)
    return None if rc == 0 else (err or out).strip()


def _mask(module, primitives, cache, warned):
    """Add the secret values of these primitives to what the module masks; warn
    once per fence agent whose metadata could not be read."""
    def runner(argv):
        return module.run_command(argv)
    values, unread = secret_values(primitives, runner, cache)
    module.no_log_values.update(values)
    for agent in unread:
        if agent not in warned:
            warned.add(agent)
            module.warn(f"the metadata of {agent} could not be read (crm_resource --show-metadata {agent}): "
                        "its parameters are masked by name only (password, passwd, secret, token)")


# What cibadmin says when a versioned patch meets a CIB that moved on.
_RACE = ("older", "diff", "digest", "version", "does not match")


def run(module):
    """The module's work, on anything with AnsibleModule's params, check_mode, run_command and *_json."""
    params = module.params
    cache, warned = {}, set()
    _mask(module, declared_primitives(params["resources"]), cache, warned)
    refused = None
    for _attempt in range(params["retries"] + 1):
        _, original, _ = _run(module, ["cibadmin", "--query"])
        try:
            live = ET.fromstring(original)
            _mask(module, live_primitives(live, params["prefix"]), cache, warned)
            new, changes = merge(live, params["resources"], params["constraints"], params["properties"], params["prefix"])
        except (CibError, ET.ParseError) as exc:
            module.fail_json(msg=f"webfarm_pacemaker_cib: {exc}")
        diff = {"before": owned(live, params["prefix"]), "after": owned(new, params["prefix"])}
        if not changes or module.check_mode:
            module.exit_json(changed=bool(changes), changes=changes, diff=diff, placement=_placement(module))
        with tempfile.TemporaryDirectory(prefix="webfarm-cib-") as workdir:
            refused = _push(module, original, new, workdir)
        if refused is not None and not any(word in refused.lower() for word in _RACE):
            module.fail_json(msg=f"cibadmin refused the patch; nothing else was changed: {refused}")
        if refused is None:
            if params["wait"] > 0:
                _run(module, ["crm_resource", "--wait", f"--timeout={params['wait']}s"])
            module.exit_json(changed=True, changes=changes, diff=diff, placement=_placement(module))
    module.fail_json(msg=f"the CIB kept changing while the patch was prepared ({params['retries'] + 1} attempts); "
                         f"nothing older was pushed. Last refusal: {refused}")


def main():
    module = AnsibleModule(
        argument_spec={
            "resources": {"type": "list", "elements": "dict", "default": []},
            "constraints": {"type": "list", "elements": "dict", "default": []},
            "properties": {"type": "dict", "default": {}},
            "prefix": {"type": "str", "default": "webfarm-"},
            "wait": {"type": "int", "default": 0},
            "retries": {"type": "int", "default": 5},
        },
        supports_check_mode=True,
        # The invocation holds fence devices' credentials: not logged on the node.
        no_log=True,
    )
    run(module)


if __name__ == "__main__":
    main()
