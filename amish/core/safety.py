"""Safety rails: what --read-only allows, what needs a confirmation, risky logins.

UI-free and pure: every mode that can send an action (the shell, line mode,
the pipe tool, `amish raw`) asks `read_only_refusal` and says the answer in
its own way. Nothing else decides.

--read-only denies by default. An action passes only when it is on
`READ_ONLY_ACTIONS`, a list reviewed action by action against what Asterisk
does with it (statuses, lists, show, get, ping, the session's own login,
events and filters). The privilege class an action needs is not used: it
says who may run an action, not what the action does (PJSIPUnregister needs
only ``reporting``, BridgeKick nothing at all). An action not on the list,
one amish does not know included, is refused. Two listed actions are judged
further, by what they carry:

- ``Command`` (an Asterisk CLI command): only ``MODULE show ...`` and
  ``MODULE list ...`` for a known module, and none of the words that make a
  show command do something (``core show translation recalc``, ``sip show
  peer X load``).
- ``Getvar``'s ``Variable`` and ``Status``' ``Variables`` are evaluated by
  Asterisk: a name ending in ``)`` calls a dialplan function. Every function
  named anywhere in the value, inside ``${...}`` and ``$[...]`` too, must be
  on `PURE_FUNCTIONS`; CURL, SHELL, ODBC, DB_DELETE, SET, EVAL... are refused,
  and so is a "(" after ``${...}``, whose function is named only when evaluated.

Every header whose name could be read as the one judged is judged (each
``Action`` of a raw block, whatever its case or spacing), and a line over
Asterisk's limit is refused, since Asterisk would cut it and read what
amish did not judge.
"""

from __future__ import annotations

import re

from .protocol import ASTERISK_MAX_LINE, Message

__all__ = [
    "read_only_refusal",
    "confirmation_reason",
    "plaintext_login_warning",
    "is_loopback",
    "READ_ONLY_ACTIONS",
    "PURE_FUNCTIONS",
]


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: The actions --read-only lets through: each one only reads, or only changes
#: this session (Events, Filter, Login). Reviewed one by one; tests/unit/test_safety.py
#: lists them again, so that adding one is a visible decision.
READ_ONLY_ACTIONS = _names("""
    Login Logoff Challenge Ping Events Filter WaitEvent ListCommands
    CoreSettings CoreStatus CoreShowChannels CoreShowChannelMap Status Getvar ModuleCheck Command
    GetConfig GetConfigJSON ListCategories ShowDialPlan
    DBGet DBGetTree
    ExtensionState ExtensionStateList PresenceState PresenceStateList DeviceStateList
    QueueStatus QueueSummary QueueRule Agents
    MailboxCount MailboxStatus MWIGet VoicemailUsersList VoicemailUserStatus VoicemailBoxSummary
    BridgeList BridgeInfo BridgeTechnologyList
    ConfbridgeList ConfbridgeListRooms MeetmeList MeetmeListRooms
    ParkedCalls Parkinglots FAXSessions FAXSession FAXStats
    PJSIPShowEndpoints PJSIPShowEndpoint PJSIPShowContacts PJSIPShowAors PJSIPShowAuths
    PJSIPShowRegistrationsInbound PJSIPShowRegistrationsOutbound PJSIPShowRegistrationInboundContactStatuses
    PJSIPShowResourceLists PJSIPShowSubscriptionsInbound PJSIPShowSubscriptionsOutbound PJSIPShowMaintenance
    IAXpeers IAXpeerlist IAXnetstats IAXregistry
    DAHDIShowChannels DAHDIShowStatus PRIShowSpans
""")
_READ_ONLY_LOWER = frozenset(n.lower() for n in READ_ONLY_ACTIONS)

#: Headers that Asterisk evaluates (a value ending in ")" calls a dialplan function).
_EXPRESSION_HEADERS = {"getvar": ("variable",), "status": ("variables",)}

#: Dialplan functions whose read neither writes anything (not even a channel
#: variable, as DB_EXISTS and QUEUE_VARIABLES do) nor reaches outside Asterisk
#: (CURL, ODBC, ENUMLOOKUP, SHELL...), nor evaluates its argument (EVAL).
PURE_FUNCTIONS = _names("""
    LEN ISNULL EXISTS IF IFTIME CUT FIELDQTY FIELDNUM FILTER LISTFILTER REPLACE STRREPLACE
    TOLOWER TOUPPER REGEX QUOTE CSV_QUOTE SPRINTF STRFTIME STRPTIME PASSTHRU
    BASE64_ENCODE BASE64_DECODE URIENCODE URIDECODE MD5 SHA1 KEYPADHASH MATH MIN MAX ABS
    CHANNEL CHANNELS CALLERID CONNECTEDLINE REDIRECTING CDR GLOBAL SHARED EXCEPTION
    DEVICE_STATE EXTENSION_STATE HINT DIALPLAN_EXISTS VALID_EXTEN VERSION
    GROUP GROUP_COUNT GROUP_MATCH_COUNT GROUP_LIST DB DB_KEYS
    PJSIP_ENDPOINT PJSIP_AOR PJSIP_CONTACT
""")

#: A name right before "(": what Asterisk would call (spaces before "(" too, to be safe).
_CALL = re.compile(r"([A-Za-z0-9_]*)\s*\(")
#: What may stand before a "(" that names no function: a bracket that only groups.
_GROUPING_AFTER = frozenset("(,[?:+-*/%=<>!&|")

