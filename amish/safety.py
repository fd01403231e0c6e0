"""Safety rails: what --read-only allows, what needs a confirmation, risky logins.

UI-free and pure: the shell and the pipe tool ask these functions and say
the answer in their own way.

Read-only is decided by the privilege an action needs, as the live server
reports it in ListCommands (``Priv: call,reporting,all``: any one of the
classes suffices). An action is read-only when it can be run with
``reporting`` (the class Asterisk gives to status queries), or when it is one
of the known readers (GetConfig needs ``config``; Ping needs nothing). Needing
no privilege is not enough: BridgeKick and QueueReset need none. ``Command`` is read-only only for CLI commands that show
or list. When the server has not said (ListCommands not run or not allowed),
only the built-in list of known readers passes.
"""

from __future__ import annotations

import re

from .protocol import Message

__all__ = [
    "read_only_refusal",
    "confirmation_reason",
    "plaintext_login_warning",
    "is_loopback",
    "KNOWN_READERS",
]

#: Actions that only read state, whatever class they need.
KNOWN_READERS = frozenset(
    name.lower()
    for name in """
    Ping Challenge Login Logoff ListCommands Events Filter WaitEvent
    CoreShowChannels CoreShowChannelMap CoreStatus CoreSettings Status Getvar
    GetConfig GetConfigJSON ListCategories ShowDialPlan
    DBGet DBGetTree ExtensionState ExtensionStateList PresenceState PresenceStateList DeviceStateList
    QueueStatus QueueSummary QueueRule Agents MailboxCount MailboxStatus VoicemailUsersList
    VoicemailUserStatus VoicemailBoxSummary
    BridgeList BridgeInfo BridgeTechnologyList ConfbridgeList ConfbridgeListRooms ConfbridgeGetRecordingFile
    MeetmeList MeetmeListRooms ParkedCalls Parkinglots FAXSessions FAXSession FAXStats
    PJSIPShowEndpoints PJSIPShowEndpoint PJSIPShowContacts PJSIPShowAors PJSIPShowAuths
    PJSIPShowRegistrationsInbound PJSIPShowRegistrationsOutbound PJSIPShowRegistrationInboundContactStatuses
    PJSIPShowResourceLists PJSIPShowSubscriptionsInbound PJSIPShowSubscriptionsOutbound PJSIPQualify
    IAXpeers IAXpeerlist IAXnetstats IAXregistry SIPpeers SIPshowpeer SIPshowregistry SIPpeerstatus
    DAHDIShowChannels DAHDIShowStatus PRIShowSpans ModuleCheck LoggerRotate
    """.split()
) - {"loggerrotate"}

#: Actions runnable with "reporting" that still change something.
_REPORTING_WRITERS = frozenset({"loggerrotate"})

#: CLI commands (Action: Command) that only show things.
_READ_CLI = re.compile(r"^\s*(?:\S+\s+)?(?:show|list)\b|^\s*(?:core\s+)?(?:ping|waitfullybooted)\b", re.I)

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


def _classes(privilege: str) -> set[str]:
    return {c.strip().lower() for c in privilege.split(",") if c.strip()}


def read_only_refusal(message: Message, catalogue=None) -> str | None:
    """Why --read-only refuses `message`, or None when it only reads."""
    name = (message.get("Action") or "").strip()
    low = name.lower()
    if low == "command":
        command = message.get("Command") or ""
        if _READ_CLI.search(command) and not _DANGEROUS_CLI.search(command):
            return None
        return f"read-only: the CLI command {command!r} is not one that only shows (show/list)"
    if low in KNOWN_READERS:
        return None
    spec = catalogue.action(name) if catalogue is not None else None
    privilege = getattr(spec, "privilege", "") if spec is not None else ""
    if spec is not None and spec.available is not None:  # the live server said what it needs
        classes = _classes(privilege)
        if "reporting" in classes and low not in _REPORTING_WRITERS:
            return None
        if not classes - {"all"}:
            # no privilege needed is not the same as harmless (BridgeKick, QueueReset...)
            return f"read-only: {name} is not a known read-only action"
        needs = ",".join(sorted(classes - {"all"}))
        return f"read-only: {name} changes state (it needs the {needs} privilege)"
    return f"read-only: {name} is not a known read-only action"


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
