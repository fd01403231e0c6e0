"""`amish audit`: check a server's AMI exposure against best practice.

Two halves. The checks are pure functions over what was gathered, so each
rule can be tested as a table of config dicts -> findings:

- `check_manager(manager, http)`: manager.conf's [general] and every account,
  http.conf when AMI is served over HTTP (webenabled);
- `check_connection(target)`: the connection the audit itself used;
- `check_commands(commands, user)`: what the login may run (ListCommands), for
  when its manager.conf section cannot be read;
- `check_server(settings)`: CoreSettings (the Asterisk version).

`audit(facts)` runs them all; `gather(conn, ...)` asks the server (GetConfig of
manager.conf and http.conf, ListCommands, CoreSettings, CoreStatus, an MD5
Challenge); `run_audit_command(args)` is the command line.

A config is ``{section: {key: value}}`` (a value may be a list for a repeated
key such as permit) or ``{section: [(key, value), ...]}`` when the order of
deny/permit lines matters. Secrets are never copied into a finding: a finding
says "shorter than 12 characters" or "a common password", never the value
nor its length.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from .core.errors import EXIT_OK, InputError
from .runtime.options import Options
from .core.protocol import Message
from .core.secrets import MASK, is_secret_name
from .runtime.session import Session

if TYPE_CHECKING:  # pragma: no cover
    from .transports.base import Transport

__all__ = [
    "SEVERITIES",
    "EXIT_BY_SEVERITY",
    "Finding",
    "Target",
    "Facts",
    "normalize",
    "parse_getconfig",
    "classify_address",
    "check_manager",
    "check_connection",
    "check_commands",
    "check_server",
    "audit",
    "exit_code",
    "gather",
    "run_audit_command",
]

#: Most severe first.
SEVERITIES = ("critical", "high", "medium", "low", "info")
_RANK = {s: i for i, s in enumerate(reversed(SEVERITIES))}  # info 0 ... critical 4

#: The exit code of `amish audit` by its worst finding (info or nothing: 0).
#: Above amish's own codes (1 action error, 2 connection, 3 timeout, 4 bad input).
EXIT_BY_SEVERITY = {"low": 10, "medium": 11, "high": 12, "critical": 13}

EXIT_CODES_HELP = (
    "exit codes: 0 no findings (or info only), 10 worst finding low, 11 medium, 12 high, 13 critical;\n"
    "2 connection/TLS/login failure, 3 timeout, 4 bad input, 74 an output could not be written,\n"
    "129/143 ended by SIGHUP/SIGTERM. Ignored findings (--ignore) do not count."
)

MIN_SECRET_LENGTH = 12
AUTHLIMIT_DEFAULT, AUTHLIMIT_MAX = 50, 20
AUTHTIMEOUT_DEFAULT, AUTHTIMEOUT_MAX = 30, 15
DEFAULT_PORT, DEFAULT_TLS_PORT, DEFAULT_HTTP_PORT, DEFAULT_HTTPS_PORT = 5038, 5039, 8088, 8089

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

_TRUE = {"yes", "true", "y", "t", "1", "on"}
_FALSE = {"no", "false", "n", "f", "0", "off"}


# -- data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    severity: str
    check: str  # e.g. "user.write": what --ignore names
    message: str  # what is wrong, and why it matters
    fix: tuple[str, ...] = ()  # key=value lines to set in `section` of `file`
    file: str | None = None  # "manager.conf", "http.conf", or None (the connection, the server)
    section: str | None = None
    current: str | None = None  # what is set now, e.g. "write=all" or "allowmultiplelogin not set (default yes)"

    @property
    def where(self) -> str:
        if self.file and self.section:
            return f"{self.file} [{self.section}]"
        return self.file or self.section or "connection"

    def to_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "check": self.check,
            "file": self.file,
            "section": self.section,
            "current": self.current,
            "message": self.message,
            "fix": list(self.fix),
        }


@dataclass
class Target:
    """The connection the audit used."""

    host: str
    port: int
    tls: bool = False
    insecure: bool = False
    auth: str = "md5"
    user: str | None = None
    peer: str | None = None  # the address actually connected to (an IP), None if unknown
    md5: bool | None = None  # the MD5 Challenge answered (None: not tried)
    transport: str = "tcp"  # "http": the audit itself went over AMI over HTTP (/rawman)


@dataclass
class Facts:
    """Everything the checks look at; any part may be missing (None)."""

    target: Target | None = None
    manager: object = None  # a config (see normalize), or None when not readable
    http: object = None
    manager_error: str | None = None  # why GetConfig manager.conf failed
    http_error: str | None = None
    commands: set[str] | None = None  # ListCommands, lower-case names
    commands_error: str | None = None
    settings: dict[str, str] | None = None  # CoreSettings
    status: dict[str, str] | None = None  # CoreStatus
    fully_booted: bool | None = None


Section = list[tuple[str, str]]
Config = dict[str, Section]


# -- config helpers -------------------------------------------------------------------


def normalize(config: object) -> Config:
    """Any accepted config shape -> {section: [(key lower-cased, value), ...]}, order kept."""
    if config is None:
        return {}
    out: Config = {}
    items = config.items() if isinstance(config, Mapping) else config
    for name, body in items:  # type: ignore[misc]
        pairs = out.setdefault(str(name), [])
        entries = body.items() if isinstance(body, Mapping) else body
        for key, value in entries:
            values = value if isinstance(value, (list, tuple)) else [value]
            for v in values:
                if v is not None:  # None: not set
                    pairs.append((str(key).strip().lower(), str(v).strip()))
    return out


_CATEGORY = re.compile(r"(?i)^category-(\d+)$")
_TEMPLATE = re.compile(r"(?i)^istemplate-(\d+)$")
_LINE = re.compile(r"(?i)^line-(\d+)-(\d+)$")


def parse_getconfig(message: Message | Iterable[tuple[str | None, str]]) -> Config:
    """A GetConfig response -> a config. Templates are left out (GetConfig shows users with
    what they inherit already filled in); sections of the same name are merged in order."""
    headers = message.headers if isinstance(message, Message) else list(message)
    names: dict[str, str] = {}
    templates: set[str] = set()
    lines: list[tuple[str, int, str, str]] = []
    for key, value in headers:
        if key is None:
            continue
        if m := _CATEGORY.match(key):
            names[m.group(1)] = value.strip()
        elif m := _TEMPLATE.match(key):
            if value.strip() not in ("", "0"):
                templates.add(m.group(1))
        elif m := _LINE.match(key):
            var, sep, val = value.partition("=")
            if sep:
                lines.append((m.group(1), int(m.group(2)), var.strip().lower(), val.strip()))
    out: Config = {}
    for index, name in names.items():
        if index not in templates:
            out.setdefault(name, [])
    for index, _n, key, val in lines:
        if index in templates or index not in names:
            continue
        out[names[index]].append((key, val))
    return out


def _get(section: Section | None, key: str) -> str | None:
    """The value that counts: the last one given (Asterisk applies lines in order)."""
    if not section:
        return None
    value = None
    for k, v in section:
        if k == key:
            value = v
    return value


def _bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    low = value.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    return default


def _int(value: str | None, default: int) -> int:
    try:
        return int(str(value).strip()) if value is not None else default
    except ValueError:
        return default


def _general(config: Config) -> Section:
    for name, section in config.items():
        if name.lower() == "general":
            return section
    return []


def _accounts(config: Config) -> list[tuple[str, Section]]:
    return [(name, section) for name, section in config.items() if name.lower() != "general"]


def split_hostport(text: str) -> tuple[str, int | None]:
    """'0.0.0.0:5039' -> ('0.0.0.0', 5039); '[::]:5038' -> ('::', 5038); '::1' -> ('::1', None)."""
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return host, int(port) if port.isdigit() else None
    try:
        ipaddress.ip_address(text)
        return text, None  # a bare address (an IPv6 one holds colons)
    except ValueError:
        pass
    host, sep, port = text.rpartition(":")
    if sep and port.isdigit() and ":" not in host:
        return host, int(port)
    return text, None


def classify_address(text: str | None) -> str:
    """'any' (0.0.0.0, ::, empty), 'loopback', 'private' (not routed on the internet),
    'public', or 'unknown' (a name or garbage: treated as exposed)."""
    if text is None:
        return "any"
    host, _port = split_hostport(text)
    host = host.strip()
    if host in ("", "*"):
        return "any"
    if host.lower() == "localhost":
        return "loopback"
    try:
        addr = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return "unknown"
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if addr.is_unspecified:
        return "any"
    if addr.is_loopback:
        return "loopback"
    if addr.is_global:
        return "public"
    return "private"


def _ipv6_capable(text: str | None) -> bool:
    if text is None:
        return True  # Asterisk's default bind is [::]: IPv4 and IPv6
    host, _ = split_hostport(text)
    return ":" in host


@dataclass
class _Listener:
    name: str  # "AMI", "AMI over TLS", "HTTP", "HTTPS"
    file: str
    key: str
    address: str | None  # as configured; None: the default (all addresses)
    port: int
    tls: bool

    @property
    def kind(self) -> str:
        return classify_address(self.address)

    @property
    def exposed(self) -> bool:
        return self.kind != "loopback"

    def shown(self) -> str:
        addr = self.address if self.address is not None else "0.0.0.0/:: (default)"
        host, _ = split_hostport(addr)
        return f"{host}:{self.port}" if self.address is not None else f"all addresses (default), port {self.port}"


def _manager_listeners(general: Section) -> list[_Listener]:
    out = []
    bind = _get(general, "bindaddr")
    port = _int(_get(general, "port"), DEFAULT_PORT)
    if bind is not None:
        host, _port = split_hostport(bind)
        bind = host or None
    out.append(_Listener("AMI", "manager.conf", "bindaddr", bind, port, tls=False))
    if _bool(_get(general, "tlsenable"), False):
        tbind = _get(general, "tlsbindaddr")
        if tbind:
            host, tport = split_hostport(tbind)
            out.append(_Listener("AMI over TLS", "manager.conf", "tlsbindaddr", host or None, tport or DEFAULT_TLS_PORT, tls=True))
        else:
            out.append(_Listener("AMI over TLS", "manager.conf", "tlsbindaddr", bind, DEFAULT_TLS_PORT, tls=True))
    return out


def _http_listeners(http: Section) -> list[_Listener]:
    """What http.conf serves; empty when the HTTP server is off (enabled=no, or no bindaddr)."""
    if not _bool(_get(http, "enabled"), False):
        return []
    bind = _get(http, "bindaddr")
    if not bind:
        return []  # Asterisk does not start the HTTP server without a bindaddr
    host, _ = split_hostport(bind)
    out = [_Listener("HTTP", "http.conf", "bindaddr", host, _int(_get(http, "bindport"), DEFAULT_HTTP_PORT), tls=False)]
    if _bool(_get(http, "tlsenable"), False):
        tbind = _get(http, "tlsbindaddr")
        thost, tport = split_hostport(tbind) if tbind else (host, None)
        out.append(_Listener("HTTPS", "http.conf", "tlsbindaddr", thost or host, tport or DEFAULT_HTTPS_PORT, tls=True))
    return out


# -- ACLs --------------------------------------------------------------------------------


class _BadACL(ValueError):
    pass


def _acl_rules(section: Section) -> tuple[list[tuple[bool, object, bool]], list[str]]:
    """deny/permit lines in order -> [(allow, network, negated)], and named acl= entries."""
    rules: list[tuple[bool, object, bool]] = []
    named: list[str] = []
    for key, value in section:
        if key == "acl":
            named.extend(v.strip() for v in value.split(",") if v.strip())
            continue
        if key not in ("permit", "deny"):
            continue
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            negated = part.startswith("!")
            part = part.lstrip("!").strip()
            try:
                net = ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise _BadACL(f"{key}={value}") from None
            rules.append((key == "permit", net, negated))
    return rules, named


def _acl_allows(rules: Sequence[tuple[bool, object, bool]], address: str) -> bool:
    """Asterisk's ast_apply_ha: allowed unless a rule says otherwise; the last matching rule wins."""
    addr = ipaddress.ip_address(address)
    allowed = True
    for allow, net, negated in rules:
        if net.version != addr.version:  # type: ignore[attr-defined]
            continue
        match = addr in net  # type: ignore[operator]
        if match != negated:
            allowed = allow
    return allowed


