"""library/webfarm_pacemaker_cib.py's logic (module_utils/webfarm/pacemaker_cib.py):
webfarm's part of a CIB rendered, compared and merged, the rest left alone."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from ansible.module_utils.basic import remove_values
from ansible_collections.webfarm.cluster.plugins.module_utils import pacemaker_cib as cib
from ansible_collections.webfarm.cluster.plugins.module_utils.pacemaker_cib import (
    CibError,
    canonical,
    merge,
    owned,
    placement,
    primitive,
)

# What `crm_resource --show-metadata stonith:<agent>` prints on the lab's
# cluster nodes (Debian 12: pacemaker 2.1.5, fence-agents 4.12.1).
FIXTURES = Path(__file__).with_name("fixtures")
DOCKER_METADATA = (FIXTURES / "fence_docker.metadata.xml").read_text()
IPMILAN_METADATA = (FIXTURES / "fence_ipmilan.metadata.xml").read_text()

LIVE = """<cib epoch="7" num_updates="3" admin_epoch="0" validate-with="pacemaker-3.9">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="cib-bootstrap-options-cluster-name" name="cluster-name" value="webfarm"/>
        <nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/>
      </cluster_property_set>
    </crm_config>
    <nodes/>
    <resources>
      <primitive id="someone-elses" class="ocf" provider="heartbeat" type="Dummy"/>
    </resources>
    <constraints>
      <rsc_location id="cli-prefer-webfarm-web" rsc="webfarm-web" node="node2" score="INFINITY" role="Started"/>
    </constraints>
  </configuration>
  <status/>
