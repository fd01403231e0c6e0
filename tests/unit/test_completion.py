"""Shell completion as a table: text before the cursor -> what is offered."""

from __future__ import annotations

import pytest
from prompt_toolkit.document import Document

from amish.catalogue import Catalogue
from amish.core.protocol import Message
from amish.shell.completion import AmiCompleter, LiveValues, complete_text


@pytest.fixture(scope="module")
def catalogue():
    return Catalogue.bundled()


@pytest.fixture
def live():
    values = LiveValues()
    for msg in [
        Message([("Event", "Newchannel"), ("Channel", "PJSIP/7001-00000001"), ("Context", "phones")]),
        Message([("Event", "Newchannel"), ("Channel", "PJSIP/7002-00000002"), ("Context", "phones")]),
        Message([("Event", "Hangup"), ("Channel", "PJSIP/7002-00000002"), ("Context", "phones")]),
        Message([("Event", "QueueMemberStatus"), ("Queue", "support")]),
    ]:
        values.observe(msg)
    return values


def inserts(catalogue, live, text):
    return [insert for insert, _, _ in complete_text(catalogue, live, text)[1]]


CASES = [
    # action names, case-insensitive prefix first
    ("orig", lambda got: got[0] == "Originate "),
    ("Orig", lambda got: got[0] == "Originate "),
    ("coreshowch", lambda got: "CoreShowChannels " in got),
    # headers: required first, ActionID offered, given ones left out unless repeatable
    ("Originate ", lambda got: got[0] == "Channel="),
    ("Originate Channel=x ", lambda got: "Channel=" not in got and "Exten=" in got),
    ("Originate Channel=x Variable=a=1 ", lambda got: "Variable=" in got),
    ("Originate Ex", lambda got: got[0] == "Exten="),
    # values: enums, booleans, live channels (hung up ones gone), contexts, queues
    ("Events EventMask=", lambda got: got == ["on ", "off "]),
    ("Originate Channel=x Async=", lambda got: "true " in got and "false " in got),
    ("Hangup Channel=", lambda got: got == ["PJSIP/7001-00000001 "]),
    ("Originate Channel=x Context=ph", lambda got: got == ["phones "]),
    ("QueueStatus Queue=", lambda got: got == ["support "]),
    # the telnet form
    ("Action: Orig", lambda got: got == ["Originate"]),
    ("Action: Originate\nCh", lambda got: got[:2] == ["Channel: ", "ChannelId: "]),
    ("Action: Originate\nChannel: x\n", lambda got: "Channel: " not in got and "Context: " in got),
    ("Action: Hangup\nChannel: PJ", lambda got: got == ["PJSIP/7001-00000001"]),
    # local commands and their arguments
    ("/fil", lambda got: got == ["filter", "serverfilter"]),
    ("/help Orig", lambda got: got[0] == "Originate"),
    ("/help Newch", lambda got: "Newchannel" in got),
    ("/filter Newch", lambda got: "Newchannel" in got),
    ("/filter !VarS", lambda got: "VarSet" in got),
    ("/filter Newchannel|Hang", lambda got: "Hangup" in got),
    ("/events sys", lambda got: got == ["system"]),
    # CLI commands, word by word (amish's own short list while the server has not said)
    ("!core show ch", lambda got: got == ["channels "]),
    ("!", lambda got: "core " in got and "pjsip " in got),
    ("!core ", lambda got: "show " in got and "reload " in got),
    # numbered groups: the next one once one is begun; a group's other headers follow it
    ("UpdateConfig SrcFilename=a DstFilename=a Act", lambda got: got == ["ActionID=", "Action-000000="]),
    ("UpdateConfig SrcFilename=a DstFilename=a Action-000000=NewCat Act", lambda got: got == ["ActionID=", "Action-000001="]),
    ("UpdateConfig SrcFilename=a DstFilename=a Action-000000=NewCat Cat-000000=x Action-000001=Append Ca",
     lambda got: got == ["Cat-000001="]),
    ("UpdateConfig SrcFilename=a DstFilename=a Action-000000=NewCat Va", lambda got: got[:2] == ["Var-000000=", "Value-000000="]),
    ("Action: UpdateConfig\nAction-000000: NewCat\nAct", lambda got: got == ["ActionID: ", "Action-000001: "]),
    ("AOCMessage Channel=x UnitAmount(0)=1 UnitAm", lambda got: got == ["UnitAmount(1)="]),
    ("UpdateConfig Action-000003=Del", lambda got: got == ["DelCat ", "Delete "]),  # values of a later group
    ("UpdateConfig Options-000000=", lambda got: got == ["allowdups ", "template "]),
    # config files: common names until the server has listed its own
    ("GetConfig Filename=extens", lambda got: got == ["extensions.conf "]),
    ("Originate Channel=x Exten=", lambda got: got == []),  # no dialplan known, nothing made up
]