# -- the checks ---------------------------------------------------------------------------


def _worse(a: str, b: str) -> str:
    return a if _RANK[a] >= _RANK[b] else b


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
    general = _general(cfg)
    out: list[Finding] = []
    M = "manager.conf"

    listeners = _manager_listeners(general)
    plain = listeners[0]
    tls_enabled = len(listeners) > 1
    webenabled = _bool(_get(general, "webenabled"), False)
    http_listeners = _http_listeners(_general(http_cfg)) if (webenabled and http_cfg is not None) else []
    exposed_listeners = [l for l in listeners + http_listeners if l.exposed]
    exposed = bool(exposed_listeners) or (webenabled and not http_readable)
    ipv6 = any(_ipv6_capable(l.address) for l in exposed_listeners)

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
                               "port=5038" if _get(general, "port") is not None else "port not set (default 5038)"))

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
    amlogin = _bool(_get(general, "allowmultiplelogin"), True)
    if amlogin:
        raw = _get(general, "allowmultiplelogin")
        out.append(Finding("low", "ami.allowmultiplelogin",
                           "One account may be logged in many times at once, so a stolen secret can be used "
                           "alongside the real client without anyone noticing. (A manager reload applies a [general] "
                           "change only to accounts it creates: restart Asterisk, or set it in each account.)",
                           ("allowmultiplelogin=no",), M, "general",
                           f"allowmultiplelogin={raw}" if raw is not None else "allowmultiplelogin not set (default yes)"))
    displayconnects = _bool(_get(general, "displayconnects"), True)
    if not displayconnects:
        out.append(Finding("low", "ami.displayconnects",
                           "Logins and logoffs are not logged: a break-in leaves no trace in the Asterisk log.",
                           ("displayconnects=yes",), M, "general", f"displayconnects={_get(general, 'displayconnects')}"))
    authlimit = _int(_get(general, "authlimit"), AUTHLIMIT_DEFAULT)
    if authlimit > AUTHLIMIT_MAX:
        raw = _get(general, "authlimit")
        out.append(Finding("low" if exposed else "info", "ami.authlimit",
                           f"Up to {authlimit} connections may wait unauthenticated at once: room for password "
                           f"guessing and for tying up sessions." + ("" if exposed else " (AMI is on loopback only.)"),
                           ("authlimit=10",), M, "general",
                           f"authlimit={raw}" if raw is not None else f"authlimit not set (default {AUTHLIMIT_DEFAULT})"))
    authtimeout = _int(_get(general, "authtimeout"), AUTHTIMEOUT_DEFAULT)
    if authtimeout > AUTHTIMEOUT_MAX:
        raw = _get(general, "authtimeout")
        out.append(Finding("low" if exposed else "info", "ami.authtimeout",
                           f"A connection may stay {authtimeout} s without logging in: each holds one of the "
                           "authlimit places." + ("" if exposed else " (AMI is on loopback only.)"),
                           ("authtimeout=10",), M, "general",
                           f"authtimeout={raw}" if raw is not None else f"authtimeout not set (default {AUTHTIMEOUT_DEFAULT} s)"))

    # -- accounts
    for name, section in _accounts(cfg):
        out.extend(_check_account(name, section, exposed=exposed, ipv6=ipv6,
                                  general_multi=amlogin, general_display=displayconnects))
    return out


