"""Safety rails as tables: read-only, confirmations, clear-text logins."""

from __future__ import annotations

import pytest

from amish.catalogue import Catalogue
from amish.core.protocol import Message
from amish.core.safety import READ_ONLY_ACTIONS, confirmation_reason, is_loopback, plaintext_login_warning, read_only_refusal


def act(name, **headers):
    return Message([("Action", name), *headers.items()])


def raw_block(*lines):
    """A block as typed in `amish raw` (judged as amish raw judges it)."""
    return Message.from_raw("".join(line + "\r\n" for line in lines).encode())


#: Every action --read-only lets through, reviewed one by one. Changing the list in
#: amish/safety.py, or the bundled catalogue, fails test_every_catalogue_action until
#: this list is changed too: a new reader is a decision, never an accident.
ALLOWED = """
    Agents BridgeInfo BridgeList BridgeTechnologyList Challenge Command ConfbridgeList ConfbridgeListRooms
    CoreSettings CoreShowChannelMap CoreShowChannels CoreStatus DAHDIShowChannels DAHDIShowStatus DBGet DBGetTree
    DeviceStateList Events ExtensionState ExtensionStateList FAXSession FAXSessions FAXStats Filter GetConfig
    GetConfigJSON Getvar IAXnetstats IAXpeerlist IAXpeers IAXregistry ListCategories ListCommands Login Logoff
    MWIGet MailboxCount MailboxStatus MeetmeList MeetmeListRooms ModuleCheck PJSIPShowAors PJSIPShowAuths
    PJSIPShowContacts PJSIPShowEndpoint PJSIPShowEndpoints PJSIPShowMaintenance
    PJSIPShowRegistrationInboundContactStatuses PJSIPShowRegistrationsInbound PJSIPShowRegistrationsOutbound
    PJSIPShowResourceLists PJSIPShowSubscriptionsInbound PJSIPShowSubscriptionsOutbound PRIShowSpans ParkedCalls
    Parkinglots Ping PresenceState PresenceStateList QueueRule QueueStatus QueueSummary ShowDialPlan Status
    VoicemailBoxSummary VoicemailUserStatus VoicemailUsersList WaitEvent
""".split()

CATALOGUE_ACTIONS = [a.name for a in Catalogue.bundled().actions()]


def test_the_list_is_the_reviewed_one_and_every_name_on_it_is_known():
    assert sorted(READ_ONLY_ACTIONS) == sorted(ALLOWED)
    assert set(ALLOWED) <= set(CATALOGUE_ACTIONS)  # no name amish does not know passes


def _example(name):
    """The action with what it needs to be judged as itself (Command: a show command)."""
    return act(name, Command="core show version") if name == "Command" else act(name)


@pytest.mark.parametrize("name", CATALOGUE_ACTIONS)
def test_every_catalogue_action(name):
    got = read_only_refusal(_example(name))
    if name in ALLOWED:
        assert got is None
    else:
        assert got == f"read-only: {name} is not on the list of read-only actions"


#: Verbs that change something. An action named with one (after its module's name:
#: PJSIPUnregister, QueueReset) is never on the list.
WRITE_VERBS = """
    Set Setvar Del Delete Put Update Create Hangup Originate Redirect Reload Load Unload Park Kick Mute Unmute
    Pause Add Remove Reset Send Play Stop Start Register Unregister Rotate Log Lock Unlock Move Forward Refresh
    Destroy Suspend Unsuspend Transfer Expire Populate Stale Notify Withdraw Change Penalty Restart
    Debug Dial Hook Flash Optimize Absolute Agent Message Atxfer Cancel AGI AOC Control Jabber Mix UserEvent DND
""".split()
MODULE_PREFIXES = """
    PJSIP Confbridge Meetme Queue Bridge BridgeTechnology DAHDI PRI MWI Voicemail SorceryMemoryCache MixMonitor
    Core DB Module Dialplan Logger IAX FAX Local Mailbox
""".split()


def _write_verb(name):
    if name == "Bridge":  # the verb alone (BridgeList, BridgeInfo only read)
        return name
    rests = [name] + [name[len(p):] for p in MODULE_PREFIXES if name.startswith(p)]
    for rest in rests:
        for verb in WRITE_VERBS:
            if rest.startswith(verb) and (len(rest) == len(verb) or not rest[len(verb)].islower()):
                return verb
    return None