@pytest.mark.parametrize("text, check", CASES, ids=[t.replace("\n", "⏎") for t, _ in CASES])
def test_completion(catalogue, live, text, check):
    got = inserts(catalogue, live, text)
    assert check(got), got


def test_required_headers_are_marked(catalogue, live):
    _, choices = complete_text(catalogue, live, "Originate ")
    meta = {display: m for _, display, m in choices}
    assert meta["Channel"] == "required"
    assert meta["Variable"] == "repeatable"


def test_value_with_spaces_is_quoted(catalogue):
    live = LiveValues()
    live.observe(Message([("Event", "Newchannel"), ("Channel", "Local/my phone@x-1;1")]))
    assert inserts(catalogue, live, "Hangup Channel=") == ['"Local/my phone@x-1;1" ']


def test_completer_replaces_the_word_being_typed(catalogue, live):
    completer = AmiCompleter(catalogue, live)
    doc = Document("Originate Channel=x Cont")
    completions = list(completer.get_completions(doc, None))
    assert completions[0].text == "Context="
    assert completions[0].start_position == -len("Cont")


def test_live_values_are_bounded():
    live = LiveValues(limit=10)
    for i in range(100):
        live.observe(Message([("Event", "Newchannel"), ("Channel", f"Local/{i}@x")]))
    assert len(live.channels) == 10
    assert live.for_header("Channel")[0] == "Local/99@x"


def _event(name, **headers):
    from amish.core.protocol import encode_message

    message = Message([("Event", name)] + list(headers.items()))
    return Message.from_raw(encode_message(message))


def test_a_failed_originate_dial_string_is_no_channel(catalogue):
    live = LiveValues()
    live.observe(_event("OriginateResponse", Response="Failure", Channel="Local/999@nocontext",
                        Reason="0", Uniqueid="<unknown>"))
    live.observe(_event("VarSet", Channel="PJSIP/7001-00000003", Uniqueid="1700000000.3", Variable="X"))
    assert live.for_header("Channel") == ["PJSIP/7001-00000003"]


def test_a_channel_that_hung_up_is_not_learned_again(catalogue):
    live = LiveValues()
    live.observe(_event("Newchannel", Channel="PJSIP/7001-00000004", Uniqueid="1700000000.4"))
    live.observe(_event("Hangup", Channel="PJSIP/7001-00000004", Uniqueid="1700000000.4"))
    live.observe(_event("Cdr", Channel="PJSIP/7001-00000004", UniqueID="1700000000.4"))  # after the Hangup

    class Late:  # a CoreShowChannels answer the Hangup overtook
        events = [_event("CoreShowChannel", Channel="PJSIP/7001-00000004", Uniqueid="1700000000.4")]

    live.observe_result(Late())
    assert live.for_header("Channel") == []


def test_under_a_flood_every_hangup_is_still_read():
    live = LiveValues()
    live.observe(_event("Newchannel", Channel="PJSIP/7001-00000005", Uniqueid="1700000000.5"))
    for i in range(LiveValues.OBSERVE_BUDGET + 10):
        live.observe(_event("VarSet", Channel="PJSIP/7001-00000005", Uniqueid="1700000000.5"))
    live.observe(_event("Hangup", Channel="PJSIP/7001-00000005", Uniqueid="1700000000.5"))
    assert live.for_header("Channel") == []