def _check_account(name: str, section: Section, *, exposed: bool, ipv6: bool,
                   general_multi: bool, general_display: bool) -> list[Finding]:
    out: list[Finding] = []
    M = "manager.conf"

    # the secret: never copied, never measured in a finding
    secret = _get(section, "secret")
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
    write = _get(section, "write")
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

    read = _get(section, "read")
    if read and "all" in [c.strip().lower() for c in read.split(",")]:
        out.append(Finding("low", "user.read",
                           "read=all: every event class, security events and dialplan variables (VarSet) included. "
                           "List only the classes the client uses.",
                           ("read=<only the classes the client uses, e.g. call,reporting>",), M, name, f"read={read}"))

    # who may log in with it
    try:
        rules, named = _acl_rules(section)
    except _BadACL as e:
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
            open_to = [p for p in probes if _acl_allows(rules, p)]
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

    multi = _get(section, "allowmultiplelogin")
    if multi is not None and _bool(multi, True) and not general_multi:
        out.append(Finding("low", "user.allowmultiplelogin",
                           "This account may be logged in many times at once (overrides [general]).",
                           ("allowmultiplelogin=no",), M, name, f"allowmultiplelogin={multi}"))
    display = _get(section, "displayconnects")
    if display is not None and not _bool(display, True) and general_display:
        out.append(Finding("low", "user.displayconnects",
                           "This account's logins are not logged (overrides [general]).",
                           ("displayconnects=yes",), M, name, f"displayconnects={display}"))
    return out


