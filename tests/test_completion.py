"""Shell completion as a table: text before the cursor -> what is offered."""

from __future__ import annotations

import pytest
from prompt_toolkit.document import Document

from amish.catalogue import Catalogue
from amish.protocol import Message
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
    # CLI commands
    ("!core show ch", lambda got: "core show channels" in got),
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
    from amish.protocol import encode_message

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
