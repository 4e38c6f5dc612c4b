"""The balancers' ACME renewal (roles/lb_acme/files/webfarm-acme): what it
checks before a certificate goes live, when it renews, what a peer's key may
ask, and the two-step hand-over that keeps the previous certificate until
every balancer serves the new one. openssl is the real one; lego, HAProxy's
reload and the peers are replaced here (tests/nlb/test_acme.py drives them
in the lab)."""
from __future__ import annotations

import datetime
import hashlib
import io
import json
from pathlib import Path

import certs
import pytest
from cryptography.hazmat.primitives import serialization
from script_module import load_script

from lab.inventory import ROOT

acme = load_script(ROOT / "roles" / "lb_acme" / "files" / "webfarm-acme", "webfarm_acme")

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
DAY = datetime.timedelta(days=1)


def chain(names=("www.webfarm.test",), not_before=NOW - DAY, not_after=NOW + 90 * DAY, root=None):
    """(bundle bytes, root PEM path text, leaf fingerprint): a leaf signed by an
    intermediate signed by a root, as an ACME CA issues."""
    root_key, inter_key, leaf_key = certs.key(), certs.key(), certs.key()
    root = root or certs.issue(root_key, "unit root", ca=True, not_before=NOW - 10 * DAY, not_after=NOW + 3650 * DAY)
    root_signer = (root, root_key)
    inter = certs.issue(inter_key, "unit intermediate", ca=True, issuer=root_signer,
                        not_before=NOW - 10 * DAY, not_after=NOW + 3650 * DAY)
    leaf = certs.issue(leaf_key, names[0], list(names), issuer=(inter, inter_key),
                       not_before=not_before, not_after=not_after)
    bundle = (certs.cert_pem(leaf) + certs.cert_pem(inter) + certs.key_pem(leaf_key)).encode()
    fingerprint = hashlib.sha256(leaf.public_bytes(serialization.Encoding.DER)).hexdigest()
    return bundle, certs.cert_pem(root), fingerprint


@pytest.fixture
def trust(tmp_path):
    def write(root_pem: str) -> str:
        path = tmp_path / "roots.pem"
        path.write_text(root_pem)
        return str(path)
    return write


@pytest.fixture
def config(tmp_path):
    (tmp_path / "certs").mkdir()
    (tmp_path / "state").mkdir()
    return {"self": "lb1", "leader": True, "margin": 30 * 86400, "cert_dir": str(tmp_path / "certs"),
            "state_dir": str(tmp_path / "state"), "trust": "", "reload": ["true"],
            "check_address": "127.0.0.1", "check_port": 443, "peers": [],
            "certificates": [{"name": "www", "domains": ["www.webfarm.test"]}]}


# ---- what goes live ---------------------------------------------------------

def test_a_good_bundle_passes_with_its_fingerprint_names_and_dates(trust):
    bundle, root, fingerprint = chain(["www.webfarm.test", "*.apps.webfarm.test"])
    info = acme.check_bundle(bundle, ["www.webfarm.test", "*.apps.webfarm.test"], trust(root))
    assert info.fingerprint == fingerprint
    assert info.names == ["www.webfarm.test", "*.apps.webfarm.test"]
    assert info.issuer == "CN=unit intermediate" and not info.placeholder
    assert 89 * 86400 < info.seconds_left(NOW) <= 90 * 86400


def test_a_key_that_is_not_the_certificates_is_refused():
    bundle, _, _ = chain()
    other = certs.key_pem(certs.key()).encode()
    wrong = bundle[: bundle.index(b"-----BEGIN PRIVATE KEY")] + other
    with pytest.raises(acme.AcmeError, match="the private key is not the certificate's"):
        acme.check_bundle(wrong, ["www.webfarm.test"], None)


def test_a_certificate_missing_a_name_is_refused_naming_it():
    bundle, _, _ = chain(["www.webfarm.test"])
    with pytest.raises(acme.AcmeError, match=r"does not name lb.webfarm.test \(it names www.webfarm.test\)"):
        acme.check_bundle(bundle, ["www.webfarm.test", "lb.webfarm.test"], None)