def test_with_a_call_model_live_channels_are_the_model_s_and_only_values_are_learned():
    """The shell's LiveValues: channels come from the call model (which knows the live ones), so an event costs
    no channel bookkeeping here, and a flood's budget has no Hangup to make an exception for."""
    live = LiveValues()
    live.channel_source = lambda: [("PJSIP/7002-00000009", "Bob <7002>")]
    live.observe(_event("Newchannel", Channel="PJSIP/7001-00000006", Uniqueid="1700000000.6", Context="from-phones"))
    assert not live.channels
    assert live.for_header("Channel") == ["PJSIP/7002-00000009"]
    assert live.for_header("Context") == ["from-phones"]
    for i in range(LiveValues.OBSERVE_BUDGET + 10):
        live.observe(_event("Newexten", Channel="PJSIP/7001-00000006", Uniqueid="1700000000.6", Context=f"c{i}"))
    assert f"c{LiveValues.OBSERVE_BUDGET - 2}" in live.for_header("Context")
    assert f"c{LiveValues.OBSERVE_BUDGET + 5}" not in live.for_header("Context")  # over the budget: not read


def test_a_list_result_is_learned_whole_whatever_the_budget():
    live = LiveValues()

    class Listing:
        events = [_event("CoreShowChannel", Channel=f"Local/{i}@x-1;1", Uniqueid=f"17.{i}")
                  for i in range(LiveValues.OBSERVE_BUDGET * 2)]

    live.observe_result(Listing())
    assert len(live.channels) == LiveValues.OBSERVE_BUDGET * 2


def test_actions_this_login_may_not_run_say_so(catalogue):
    cat = Catalogue.bundled()  # a login that may run Ping only (ListCommands lists what it may run)
    cat.merge_list_commands(Message([("Response", "Success"), ("Ping", "Keepalive command.  (Priv: <none>)")]))
    for text, name in (("Origi", "Originate"), ("Action: Origi", "Originate")):
        meta = {display: m for _, display, m in complete_text(cat, LiveValues(), text)[1]}
        assert meta[name] == "not for this login", (text, meta)
    meta = {display: m for _, display, m in complete_text(cat, LiveValues(), "Pin")[1]}
    assert meta["Ping"] == "action"


def test_a_new_channel_of_a_name_that_hung_up_is_learned():
    live = LiveValues()  # a restarted Asterisk numbers its channels from the start again
    live.observe(_event("Newchannel", Channel="PJSIP/7001-00000001", Uniqueid="1700000000.1"))
    live.observe(_event("Hangup", Channel="PJSIP/7001-00000001", Uniqueid="1700000000.1"))
    live.observe(_event("Newchannel", Channel="PJSIP/7001-00000001", Uniqueid="1800000000.1"))
    assert live.for_header("Channel") == ["PJSIP/7001-00000001"]


# -- the classifier, apart from the matchers ---------------------------------------

from amish.shell.completion import ACTION, CLI, HEADER, LOCAL, LOCAL_ARG, NOTHING, VALUE, Suggestion, suggest_type  # noqa: E402

SUGGEST = [
    ("", Suggestion(ACTION, "")),
    ("Orig", Suggestion(ACTION, "Orig")),
    ("Originate ", Suggestion(HEADER, "", action="Originate")),
    ("Originate Channel=x Cont", Suggestion(HEADER, "Cont", action="Originate", given=(("Channel", "x"),))),
    ('Originate Context="a" Exten=1', Suggestion(VALUE, "1", action="Originate", header="Exten", given=(("Context", "a"),))),
    ("Action: Orig", Suggestion(ACTION, "Orig", form="telnet")),
    ("Action: Redirect\nContext: c\nExten: ", Suggestion(VALUE, "", form="telnet", action="Redirect", header="Exten",
                                                     given=(("Action", "Redirect"), ("Context", "c")))),
    ("Action: Redirect\nCon", Suggestion(HEADER, "Con", form="telnet", action="Redirect", given=(("Action", "Redirect"),))),
    ("Channel: x", Suggestion(VALUE, "x", form="telnet", header="Channel")),  # no Action yet: no values known
    ("Chan", Suggestion(ACTION, "Chan")),
    ("/he", Suggestion(LOCAL, "he")),
    ("/help Orig", Suggestion(LOCAL_ARG, "Orig", command="help")),
    ("!", Suggestion(CLI, "", command="")),
    ("!core  show ch", Suggestion(CLI, "ch", command="core show")),
    ("!core show ", Suggestion(CLI, "", command="core show")),
    ("Ping\nmore", Suggestion(NOTHING)),
]