#: CLI modules whose "show"/"list" commands were reviewed (MODULE show|list ...).
_CLI_MODULES = _names("""
    core pjsip sip iax2 dialplan database queue agent confbridge meetme voicemail manager module
    logger cdr cel bridge features parking moh http ari stun local indication dundi xmpp fax devstate
    presencestate group acl keys dahdi pri rtp rtcp udptl cc
""")
#: Words that turn a show command into one that does something.
_CLI_ACTING_WORDS = _names("""
    recalc load unload reload set put del deltree delete remove add clear reset write save dump html
    hangup originate request kill stop start restart shutdown
""")
#: Read-only CLI commands that are not MODULE show|list.
_CLI_READERS = (("database", "get"), ("database", "showkey"), ("core", "waitfullybooted"))


def _judged(message: Message, names: tuple[str, ...]) -> list[str]:
    """Every value of every header that Asterisk could take for one of `names` (any case, spaces around)."""
    return [v for k, v in message.headers if k is not None and k.strip().lower() in names]


def read_only_refusal(message: Message) -> str | None:
    """Why --read-only refuses `message` (one line), or None when it only reads."""
    actions = _judged(message, ("action",))
    if not actions:
        return "read-only: no Action header, nothing to judge"
    for name in (a.strip() for a in actions):
        if name.lower() not in _READ_ONLY_LOWER:
            return f"read-only: {name or 'an empty Action'} is not on the list of read-only actions"
    for key, value in message.headers:
        line = len((f"{key}: {value}\r\n" if key is not None else f"{value}\r\n").encode("utf-8", "surrogateescape"))
        if line > ASTERISK_MAX_LINE:
            return f"read-only: a {line}-byte line, over Asterisk's {ASTERISK_MAX_LINE}: it would be cut unjudged"
    for name in dict.fromkeys(a.strip() for a in actions):  # each Action as if it were the one Asterisk reads
        low = name.lower()
        if low == "command":
            for command in _judged(message, ("command",)) or [""]:
                refusal = _cli_refusal(command)
                if refusal:
                    return refusal
        for header in _EXPRESSION_HEADERS.get(low, ()):
            for value in _judged(message, (header,)):
                refusal = _expression_refusal(value)
                if refusal:
                    return f"read-only: {name}'s {header.capitalize()} {refusal}"
    return None


def _cli_refusal(command: str) -> str | None:
    words = re.sub(r'["\\]', "", command).lower().split()  # as Asterisk reads them: quotes and escapes hide no word
    if (
        (len(words) >= 2 and words[0] in _CLI_MODULES and words[1] in ("show", "list"))
        or tuple(words[:2]) in _CLI_READERS
    ) and not _CLI_ACTING_WORDS.intersection(words):
        return None
    return f"read-only: the CLI command {command.strip()!r} is not one that only shows (MODULE show|list ...)"


def _expression_refusal(value: str) -> str | None:
    """Why evaluating `value` could change something, or None (a plain name, pure functions)."""
    for m in _CALL.finditer(value):
        function = m.group(1)
        if function:
            if function.upper() not in PURE_FUNCTIONS:
                return f"calls {function}(), which is not on the list of side-effect-free functions"
            continue
        before = value[: m.start()].rstrip()
        if before and before[-1] not in _GROUPING_AFTER:  # ${X}(...): a name computed when evaluated
            return "calls a function whose name is only known when it is evaluated"
    return None


#: Actions that hang up, move or break calls, reload, or write config and data.
_DANGEROUS = {
    "hangup": "hangs up a call",
    "pjsiphangup": "hangs up a call",
    "softhangup": "hangs up a call",
    "redirect": "moves a call",
    "blindtransfer": "transfers a call",
    "atxfer": "transfers a call",
    "cancelatxfer": "cancels a transfer",
    "bridge": "bridges two calls",
    "bridgekick": "kicks a channel from a bridge",
    "bridgedestroy": "tears down a bridge",
    "park": "parks a call",
    "updateconfig": "rewrites a configuration file",
    "createconfig": "creates a configuration file",
    "reload": "reloads modules",
    "moduleload": "loads, unloads or reloads a module",
    "dbdel": "deletes from the AstDB",
    "dbdeltree": "deletes a family from the AstDB",
    "queueremove": "removes a queue member",
    "queuereset": "resets queue statistics",
    "confbridgekick": "kicks a conference participant",
    "meetmekick": "kicks a conference participant",
    "voicemailrefresh": "refreshes voicemail state",
    "stopmixmonitor": "stops a recording",
}

_DANGEROUS_CLI = re.compile(
    r"\b(restart|stop|reload|unload|hangup|kill|shutdown|delete|del|deltree|remove|drop|set\s+debug|originate|"
    r"channel\s+request|database\s+put|module\s+load)\b",
    re.I,
)


def confirmation_reason(message: Message) -> str | None:
    """What a risky action does (to ask the user first), or None."""
    name = (message.get("Action") or "").strip().lower()
    if name == "command":
        command = message.get("Command") or ""
        if _DANGEROUS_CLI.search(command):
            return f"runs the CLI command {command!r}"
        return None
    what = _DANGEROUS.get(name)
    if what is None:
        return None
    target = message.get("Channel") or message.get("Filename") or message.get("SrcFilename") or message.get("Module")
    return f"{what}" + (f" ({target})" if target else "")


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    import ipaddress  # ~1.5 ms: only when asked (a plain-text login), not at start-up

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def plaintext_login_warning(host: str, *, tls: bool, auth: str) -> str | None:
    """A warning before sending a secret in clear text to another machine."""
    if tls or auth != "plain" or is_loopback(host):
        return None
    return (
        f"the secret goes to {host} in clear text (--auth plain without TLS): "
        "use --tls, or --auth md5 so only a hash crosses the network"
    )