def test_no_action_named_with_a_write_verb_passes():
    writers = [n for n in CATALOGUE_ACTIONS if _write_verb(n)]
    # the fence is not empty: it catches the actions the old privilege-class rule let through
    assert {"PJSIPUnregister", "PJSIPRegister", "LoggerRotate", "QueueReset", "BridgeKick", "Setvar", "DBPut"} <= set(writers)
    assert [n for n in writers if read_only_refusal(act(n)) is None] == []


@pytest.mark.parametrize("name", ["NotInTheCatalogue", "SIPpeers", "", "Ping2", "Pin g"])
def test_unknown_actions_are_refused(name):
    assert "is not on the list of read-only actions" in read_only_refusal(act(name))


CLI = [
    ("core show channels", True),
    ("core show version", True),
    ("pjsip show endpoints", True),
    ("pjsip list contacts", True),
    ("dialplan show amish-test", True),
    ("database show cf", True),
    ("database get cf 7001", True),
    ("  CORE   Show   Channels  ", True),
    ("core show translation recalc 10", False),  # a show command that re-benchmarks the codecs
    ("core show translation re\"ca\"lc 10", False),  # Asterisk's quotes hide no word
    ("sip show peer 7001 load", False),  # loads a realtime peer into memory
    ("database put cf 7001 1", False),
    ("database del cf 7001", False),
    ("database query \"select 1\"", False),
    ("core set verbose 3", False),
    ("channel originate Local/1@x application Wait 1", False),
    ("originate Local/1@x extension 1@y", False),
    ("channel request hangup all", False),
    ("core restart now", False),
    ("module unload show_thing.so", False),
    ("module reload", False),
    ("dialplan reload", False),
    ("xmldoc dump /tmp/x", False),
    ("core show channels; core stop now", False),
    ("show channels", False),
    ("frobnicate show things", False),  # a module nobody reviewed
    ("core", False),
    ("", False),
]


@pytest.mark.parametrize("command, passes", CLI, ids=[c or "empty" for c, _ in CLI])
def test_cli_commands(command, passes):
    got = read_only_refusal(act("Command", Command=command))
    if passes:
        assert got is None
    else:
        assert got.startswith("read-only: the CLI command") and "is not one that only shows" in got


def test_a_command_without_its_command_is_refused():
    assert "the CLI command" in read_only_refusal(act("Command"))


EXPRESSIONS = [
    ("AMISH_X", None),
    ("CHANNEL(name)", None),
    ("CALLERID(num)", None),
    ("LEN(hello)", None),
    ("IF($[1=1]?a:b)", None),
    ("CDR(duration)", None),
    ("DB(cf/7001)", None),
    ("${LEN(${CHANNEL(name)})}", None),
    ("CURL(http://127.0.0.1:1/,postdata)", "CURL"),
    ("curl(http://127.0.0.1:1/)", "curl"),
    ("SHELL(rm -rf /)", "SHELL"),
    ("DB_DELETE(cf/7001)", "DB_DELETE"),
    ("DB_EXISTS(cf/7001)", "DB_EXISTS"),  # sets DB_RESULT
    ("ODBC_SQL(x)", "ODBC_SQL"),
    ("FILE(/etc/passwd)", "FILE"),
    ("SET(A=1)", "SET"),
    ("EVAL(${CURL(x)})", "EVAL"),
    ("LEN(${CURL(http://x/)})", "CURL"),  # nested
    ("$[${SHELL(id)} + 1]", "SHELL"),
    ("LEN(x) CURL (y)", "CURL"),  # a space before the parenthesis
    ("ENUMLOOKUP(+1555)", "ENUMLOOKUP"),
    ("SPEECH_ENGINE(x)", "SPEECH_ENGINE"),
    ("IMPORT(PJSIP/1-1,CURL(x))", "IMPORT"),  # evaluates on another channel
    ("$[(1+2)*3]", None),  # brackets that only group
    ("CUT(${TOUPPER(curl)}(http://x/),,1)", ""),  # CUT substitutes ${...}: the name is computed
    ("LEN(${X}(y))", ""),
    ("LEN(a\\(b))", ""),
]