@pytest.mark.parametrize("text, expected", SUGGEST, ids=[t.replace("\n", "⏎") or "empty" for t, _ in SUGGEST])
def test_suggest_type(text, expected):
    assert suggest_type(text) == expected


# -- the server's lists (a stand-in for ServerLookups; its parsing is tested below) ---------

class FakeLookups:
    def __init__(self, known=True):
        self.known = known
        self.asked = []

    def _give(self, what, value):
        self.asked.append(what)
        return value if self.known else None

    def dialplan(self):
        return self._give("dialplan", {
            "amish-test": {"echo": ("1", "2", "3"), "hold": ("1", "2", "3", "start"), "busy": ("1", "2")},
            "other": {"100": ("1",), "echo": ("1", "5")},
        })

    def applications(self):
        return self._give("applications", ("Answer", "Playback", "PlayTones", "ControlPlayback"))

    def config_files(self):
        return self._give("config", ("acl.conf", "extensions.conf", "pjsip.conf"))

    def cli_matches(self, line):
        table = {"": ("core", "database"), "core ": ("show", "reload", "set"), "core show ": ("hints", "channels")}
        return self._give("cli:" + line, table.get(line, ()))


LOOKED_UP = [
    ("Originate Channel=x Context=amish-test Exten=", ["echo ", "hold ", "busy "]),
    ("Originate Channel=x Context=other Exten=", ["100 ", "echo "]),
    ("Originate Channel=x Context=amish-test Exten=hold Priority=", ["1 ", "2 ", "3 ", "start "]),
    ("Originate Channel=x Context=other Exten=echo Priority=", ["1 ", "5 "]),
    ("Redirect Channel=x ExtraContext=other ExtraExten=", ["100 ", "echo "]),
    ("Originate Channel=x Context=oth", ["other "]),
    ("Action: Originate\nContext: amish-test\nExten: ho", ["hold", "echo"]),  # prefix matches first
    ("Originate Channel=x Application=Pla", ["Playback ", "PlayTones ", "ControlPlayback "]),
    ("GetConfig Filename=", ["acl.conf ", "extensions.conf ", "pjsip.conf "]),
    ("UpdateConfig SrcFilename=pj", ["pjsip.conf "]),
    ("!core show h", ["hints "]),
    ("!c", ["core "]),
]


@pytest.mark.parametrize("text, expected", LOOKED_UP, ids=[t.replace("\n", "⏎") for t, _ in LOOKED_UP])
def test_values_from_the_servers_lists(catalogue, text, expected):
    got = [i for i, _, _ in complete_text(catalogue, LiveValues(), text, FakeLookups())[1]]
    assert got == expected


def test_while_the_server_has_not_answered_what_is_known_is_offered(catalogue):
    lookups = FakeLookups(known=False)
    got = [i for i, _, _ in complete_text(catalogue, LiveValues(), "!core show ch", lookups)[1]]
    assert got == ["channels "]  # amish's own list meanwhile
    assert lookups.asked == ["cli:core show "]  # and the server was asked
    got = [i for i, _, _ in complete_text(catalogue, LiveValues(), "GetConfig Filename=extensions", lookups)[1]]
    assert got == ["extensions.conf "]


def test_extensions_without_a_context_say_where_they_are(catalogue):
    _, choices = complete_text(catalogue, LiveValues(), "Originate Channel=x Exten=ec", FakeLookups())
    assert choices == [("echo ", "echo", "amish-test, other")]


# -- ServerLookups: parsing the real formats, fetching in the background ---------------

from amish.shell import lookups as lk  # noqa: E402


def test_parse_dialplan():
    items = [
        Message([("Event", "ListDialplan"), ("Context", "c"), ("Extension", "s"), ("Priority", "2"), ("Application", "Wait")]),
        Message([("Event", "ListDialplan"), ("Context", "c"), ("Extension", "s"), ("ExtensionLabel", "top"), ("Priority", "1")]),
        Message([("Event", "ListDialplan"), ("Context", "c"), ("Extension", "s"), ("Priority", "10")]),
        Message([("Event", "ListDialplan"), ("Context", "c"), ("Extension", "7001"), ("Priority", "hint")]),
        Message([("Event", "ListDialplan"), ("Context", "d"), ("IncludeContext", "c")]),
    ]
    assert lk.parse_dialplan(items) == {"c": {"s": ("1", "2", "10", "top"), "7001": ()}, "d": {}}