def test_an_expired_certificate_is_refused():
    bundle, _, _ = chain(not_before=NOW - 100 * DAY, not_after=NOW - DAY)
    with pytest.raises(acme.AcmeError, match="is not valid now"):
        acme.check_bundle(bundle, ["www.webfarm.test"], None)


def test_a_chain_to_another_root_is_refused(trust):
    bundle, _, _ = chain()
    _, other_root, _ = chain()
    with pytest.raises(acme.AcmeError, match="does not lead to a trusted root"):
        acme.check_bundle(bundle, ["www.webfarm.test"], trust(other_root))


@pytest.mark.parametrize(("pem", "why"), [
    (b"", "holds no certificate"),
    (b"not pem at all", "holds no certificate"),
])
def test_a_bundle_without_a_certificate_is_refused(pem, why):
    with pytest.raises(acme.AcmeError, match=why):
        acme.split_bundle(pem)


def test_a_bundle_without_its_key_is_refused():
    bundle, _, _ = chain()
    with pytest.raises(acme.AcmeError, match="holds 0 private keys, not one"):
        acme.split_bundle(bundle[: bundle.index(b"-----BEGIN PRIVATE KEY")])


# ---- when it renews ---------------------------------------------------------

def test_a_good_certificate_far_from_expiry_is_kept(trust):
    bundle, root, _ = chain()
    assert acme.renewal_reason(bundle, ["www.webfarm.test"], trust(root), 30 * 86400) is None


def test_within_the_margin_it_renews_and_says_how_much_was_left(trust):
    bundle, root, _ = chain(not_after=NOW + 10 * DAY)
    reason = acme.renewal_reason(bundle, ["www.webfarm.test"], trust(root), 30 * 86400, NOW)
    assert reason == f"{10 * 86400} s left, within the renewal margin of {30 * 86400} s"


@pytest.mark.parametrize(("case", "why"), [
    ("missing", "no certificate is live"),
    ("new name", "the live certificate is unusable: the certificate does not name lb.webfarm.test"),
    ("untrusted", "the chain does not lead to a trusted root"),
])
def test_it_renews_a_missing_renamed_or_untrusted_certificate(trust, case, why):
    bundle, root, _ = chain()
    domains = ["www.webfarm.test", "lb.webfarm.test"] if case == "new name" else ["www.webfarm.test"]
    roots = trust(chain()[1] if case == "untrusted" else root)
    reason = acme.renewal_reason(None if case == "missing" else bundle, domains, roots, 86400)
    assert reason is not None and reason.startswith(why), reason


def test_the_placeholder_is_replaced_at_the_first_run(config):
    assert acme.placeholder(config) == ["www"]
    assert acme.placeholder(config) == []  # made once
    live = (Path(config["cert_dir"]) / "www.pem").read_bytes()
    info = acme.check_bundle(live, ["www.webfarm.test"], None)
    assert info.placeholder
    assert acme.renewal_reason(live, ["www.webfarm.test"], None, 86400) == "the live certificate is the placeholder"


@pytest.mark.parametrize("case", ["placeholder", "untrusted", "missing"])
def test_a_standby_leaves_a_bad_certificate_to_the_leader(trust, case, config):
    # Both renewing at once would each stage on the other under its own lock.
    if case == "placeholder":
        acme.placeholder(config)
        live = (Path(config["cert_dir"]) / "www.pem").read_bytes()
    else:
        live = None if case == "missing" else chain()[0]
    roots = trust(chain()[1])
    assert acme.renewal_reason(live, ["www.webfarm.test"], roots, 3600, leader=False) is None
    assert acme.renewal_reason(live, ["www.webfarm.test"], roots, 3600, leader=True) is not None


def test_a_standby_renews_on_time_only_at_its_own_margin(trust):
    bundle, root, _ = chain(not_after=NOW + 10 * DAY)
    assert acme.renewal_reason(bundle, ["www.webfarm.test"], trust(root), 9 * 86400, NOW, leader=False) is None
    reason = acme.renewal_reason(bundle, ["www.webfarm.test"], trust(root), 15 * 86400, NOW, leader=False)
    assert reason == f"{10 * 86400} s left, within this standby's renewal margin of {15 * 86400} s"