def _classify_host(host: str | None) -> str:
    if host is None:
        return "unknown"
    kind = classify_address(host)
    return "public" if kind == "any" else kind


def check_connection(target: Target, *, config_checked: bool = False) -> list[Finding]:
    """Findings about the connection the audit itself used."""
    out: list[Finding] = []
    kind = _classify_host(target.peer or target.host)
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


def audit(facts: Facts) -> list[Finding]:
    """Every finding, most severe first."""
    out: list[Finding] = []
    user = facts.target.user if facts.target else None
    if facts.manager is not None:
        out.extend(check_manager(facts.manager, facts.http, http_readable=facts.http is not None))
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
        and any(name == user for name, _ in _accounts(normalize(facts.manager)))
    )
    if facts.commands is not None and not user_in_config:
        out.extend(check_commands(facts.commands, user))
    elif facts.commands is None and not user_in_config:
        out.append(Finding("info", "login.privileges",
                           f"ListCommands failed{f' ({facts.commands_error})' if facts.commands_error else ''}: "
                           "what this account may run was not checked.", (), "manager.conf", user, None))
    out.extend(check_server(facts.settings))
    return sort_findings(out)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: -_RANK[f.severity])


def worst(findings: Iterable[Finding]) -> str | None:
    best = None
    for f in findings:
        if best is None or _RANK[f.severity] > _RANK[best]:
            best = f.severity
    return best


