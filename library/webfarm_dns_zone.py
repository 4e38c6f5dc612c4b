#!/usr/bin/python
"""webfarm_dns_zone: the declared records of a dynamic zone, by signed update."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: webfarm_dns_zone
short_description: Keep the records of a dynamic DNS zone as declared, through signed updates
description:
  - Reads the zone from its primary name server with a TSIG-signed transfer (AXFR), compares it rrset by rrset
    with the declared records, and sends one TSIG-signed dynamic update (RFC 2136) with only the difference.
  - The zone file belongs to the name server and is never written; the serial moves only when a record changes,
    so a rerun with the same records changes nothing.
  - The rrsets listed in O(keep) (another owner's, for example a health checker's) are never touched. With
    O(purge), rrsets that nobody declares are deleted. The SOA changes only where a field given in O(soa) differs,
    its serial one above the zone's.
  - Runs where dnspython is installed (Debian's C(python3-dnspython)), usually on the primary itself.
version_added: "1.0.0"
author: webfarm
options:
  zone:
    description: The zone's name, for example C(webfarm.test).
    type: str
    required: true
  server:
    description: Address of the primary name server.
    type: str
    default: 127.0.0.1
  port:
    description: Its DNS port.
    type: int
    default: 53
  key_name:
    description: Name of the TSIG key allowed to transfer and update the zone.
    type: str
    required: true
  key_secret:
    description: The key's secret, base64.
    type: str
    required: true
  key_algorithm:
    description: The key's algorithm.
    type: str
    default: hmac-sha256
    choices: [hmac-sha256, hmac-sha384, hmac-sha512]
  records:
    description:
      - The records this module owns. Each has C(name) (relative to the zone, C(@) for the apex, or absolute
        with a final dot), C(type) (A, AAAA, CNAME, MX, NS, SRV, TXT), C(values) (a list) or C(value), and
        optionally C(ttl). Records sharing a name and type form one rrset.
    type: list
    elements: dict
    default: []
  default_ttl:
    description: TTL of records that name none.
    type: int
    default: 300
  soa:
    description:
      - The SOA's fields to keep as declared, any of C(mname), C(rname) (names, relative to the zone unless they end
        in a dot), C(refresh), C(retry), C(expire), C(minimum) (seconds). Fields not given stay as the zone has them;
        the serial is the server's.
    type: dict
    default: {}
  keep:
    description: Rrsets another owner manages, as C(name) and C(type); never changed or deleted here.
    type: list
    elements: dict
    default: []
  purge:
    description: Delete rrsets of the zone that are neither declared nor kept (the SOA always stays).
    type: bool
    default: true
  timeout:
    description: Seconds to wait for the transfer and the update.
    type: float
    default: 10
notes:
  - Supports check mode (the transfer runs, no update is sent) and diff mode (the changed rrsets).
requirements:
  - dnspython >= 2.3 on the host that runs the module
"""

EXAMPLES = r"""
- name: The zone's name servers and extra records; the service name belongs to the health checker
  webfarm_dns_zone:
    zone: webfarm.test
    key_name: webfarm-admin
    key_secret: "{{ dns_server_admin_key_secret }}"
    records:
      - {name: "@", type: NS, values: [dns1.webfarm.test., dns2.webfarm.test.]}
      - {name: dns1, type: A, value: 10.213.0.21}
      - {name: dns2, type: A, value: 10.213.0.22}
    keep:
      - {name: www, type: A}
"""