def test_a_standby_with_nothing_to_renew_hands_nothing_over(config, monkeypatch):
    config.update({"leader": False, "peers": [{"name": "lb1", "address": "10.0.0.1"}]})
    bundle, _, _ = chain()
    (Path(config["cert_dir"]) / "www.pem").write_bytes(bundle)
    calls = []
    monkeypatch.setattr(acme, "peer_run", lambda *a, **k: calls.append(a) or "{}")
    results = acme.renew(config)
    assert results["www"]["ok"] and not results["www"]["renewed"] and results["www"]["deployed"] == []
    assert calls == []


def test_an_older_certificate_never_replaces_a_newer_one(config, monkeypatch):
    config["peers"] = [{"name": "lb2", "address": "10.0.0.2"}]
    older, _, fingerprint = chain(not_after=NOW + 30 * DAY)
    (Path(config["cert_dir"]) / "www.pem").write_bytes(older)
    newer = (NOW + 60 * DAY).isoformat()
    calls = []

    def peer(config, p, command, data=None):
        calls.append(command.split()[0])
        return json.dumps({"certificates": {"www": {"live": {"fingerprint": "e" * 64, "not_after": newer,
                                                             "placeholder": False}}}})
    monkeypatch.setattr(acme, "peer_run", peer)
    assert acme.deploy(config, "www", older, fingerprint) == ([], [])
    assert calls == ["status", "clean"]


def test_a_busy_balancer_says_so_instead_of_waiting(config):
    with acme.lock(config), pytest.raises(acme.AcmeError, match="busy: another renewal or hand-over"):
        with acme.lock(config, timeout=0.3):
            pass


def test_the_leader_renews_at_the_margin_the_others_at_half(config):
    assert acme.margin_for(config) == 30 * 86400
    assert acme.margin_for({**config, "leader": False}) == 15 * 86400
    assert acme.margin_for({**config, "leader": False}, 3600) == 1800


# ---- what a peer's key may ask -----------------------------------------------

@pytest.mark.parametrize(("command", "why"), [
    ("", "refused"),
    ("sh -c id", "refused"),
    ("stage ../../etc/passwd", "no certificate is named"),
    ("commit www notahash", "refused"),
    ("commit www " + "a" * 64 + " extra", "refused"),
    ("clean other", "no certificate is named 'other'"),
])
def test_a_peers_key_may_stage_commit_clean_and_read_only(config, command, why):
    with pytest.raises(acme.AcmeError, match=why):
        acme.ssh_command(config, command, io.BytesIO(b""))


def test_a_peer_may_read_the_status(config):
    acme.placeholder(config)
    out = json.loads(acme.ssh_command(config, "status", io.BytesIO(b"")))
    assert out["host"] == "lb1" and out["certificates"]["www"]["live"]["placeholder"] is True


def test_a_staged_bundle_larger_than_64_kib_is_refused(config):
    with pytest.raises(acme.AcmeError, match="larger than 64 KiB"):
        acme.ssh_command(config, "stage www", io.BytesIO(b"x" * (64 * 1024 + 1)))


def test_a_bad_bundle_is_not_staged(config):
    bundle, _, _ = chain(["elsewhere.test"])
    with pytest.raises(acme.AcmeError, match="does not name www.webfarm.test"):
        acme.ssh_command(config, "stage www", io.BytesIO(bundle))
    assert not (Path(config["cert_dir"]) / "www.pem.new").exists()


# ---- going live --------------------------------------------------------------

def test_commit_puts_the_staged_certificate_live_and_keeps_the_previous(config, monkeypatch):
    acme.placeholder(config)
    old = (Path(config["cert_dir"]) / "www.pem").read_bytes()
    bundle, _, fingerprint = chain()
    assert acme.stage(config, "www", bundle) == fingerprint
    monkeypatch.setattr(acme, "served_fingerprint", lambda *a, **k: fingerprint)
    acme.commit(config, "www", fingerprint)
    certs_dir = Path(config["cert_dir"])
    assert (certs_dir / "www.pem").read_bytes() == bundle
    assert (certs_dir / "www.pem.previous").read_bytes() == old
    assert not (certs_dir / "www.pem.new").exists()
    acme.clean(config, "www")
    assert not (certs_dir / "www.pem.previous").exists()