def exit_code(findings: Iterable[Finding]) -> int:
    """0 for nothing or info only; else EXIT_BY_SEVERITY of the worst."""
    w = worst(findings)
    return EXIT_BY_SEVERITY.get(w or "info", EXIT_OK)


def parse_ignores(values: Iterable[str]) -> list[tuple[str, str | None]]:
    """--ignore CHECK[:SECTION] (globs allowed) -> [(check, section or None)]."""
    out = []
    for value in values:
        check, sep, section = value.partition(":")
        check = check.strip()
        if not check or (sep and not section.strip()):
            raise InputError(f"--ignore takes CHECK or CHECK:SECTION (e.g. user.write:admin), not {value!r}")
        out.append((check, section.strip() if sep else None))
    return out


def split_ignored(findings: Iterable[Finding], ignores: Sequence[tuple[str, str | None]]) -> tuple[list[Finding], list[Finding]]:
    kept, ignored = [], []
    for f in findings:
        hit = any(
            fnmatch.fnmatchcase(f.check, check) and (section is None or (f.section is not None and fnmatch.fnmatchcase(f.section, section)))
            for check, section in ignores
        )
        (ignored if hit else kept).append(f)
    return kept, ignored


# -- asking the server -----------------------------------------------------------------


def _error_text(result) -> str:
    msg = result.response.get("Message") if result.response is not None else None
    return msg or "no response"


def _getconfig(conn, filename: str, timeout: float) -> tuple[Config | None, str | None]:
    result = conn.send([("Action", "GetConfig"), ("Filename", filename)], timeout=timeout)
    if not result.ok:
        return None, _error_text(result)
    return parse_getconfig(result.response), None