def test_parse_cli_matches():
    # what Asterisk 22 answers to _command matchesarray (one Output line)
    assert lk.parse_cli_matches(["show show _EOF_"]) == ("show",)
    assert lk.parse_cli_matches([" application applications calls _EOF_"]) == ("application", "applications", "calls")
    assert lk.parse_cli_matches(["channel channel channels _EOF_"]) == ("channel", "channels")
    assert lk.parse_cli_matches([]) == ()


def test_parse_applications_and_config_list():
    out = ["    -= Registered Asterisk Applications =-", "        AddQueueMember: Dynamically adds queue members. ",
           "              Playback: Play a file. ", "    -= 2 Applications Registered =-"]
    assert lk.parse_applications(out) == ("AddQueueMember", "Playback")
    out = ["core                 /etc/asterisk/acl.conf                            ",
           "res_adsi             /etc/asterisk/adsi.conf   ", "core                 /etc/asterisk/acl.conf"]
    assert lk.parse_config_list(out) == ("acl.conf", "adsi.conf")


class FakePending:
    def __init__(self, response=None, events=()):
        self.response, self.events = response, list(events)
        self.callbacks = []

    @property
    def ok(self):
        return self.response is not None and self.response.get("Response") == "Success"

    def add_done_callback(self, cb):
        self.callbacks.append(cb)

    def finish(self):
        for cb in self.callbacks:
            cb(self)


class FakeConn:
    live = True  # a live server, not a replay (amish.transports.base.Transport)

    def __init__(self):
        self.sent = []

    def submit(self, headers):
        pending = FakePending()
        self.sent.append((list(headers), pending))
        return pending


def test_lookups_never_wait_and_ask_once():
    conn = FakeConn()
    updates = []
    lookups = lk.ServerLookups(lambda: conn, on_update=lambda: updates.append(1))
    assert lookups.dialplan() is None and lookups.dialplan() is None  # not known; asked once
    assert [h for h, _ in conn.sent] == [[("Action", "ShowDialPlan")]]
    pending = conn.sent[0][1]
    pending.response = Message([("Response", "Success")])
    pending.events = [Message([("Event", "ListDialplan"), ("Context", "c"), ("Extension", "1"), ("Priority", "1")])]
    pending.finish()  # the I/O thread's done-callback
    assert lookups.dialplan() == {"c": {"1": ("1",)}} and updates == [1]


def test_lookups_refused_leaves_the_list_empty_and_a_new_connection_asks_again():
    conns = [FakeConn()]
    lookups = lk.ServerLookups(lambda: conns[-1])
    assert lookups.cli_matches("core ") is None
    (headers, pending), = conns[0].sent
    assert headers == [("Action", "Command"), ("Command", '_command matchesarray "core " ""')]
    pending.response = Message([("Response", "Error"), ("Message", "Permission denied")])
    pending.finish()
    assert lookups.cli_matches("core ") == ()
    assert len(conns[0].sent) == 1
    conns.append(FakeConn())  # reconnected
    assert lookups.cli_matches("core ") is None and len(conns[1].sent) == 1
    assert lookups.cli_matches('say "hi') == ()  # nothing sent for a line it cannot quote


def test_lookups_cli_cache_is_bounded(monkeypatch):
    conn = FakeConn()
    lookups = lk.ServerLookups(lambda: conn)
    monkeypatch.setattr(lk.ServerLookups, "MAX_KEYS", 5)
    for i in range(20):
        lookups.cli_matches(f"core {i} ")
    for _, pending in conn.sent:
        pending.response = Message([("Response", "Success"), ("Output", "x _EOF_")])
        pending.finish()
    assert len(lookups._asked) <= 6 and len(lookups._data) <= 6
    assert lookups.cli_matches("core 0 ") is None  # forgotten, so asked again
    assert conn.sent[-1][0][1] == ("Command", '_command matchesarray "core 0 " ""')
