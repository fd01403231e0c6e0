"""The checks: pure functions from what was gathered to findings, each testable as a table.

- `check_manager(manager, http)`: manager.conf's [general] and every account,
  http.conf when AMI is served over HTTP (webenabled);
- `check_connection(target)`: the connection the audit itself used;
- `check_commands(commands, user)`: what the login may run (ListCommands), for
  when its manager.conf section cannot be read;
- `check_server(settings)`: CoreSettings (the Asterisk version);
- `check_http_live(probes, findings)`: what the live look at /rawman found.

`audit(facts)` runs them all. Secrets are never copied into a finding: a
finding says "shorter than 12 characters" or "a common password", never the
value nor its length. A new rule goes here, with its rows in tests/unit/test_audit.py.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterable, Mapping, Sequence

from ..core.getconfig import Section
from ..core.secrets import MASK
from .configs import (
    DEFAULT_PORT,
    accounts_of,
    flag,
    general_of,
    listeners_in_http,
    listeners_in_manager,
    normalize,
    number,
    setting,
)
from .facts import Facts, Target
from .findings import RANK, Finding, sort_findings
from .network import BadACL, acl_allows, acl_rules, classify_host, ipv6_capable

__all__ = [
    "MIN_SECRET_LENGTH",
    "COMMON_SECRETS",
    "WRITE_CLASS_RISK",
    "ACTION_RISK",
    "check_manager",
    "check_connection",
    "check_commands",
    "check_server",
    "audit",
]

MIN_SECRET_LENGTH = 12
AUTHLIMIT_DEFAULT, AUTHLIMIT_MAX = 50, 20
AUTHTIMEOUT_DEFAULT, AUTHTIMEOUT_MAX = 30, 15

#: Passwords seen in default installs, tutorials and brute-force lists. A secret
#: matching one of these (any case, trailing digits or punctuation ignored) is weak.
COMMON_SECRETS = frozenset(
    """
    amp111 amp109 admin administrator password passw0rd pass pass123 1234 12345 123456 1234567
    12345678 123456789 1234567890 0000 1111 4321 secret mysecret supersecret topsecret asterisk
    astmanager manager ami amiuser amipass changeme change_me default letmein welcome qwerty
    qwerty123 abc123 iloveyou monkey dragon master root toor test test123 guest user demo
    freepbx elastix trixbox issabel vicidial fop fop2 cxpanel asteriskpass ampmgr 1q2w3e4r
    p@ssw0rd p@ssword pa55word sip voip pbx telephony cisco
    """.split()
)

#: Write classes that hand out power, with what each allows.
WRITE_CLASS_RISK: dict[str, tuple[str, str]] = {
    "all": ("critical", "every action, Command (CLI), Originate of System() and UpdateConfig included"),
    "system": ("critical", "Originate with Application=System runs shell commands; also ModuleLoad and dialplan changes"),
    "command": ("critical", "Command runs any Asterisk CLI command"),
    "config": ("critical", "UpdateConfig rewrites any configuration file (manager.conf and the dialplan included) and Reload applies it"),
    "originate": ("high", "Originate places calls at the PBX's expense (toll fraud)"),
    "agi": ("high", "AGI runs AGI commands, EXEC of applications included, on Async AGI channels"),
    "call": ("medium", "Redirect, Hangup, Setvar and other changes to live calls"),
    "message": ("medium", "MessageSend sends out-of-call messages (SMS, SIP MESSAGE)"),
}

#: Actions in ListCommands that show the same power, when the account's section cannot be read.
ACTION_RISK: dict[str, tuple[str, str]] = {
    "command": ("critical", "Command (any CLI command)"),
    "updateconfig": ("critical", "UpdateConfig (rewrite configuration files)"),
    "moduleload": ("critical", "ModuleLoad"),
    "dialplanextensionadd": ("critical", "DialplanExtensionAdd"),
    "originate": ("high", "Originate (place calls)"),
    "agi": ("high", "AGI"),
    "redirect": ("medium", "Redirect"),
    "setvar": ("medium", "Setvar"),
    "messagesend": ("medium", "MessageSend"),
}

#: Addresses that stand for "anyone on the internet" when checking an account's deny/permit.
PUBLIC_PROBES_V4 = ("8.8.8.8", "1.1.1.1", "185.199.108.153")
PUBLIC_PROBES_V6 = ("2001:4860:4860::8888", "2606:4700:4700::1111")


def _worse(a: str, b: str) -> str:
    return a if RANK[a] >= RANK[b] else b


def _exposure_severity(kind: str, tls_offered: bool) -> str:
    """A plain-text listener on a non-loopback address."""
    if kind in ("any", "public", "unknown"):
        return "high" if tls_offered else "critical"
    return "medium" if tls_offered else "high"


def _weak_secret(secret: str, user: str) -> str | None:
    """'common', 'short', or None. Never returns anything derived from the secret itself."""
    low = secret.lower()
    base = low.rstrip("0123456789!@#$%^&*.?_-")
    if low in COMMON_SECRETS or (base and base in COMMON_SECRETS) or low == user.lower() or base == user.lower():
        return "common"
    if len(secret) < MIN_SECRET_LENGTH:
        return "short"
    return None


def check_manager(manager: object, http: object = None, *, http_readable: bool | None = None) -> list[Finding]:
    """Findings for manager.conf (and http.conf when AMI is served over HTTP).

    `http`: http.conf, or None when it could not be read (`http_readable` False)."""
    cfg = normalize(manager)
    http_cfg = normalize(http) if http is not None else None
    if http_readable is None:
        http_readable = http is not None
    general = general_of(cfg)
    out: list[Finding] = []
    M = "manager.conf"

    listeners = listeners_in_manager(general)
    plain = listeners[0]
    tls_enabled = len(listeners) > 1
    webenabled = flag(setting(general, "webenabled"), False)
    http_listeners = listeners_in_http(general_of(http_cfg)) if (webenabled and http_cfg is not None) else []
    exposed_listeners = [l for l in listeners + http_listeners if l.exposed]
    exposed = bool(exposed_listeners) or (webenabled and not http_readable)
    ipv6 = any(ipv6_capable(l.address) for l in exposed_listeners)

    # -- [general]: where AMI listens
    if plain.exposed:
        kind = plain.kind
        sev = _exposure_severity(kind, tls_enabled)
        where = "every address" if kind == "any" else f"a {kind} address" if kind in ("public", "private") else "a non-loopback address"
        tls_note = (
            "TLS is enabled too, but the plain port still accepts logins and actions in clear text"
            if tls_enabled
            else "with no TLS: logins, actions and events cross the network in clear text"
        )
        fix = ["bindaddr=127.0.0.1"]
        if not tls_enabled:
            fix += ["tlsenable=yes", "tlsbindaddr=<the address remote clients use>:5039"]
        out.append(Finding(sev, "ami.bindaddr",
                           f"AMI listens on {where} ({plain.shown()}), {tls_note}. Keep plain AMI on loopback; "
                           "reach it through TLS, a VPN or an SSH tunnel.",
                           tuple(fix), M, "general",
                           f"bindaddr={plain.address}" if plain.address is not None else "bindaddr not set (default: all addresses)"))
        if plain.port == DEFAULT_PORT and plain.kind in ("any", "public", "unknown"):
            out.append(Finding("low", "ami.port",
                               "AMI is on the default port 5038 on an exposed address: the first port scanners try.",
                               ("port=<another port>",), M, "general",
                               "port=5038" if setting(general, "port") is not None else "port not set (default 5038)"))

    # -- AMI over HTTP
    if webenabled:
        if http_cfg is None:
            out.append(Finding("info", "http.unchecked",
                               "webenabled=yes, but http.conf could not be read: whether AMI is served over plain HTTP "
                               "on a non-loopback address was not checked.",
                               (), M, "general", "webenabled=yes"))
        elif not http_listeners:
            out.append(Finding("info", "http.webenabled",
                               "webenabled=yes while http.conf serves nothing: AMI goes out over HTTP as soon as the "
                               "HTTP server is enabled (for ARI, say). Turn it off if nothing uses /rawman or /manager.",
                               ("webenabled=no",), M, "general", "webenabled=yes"))
        else:
            hplain = http_listeners[0]
            htls = len(http_listeners) > 1
            if hplain.exposed:
                sev = _exposure_severity(hplain.kind, htls)
                tls_note = ("HTTPS is enabled too, but plain HTTP still serves /rawman and /manager"
                            if htls else "with no TLS (tlsenable): a login's secret travels in the URL in clear text")
                fix = ["bindaddr=127.0.0.1"] + ([] if htls else ["tlsenable=yes", "tlsbindaddr=<address>:8089"])
                out.append(Finding(sev, "http.bindaddr",
                                   f"webenabled=yes in manager.conf and http.conf serves plain HTTP on {hplain.shown()}, "
                                   f"{tls_note}. Or set webenabled=no in manager.conf [general] if AMI over HTTP is not used.",
                                   tuple(fix), "http.conf", "general", f"bindaddr={hplain.address}"))

    # -- [general]: logins
    amlogin = flag(setting(general, "allowmultiplelogin"), True)
    if amlogin:
        raw = setting(general, "allowmultiplelogin")
        out.append(Finding("low", "ami.allowmultiplelogin",
                           "One account may be logged in many times at once, so a stolen secret can be used "
                           "alongside the real client without anyone noticing. (A manager reload applies a [general] "
                           "change only to accounts it creates: restart Asterisk, or set it in each account.)",
                           ("allowmultiplelogin=no",), M, "general",
                           f"allowmultiplelogin={raw}" if raw is not None else "allowmultiplelogin not set (default yes)"))
    displayconnects = flag(setting(general, "displayconnects"), True)
    if not displayconnects:
        out.append(Finding("low", "ami.displayconnects",
                           "Logins and logoffs are not logged: a break-in leaves no trace in the Asterisk log.",
                           ("displayconnects=yes",), M, "general", f"displayconnects={setting(general, 'displayconnects')}"))
    authlimit = number(setting(general, "authlimit"), AUTHLIMIT_DEFAULT)
    if authlimit > AUTHLIMIT_MAX:
        raw = setting(general, "authlimit")
        out.append(Finding("low" if exposed else "info", "ami.authlimit",
                           f"Up to {authlimit} connections may wait unauthenticated at once: room for password "
                           f"guessing and for tying up sessions." + ("" if exposed else " (AMI is on loopback only.)"),
                           ("authlimit=10",), M, "general",
                           f"authlimit={raw}" if raw is not None else f"authlimit not set (default {AUTHLIMIT_DEFAULT})"))
    authtimeout = number(setting(general, "authtimeout"), AUTHTIMEOUT_DEFAULT)
    if authtimeout > AUTHTIMEOUT_MAX:
        raw = setting(general, "authtimeout")
        out.append(Finding("low" if exposed else "info", "ami.authtimeout",
                           f"A connection may stay {authtimeout} s without logging in: each holds one of the "
                           "authlimit places." + ("" if exposed else " (AMI is on loopback only.)"),
                           ("authtimeout=10",), M, "general",
                           f"authtimeout={raw}" if raw is not None else f"authtimeout not set (default {AUTHTIMEOUT_DEFAULT} s)"))

    # -- accounts
    for name, section in accounts_of(cfg):
        out.extend(_check_account(name, section, exposed=exposed, ipv6=ipv6,
                                  general_multi=amlogin, general_display=displayconnects))
    return out


def _check_account(name: str, section: Section, *, exposed: bool, ipv6: bool,
                   general_multi: bool, general_display: bool) -> list[Finding]:
    out: list[Finding] = []
    M = "manager.conf"

    # the secret: never copied, never measured in a finding
    secret = setting(section, "secret")
    if secret is None or secret == "":
        out.append(Finding("info", "user.secret", "No secret: this account cannot log in.", (), M, name, "secret not set"))
    else:
        weak = _weak_secret(secret, name)
        if weak == "common":
            out.append(Finding("critical" if exposed else "high", "user.secret",
                               "The secret is a common password or the account's name: the first guess of any scanner.",
                               ("secret=<at least 16 random characters>",), M, name, f"secret={MASK}"))
        elif weak == "short":
            out.append(Finding("high" if exposed else "medium", "user.secret",
                               f"The secret is shorter than {MIN_SECRET_LENGTH} characters.",
                               ("secret=<at least 16 random characters>",), M, name, f"secret={MASK}"))

    # write classes
    write = setting(section, "write")
    if write:
        classes = [c.strip().lower() for c in write.split(",") if c.strip()]
        risky = [(c, WRITE_CLASS_RISK[c]) for c in classes if c in WRITE_CLASS_RISK]
        if risky:
            sev = "info"
            for _c, (s, _why) in risky:
                sev = _worse(sev, s)
            serious = {c for c, (s, _w) in risky if s in ("critical", "high")}
            keep = [c for c in classes if c not in serious and c != "all"]
            why = "; ".join(f"{c}: {w}" for c, (_s, w) in risky)
            fix = f"write={','.join(keep)}" if keep else "write=<only what the client needs, e.g. call,reporting>"
            out.append(Finding(sev, "user.write",
                               f"This account may run powerful actions ({why}). Grant only the classes its client needs.",
                               (fix,), M, name, f"write={write}"))

    read = setting(section, "read")
    if read and "all" in [c.strip().lower() for c in read.split(",")]:
        out.append(Finding("low", "user.read",
                           "read=all: every event class, security events and dialplan variables (VarSet) included. "
                           "List only the classes the client uses.",
                           ("read=<only the classes the client uses, e.g. call,reporting>",), M, name, f"read={read}"))

    # who may log in with it
    try:
        rules, named = acl_rules(section)
    except BadACL as e:
        out.append(Finding("info", "user.acl",
                           f"Asterisk refuses this ACL line ({e}) and drops the whole account.",
                           ("permit=<client address>/255.255.255.255",), M, name, str(e)))
    else:
        if named:
            out.append(Finding("info", "user.acl",
                               f"Named ACL ({', '.join(named)}) from acl.conf: not checked.",
                               (), M, name, "acl=" + ",".join(named)))
        else:
            probes = list(PUBLIC_PROBES_V4) + (list(PUBLIC_PROBES_V6) if ipv6 else [])
            open_to = [p for p in probes if acl_allows(rules, p)]
            if open_to:
                if not rules:
                    what = "No deny/permit: any address may log in with this account."
                    now = "no deny/permit"
                else:
                    what = (f"deny/permit let public addresses log in (e.g. {open_to[0]}). Asterisk allows by default "
                            "and the last matching line wins: deny everything first, then permit the clients.")
                    now = "; ".join(f"{k}={v}" for k, v in section if k in ("deny", "permit"))
                if not exposed:
                    what += " (AMI is on loopback only, so this matters once it is exposed.)"
                fix = ("deny=0.0.0.0/0.0.0.0", "permit=<client address>/255.255.255.255")
                if any(":" in p for p in open_to):
                    fix += ("deny=::/0",)
                out.append(Finding("high" if exposed else "low", "user.acl", what, fix, M, name, now))

    multi = setting(section, "allowmultiplelogin")
    if multi is not None and flag(multi, True) and not general_multi:
        out.append(Finding("low", "user.allowmultiplelogin",
                           "This account may be logged in many times at once (overrides [general]).",
                           ("allowmultiplelogin=no",), M, name, f"allowmultiplelogin={multi}"))
    display = setting(section, "displayconnects")
    if display is not None and not flag(display, True) and general_display:
        out.append(Finding("low", "user.displayconnects",
                           "This account's logins are not logged (overrides [general]).",
                           ("displayconnects=yes",), M, name, f"displayconnects={display}"))
    return out


def check_connection(target: Target, *, config_checked: bool = False) -> list[Finding]:
    """Findings about the connection the audit itself used."""
    out: list[Finding] = []
    kind = classify_host(target.peer or target.host)
    if kind != "loopback" and not target.tls:
        sev = "critical" if (kind in ("public", "unknown") or target.auth == "plain") else "high"
        secret = ("and the secret itself (--auth plain)" if target.auth == "plain"
                  else "(the secret itself did not: MD5 challenge)")
        out.append(Finding(sev, "conn.plaintext",
                           f"This audit logged in to {target.host}:{target.port}, a {kind} address, over "
                           f"{'plain HTTP' if target.transport == 'http' else 'plain TCP'}: the "
                           f"session crossed the network in clear text {secret}. Use TLS, a VPN or an SSH tunnel.",
                           ("tlsenable=yes", "tlsbindaddr=<address>:5039", "bindaddr=127.0.0.1"), "manager.conf", "general",
                           f"{'plain HTTP' if target.transport == 'http' else 'plain TCP'} to {target.peer or target.host}:{target.port}"))
    elif kind in ("public", "unknown") and target.tls:
        out.append(Finding("medium", "conn.public",
                           f"AMI answers on a public address ({target.peer or target.host}:{target.port}), TLS or not: "
                           "put it behind a firewall or a VPN.",
                           ("tlsbindaddr=<a private address>:5039",), "manager.conf", "general",
                           f"TLS to {target.peer or target.host}:{target.port}"))
    if not config_checked and kind != "loopback" and not target.tls and target.port == DEFAULT_PORT:
        out.append(Finding("low", "conn.port",
                           "AMI answered on the default port 5038 of a non-loopback address.",
                           ("port=<another port>",), "manager.conf", "general", "port=5038"))
    if target.md5 is False:
        out.append(Finding("medium", "conn.md5",
                           "The server did not answer an MD5 Challenge: clients must send the secret itself to log in.",
                           (), None, None, "Challenge AuthType=MD5 refused"))
    if target.tls and target.insecure:
        out.append(Finding("info", "conn.insecure",
                           "The server's certificate was not verified (--insecure): this audit cannot tell it "
                           "talked to the real server.", (), None, None, "--insecure"))
    return out


def check_commands(commands: Iterable[str], user: str | None = None) -> list[Finding]:
    """What the login may run, from ListCommands: for when its manager.conf section cannot be read."""
    names = {c.lower() for c in commands}
    risky = [(a, ACTION_RISK[a]) for a in ACTION_RISK if a in names]
    if not risky:
        return []
    sev = "info"
    for _a, (s, _w) in risky:
        sev = _worse(sev, s)
    what = ", ".join(w for _a, (_s, w) in risky)
    return [Finding(sev, "login.privileges",
                    f"The account used for this audit may run {what} (from ListCommands). "
                    "Grant only the write classes its clients need.",
                    ("write=<only the classes the client needs>",), "manager.conf", user,
                    f"{len(names)} actions allowed")]


_VERSION = re.compile(r"(?:certified/)?(\d+)\.(\d+)")


def check_server(settings: Mapping[str, str] | None) -> list[Finding]:
    """CoreSettings: an Asterisk release that no longer gets security fixes."""
    if not settings:
        return []
    version = settings.get("AsteriskVersion") or ""
    m = _VERSION.search(version)
    if not m:
        return []
    major = int(m.group(1))
    # LTS 20 and 22, standard 23 get fixes (2026); 19 and below, and 21, are end of life
    if major < 20 or major == 21:
        return [Finding("medium", "server.version",
                        f"Asterisk {version} is end of life: its security fixes have stopped. Upgrade to a supported release.",
                        (), None, None, f"Asterisk {version}")]
    return []


_LIVE_SAID = {
    "answers": "answers as AMI (an unauthenticated Challenge got its answer)",
    "not-served": "does not serve the manager (HTTP 404): the file is not what runs (no 'manager reload' since?)",
    "not-ami": "did not answer as AMI",
    "unreachable": "could not be reached from here",
}


def check_http_live(probes, findings: Sequence[Finding] = ()) -> list[Finding]:
    """Findings from the live look at /rawman (`probe.probe_http`), and `findings` with the config's
    HTTP exposure finding confirmed (or contradicted) by what the server did.

    A listener on a non-loopback address that answers is exposure whatever the files say; when the
    configs already said so (http.bindaddr), the live answer is added to that finding instead.
    """
    out = list(findings)
    for probe in probes or ():
        if probe.outcome == "not-probed":
            continue
        said = f"Checked live: {probe.url} {_LIVE_SAID.get(probe.outcome, probe.outcome)}."
        config = next((i for i, f in enumerate(out) if f.check == "http.bindaddr"), None)
        if probe.listener == "HTTP" and config is not None:
            out[config] = replace(out[config], message=f"{out[config].message} {said}")
            continue
        if probe.outcome != "answers" or not probe.exposed:
            continue
        where = "every address" if probe.kind == "any" else f"a {probe.kind} address"
        if probe.listener == "HTTPS":
            sev = "medium" if probe.kind in ("any", "public", "unknown") else "low"
            why = ("over TLS, but anyone who reaches it may try logins: keep it for the clients that need it "
                   "(a firewall, deny/permit per account, authlimit)")
        else:
            sev = _exposure_severity(probe.kind, any(p.listener == "HTTPS" and p.outcome == "answers" for p in probes))
            why = "in clear text: a login's secret, actions and events cross the network unencrypted"
        out.append(Finding(sev, "http.live",
                           f"{said} It listens on {where}, {why}. Set webenabled=no in manager.conf [general] if "
                           "nothing uses AMI over HTTP (then 'manager reload'), or keep the HTTP server on loopback.",
                           ("bindaddr=127.0.0.1",), "http.conf", "general", f"{probe.listener}: {probe.url}"))
    return out


def audit(facts: Facts) -> list[Finding]:
    """Every finding, most severe first."""
    out: list[Finding] = []
    user = facts.target.user if facts.target else None
    if facts.manager is not None:
        out.extend(check_manager(facts.manager, facts.http, http_readable=facts.http is not None))
        out = check_http_live(facts.http_probes, out)
    else:
        reason = f" ({facts.manager_error})" if facts.manager_error else ""
        out.append(Finding("info", "config.unreadable",
                           f"GetConfig manager.conf was refused{reason}: bind addresses, TLS, webenabled and http.conf, "
                           "allowmultiplelogin, displayconnects, authlimit/authtimeout and every account's secret, "
                           "deny/permit and read/write classes were not checked. Audit with an account allowed "
                           "GetConfig (write=config), or read manager.conf on the server.",
                           (), "manager.conf", None, None))
    if facts.target is not None:
        out.extend(check_connection(facts.target, config_checked=facts.manager is not None))
    user_in_config = (
        facts.manager is not None and user is not None
        and any(name == user for name, _ in accounts_of(normalize(facts.manager)))
    )
    if facts.commands is not None and not user_in_config:
        out.extend(check_commands(facts.commands, user))
    elif facts.commands is None and not user_in_config:
        out.append(Finding("info", "login.privileges",
                           f"ListCommands failed{f' ({facts.commands_error})' if facts.commands_error else ''}: "
                           "what this account may run was not checked.", (), "manager.conf", user, None))
    out.extend(check_server(facts.settings))
    return sort_findings(out)