</cib>"""

IP = {"id": "webfarm-web-ip", "type": "IPaddr2", "params": {"ip": "10.213.0.240", "cidr_netmask": 24},
      "ops": [{"name": "monitor", "interval": "5s", "timeout": "20s", "on-fail": "restart"}]}
NGINX = {"id": "webfarm-web-nginx", "class": "systemd", "type": "nginx", "meta": {"migration-threshold": 1}}
GROUP = {"id": "webfarm-web", "meta": {"resource-stickiness": 100}, "group": [IP, NGINX]}
FENCE = {"id": "webfarm-fence-node1", "class": "stonith", "type": "fence_docker",
         "params": {"pcmk_host_list": "node1", "pcmk_delay_base": "5s"}}
AWAY = {"id": "webfarm-fence-node1-away", "rsc": "webfarm-fence-node1", "node": "node1", "score": "-INFINITY"}


def live():
    return ET.fromstring(LIVE)


def converged():
    new, _ = merge(live(), [GROUP, FENCE], [AWAY], {"stonith-enabled": True})
    return new


def test_a_primitive_renders_params_meta_and_ops_with_stable_ids():
    xml = ET.tostring(primitive(IP), encoding="unicode")
    assert 'class="ocf"' in xml and 'provider="heartbeat"' in xml and 'type="IPaddr2"' in xml
    assert '<nvpair id="webfarm-web-ip-instance_attributes-ip" name="ip" value="10.213.0.240" />' in xml
    assert 'id="webfarm-web-ip-monitor-interval-5s"' in xml and 'on-fail="restart"' in xml


def test_everything_declared_is_added_and_the_epoch_moves():
    new, changes = merge(live(), [GROUP, FENCE], [AWAY], {"stonith-enabled": True})
    assert changes == ["set property stonith-enabled=true", "add group webfarm-web",
                       "add primitive webfarm-fence-node1", "add rsc_location webfarm-fence-node1-away"]
    assert new.get("epoch") == "8" and new.get("num_updates") == "0"
    group = new.find("configuration/resources/group[@id='webfarm-web']")
    assert [p.get("id") for p in group.findall("primitive")] == ["webfarm-web-ip", "webfarm-web-nginx"]


def test_what_webfarm_did_not_create_is_left_alone():
    new = converged()
    assert new.find("configuration/resources/primitive[@id='someone-elses']") is not None
    assert new.find("configuration/constraints/rsc_location[@id='cli-prefer-webfarm-web']") is not None
    assert new.find("configuration/crm_config/cluster_property_set/nvpair[@name='cluster-name']").get("value") == "webfarm"


def test_a_second_merge_changes_nothing():
    new, changes = merge(converged(), [GROUP, FENCE], [AWAY], {"stonith-enabled": True})
    assert changes == []
    assert new.get("epoch") == "8"


def test_whitespace_and_attribute_order_do_not_count_as_a_change():
    text = ET.tostring(converged(), encoding="unicode").replace('class="ocf" type="IPaddr2"', 'type="IPaddr2" class="ocf"')
    pretty = ET.fromstring(text)
    ET.indent(pretty)
    assert merge(pretty, [GROUP, FENCE], [AWAY], {"stonith-enabled": True})[1] == []


def test_a_changed_parameter_replaces_only_that_resource_in_place():
    ip = {**IP, "params": {"ip": "10.213.0.241", "cidr_netmask": 24}}
    new, changes = merge(converged(), [{**GROUP, "group": [ip, NGINX]}, FENCE], [AWAY], {})
    assert changes == ["change group webfarm-web"]
    ids = [c.get("id") for c in new.find("configuration/resources")]
    assert ids == ["someone-elses", "webfarm-web", "webfarm-fence-node1"]


def test_a_resource_no_longer_declared_is_removed_but_only_if_webfarm_owns_it():
    new, changes = merge(converged(), [GROUP], [], {})
    assert changes == ["remove primitive webfarm-fence-node1", "remove rsc_location webfarm-fence-node1-away"]
    assert new.find("configuration/resources/primitive[@id='someone-elses']") is not None


def test_an_operators_disable_survives_a_converge():
    cib = converged()
    nginx = cib.find(".//primitive[@id='webfarm-web-nginx']/meta_attributes")
    ET.SubElement(nginx, "nvpair", {"id": "webfarm-web-nginx-meta_attributes-target-role", "name": "target-role",
                                    "value": "Stopped"})
    ip = cib.find(".//primitive[@id='webfarm-web-ip']")
    meta = ET.Element("meta_attributes", {"id": "webfarm-web-ip-meta_attributes"})
    ET.SubElement(meta, "nvpair", {"id": "webfarm-web-ip-meta_attributes-is-managed", "name": "is-managed", "value": "false"})
    ip.insert(1, meta)
    new, changes = merge(cib, [GROUP, FENCE], [AWAY], {"stonith-enabled": True})
    assert changes == []
    assert new.find(".//nvpair[@name='target-role']").get("value") == "Stopped"


def test_a_property_is_set_in_place_and_duplicates_collapse():
    cib = converged()
    pset = cib.find("configuration/crm_config/cluster_property_set")
    ET.SubElement(pset, "nvpair", {"id": "dup", "name": "stonith-enabled", "value": "true"})
    new, changes = merge(cib, [GROUP, FENCE], [AWAY], {"stonith-enabled": True})
    assert changes == ["set property stonith-enabled=true"]
    assert len(new.findall(".//nvpair[@name='stonith-enabled']")) == 1


def test_owned_shows_webfarms_part_only():
    text = owned(converged())
    assert "webfarm-web-ip" in text and "webfarm-fence-node1-away" in text
    assert "someone-elses" not in text and "cli-prefer" not in text


def test_canonical_ignores_text_and_tails():
    a = ET.fromstring('<p id="x"><o a="1" b="2"/></p>')
    b = ET.fromstring('<p id="x">\n  <o b="2" a="1"/>\n</p>')
    assert canonical(a) == canonical(b)


def test_placement_reads_crm_mon():
    status = """<pacemaker-result><resources>
      <group id="webfarm-web" number_resources="2">
        <resource id="webfarm-web-ip" role="Started" active="true"><node name="node2" id="2" cached="true"/></resource>
        <resource id="webfarm-web-nginx" role="Stopped" active="false"/>
      </group>
      <resource id="webfarm-fence-node1" role="Started"><node name="node2" id="2"/></resource>
    </resources></pacemaker-result>"""
    assert placement(status) == {"webfarm-web-ip": ["node2"], "webfarm-fence-node1": ["node2"]}


@pytest.mark.parametrize(("resources", "constraints", "message"), [
    ([{**IP, "id": "web-ip"}], [], "must start with 'webfarm-'"),
    ([{**IP, "id": "webfarm web"}], [], "not a valid XML id"),
    ([{**IP, "class": "heartbeat"}], [], "class 'heartbeat' is not one of"),
    ([{**IP, "type": ""}], [], "type (the agent"),
    ([{**NGINX, "provider": "heartbeat"}], [], "only ocf resources have a provider"),
    ([{**IP, "params": ["ip"]}], [], "must be a mapping"),
    ([{**IP, "params": {"ip": None}}], [], "'ip' must be a single value"),
    ([{**IP, "ops": [{"interval": "5s"}]}], [], "every operation needs a name"),
    ([{**IP, "ops": [{"name": "monitor", "interval": "5s"}] * 2}], [], "two monitor operations"),
    ([{"id": "webfarm-web", "group": []}], [], "at least one resource"),
    ([GROUP, IP], [], "declared more than once: webfarm-web-ip"),
    ([GROUP], [{**AWAY, "rsc": "webfarm-nothing"}], "rsc 'webfarm-nothing' is none of the declared"),
    ([GROUP], [{**AWAY, "rsc": "webfarm-web", "score": "lots"}], "score 'lots'"),
    ([GROUP], [{**AWAY, "rsc": "webfarm-web", "type": "colocation"}], "only location constraints"),
    ([GROUP], [{"id": "webfarm-x", "rsc": "webfarm-web"}], "node is required"),
])
def test_bad_declarations_are_refused_naming_the_culprit(resources, constraints, message):
    with pytest.raises(CibError) as err:
        merge(live(), resources, constraints, {})
    assert message in str(err.value)


def test_something_that_is_not_a_cib_is_refused():
    with pytest.raises(CibError, match="not a CIB"):
        merge(ET.fromstring("<status/>"), [], [], {})


# The module around the logic: a fake cluster answers its commands.
class Done(Exception):
    pass


class FakeModule:
    def __init__(self, answers, check_mode=False, **params):
        self.params = {"resources": [GROUP], "constraints": [], "properties": {}, "prefix": "webfarm-",
                       "wait": 0, "retries": 2, **params}
        self.check_mode = check_mode
        self.no_log_values = set()
        self.answers = answers  # command name -> list of (rc, out, err), consumed in order
        self.calls = []
        self.argvs = []
        self.warnings = []
        self.result = None

    def run_command(self, argv, data=None, binary_data=False):
        self.calls.append(argv[0])
        self.argvs.append(list(argv))
        queue = self.answers.get(argv[0], [(0, "", "")])
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def warn(self, text):
        self.warnings.append(text)

    def exit_json(self, **result):
        self.result = result
        raise Done

    def fail_json(self, **result):
        self.result = {"failed": True, **result}
        raise Done


def run_module(module):
    from ansible_collections.webfarm.cluster.plugins.modules import webfarm_pacemaker_cib
    with pytest.raises(Done):
        webfarm_pacemaker_cib.run(module)
    return module.result


def test_module_nothing_to_push_when_converged():
    cib = ET.tostring(merge(live(), [GROUP], [], {})[0], encoding="unicode")
    module = FakeModule({"cibadmin": [(0, cib, "")]})
    assert run_module(module)["changed"] is False
    assert "crm_diff" not in module.calls


def test_module_check_mode_reports_and_pushes_nothing():
    module = FakeModule({"cibadmin": [(0, LIVE, "")]}, check_mode=True)
    result = run_module(module)
    assert result["changed"] is True and result["changes"] == ["add group webfarm-web"]
    assert module.calls.count("cibadmin") == 1 and "crm_verify" not in module.calls


def test_module_crm_verify_refusal_pushes_nothing():
    module = FakeModule({"cibadmin": [(0, LIVE, "")], "crm_verify": [(1, "", "error: bad thing")]})
    result = run_module(module)
    assert result["failed"] and "crm_verify refused" in result["msg"] and "bad thing" in result["msg"]
    assert "crm_diff" not in module.calls and module.calls.count("cibadmin") == 1


def test_module_a_cib_that_moved_on_is_read_again_never_overwritten():
    refused = (1, "", "Update was older than existing configuration")
    module = FakeModule({"cibadmin": [(0, LIVE, ""), refused, (0, LIVE, ""), (0, "", "")],
                         "crm_diff": [(1, "<diff/>", "")]})
    result = run_module(module)
    assert result["changed"] is True
    assert module.calls.count("cibadmin") == 4  # query, refused patch, query again, patch


def test_module_gives_up_when_the_cib_keeps_moving():
    refused = (1, "", "Update was older than existing configuration")
    module = FakeModule({"cibadmin": [(0, LIVE, ""), refused], "crm_diff": [(1, "<diff/>", "")]}, retries=1)
    module.answers["cibadmin"] = [(0, LIVE, ""), refused, (0, LIVE, ""), refused]
    result = run_module(module)
    assert result["failed"] and "kept changing" in result["msg"] and "older than existing" in result["msg"]


def test_module_names_a_bad_declaration():
    module = FakeModule({"cibadmin": [(0, LIVE, "")]}, resources=[{**IP, "id": "ip"}])
    result = run_module(module)
    assert result["failed"] and "must start with 'webfarm-'" in result["msg"]


def test_module_masks_fence_credentials():
    fence = {**FENCE, "params": {**FENCE["params"], "password": "hunter2-secret", "login_password": "p2", "ip": "192.0.2.1"}}
    module = FakeModule({"cibadmin": [(0, LIVE, "")]}, check_mode=True, resources=[fence])
    run_module(module)
    assert module.no_log_values == {"hunter2-secret", "p2"}


def test_module_a_patch_refused_for_another_reason_fails_at_once():
    module = FakeModule({"cibadmin": [(0, LIVE, ""), (1, "", "Permission denied")], "crm_diff": [(1, "<diff/>", "")]})
    result = run_module(module)
    assert result["failed"] and "cibadmin refused the patch" in result["msg"] and "Permission denied" in result["msg"]
    assert module.calls.count("cibadmin") == 2  # query, patch: no retry


# --- secrets: what the fence agent's metadata marks, and the name rule ----------


def test_the_ipmi_agents_metadata_marks_its_password_and_its_kg_key_secret():
    secret = cib.metadata_secrets(IPMILAN_METADATA)
    # hexadecimal_kg ("Hexadecimal-encoded Kg key for IPMIv2 authentication"):
    # the metadata alone says so, its name does not.
    assert secret == {"password", "passwd", "hexadecimal_kg"}
    assert not cib.secret_by_name("hexadecimal_kg")


def test_what_only_says_where_a_secret_lives_or_cannot_hold_one_is_not_secret():
    # fence_docker: tlskey is "Path to client key (PEM format) for TLS
    # authentication", ssl_secure a boolean; fence_ipmilan's sudo is "Use sudo
    # (without password)" (a boolean), auth a choice with a "password" option,
    # password_script "Script to run to retrieve password".
    assert cib.metadata_secrets(DOCKER_METADATA) == set()
    assert not {"sudo", "use_sudo", "auth", "password_script", "username", "ip"} & cib.metadata_secrets(IPMILAN_METADATA)


def test_pacemakers_private_mark_and_an_obsoleted_alias_are_secret():
    metadata = """<resource-agent name="fence_x"><parameters>
      <parameter name="community" private="1"><content type="string"/><shortdesc>SNMP community</shortdesc></parameter>
      <parameter name="retries" private="true"><content type="integer"/><shortdesc>Retries</shortdesc></parameter>
      <parameter name="kg" obsoletes="old_kg"><content type="string"/><shortdesc>Kg key for authentication</shortdesc></parameter>
      <parameter name="old_kg" deprecated="1"><content type="string"/><shortdesc>Replaced by kg</shortdesc></parameter>
      <parameter name="code" obsoletes="pin_code"><content type="string"/><shortdesc>Replaces pin_code</shortdesc></parameter>
      <parameter name="pin_code" deprecated="1"><content type="string"/><shortdesc>Secret PIN</shortdesc></parameter>
      <parameter name="login"><getopt mixed="-l, --username=[name]"/><content type="string"/>
        <shortdesc>Login name</shortdesc></parameter>
      <parameter name="pin"><getopt mixed="-p, --password=[password]"/><content type="string"/>
        <shortdesc>PIN</shortdesc></parameter>
      <parameter name="note"><content type="string"/><shortdesc>x</shortdesc>
        <longdesc>The device's passphrase.</longdesc></parameter>
    </parameters></resource-agent>"""
    assert cib.metadata_secrets(metadata) == {"community", "retries", "kg", "old_kg", "code", "pin_code", "pin", "note"}


@pytest.mark.parametrize("text", ["", "not xml <", "<resource-agents/>"])
def test_something_that_is_not_an_agents_metadata_is_refused(text):
    with pytest.raises(ValueError, match="metadata"):
        cib.metadata_secrets(text)


def test_the_metadata_is_read_once_per_agent_with_the_runner_given():
    calls = []

    def run(argv):
        calls.append(argv)
        return (0, IPMILAN_METADATA, "")

    prims = [("stonith", "fence_ipmilan", {"hexadecimal_kg": "a1b2", "ip": "192.0.2.1"}),
             ("stonith", "fence_ipmilan", {"password": "pw", "ip": "192.0.2.2"}),
             ("ocf", "IPaddr2", {"ip": "192.0.2.3", "secret_thing": "s3"})]
    assert cib.secret_values(prims, run) == ({"a1b2", "pw", "s3"}, [])
    assert calls == [["crm_resource", "--show-metadata", "stonith:fence_ipmilan"]]


def test_without_the_metadata_the_name_rule_alone_decides_and_the_agent_is_named():
    prims = [("stonith", "fence_ipmilan", {"hexadecimal_kg": "a1b2", "passwd": "pw", "login_password": "p2"})]
    for run in (lambda argv: (105, "", "No such device"), lambda argv: (0, "garbage", ""), None):
        values, unread = cib.secret_values(prims, run)
        assert values == {"pw", "p2"}
        assert unread == ([] if run is None else ["stonith:fence_ipmilan"])


IPMI = {"id": "webfarm-fence-node2", "class": "stonith", "type": "fence_ipmilan",
        "params": {"ip": "192.0.2.12", "username": "admin", "password": "hunter2-secret",
                   "hexadecimal_kg": "0a1b2c3d4e5f60718293", "pcmk_host_list": "node2"}}


def test_module_masks_what_only_the_agents_metadata_marks_secret():
    module = FakeModule({"cibadmin": [(0, LIVE, "")], "crm_resource": [(0, IPMILAN_METADATA, "")]}, check_mode=True,
                        resources=[IPMI])
    result = run_module(module)
    assert ["crm_resource", "--show-metadata", "stonith:fence_ipmilan"] in module.argvs
    assert module.no_log_values == {"hunter2-secret", "0a1b2c3d4e5f60718293"}
    # What Ansible returns: the diff with both masked, the rest as it is.
    shown = str(remove_values(result, module.no_log_values))
    assert "0a1b2c3d4e5f60718293" in str(result["diff"]) and "0a1b2c3d4e5f60718293" not in shown
    assert "hunter2-secret" not in shown and "192.0.2.12" in shown and "admin" in shown
    assert module.warnings == []


def test_module_masks_the_old_secret_the_live_cib_still_holds():
    old = {**IPMI, "params": {**IPMI["params"], "hexadecimal_kg": "ffeeddccbbaa99887766", "password": "old-pw"}}
    live_cib = ET.tostring(merge(live(), [old], [], {})[0], encoding="unicode")
    module = FakeModule({"cibadmin": [(0, live_cib, "")], "crm_resource": [(0, IPMILAN_METADATA, "")]},
                        check_mode=True, resources=[IPMI])
    result = run_module(module)
    assert result["changes"] == ["change primitive webfarm-fence-node2"]
    assert {"ffeeddccbbaa99887766", "old-pw", "hunter2-secret", "0a1b2c3d4e5f60718293"} <= module.no_log_values
    assert "ffeeddccbbaa99887766" not in str(remove_values(result, module.no_log_values))
    assert module.argvs.count(["crm_resource", "--show-metadata", "stonith:fence_ipmilan"]) == 1


def test_module_warns_and_masks_by_name_when_the_metadata_cannot_be_read():
    module = FakeModule({"cibadmin": [(0, LIVE, "")], "crm_resource": [(105, "", "No such device or address")]},
                        check_mode=True, resources=[IPMI])
    run_module(module)
    assert module.no_log_values == {"hunter2-secret"}
    assert len(module.warnings) == 1 and "stonith:fence_ipmilan" in module.warnings[0]
    assert "masked by name only" in module.warnings[0]
