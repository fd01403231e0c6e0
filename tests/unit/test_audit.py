"""`amish audit`: the checks as tables (config dicts -> findings), then against the sandbox.

The sandbox tests write a weak and a hardened manager.conf into the live chroot,
`manager reload`, run `python -m amish audit`, and always put the original file
back (and reload) in the fixture's teardown. Every variant keeps the ports, the
127.0.0.1 binds and the admin and reader accounts exactly as they are: "public
bind" findings are tested through the tables only.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from amish import audit as A
from amish.audit import Facts, Finding, Target
from amish.audit.report import scrub
from amish.core.errors import InputError
from amish.core.protocol import Message

from conftest import ADMIN, READER, ROOT
from managerconf import LIVE_REL, admin_can_log_in, canonical_manager_conf, manager_conf_lock
from managerconf import live_manager_conf as swap_manager_conf


def keys(findings: list[Finding]) -> set[tuple[str, str, str | None]]:
    return {(f.severity, f.check, f.section) for f in findings}


def checks(findings: list[Finding]) -> set[str]:
    return {f.check for f in findings}


LOCAL_GENERAL = {
    "enabled": "yes", "bindaddr": "127.0.0.1", "port": "5038", "displayconnects": "yes",
    "allowmultiplelogin": "no", "authlimit": "10", "authtimeout": "10",
}
GOOD_USER = {
    "secret": "Xq7-long-random-secret-91", "deny": ["0.0.0.0/0.0.0.0", "::/0"], "permit": "10.1.2.3/255.255.255.255",
    "read": "call,reporting", "write": "reporting",
}


def cfg(general=None, **users):
    return {"general": {**LOCAL_GENERAL, **(general or {})}, **users}


# -- [general] -------------------------------------------------------------------------

GENERAL_TABLE = [
    # (id, [general] overrides, http.conf or None, expected (severity, check), absent checks)
    ("hardened-loopback", {}, None, set(), {"ami.bindaddr", "ami.port", "ami.allowmultiplelogin", "ami.authlimit"}),
    ("any-no-tls", {"bindaddr": "0.0.0.0"}, None, {("critical", "ami.bindaddr"), ("low", "ami.port")}, set()),
    ("unset-bind-is-any", {"bindaddr": None}, None, {("critical", "ami.bindaddr"), ("low", "ami.port")}, set()),
    ("ipv6-any", {"bindaddr": "::"}, None, {("critical", "ami.bindaddr")}, set()),
    ("public-no-tls", {"bindaddr": "93.184.216.34"}, None, {("critical", "ami.bindaddr"), ("low", "ami.port")}, set()),
    ("public-with-tls", {"bindaddr": "93.184.216.34", "tlsenable": "yes"}, None, {("high", "ami.bindaddr")}, set()),
    ("private-no-tls", {"bindaddr": "192.168.1.10"}, None, {("high", "ami.bindaddr")}, {"ami.port"}),
    ("private-with-tls", {"bindaddr": "10.0.0.5", "tlsenable": "yes"}, None, {("medium", "ami.bindaddr")}, set()),
    ("any-other-port", {"bindaddr": "0.0.0.0", "port": "15038"}, None, {("critical", "ami.bindaddr")}, {"ami.port"}),
    ("localhost-name", {"bindaddr": "localhost"}, None, set(), {"ami.bindaddr"}),
    ("multi-login-default", {"allowmultiplelogin": None}, None, {("low", "ami.allowmultiplelogin")}, set()),
    ("multi-login-yes", {"allowmultiplelogin": "yes"}, None, {("low", "ami.allowmultiplelogin")}, set()),
    ("displayconnects-no", {"displayconnects": "no"}, None, {("low", "ami.displayconnects")}, set()),
    ("displayconnects-default", {"displayconnects": None}, None, set(), {"ami.displayconnects"}),
    ("auth-defaults-loopback", {"authlimit": None, "authtimeout": None}, None,
     {("info", "ami.authlimit"), ("info", "ami.authtimeout")}, set()),
    ("auth-defaults-exposed", {"authlimit": None, "authtimeout": None, "bindaddr": "0.0.0.0"}, None,
     {("low", "ami.authlimit"), ("low", "ami.authtimeout")}, set()),
    ("auth-tight", {"authlimit": "5", "authtimeout": "5"}, None, set(), {"ami.authlimit", "ami.authtimeout"}),
    # AMI over HTTP
    ("web-plain-http-public", {"webenabled": "yes"}, {"general": {"enabled": "yes", "bindaddr": "0.0.0.0"}},
     {("critical", "http.bindaddr")}, set()),
    ("web-http-and-https", {"webenabled": "yes"},
     {"general": {"enabled": "yes", "bindaddr": "0.0.0.0", "tlsenable": "yes", "tlsbindaddr": "0.0.0.0:8089"}},
     {("high", "http.bindaddr")}, set()),
    ("web-private-http", {"webenabled": "yes"}, {"general": {"enabled": "yes", "bindaddr": "192.168.0.2"}},
     {("high", "http.bindaddr")}, set()),
    ("web-loopback-http", {"webenabled": "yes"}, {"general": {"enabled": "yes", "bindaddr": "127.0.0.1"}},
     set(), {"http.bindaddr", "http.webenabled"}),
    ("web-http-disabled", {"webenabled": "yes"}, {"general": {"enabled": "no", "bindaddr": "0.0.0.0"}},
     {("info", "http.webenabled")}, {"http.bindaddr"}),
    ("web-http-no-bindaddr", {"webenabled": "yes"}, {"general": {"enabled": "yes"}},
     {("info", "http.webenabled")}, {"http.bindaddr"}),
    ("web-off-public-http", {"webenabled": "no"}, {"general": {"enabled": "yes", "bindaddr": "0.0.0.0"}},
     set(), {"http.bindaddr", "http.webenabled"}),
]


@pytest.mark.parametrize("general, http, expected, absent", [r[1:] for r in GENERAL_TABLE], ids=[r[0] for r in GENERAL_TABLE])
def test_general_checks(general, http, expected, absent):
    general = {k: v for k, v in {**LOCAL_GENERAL, **general}.items() if v is not None}
    findings = A.check_manager({"general": general, "app": GOOD_USER}, http)
    got = {(f.severity, f.check) for f in findings if f.section == "general"}
    assert expected <= got, findings
    assert not (absent & checks(findings)), findings
    assert not [f for f in findings if f.section == "app"], "a good account has no findings"


def test_the_hardened_config_has_no_findings():
    assert A.check_manager(cfg(app=GOOD_USER), {"general": {"enabled": "yes", "bindaddr": "127.0.0.1"}}) == []


def test_webenabled_with_http_conf_unreadable_is_info():
    findings = A.check_manager(cfg({"webenabled": "yes"}), None)
    assert ("info", "http.unchecked", "general") in keys(findings)


def test_findings_name_the_line_to_set():
    findings = A.check_manager(cfg({"bindaddr": "0.0.0.0", "allowmultiplelogin": None}))
    by = {f.check: f for f in findings}
    assert by["ami.bindaddr"].file == "manager.conf" and by["ami.bindaddr"].section == "general"
    assert "bindaddr=127.0.0.1" in by["ami.bindaddr"].fix and "tlsenable=yes" in by["ami.bindaddr"].fix
    assert by["ami.bindaddr"].current == "bindaddr=0.0.0.0"
    assert by["ami.allowmultiplelogin"].fix == ("allowmultiplelogin=no",)
    assert "default yes" in by["ami.allowmultiplelogin"].current
    http = A.check_manager(cfg({"webenabled": "yes"}), {"general": {"enabled": "yes", "bindaddr": "0.0.0.0"}})
    f = next(f for f in http if f.check == "http.bindaddr")
    assert (f.file, f.section) == ("http.conf", "general") and "bindaddr=127.0.0.1" in f.fix
    assert "webenabled=no" in f.message


# -- accounts ----------------------------------------------------------------------------

ACCOUNT_TABLE = [
    # (id, account overrides (None removes a key), bind, expected (severity, check), absent checks)
    ("good", {}, "127.0.0.1", set(), {"user.write", "user.secret", "user.acl", "user.read"}),
    ("write-all", {"write": "all"}, "127.0.0.1", {("critical", "user.write")}, set()),
    ("write-system", {"write": "call,system"}, "127.0.0.1", {("critical", "user.write")}, set()),
    ("write-command", {"write": "command"}, "127.0.0.1", {("critical", "user.write")}, set()),
    ("write-config", {"write": "config,reporting"}, "127.0.0.1", {("critical", "user.write")}, set()),
    ("write-originate", {"write": "originate,reporting"}, "127.0.0.1", {("high", "user.write")}, set()),
    ("write-agi", {"write": "agi"}, "127.0.0.1", {("high", "user.write")}, set()),
    ("write-call", {"write": "call,reporting"}, "127.0.0.1", {("medium", "user.write")}, set()),
    ("write-spaces-case", {"write": " Reporting , SYSTEM "}, "127.0.0.1", {("critical", "user.write")}, set()),
    ("read-all", {"read": "all"}, "127.0.0.1", {("low", "user.read")}, set()),
    ("secret-common", {"secret": "amp111"}, "127.0.0.1", {("high", "user.secret")}, set()),
    ("secret-common-exposed", {"secret": "amp111"}, "0.0.0.0", {("critical", "user.secret")}, set()),
    ("secret-common-case-digits", {"secret": "Password2024!"}, "127.0.0.1", {("high", "user.secret")}, set()),
    ("secret-is-username", {"secret": "app"}, "127.0.0.1", {("high", "user.secret")}, set()),
    ("secret-short", {"secret": "k9#Lq2"}, "127.0.0.1", {("medium", "user.secret")}, set()),
    ("secret-short-exposed", {"secret": "k9#Lq2"}, "0.0.0.0", {("high", "user.secret")}, set()),
    ("secret-12-is-enough", {"secret": "k9#Lq2vB7_zW"}, "127.0.0.1", set(), {"user.secret"}),
    ("no-secret", {"secret": None}, "127.0.0.1", {("info", "user.secret")}, set()),
    ("no-acl-loopback", {"deny": None, "permit": None}, "127.0.0.1", {("low", "user.acl")}, set()),
    ("no-acl-exposed", {"deny": None, "permit": None}, "0.0.0.0", {("high", "user.acl")}, set()),
    ("permit-any", {"deny": "0.0.0.0/0.0.0.0", "permit": "0.0.0.0/0.0.0.0"}, "0.0.0.0", {("high", "user.acl")}, set()),
    ("permit-any-cidr", {"deny": None, "permit": "0.0.0.0/0"}, "93.184.216.34", {("high", "user.acl")}, set()),
    ("permit-without-deny", {"deny": None, "permit": "10.0.0.0/8"}, "0.0.0.0", {("high", "user.acl")}, set()),
    ("private-permit", {"permit": "192.168.0.0/16"}, "0.0.0.0", set(), {"user.acl"}),
    ("comma-list", {"permit": "10.0.0.1/32, 10.0.0.2/32"}, "0.0.0.0", set(), {"user.acl"}),
    ("v4-deny-only-on-dual-stack", {"deny": "0.0.0.0/0.0.0.0", "permit": "10.0.0.1"}, "::", {("high", "user.acl")}, set()),
    ("v4-deny-only-on-v4-bind", {"deny": "0.0.0.0/0.0.0.0", "permit": "10.0.0.1"}, "0.0.0.0", set(), {"user.acl"}),
    ("v4-and-v6-deny", {"deny": ["0.0.0.0/0", "::/0"], "permit": "10.0.0.1"}, "::", set(), {"user.acl"}),
    ("named-acl", {"deny": None, "permit": None, "acl": "office"}, "0.0.0.0", {("info", "user.acl")}, set()),
    ("bad-acl", {"permit": "not-an-address"}, "127.0.0.1", {("info", "user.acl")}, set()),
    ("multi-login-override", {"allowmultiplelogin": "yes"}, "127.0.0.1", {("low", "user.allowmultiplelogin")}, set()),
    ("displayconnects-override", {"displayconnects": "no"}, "127.0.0.1", {("low", "user.displayconnects")}, set()),
]


@pytest.mark.parametrize("user, bind, expected, absent", [r[1:] for r in ACCOUNT_TABLE], ids=[r[0] for r in ACCOUNT_TABLE])
def test_account_checks(user, bind, expected, absent):
    account = {k: v for k, v in {**GOOD_USER, **user}.items() if v is not None}
    findings = A.check_manager(cfg({"bindaddr": bind}, app=account))
    got = {(f.severity, f.check) for f in findings if f.section == "app"}
    assert expected <= got, findings
    assert not (absent & {f.check for f in findings if f.section == "app"}), findings
    for f in findings:
        assert f.file == "manager.conf"


def test_acl_order_matters_last_match_wins():
    # permit first, then deny everything: nobody may log in, so not open
    closed = [("secret", GOOD_USER["secret"]), ("permit", "10.0.0.1"), ("deny", "0.0.0.0/0.0.0.0")]
    # deny after a wide permit... then permit everything again: open
    reopened = [("secret", GOOD_USER["secret"]), ("deny", "0.0.0.0/0"), ("permit", "10.0.0.0/8"), ("permit", "0.0.0.0/0")]
    assert "user.acl" not in checks(A.check_manager(cfg({"bindaddr": "0.0.0.0"}, app=closed)))
    assert ("high", "user.acl", "app") in keys(A.check_manager(cfg({"bindaddr": "0.0.0.0"}, app=reopened)))


def test_write_fix_keeps_the_harmless_classes():
    findings = A.check_manager(cfg(app={**GOOD_USER, "write": "system,reporting,originate,call"}))
    f = next(f for f in findings if f.check == "user.write")
    assert f.severity == "critical" and f.fix == ("write=reporting,call",) and f.current == "write=system,reporting,originate,call"
    f = next(f for f in A.check_manager(cfg(app={**GOOD_USER, "write": "all"})) if f.check == "user.write")
    assert f.fix[0].startswith("write=<")


@pytest.mark.parametrize("secret", ["admin", "amp111", "Password2024!", "mysecret", "k9#Lq2", "changeme"])
def test_a_secret_is_never_in_a_finding_nor_its_length(secret):
    findings = A.check_manager(cfg({"bindaddr": "0.0.0.0"}, weak={"secret": secret, "write": "all"}))
    mine = [f for f in findings if f.section == "weak"]
    assert any(f.check == "user.secret" for f in mine)
    for f in mine:
        text = json.dumps(f.to_dict())
        assert secret not in text and secret.lower() not in text.lower().replace("[weak]", "")
        assert not re.search(rf"\b{len(secret)} characters", text)
    f = next(f for f in mine if f.check == "user.secret")
    assert f.current == "secret=********"


def test_templates_and_repeated_keys_from_getconfig():
    msg = Message([
        ("Response", "Success"),
        ("Category-000000", "general"),
        ("Line-000000-000000", "bindaddr=0.0.0.0"),
        ("Category-000001", "tpl"),
        ("IsTemplate-000001", "1"),
        ("Line-000001-000000", "write=all"),
        ("Category-000002", "app"),
        ("Templates-000002", "tpl"),
        ("Line-000002-000000", "write=all"),
        ("Line-000002-000001", "deny=0.0.0.0/0.0.0.0"),
        ("Line-000002-000002", "permit=10.0.0.1/255.255.255.255"),
        ("Line-000002-000003", "Secret=xyz=with=equals"),
    ])
    config = A.parse_getconfig(msg)
    assert list(config) == ["general", "app"]
    assert config["app"] == [("write", "all"), ("deny", "0.0.0.0/0.0.0.0"), ("permit", "10.0.0.1/255.255.255.255"),
                             ("secret", "xyz=with=equals")]


@pytest.mark.parametrize(
    "text, kind",
    [("127.0.0.1", "loopback"), ("127.0.0.53", "loopback"), ("::1", "loopback"), ("[::1]:5038", "loopback"),
     ("localhost", "loopback"), ("0.0.0.0", "any"), ("::", "any"), ("[::]", "any"), ("", "any"), (None, "any"),
     ("0.0.0.0:5039", "any"), ("10.0.0.1", "private"), ("192.168.1.2:5039", "private"), ("fd00::1", "private"),
     ("93.184.216.34", "public"), ("2001:4860:4860::8888", "public"), ("pbx.example.com", "unknown")],
)
def test_classify_address(text, kind):
    assert A.classify_address(text) == kind


# -- the connection, ListCommands, CoreSettings -------------------------------------------

CONNECTION_TABLE = [
    ("loopback-plain", Target("127.0.0.1", 5038, peer="127.0.0.1", md5=True), set()),
    ("lan-plain-md5", Target("pbx", 5038, peer="192.168.1.5", md5=True), {("high", "conn.plaintext"), ("low", "conn.port")}),
    ("lan-plain-auth-plain", Target("pbx", 15038, auth="plain", peer="192.168.1.5", md5=True), {("critical", "conn.plaintext")}),
    ("public-plain", Target("pbx", 5038, peer="93.184.216.34", md5=True), {("critical", "conn.plaintext"), ("low", "conn.port")}),
    ("public-tls", Target("pbx", 5039, tls=True, peer="93.184.216.34", md5=True), {("medium", "conn.public")}),
    ("lan-tls", Target("pbx", 5039, tls=True, peer="10.0.0.2", md5=True), set()),
    ("no-md5", Target("127.0.0.1", 5038, peer="127.0.0.1", md5=False), {("medium", "conn.md5")}),
    ("insecure-tls", Target("127.0.0.1", 5039, tls=True, insecure=True, peer="127.0.0.1", md5=True), {("info", "conn.insecure")}),
]


@pytest.mark.parametrize("target, expected", [r[1:] for r in CONNECTION_TABLE], ids=[r[0] for r in CONNECTION_TABLE])
def test_connection_checks(target, expected):
    assert {(f.severity, f.check) for f in A.check_connection(target)} == expected


def test_the_port_is_left_to_the_config_when_it_was_read():
    target = Target("pbx", 5038, peer="192.168.1.5", md5=True)
    assert "conn.port" not in checks(A.check_connection(target, config_checked=True))


@pytest.mark.parametrize(
    "commands, severity",
    [({"Ping", "ListCommands", "CoreStatus"}, None), ({"Ping", "Redirect"}, "medium"), ({"Originate", "Redirect"}, "high"),
     ({"Command", "Originate"}, "critical"), ({"updateconfig"}, "critical")],
)
def test_listcommands_privileges(commands, severity):
    findings = A.check_commands(commands, "app")
    assert [f.severity for f in findings] == ([severity] if severity else [])


@pytest.mark.parametrize(
    "version, flagged",
    [("22.10.1+dfsg+~cs6.17.60671434-1", False), ("20.5.0", False), ("23.0.0", False), ("21.4.1", True),
     ("18.20.0", True), ("certified/18.9-cert10", True), ("GIT-master-abc", False)],
)
def test_end_of_life_versions(version, flagged):
    assert bool(A.check_server({"AsteriskVersion": version})) is flagged


# -- the whole audit, exit codes, ignores ----------------------------------------------------


def test_audit_without_getconfig_says_what_was_not_checked():
    facts = Facts(target=Target("127.0.0.1", 5038, user="reader", peer="127.0.0.1", md5=True),
                  manager_error="Permission denied", commands={"ping", "corestatus"})
    findings = A.audit(facts)
    assert [(f.severity, f.check) for f in findings] == [("info", "config.unreadable")]
    assert "Permission denied" in findings[0].message and "were not checked" in findings[0].message
    assert A.exit_code(findings) == 0


def test_audit_uses_listcommands_only_when_the_section_is_unknown():
    target = Target("127.0.0.1", 5038, user="admin", peer="127.0.0.1", md5=True)
    facts = Facts(target=target, manager_error="Permission denied", commands={"command", "originate"})
    assert ("critical", "login.privileges", "admin") in keys(A.audit(facts))
    facts = Facts(target=target, manager=cfg(admin={**GOOD_USER, "write": "all"}), http={}, commands={"command"})
    findings = A.audit(facts)
    assert "login.privileges" not in checks(findings) and ("critical", "user.write", "admin") in keys(findings)


@pytest.mark.parametrize(
    "severities, code",
    [([], 0), (["info"], 0), (["info", "low"], 10), (["low", "medium"], 11), (["high", "info"], 12),
     (["low", "critical", "high"], 13)],
)
def test_exit_code_is_the_worst_finding(severities, code):
    assert A.exit_code([Finding(s, "x", "m") for s in severities]) == code


def test_exit_codes_do_not_clash_with_amishs_own():
    assert set(A.EXIT_BY_SEVERITY.values()).isdisjoint({0, 1, 2, 3, 4, 70, 130})
    assert sorted(A.EXIT_BY_SEVERITY.values()) == [10, 11, 12, 13]


def test_findings_are_sorted_most_severe_first():
    findings = A.audit(Facts(manager=cfg({"bindaddr": "0.0.0.0", "displayconnects": "no"}, app={**GOOD_USER, "write": "call"}),
                             http={}))
    ranks = [A.SEVERITIES.index(f.severity) for f in findings]
    assert ranks == sorted(ranks)


def test_ignores():
    findings = A.check_manager(cfg(admin={**GOOD_USER, "write": "all", "read": "all"}, app={**GOOD_USER, "write": "all"}))
    kept, ignored = A.split_ignored(findings, A.parse_ignores(["user.write:admin", "user.r*"]))
    assert ("critical", "user.write", "app") in keys(kept)
    assert {(f.check, f.section) for f in ignored} == {("user.write", "admin"), ("user.read", "admin")}
    for bad in ["", ":admin", "user.write:"]:
        with pytest.raises(InputError):
            A.parse_ignores([bad])


def test_json_report_shape_and_no_secrets():
    facts = Facts(target=Target("127.0.0.1", 5038, user="app", peer="127.0.0.1", md5=True),
                  manager=cfg(app={**GOOD_USER, "secret": "changeme", "write": "all"}), http={},
                  settings={"AsteriskVersion": "22.1.0", "AMIversion": "11.0.0"})
    findings = A.audit(facts)
    report = A.report_dict(facts, findings)
    text = json.dumps(report)
    assert "changeme" not in text
    assert report["exit_code"] == 13 and report["worst"] == "critical"
    assert report["counts"]["critical"] == 1
    assert report["checked"]["manager.conf"] is True
    assert {"severity", "check", "file", "section", "current", "message", "fix"} == set(report["findings"][0])


def test_pretty_output_renders_a_table():
    from amish.ui.render import to_plain

    facts = Facts(target=Target("127.0.0.1", 5038, user="app", peer="127.0.0.1", md5=True),
                  manager=cfg(app={**GOOD_USER, "write": "all"}), http={})
    text = to_plain(A.render_pretty(facts, A.audit(facts)), 120)
    assert "critical" in text and "manager.conf [app]" in text and "user.write" in text
    assert "exit 13" in text
    clean = Facts(target=facts.target, manager=cfg(app=GOOD_USER), http={})
    assert "No findings." in to_plain(A.render_pretty(clean, A.audit(clean)), 120)


def test_scrub_masks_long_secrets_only():
    assert scrub("x amish-admin-secret y", ["amish-admin-secret", "abc"]) == "x ******** y"
    assert scrub("[admin] abc", ["abc", "admin"]) == "[admin] abc"


# -- against the sandbox ---------------------------------------------------------------------

def weak_variant(base: str) -> str:
    text = re.sub(r"(?m)^displayconnects = yes$", "displayconnects = no", base)
    text = re.sub(r"(?m)^authtimeout = 10$", "authtimeout = 60", text)
    assert text.count("displayconnects = no") == 1 and "authtimeout = 60" in text
    return text + (
        "\n; amish audit test: deliberately weak accounts\n"
        "[weak-tpl](!)\nread = all\nwrite = all\n\n"
        "[weak](weak-tpl)\nsecret = admin\n\n"
        "[weak2]\nsecret = mysecret\ndeny = 0.0.0.0/0.0.0.0\npermit = 0.0.0.0/0.0.0.0\nread = call\nwrite = call,originate\n"
    )


def hardened_variant(base: str) -> str:
    text = re.sub(r"(?m)^allowmultiplelogin = yes$", "allowmultiplelogin = no\nauthlimit = 20", base)
    # the suite's accounts keep logging in several times at once (other tests, other runs)
    text = re.sub(r"(?m)^(write = .*)$", r"\1\nallowmultiplelogin = yes", text)
    accounts = len(re.findall(r"(?m)^write = ", base))  # admin, reader, nocall
    assert accounts >= 3 and "allowmultiplelogin = no" in text and text.count("allowmultiplelogin = yes") == accounts
    return text


@pytest.fixture
def sandbox_manager_conf(asterisk):
    """The sandbox's own manager.conf is live for the whole test (no other run's variant)."""
    with manager_conf_lock(asterisk, exclusive=False):
        yield


@pytest.fixture
def live_manager_conf(asterisk):
    """Write a manager.conf variant into the running sandbox; the original always comes back (tests/support)."""
    with swap_manager_conf(asterisk) as apply:
        yield apply


def run_audit(amish_cmd, asterisk, user_secret, *args, timeout=60):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
    env["AMISH_SECRET"] = user_secret[1]
    return subprocess.run(
        amish_cmd + ["audit", "-u", user_secret[0], *args, asterisk.host, str(asterisk.port)],
        capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL,
    )


def found(report) -> set[tuple[str, str, str | None]]:
    return {(f["severity"], f["check"], f["section"]) for f in report["findings"]}


@pytest.mark.asterisk
def test_sandbox_as_it_is(asterisk, amish_cmd, sandbox_manager_conf):
    proc = run_audit(amish_cmd, asterisk, ADMIN, "--format", "json")
    assert proc.returncode == 13, proc.stderr
    report = json.loads(proc.stdout)
    assert report["exit_code"] == 13
    assert report["target"]["peer_kind"] == "loopback" and report["target"]["md5_challenge"] is True
    assert report["target"]["peer"] == "127.0.0.1"  # the address reached, asked of the transport (peer_ip)
    assert report["checked"] == {"manager.conf": True, "http.conf": True, "ListCommands": True, "CoreSettings": True}
    assert report["server"]["asterisk_version"].startswith("22.")
    assert ("critical", "user.write", "admin") in found(report)
    assert ("low", "ami.allowmultiplelogin", "general") in found(report)
    assert not [f for f in report["findings"] if f["section"] == "reader"], "reader is fine as configured"
    assert not [f for f in report["findings"] if f["check"].startswith(("conn.", "http.", "ami.bindaddr"))]
    for secret in (ADMIN[1], READER[1]):
        assert secret not in proc.stdout and secret not in proc.stderr


@pytest.mark.asterisk
def test_sandbox_over_tls(asterisk, amish_cmd, sandbox_manager_conf):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
    env.update(AMISH_SECRET=ADMIN[1])
    proc = subprocess.run(
        amish_cmd + ["audit", "-u", "admin", "--tls", "--cafile", asterisk.cafile, "--format", "json",
                     "--ignore", "user.*:admin", asterisk.host, str(asterisk.tls_port)],
        capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL,
    )
    report = json.loads(proc.stdout)
    assert report["target"]["tls"] is True and report["target"]["verified"] is True
    assert {f["section"] for f in report["ignored"]} == {"admin"}
    assert proc.returncode == 10 and report["worst"] == "low"  # allowmultiplelogin is what is left


@pytest.mark.asterisk
def test_sandbox_reader_cannot_read_the_config(asterisk, amish_cmd, sandbox_manager_conf):
    proc = run_audit(amish_cmd, asterisk, READER, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert [(f["severity"], f["check"]) for f in report["findings"]] == [("info", "config.unreadable")]
    assert report["errors"]["manager.conf"] == "Permission denied"
    assert report["checked"]["ListCommands"] is True and report["checked"]["manager.conf"] is False
    pretty = run_audit(amish_cmd, asterisk, READER)
    assert pretty.returncode == 0
    assert "not checked" in pretty.stdout and "config.unreadable" in pretty.stdout
    assert READER[1] not in pretty.stdout + pretty.stderr


@pytest.mark.asterisk
def test_sandbox_weak_config(asterisk, amish_cmd, live_manager_conf):
    live_manager_conf(weak_variant(canonical_manager_conf(asterisk)))
    assert _weak_account_logs_in(asterisk), "the weak variant is live"
    proc = run_audit(amish_cmd, asterisk, ADMIN, "--format", "json")
    assert proc.returncode == 13, proc.stderr
    report = json.loads(proc.stdout)
    expected = {
        ("critical", "user.write", "weak"), ("high", "user.secret", "weak"), ("low", "user.acl", "weak"),
        ("low", "user.read", "weak"),
        ("high", "user.write", "weak2"), ("high", "user.secret", "weak2"), ("low", "user.acl", "weak2"),
        ("low", "ami.displayconnects", "general"), ("low", "ami.allowmultiplelogin", "general"),
        ("info", "ami.authtimeout", "general"), ("info", "ami.authlimit", "general"),
        ("critical", "user.write", "admin"),
    }
    assert expected <= found(report), found(report) - expected
    assert not [f for f in report["findings"] if f["section"] in ("weak-tpl", "reader")]
    # the secrets are never printed: not "admin" as weak's secret, not mysecret, not the audit's own
    for f in report["findings"]:
        if f["section"] == "weak":
            assert "admin" not in json.dumps(f), f
    secret_finding = next(f for f in report["findings"] if (f["check"], f["section"]) == ("user.secret", "weak"))
    assert secret_finding["current"] == "secret=********"
    assert "secret=admin" not in proc.stdout and "mysecret" not in proc.stdout and ADMIN[1] not in proc.stdout
    weak2 = next(f for f in report["findings"] if (f["check"], f["section"]) == ("user.secret", "weak2"))
    assert "common password" in weak2["message"]

    pretty = run_audit(amish_cmd, asterisk, ADMIN)
    assert pretty.returncode == 13
    out = pretty.stdout + pretty.stderr
    assert "manager.conf [weak]" in out and "critical" in out
    assert "secret=admin" not in out and "mysecret" not in out and ADMIN[1] not in out

    # the weak account audits itself: its own secret never shows either
    own = run_audit(amish_cmd, asterisk, ("weak2", "mysecret"), "--format", "json")
    assert own.returncode == 12, own.stderr  # write=call,originate: no GetConfig, ListCommands shows Originate
    assert "mysecret" not in own.stdout + own.stderr
    assert ("high", "login.privileges", "weak2") in found(json.loads(own.stdout))


def _weak_account_logs_in(asterisk) -> bool:
    from amish.transports.connection import Connection

    conn = Connection(asterisk.host, asterisk.port)
    try:
        conn.connect()
        conn.login("weak", "admin")
        return True
    finally:
        conn.close()


@pytest.mark.asterisk
def test_sandbox_hardened_config(asterisk, amish_cmd, live_manager_conf):
    live_manager_conf(hardened_variant(canonical_manager_conf(asterisk)))
    proc = run_audit(amish_cmd, asterisk, ADMIN, "--format", "json")
    report = json.loads(proc.stdout)
    # what is left is the suite's own admin account (and the per-account overrides the suite needs)
    assert {f["section"] for f in report["findings"]} <= {"admin", "reader", "nocall"}, found(report)
    assert proc.returncode == 13
    ignores = ["--ignore", "user.write:admin", "--ignore", "user.read:admin", "--ignore", "user.allowmultiplelogin"]
    proc = run_audit(amish_cmd, asterisk, ADMIN, "--format", "json", *ignores)
    assert proc.returncode == 0, proc.stdout
    report = json.loads(proc.stdout)
    assert report["findings"] == [] and report["worst"] is None
    assert {(f["check"], f["section"]) for f in report["ignored"]} == {
        ("user.write", "admin"), ("user.read", "admin"), ("user.allowmultiplelogin", "admin"),
        ("user.allowmultiplelogin", "reader"), ("user.allowmultiplelogin", "nocall"),
    }
    pretty = run_audit(amish_cmd, asterisk, ADMIN, *ignores)
    assert pretty.returncode == 0 and "No findings." in pretty.stdout and "5 ignored" in pretty.stdout


@pytest.mark.asterisk
def test_sandbox_restored_after_the_variants(asterisk, sandbox_manager_conf):
    path = Path(asterisk.root) / LIVE_REL
    text = path.read_text()
    assert "[weak" not in text and "authlimit = 20" not in text
    assert admin_can_log_in(asterisk)


def test_bad_ignore_is_bad_input(amish_cmd):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
    env.update(AMISH_SECRET="x")
    proc = subprocess.run(amish_cmd + ["audit", "-u", "admin", "--ignore", "user.write:", "127.0.0.1", "1"],
                          capture_output=True, text=True, timeout=30, env=env, stdin=subprocess.DEVNULL)
    assert proc.returncode == 4 and "--ignore" in proc.stderr


def test_help_documents_the_exit_codes(amish_cmd):
    proc = subprocess.run(amish_cmd + ["audit", "--help"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    for part in ("10 worst finding low", "11 medium", "12 high", "13 critical", "--ignore", "--format"):
        assert part in text


# -- the live look at AMI over HTTP (probe.probe_http's outcomes -> findings) -------------------------

def probe(listener="HTTP", outcome="answers", kind="any", url=None):
    scheme = "https" if listener == "HTTPS" else "http"
    return A.Probe(listener, url or f"{scheme}://192.0.2.7:8088/rawman", outcome, "", kind)


HTTP_EXPOSED = {"general": {**LOCAL_GENERAL, "webenabled": "yes"}}
HTTP_CONF_ANY = {"general": {"enabled": "yes", "bindaddr": "0.0.0.0"}}

LIVE_TABLE = [
    # id, probes, expected (severity, check), absent
    ("loopback-answers-is-no-finding", [probe(kind="loopback")], set(), {"http.live"}),
    ("any-plain-answers-critical", [probe(kind="any")], {("critical", "http.live")}, set()),
    ("private-plain-answers-high", [probe(kind="private")], {("high", "http.live")}, set()),
    ("plain-with-https-answering-high", [probe(kind="any"), probe("HTTPS", kind="any")],
     {("high", "http.live"), ("medium", "http.live")}, set()),
    ("https-only-private-low", [probe("HTTPS", kind="private")], {("low", "http.live")}, set()),
    ("404-is-no-finding", [probe(outcome="not-served")], set(), {"http.live"}),
    ("unreachable-is-no-finding", [probe(outcome="unreachable")], set(), {"http.live"}),
    ("not-probed-is-no-finding", [probe(outcome="not-probed", kind="loopback")], set(), {"http.live"}),
]


@pytest.mark.parametrize("probes, expected, absent", [r[1:] for r in LIVE_TABLE], ids=[r[0] for r in LIVE_TABLE])
def test_what_the_live_look_at_rawman_finds(probes, expected, absent):
    """The files say webenabled=no (or nothing): what answers on the network is exposure all the same."""
    got = A.check_http_live(probes)
    assert {(f.severity, f.check) for f in got} == expected
    assert not checks(got) & absent
    for f in got:
        assert f.message.startswith("Checked live: http") and f.fix == ("bindaddr=127.0.0.1",)


def test_the_live_answer_confirms_the_config_finding_instead_of_a_second_one():
    config = A.check_manager(HTTP_EXPOSED, HTTP_CONF_ANY)
    assert "http.bindaddr" in checks(config)
    live = A.check_http_live([probe(kind="any")], config)
    assert len(live) == len(config) and "http.live" not in checks(live)
    [f] = [f for f in live if f.check == "http.bindaddr"]
    assert f.message.endswith("Checked live: http://192.0.2.7:8088/rawman answers as AMI (an unauthenticated "
                              "Challenge got its answer).")
    contradicted = A.check_http_live([probe(kind="any", outcome="not-served")], config)
    assert "does not serve the manager (HTTP 404)" in [f for f in contradicted if f.check == "http.bindaddr"][0].message


@pytest.mark.parametrize("bound, peer, knock", [
    ("0.0.0.0", "203.0.113.5", "203.0.113.5"),  # every address: where the audit reached the server
    (None, "203.0.113.5", "203.0.113.5"),
    ("198.51.100.9", "203.0.113.5", "198.51.100.9"),  # one address: there
    ("127.0.0.1", "127.0.0.1", "127.0.0.1"),  # loopback, and the audit runs on the server
    ("127.0.0.1", "203.0.113.5", None),  # loopback, the audit elsewhere: that would knock on our own machine
])
def test_where_the_live_look_knocks(bound, peer, knock):
    from amish.audit.configs import Listener
    from amish.audit.probe import where_to_knock

    listener = Listener("HTTP", "http.conf", "bindaddr", bound, 8088, tls=False)
    assert where_to_knock(listener, peer, "pbx.example") == knock