def test_commit_puts_the_previous_back_when_haproxy_does_not_serve_the_new(config, monkeypatch):
    acme.placeholder(config)
    old = (Path(config["cert_dir"]) / "www.pem").read_bytes()
    bundle, _, fingerprint = chain()
    acme.stage(config, "www", bundle)
    reloads = []
    monkeypatch.setattr(acme, "reload_haproxy", lambda c: reloads.append(1))
    monkeypatch.setattr(acme, "served_fingerprint", lambda *a, **k: "0" * 64)
    monkeypatch.setattr(acme.time, "sleep", lambda s: None)
    monkeypatch.setattr(acme, "wait_served", lambda c, n, f, timeout=10.0: "0" * 64)
    with pytest.raises(acme.AcmeError, match="HAProxy serves 0000000000000000 after the reload"):
        acme.commit(config, "www", fingerprint)
    assert (Path(config["cert_dir"]) / "www.pem").read_bytes() == old
    assert len(reloads) == 2  # onto the new one, then back


def test_commit_refuses_a_fingerprint_other_than_the_staged(config):
    bundle, _, _ = chain()
    acme.stage(config, "www", bundle)
    with pytest.raises(acme.AcmeError, match="the staged certificate is"):
        acme.commit(config, "www", "f" * 64)


class Peers:
    """The other balancers as peer_run sees them: each keeps a live
    fingerprint; `fail` makes one refuse a command."""

    def __init__(self, live: dict[str, str], fail: dict[str, str] | None = None) -> None:
        self.live, self.fail, self.calls = live, fail or {}, []

    def __call__(self, config, peer, command, data=None):
        self.calls.append((peer["name"], command.split()[0]))
        if self.fail.get(peer["name"]) == command.split()[0]:
            raise acme.AcmeError(f"{peer['name']}: {command.split()[0]} failed: refused")
        if command == "status":
            return json.dumps({"certificates": {"www": {"live": {"fingerprint": self.live[peer["name"]]}}}})
        if command.startswith("commit"):
            self.live[peer["name"]] = command.split()[2]
        return "ok"


def test_deploy_hands_the_certificate_to_every_balancer_then_drops_the_previous(config, monkeypatch):
    config["peers"] = [{"name": "lb2", "address": "10.0.0.2"}]
    acme.placeholder(config)
    bundle, _, fingerprint = chain()
    peers = Peers({"lb2": "old"})
    monkeypatch.setattr(acme, "peer_run", peers)
    monkeypatch.setattr(acme, "served_fingerprint", lambda *a, **k: fingerprint)
    deployed, errors = acme.deploy(config, "www", bundle, fingerprint)
    assert (deployed, errors) == (["lb1", "lb2"], [])
    assert peers.calls == [("lb2", "status"), ("lb2", "stage"), ("lb2", "commit"), ("lb2", "clean")]
    assert not (Path(config["cert_dir"]) / "www.pem.previous").exists()
    # Everyone serves it: the next run changes nothing.
    peers.calls.clear()
    assert acme.deploy(config, "www", bundle, fingerprint) == ([], [])
    assert peers.calls == [("lb2", "status"), ("lb2", "clean")]


def test_the_previous_certificate_stays_while_a_balancer_lacks_the_new_one(config, monkeypatch):
    config["peers"] = [{"name": "lb2", "address": "10.0.0.2"}]
    acme.placeholder(config)
    bundle, _, fingerprint = chain()
    monkeypatch.setattr(acme, "peer_run", Peers({"lb2": "old"}, fail={"lb2": "commit"}))
    monkeypatch.setattr(acme, "served_fingerprint", lambda *a, **k: fingerprint)
    deployed, errors = acme.deploy(config, "www", bundle, fingerprint)
    assert deployed == ["lb1"] and errors == ["lb2: commit failed: refused"]
    assert (Path(config["cert_dir"]) / "www.pem.previous").exists()