def gather(conn: "Transport", *, host: str, port: int, tls: bool = False, insecure: bool = False, auth: str = "md5",
           user: str | None = None, timeout: float = 10.0, booted_wait: float = 0.5) -> Facts:
    """Ask the server everything the checks use. Refusals are facts, not errors."""
    facts = Facts()
    sub = conn.subscribe(maxlen=1000)  # FullyBooted came with the login (system events)
    try:
        facts.manager, facts.manager_error = _getconfig(conn, "manager.conf", timeout)
        if facts.manager is not None:
            facts.http, facts.http_error = _getconfig(conn, "http.conf", timeout)
        else:
            facts.http_error = facts.manager_error
        result = conn.send([("Action", "ListCommands")], timeout=timeout)
        if result.ok:
            skip = {"response", "actionid", "message"}
            facts.commands = {k.lower() for k, _v in result.response.headers if k and k.lower() not in skip}
        else:
            facts.commands_error = _error_text(result)
        for action, attr in (("CoreSettings", "settings"), ("CoreStatus", "status")):
            result = conn.send([("Action", action)], timeout=timeout)
            if result.ok:
                setattr(facts, attr, {k: v for k, v in result.response.headers if k and k.lower() not in ("response", "actionid")})
        result = conn.send([("Action", "Challenge"), ("AuthType", "MD5")], timeout=timeout)
        md5 = result.ok and bool(result.response.get("Challenge"))
        facts.target = Target(host=host, port=port, tls=tls, insecure=insecure, auth=auth, user=user,
                              peer=conn.peer_ip, md5=md5, transport="http" if conn.kind == "http" else "tcp")
        items = sub.drain()
        if not any(isinstance(i, Message) and i.is_event("FullyBooted") for i in items):
            item = sub.get(timeout=booted_wait)
            items = [item] if item is not None else []
        facts.fully_booted = True if any(isinstance(i, Message) and i.is_event("FullyBooted") for i in items) else None
    finally:
        conn.unsubscribe(sub)
    return facts


# -- output ------------------------------------------------------------------------------


def _counts(findings: Sequence[Finding]) -> dict[str, int]:
    return {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}


def report_dict(facts: Facts, findings: Sequence[Finding], ignored: Sequence[Finding] = ()) -> dict[str, object]:
    t = facts.target
    settings = facts.settings or {}
    code = exit_code(findings)
    return {
        "target": None if t is None else {
            "host": t.host, "port": t.port, "peer": t.peer, "peer_kind": _classify_host(t.peer or t.host),
            "tls": t.tls, "transport": t.transport, "verified": (not t.insecure) if t.tls else None, "auth": t.auth, "user": t.user,
            "md5_challenge": t.md5,
        },
        "server": {
            "asterisk_version": settings.get("AsteriskVersion"),
            "ami_version": settings.get("AMIversion"),
            "fully_booted": facts.fully_booted,
        },
        "checked": {
            "manager.conf": facts.manager is not None,
            "http.conf": facts.http is not None,
            "ListCommands": facts.commands is not None,
            "CoreSettings": facts.settings is not None,
        },
        "errors": {k: v for k, v in (("manager.conf", facts.manager_error), ("http.conf", facts.http_error),
                                     ("ListCommands", facts.commands_error)) if v},
        "findings": [f.to_dict() for f in findings],
        "ignored": [f.to_dict() for f in ignored],
        "counts": _counts(findings),
        "worst": worst(findings),
        "exit_code": code,
    }


_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim"}