@pytest.mark.parametrize("value, function", EXPRESSIONS, ids=[v for v, _ in EXPRESSIONS])
@pytest.mark.parametrize("action, header", [("Getvar", "Variable"), ("Status", "Variables")])
def test_expressions(action, header, value, function):
    got = read_only_refusal(act(action, **{header: value}))
    if function is None:
        assert got is None
    elif function == "":
        assert got == f"read-only: {action}'s {header} calls a function whose name is only known when it is evaluated"
    else:
        assert got == (
            f"read-only: {action}'s {header} calls {function}(), which is not on the list of side-effect-free functions"
        )


def test_status_judges_every_variable_in_its_list():
    assert "calls CURL()" in read_only_refusal(act("Status", Variables="CHANNEL(name),LEN(a),CURL(http://x/)"))


@pytest.mark.parametrize(
    "block, refused",
    [
        (raw_block("Action: Ping"), None),
        (raw_block("action:ping", "ActionID: 1"), None),
        (raw_block("Action: DBPut", "Family: x", "Key: y", "Val: 1"), "DBPut is not on the list"),
        (raw_block("Action: Ping", "Action: DBPut"), "DBPut is not on the list"),  # every Action is judged
        (raw_block("Action: Ping", " action : DBPut"), "DBPut is not on the list"),
        (raw_block("Action: Getvar", "Variable: LEN(a)", "Variable: CURL(http://x/)"), "calls CURL()"),
        (raw_block("Action: Command", "Command: core show channels", "Command: core stop now"), "core stop now"),
        (raw_block("Action: Ping", "Action: Getvar", "Variable: CURL(http://x/)"), "Getvar's Variable calls CURL()"),
        (raw_block("Username: admin"), "no Action header"),
        (raw_block("Action: Ping", "X: " + "a" * 1100), "over Asterisk's 1024"),
    ],
)
def test_raw_blocks(block, refused):
    got = read_only_refusal(block)
    if refused is None:
        assert got is None
    else:
        assert refused in got


CONFIRM = [
    (act("Hangup", Channel="PJSIP/7001-1"), "hangs up a call (PJSIP/7001-1)"),
    (act("Redirect", Channel="PJSIP/7001-1", Exten="1"), "moves a call"),
    (act("UpdateConfig", SrcFilename="a.conf"), "rewrites a configuration file (a.conf)"),
    (act("Reload"), "reloads modules"),
    (act("DBDelTree", Family="cf"), "deletes a family"),
    (act("Command", Command="core restart gracefully"), "runs the CLI command"),
    (act("Command", Command="module reload res_pjsip.so"), "runs the CLI command"),
    (act("Command", Command="core show channels"), None),
    (act("Ping"), None),
    (act("Originate", Channel="x"), None),
    (act("DBGet", Family="cf"), None),
]


@pytest.mark.parametrize("message, reason", CONFIRM, ids=[f"{m.get('Action')} {m.get('Command') or ''}".strip() for m, _ in CONFIRM])
def test_confirmation(message, reason):
    got = confirmation_reason(message)
    if reason is None:
        assert got is None
    else:
        assert got is not None and reason in got


@pytest.mark.parametrize(
    "host, tls, auth, warns",
    [
        ("127.0.0.1", False, "plain", False),
        ("localhost", False, "plain", False),
        ("::1", False, "plain", False),
        ("[::1]", False, "plain", False),
        ("10.0.0.5", False, "plain", True),
        ("pbx.example.com", False, "plain", True),
        ("pbx.example.com", True, "plain", False),
        ("pbx.example.com", False, "md5", False),
    ],
)
def test_plaintext_login_warning(host, tls, auth, warns):
    warning = plaintext_login_warning(host, tls=tls, auth=auth)
    assert (warning is not None) is warns
    if warns:
        assert "--tls" in warning and "--auth md5" in warning


@pytest.mark.parametrize("host, loop", [("127.0.0.5", True), ("localhost", True), ("::1", True), ("192.0.2.1", False), ("example.com", False)])
def test_is_loopback(host, loop):
    assert is_loopback(host) is loop