def test_a_failed_order_leaves_the_live_certificate_and_says_why(config, monkeypatch):
    acme.placeholder(config)
    live = (Path(config["cert_dir"]) / "www.pem").read_bytes()

    def refused(config, cert):
        raise acme.AcmeError("the ACME order failed: connection refused")
    monkeypatch.setattr(acme, "obtain", refused)
    results = acme.renew(config)
    assert results["www"]["ok"] is False and results["www"]["error"] == "the ACME order failed: connection refused"
    assert (Path(config["cert_dir"]) / "www.pem").read_bytes() == live
    assert acme.status(config)["certificates"]["www"]["last"]["error"].endswith("connection refused")


# ---- the order ---------------------------------------------------------------

def test_lego_is_asked_for_every_domain_by_dns_01_through_this_scripts_hook(config):
    config.update({"directory": "https://10.213.0.100:14000/dir", "email": "hostmaster@webfarm.test",
                   "key_type": "ec256", "challenge": "dns-01", "path": "/etc/webfarm/acme/config.json"})
    cert = {"name": "www", "domains": ["www.webfarm.test", "*.apps.webfarm.test"]}
    argv = acme.lego_argv(config, cert, "/tmp/x")
    assert argv[-1] == "run" and argv[argv.index("--server") + 1] == "https://10.213.0.100:14000/dir"
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "--domains"] == cert["domains"]
    # The hook waits for every name server; lego's own check (by the
    # servers' names, through the host's resolver) is off.
    assert argv[argv.index("--dns") + 1] == "exec" and "--dns.disable-cp" in argv
    env = acme.lego_env(config, cert)
    assert env["EXEC_PATH"] == "/usr/local/sbin/webfarm-acme"
    assert env["WEBFARM_ACME_CONFIG"] == "/etc/webfarm/acme/config.json"


@pytest.mark.parametrize("address, listen", [("10.213.0.31", "10.213.0.31:8402"), ("fd00:213::31", "[fd00:213::31]:8402")])
def test_a_certificate_may_ask_for_http_01_on_this_balancers_own_address(config, address, listen):
    config.update({"directory": "https://10.213.0.100:14000/dir", "email": "hostmaster@webfarm.test",
                   "key_type": "ec256", "challenge": "dns-01", "http": {"address": address, "port": 8402}})
    cert = {"name": "shop", "domains": ["shop.example.com"], "challenge": "http-01"}
    argv = acme.lego_argv(config, cert, "/tmp/x")
    assert argv[argv.index("--http.port") + 1] == listen and "--http" in argv and "--dns" not in argv
    assert "EXEC_PATH" not in acme.lego_env(config, cert)
    with pytest.raises(acme.AcmeError, match="shop: unknown challenge 'tls-alpn-01'"):
        acme.lego_argv(config, {**cert, "challenge": "tls-alpn-01"}, "/tmp/x")


DNS = {"server": "10.213.0.21", "zone": "webfarm.test", "key_name": "webfarm-acme", "algorithm": "hmac-sha256"}
DIGEST = "LPsIwTo7o8BoG0-vjCyGQGBWSVIPxI-i_X336eUOQZo"


def test_the_hook_adds_and_deletes_one_txt_record_at_the_primary():
    assert acme.nsupdate_script(DNS, "present", "_acme-challenge.lb.webfarm.test.", DIGEST) == (
        "server 10.213.0.21 53\nzone webfarm.test.\n"
        f'update add _acme-challenge.lb.webfarm.test. 10 TXT "{DIGEST}"\nsend\n')
    assert f'update delete _acme-challenge.webfarm.test. TXT "{DIGEST}"' in acme.nsupdate_script(
        DNS, "cleanup", "_acme-challenge.webfarm.test", DIGEST)


@pytest.mark.parametrize(("action", "fqdn", "value", "why"), [
    ("present", "www.webfarm.test.", DIGEST, "is not an _acme-challenge name in the zone webfarm.test"),
    ("present", "_acme-challenge.www.example.com.", DIGEST, "not an _acme-challenge name in the zone"),
    ("present", "_acme-challenge.notwebfarm.test.", DIGEST, "not an _acme-challenge name in the zone"),
    ("present", "_acme-challenge.www.webfarm.test.", 'x" ; update delete webfarm.test', "is not a DNS-01 digest"),
    ("remove", "_acme-challenge.www.webfarm.test.", DIGEST, "takes present or cleanup"),
])
def test_the_hook_writes_nothing_but_a_challenge_record(action, fqdn, value, why):
    with pytest.raises(acme.AcmeError, match=why):
        acme.nsupdate_script(DNS, action, fqdn, value)