RETURN = r"""
replaced:
  description: The rrsets added or replaced, as zone-file lines.
  returned: always
  type: list
  elements: str
  sample: ["dns3.webfarm.test. 300 IN A 10.213.0.23"]
deleted:
  description: The rrsets deleted, as zone-file lines.
  returned: always
  type: list
  elements: str
soa:
  description: The SOA's new text when a field of O(soa) differed, else null.
  returned: always
  type: str
serial:
  description: The zone's SOA serial before any update.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.webfarm.cluster.plugins.module_utils import dns_zone  # noqa: E402

try:
    import dns.message
    import dns.query
    import dns.rcode
    import dns.tsigkeyring
    import dns.zone

    HAS_DNSPYTHON = True
except ImportError:  # pragma: no cover - reported by run_module
    HAS_DNSPYTHON = False


def run_module() -> None:
    module = AnsibleModule(
        argument_spec={
            "zone": {"type": "str", "required": True},
            "server": {"type": "str", "default": "127.0.0.1"},
            "port": {"type": "int", "default": 53},
            "key_name": {"type": "str", "required": True},
            "key_secret": {"type": "str", "required": True, "no_log": True},
            "key_algorithm": {"type": "str", "default": "hmac-sha256",
                              "choices": ["hmac-sha256", "hmac-sha384", "hmac-sha512"]},
            "records": {"type": "list", "elements": "dict", "default": []},
            "default_ttl": {"type": "int", "default": 300},
            "keep": {"type": "list", "elements": "dict", "default": []},
            "soa": {"type": "dict", "default": {}},
            "purge": {"type": "bool", "default": True},
            "timeout": {"type": "float", "default": 10},
        },
        supports_check_mode=True,
    )
    if not HAS_DNSPYTHON:
        module.fail_json(msg="webfarm_dns_zone needs dnspython on the host (Debian: python3-dnspython)")
    p = module.params
    zone = p["zone"].rstrip(".") + "."
    try:
        desired = dns_zone.desired_rrsets(p["records"], zone, p["default_ttl"], dns_zone.canonicalizer(zone))
        keep = [(dns_zone.absolute(rr["name"], zone), str(rr.get("type", "A")).upper()) for rr in p["keep"]]
    except (ValueError, KeyError) as exc:
        module.fail_json(msg=f"webfarm_dns_zone: {exc}")
    except Exception as exc:  # dnspython's syntax errors for a bad value
        module.fail_json(msg=f"webfarm_dns_zone: a record's value does not parse: {exc}")

    keyring = dns.tsigkeyring.from_text({p["key_name"]: p["key_secret"]})
    try:
        xfr = dns.query.xfr(p["server"], zone, port=p["port"], keyring=keyring, keyname=p["key_name"],
                            keyalgorithm=p["key_algorithm"], lifetime=p["timeout"], relativize=False)
        zone_obj = dns.zone.from_xfr(xfr, relativize=False)
    except Exception as exc:
        module.fail_json(msg=f"webfarm_dns_zone: could not transfer {zone} from {p['server']} with key "
                             f"{p['key_name']}: {type(exc).__name__}: {exc}")
    current = dns_zone.rrsets_from_zone(zone_obj)
    soa_rdataset = zone_obj.find_rdataset(zone, "SOA")
    soa_now = dns_zone.soa_fields(soa_rdataset[0])
    serial = soa_now["serial"]
    records_plan = dns_zone.plan(current, desired, keep, p["purge"])
    try:
        new_soa = dns_zone.soa_plan(soa_now, p["soa"], zone)
    except ValueError as exc:
        module.fail_json(msg=f"webfarm_dns_zone: {exc}")
    the_plan = dns_zone.Plan(records_plan.replace, records_plan.delete, new_soa)
    result = {
        "changed": the_plan.changed,
        "replaced": [line for rr in the_plan.replace for line in rr.lines()],
        "deleted": [line for rr in the_plan.delete for line in rr.lines()],
        "soa": new_soa,
        "serial": serial,
    }
    if module._diff and the_plan.changed:
        before = [current[rr.key] for rr in the_plan.replace if rr.key in current] + list(the_plan.delete)
        result["diff"] = {"before": dns_zone.render(before), "after": dns_zone.render(list(the_plan.replace)),
                          "before_header": f"{zone} (changed rrsets)", "after_header": f"{zone} (changed rrsets)"}
    if the_plan.changed and not module.check_mode:
        msg = dns_zone.update_message(zone, the_plan, keyring, p["key_name"], p["key_algorithm"], int(soa_rdataset.ttl))
        try:
            response = dns.query.tcp(msg, p["server"], port=p["port"], timeout=p["timeout"])
        except Exception as exc:
            module.fail_json(msg=f"webfarm_dns_zone: the update to {p['server']} failed: {type(exc).__name__}: {exc}",
                             **result)
        if response.rcode() != dns.rcode.NOERROR:
            module.fail_json(msg=f"webfarm_dns_zone: {p['server']} refused the update of {zone}: "
                                 f"{dns.rcode.to_text(response.rcode())}", **result)
    module.exit_json(**result)


def main() -> None:
    run_module()


if __name__ == "__main__":
    main()