def render_pretty(facts: Facts, findings: Sequence[Finding], ignored: Sequence[Finding] = (), width: int = 120):
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    t = facts.target
    settings = facts.settings or {}
    head = Text()
    if t is not None:
        kind = _classify_host(t.peer or t.host)
        head.append("amish audit ", style="bold")
        head.append(f"{t.user}@{t.host}:{t.port}")
        plain, secure = ("plain HTTP", "HTTPS") if t.transport == "http" else ("plain TCP", "TLS")
        head.append(f"  {secure + ('' if not t.insecure else ' (unverified)') if t.tls else plain}, {kind} peer")
        if settings.get("AsteriskVersion"):
            head.append(f"; Asterisk {settings['AsteriskVersion']} (AMI {settings.get('AMIversion', '?')})")
    checked = []
    checked.append("manager.conf " + ("read" if facts.manager is not None else f"not readable ({facts.manager_error})"))
    if facts.manager is not None:
        checked.append("http.conf " + ("read" if facts.http is not None else f"not readable ({facts.http_error})"))
    checked.append(f"ListCommands: {len(facts.commands)} actions" if facts.commands is not None else "ListCommands failed")
    if t is not None and t.md5 is not None:
        checked.append("MD5 challenge " + ("available" if t.md5 else "refused"))
    parts: list = [head, Text("checked: " + "; ".join(checked), style="dim")]

    if not findings:
        parts.append(Text("No findings.", style="green"))
    elif width >= 100:
        table = Table(show_lines=True, expand=True, pad_edge=False)
        table.add_column("severity", no_wrap=True)
        table.add_column("where / check", no_wrap=True)
        table.add_column("finding", ratio=3, overflow="fold")
        table.add_column("set", ratio=2, overflow="fold")
        for f in findings:
            where = Text(f.where)
            where.append("\n" + f.check, style="dim")
            what = Text(f.message)
            if f.current:
                what.append("\nnow: " + f.current, style="dim")
            table.add_row(Text(f.severity, style=_STYLE[f.severity]), where, what, Text("\n".join(f.fix)))
        parts.append(table)
    else:  # a narrow screen: one block per finding reads better than a squeezed table
        for f in findings:
            block = Text()
            block.append(f.severity.upper(), style=_STYLE[f.severity])
            block.append(f"  {f.where}  ")
            block.append(f.check, style="dim")
            block.append("\n  " + f.message)
            if f.current:
                block.append("\n  now: " + f.current, style="dim")
            for line in f.fix:
                block.append("\n  set: " + line)
            parts.append(block)
            parts.append(Text(""))
    counts = _counts(findings)
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "none"
    line = Text(f"{len(findings)} finding{'s' if len(findings) != 1 else ''}: {summary}")
    if ignored:
        line.append(f"; {len(ignored)} ignored ({', '.join(sorted({f'{f.check}:{f.section}' if f.section else f.check for f in ignored}))})")
    line.append(f"; exit {exit_code(findings)}")
    parts.append(line)
    if facts.manager is not None:
        parts.append(Text("GetConfig reads the files on disk: edits not yet applied (manager reload) are audited as if live.",
                          style="dim"))
    return Group(*parts)


def _scrub(text: str, secrets: Iterable[str]) -> str:
    """Belt and braces: no secret of the config (or of this login) reaches the output."""
    for s in sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True):
        text = text.replace(s, MASK)
    return text


def _secrets(facts: Facts, own: str | None) -> list[str]:
    out = [own] if own else []
    for cfg in (facts.manager, facts.http):
        for _name, section in normalize(cfg).items():
            out.extend(v for k, v in section if is_secret_name(k))
    return out


def run_audit_command(args, opts: Options) -> int:
    from .runtime.output import is_terminal, terminal_width, write

    ignores = parse_ignores(args.ignore or [])
    with Session(opts, events_default="system") as session:
        conn = session.connect()
        facts = gather(conn, host=session.host, port=session.port, tls=opts.tls, insecure=opts.insecure,
                       auth=opts.auth, user=opts.user, timeout=opts.timeout)
    findings, ignored = split_ignored(audit(facts), ignores)
    secrets = _secrets(facts, session.secret)
    out = sys.stdout
    if args.format == "json":
        text = json.dumps(report_dict(facts, findings, ignored), ensure_ascii=False)
    else:
        from .ui.render import to_ansi, to_plain

        width = min(terminal_width(out), 160)
        renderable = render_pretty(facts, findings, ignored, width)
        text = to_ansi(renderable, width) if is_terminal(out) else to_plain(renderable, width)
    write(out, _scrub(text, secrets) + "\n")
    return exit_code(findings)