def test_the_hook_waits_until_every_name_server_answers(config, monkeypatch, tmp_path):
    (tmp_path / "secret").write_text("c2VjcmV0\n")
    config["dns"] = {**DNS, "key_file": str(tmp_path / "secret"), "check_servers": ["10.0.0.1", "10.0.0.2"],
                     "propagation_timeout": 5}
    sent, asked = [], []
    monkeypatch.setattr(acme.subprocess, "run", lambda argv, **kw: sent.append((argv, kw.get("input")))
                        or acme.subprocess.CompletedProcess(argv, 0, b"", b""))
    # The second server has it only from its third answer on.
    answers = {"10.0.0.1": [{DIGEST}], "10.0.0.2": [set(), set(), {DIGEST}]}

    def txt(server, fqdn, port=53):
        asked.append(server)
        seen = answers[server]
        return seen.pop(0) if len(seen) > 1 else seen[0]
    monkeypatch.setattr(acme, "txt_values", txt)
    monkeypatch.setattr(acme.time, "sleep", lambda s: None)
    acme.dns_hook(config, "present", "_acme-challenge.lb.webfarm.test.", DIGEST)
    assert sent[0][0][:3] == ["nsupdate", "-t", "10"] and b"update add" in sent[0][1]
    assert asked == ["10.0.0.1", "10.0.0.2", "10.0.0.2", "10.0.0.2"]


def test_lego_may_pass_a_digest_that_begins_with_a_dash(config, monkeypatch, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    calls = []
    monkeypatch.setattr(acme, "dns_hook", lambda c, *args: calls.append(args))
    assert acme.main(["--config", str(path), "present", "_acme-challenge.lb.webfarm.test.", "-" + DIGEST[1:]]) == 0
    assert calls == [("present", "_acme-challenge.lb.webfarm.test.", "-" + DIGEST[1:])]


def test_the_hook_gives_up_naming_the_server_that_never_answered(config, monkeypatch, tmp_path):
    (tmp_path / "secret").write_text("c2VjcmV0\n")
    config["dns"] = {**DNS, "key_file": str(tmp_path / "secret"), "check_servers": ["10.0.0.1", "10.0.0.2"],
                     "propagation_timeout": 0}
    monkeypatch.setattr(acme.subprocess, "run", lambda argv, **kw: acme.subprocess.CompletedProcess(argv, 0, b"", b""))
    monkeypatch.setattr(acme, "txt_values", lambda s, f, port=53: {DIGEST} if s == "10.0.0.1" else set())
    with pytest.raises(acme.AcmeError, match=r"10.0.0.2 still lack it after 0 s"):
        acme.dns_hook(config, "present", "_acme-challenge.lb.webfarm.test.", DIGEST)


def test_a_refused_update_is_reported_with_nsupdates_words(config, monkeypatch, tmp_path):
    (tmp_path / "secret").write_text("c2VjcmV0\n")
    config["dns"] = {**DNS, "key_file": str(tmp_path / "secret")}
    monkeypatch.setattr(acme.subprocess, "run", lambda argv, **kw: acme.subprocess.CompletedProcess(
        argv, 2, b"", b"update failed: REFUSED\n"))
    with pytest.raises(acme.AcmeError, match="the signed update of _acme-challenge.lb.webfarm.test. was refused: "
                                             "update failed: REFUSED"):
        acme.dns_hook(config, "present", "_acme-challenge.lb.webfarm.test.", DIGEST)


def test_the_account_key_sits_where_lego_looks_for_it():
    path = acme.account_key_path("/w", "https://10.213.0.100:14000/dir", "a@b.test")
    assert path == Path("/w/accounts/10.213.0.100_14000/a@b.test/keys/a@b.test.key")
