"""The call-state tracker (amish.core.calls) as tables.

The first table replays real calls captured from the sandbox Asterisk
(tests/data/calls/*.ami, made by tests/support/callscenarios.py) and says, for each,
the call it must make. The rest are made-up sequences for what real Asterisk does not
do on demand: events out of order, unknown ones, a reconnect, the limits.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from amish.calls import messages_from_file
from amish.core.calls import CallTracker, cause_name
from amish.core.protocol import Message

DATA = Path(__file__).resolve().parent.parent / "data" / "calls"


def track(name: str, **kw) -> CallTracker:
    tracker = CallTracker(**kw)
    for t, msg in messages_from_file(DATA / f"{name}.ami"):
        tracker.feed(msg, t)
    return tracker


# name: (from, to, caller-dial statuses, cause, cause name, answered, transfers [(kind, to)], recorded, channels)
CAPTURED = {
    "answered": ("100", "200", ["ANSWER"], 16, "NORMAL_CLEARING", True, [], False, 4),
    "noanswer": ("100", "201", ["NOANSWER"], 19, "NO_ANSWER", False, [], False, 4),
    "busy": ("100", "202", ["BUSY"], 17, "USER_BUSY", False, [], False, 4),
    "congestion": ("100", "203", ["CONGESTION"], 34, "NORMAL_CIRCUIT_CONGESTION", False, [], False, 4),
    "caller-cancel": ("100", "204", ["CANCEL"], 16, "NORMAL_CLEARING", False, [], False, 4),
    "blind-transfer": ("100", "210", ["ANSWER"], 16, "NORMAL_CLEARING", True, [("blind", "230@amish-calls")], False, 4),
    "redirect": ("100", "210", ["ANSWER"], 16, "NORMAL_CLEARING", True, [("redirect", "230@amish-calls")], False, 4),
    "attended-transfer": ("100", "210", ["ANSWER", "ANSWER"], 16, "NORMAL_CLEARING", True,
                          [("attended", "Local/231@amish-calls-00000006;1")], False, 8),  # fmt: skip
    "mixmonitor": ("100", "210", ["ANSWER"], 16, "NORMAL_CLEARING", True, [], True, 4),
    # the Local chain 220 -> 221 optimises itself away (a swap): Asterisk says Success: No, yet it
    # worked (Local/211;1 moved into the caller's bridge, both 221 halves hung up)
    "local-optimization": ("100", "220", ["ANSWER", "ANSWER"], 16, "NORMAL_CLEARING", True,
                           [("local-optimization", "Local/221@amish-calls-00000001;2")], False, 6),  # fmt: skip
    # real SIP phones (PJSIP endpoints played by SIPp): two legs, what phones send
    "sip-answered": ("101", "bob", ["ANSWER"], 16, "NORMAL_CLEARING", True, [], False, 2),
    "sip-callee-hangs-up": ("101", "bob", ["ANSWER"], 16, "NORMAL_CLEARING", True, [], False, 2),
    "sip-noanswer": ("101", "timeout-bob", ["NOANSWER"], 19, "NO_ANSWER", False, [], False, 2),
    "sip-busy": ("101", "bob", ["BUSY"], 17, "USER_BUSY", False, [], False, 2),
    "sip-hold": ("101", "bob", ["ANSWER"], 16, "NORMAL_CLEARING", True, [], False, 2),
    "sip-blind-transfer": ("101", "bob", ["ANSWER"], 16, "NORMAL_CLEARING", True, [("blind", "230@amish-calls")],
                           False, 2),  # fmt: skip
    # bob consults carol (a Local channel dials her), hangs up: the two bridges merge
    "sip-attended-transfer": ("101", "bob", ["ANSWER", "ANSWER"], 16, "NORMAL_CLEARING", True,
                              [("attended", "0423169e-c28d-4200-85ca-24a486a03b34")], False, 5),  # fmt: skip
    "sip-mixmonitor": ("101", "bob", ["ANSWER"], 16, "NORMAL_CLEARING", True, [], True, 2),
}


@pytest.mark.parametrize("name", sorted(CAPTURED))
def test_a_captured_call_makes_the_expected_call(name):
    frm, to, statuses, cause, cause_text, answered, transfers, recorded, nchannels = CAPTURED[name]
    tracker = track(name)
    assert tracker.calls == {}, "every channel hung up: nothing is left in progress"
    assert tracker.channels == {} and tracker.bridges == {}
    assert len(tracker.ended) == 1
    call = tracker.ended[0]
    js = call.as_json()
    assert (js["from"], js["to"]) == (frm, to)
    assert [d.status for d in call.dials if d.caller] == statuses
    assert (js["cause"], js["cause_text"]) == (cause, cause_text)
    assert (js["answer"] is not None) == answered
    assert [(t["kind"], t["to"]) for t in js["transfers"]] == transfers
    assert js["recorded"] is recorded
    assert len(js["channels"]) == nchannels
    assert js["start"] <= js["end"]
    assert js["duration"] >= js["billsec"] >= 0
    if not answered:
        assert js["billsec"] == 0
    assert not js["vanished"]
    assert tracker.ignored == 0


def test_an_answered_call_has_its_times_from_the_events():
    call = track("answered").ended[0]
    # the callee rings 0.3 s, then talks 1 s (sandbox/etc/extensions.conf, exten 200)
    assert 0.25 <= call.answer - call.start <= 1.0
    assert 0.9 <= call.billsec <= 1.6
    assert call.legs[next(iter(call.legs))].cause_q850 == "NORMAL_CLEARING"


def test_a_blind_transfer_is_one_transfer_not_a_redirect_too():
    call = track("blind-transfer").ended[0]
    assert [t.kind for t in call.transfers] == ["blind"]
    assert call.transfers[0].by.startswith("Local/210@amish-phones-")


def test_a_blind_transfer_between_sip_phones_is_one_transfer_not_a_redirect_too():
    # with real SIP channels Asterisk sends BlindTransfer *before* the transferee's Newexten
    call = track("sip-blind-transfer").ended[0]
    assert [(t.kind, t.by.split("-")[0]) for t in call.transfers] == [("blind", "PJSIP/bob")]


@pytest.mark.parametrize("name, first", [("sip-answered", "PJSIP/alice-"), ("sip-callee-hangs-up", "PJSIP/bob-")])
def test_who_hung_up_a_sip_call_first(name, first):
    # both legs end in the same instant: the phone's BYE (HangupRequest) says who it was
    call = track(name).ended[0]
    assert call.hangup_by.startswith(first) and call.as_json()["hangup_by"] == call.hangup_by


def test_a_sip_phone_holding_by_re_invite_is_hold_then_unhold():
    # uac-hold.xml: re-INVITE a=sendonly, a=sendrecv, a=inactive, a=sendrecv (what real phones send)
    call = track("sip-hold").ended[0]
    assert [(name.split("-")[0], held) for _t, name, held in call.holds] == [
        ("PJSIP/alice", True), ("PJSIP/alice", False), ("PJSIP/alice", True), ("PJSIP/alice", False)]
    assert not any(ch.on_hold for ch in call.legs.values())


def test_seen_on_hold_while_held():
    tracker, states = CallTracker(), []
    for t, msg in messages_from_file(DATA / "sip-hold.ami"):
        tracker.feed(msg, t)
        for call in tracker.calls.values():
            if not states or states[-1] != call.state:
                states.append(call.state)
    assert "on hold" in states and states[states.index("on hold") + 1] == "up"


def test_a_local_optimization_is_judged_by_what_moved_not_by_its_success_header():
    # Asterisk reports a swap that worked as Success: No (main/bridge.c, try_swap_optimize_out);
    # one whose move failed as Success: Yes. What tells them apart: the Source channel's bridge.
    def run(moved: bool, success: str) -> list:
        tracker = CallTracker()
        for uid, name, lid in (("1", "PJSIP/a-1", "1"), ("2", "Local/x@c-1;1", "1"), ("3", "Local/x@c-1;2", "1"),
                               ("4", "PJSIP/b-1", "1")):  # fmt: skip
            tracker.feed(ev("Newchannel", **chan(uid, name, lid, state=6)), 1.0)
        for uid, bridge in (("1", "A"), ("2", "A"), ("3", "B"), ("4", "B")):
            tracker.feed(ev("BridgeEnter", BridgeUniqueid=bridge, **chan(uid, "", "1", state=6)), 2.0)
        tracker.feed(ev("LocalOptimizationBegin", Id="7", LocalOneUniqueid="2", LocalTwoUniqueid="3",
                        SourceUniqueid="4", SourceChannel="PJSIP/b-1"), 3.0)  # fmt: skip
        if moved:
            tracker.feed(ev("BridgeLeave", BridgeUniqueid="B", **chan("4", "PJSIP/b-1", "1", state=6)), 3.0)
            tracker.feed(ev("BridgeEnter", BridgeUniqueid="A", **chan("4", "PJSIP/b-1", "1", state=6)), 3.0)
        tracker.feed(ev("LocalOptimizationEnd", Id="7", Success=success, LocalOneUniqueid="2",
                        LocalOneChannel="Local/x@c-1;1", LocalTwoUniqueid="3", LocalTwoChannel="Local/x@c-1;2"), 3.0)  # fmt: skip
        return [t.kind for t in tracker.calls["1"].transfers]

    assert run(moved=True, success="No") == ["local-optimization"]
    assert run(moved=False, success="Yes") == []
    # no Begin seen (amish joined in between), or a merge (no Source): the header is all there is
    tracker = CallTracker()
    tracker.feed(ev("Newchannel", **chan("2", "Local/x@c-1;1", "1")), 1.0)
    tracker.feed(ev("LocalOptimizationEnd", Id="9", Success="Yes", LocalOneUniqueid="2"), 2.0)
    assert [t.kind for t in tracker.calls["1"].transfers] == ["local-optimization"]


def test_channels_keep_where_they_were_and_their_bridge_while_live():
    tracker = CallTracker()
    seen_bridged = []
    for t, msg in messages_from_file(DATA / "answered.ami"):
        tracker.feed(msg, t)
        for ch in tracker.channels.values():
            if ch.bridge and ch.name not in seen_bridged:
                seen_bridged.append(ch.name)
    assert len(seen_bridged) == 2  # the two ;1 halves that met in the bridge


def test_every_event_of_a_call_is_kept_for_a_filter_and_a_timeline():
    call = track("busy").ended[0]
    names = [m.get("Event") for m in call.events]
    assert "DialBegin" in names and "Hangup" in names
    assert len(track("busy", keep_events=0).ended[0].events) == 0


# -- made-up sequences --------------------------------------------------------------------


def ev(name: str, **headers) -> Message:
    return Message([("Event", name)] + [(k.replace("_", "-"), str(v)) for k, v in headers.items()])


def chan(uid: str, name: str, lid: str | None = None, state: int = 4, **more) -> dict:
    return dict(Channel=name, Uniqueid=uid, Linkedid=lid or uid, ChannelState=state, **more)


def test_a_failed_originate_is_not_a_channel():
    tracker = CallTracker()
    changed = tracker.feed(ev("OriginateResponse", Response="Failure", Channel="PJSIP/nobody", Uniqueid="<null>",
                              Reason="0"))  # fmt: skip
    assert not changed and tracker.channels == {} and tracker.calls == {}


@pytest.mark.parametrize(
    "msg",
    [
        ev("Hangup", Uniqueid="9.9", Cause="16"),  # no channel name: nothing to adopt
        ev("DialEnd", DestUniqueid="nope", DialStatus="ANSWER"),
        ev("BridgeLeave", BridgeUniqueid="b", Uniqueid="nope"),
        ev("Rename", Uniqueid="nope", Newname="X"),
        ev("Hold", Uniqueid="nope"),
        ev("BlindTransfer", TransfererUniqueid="x", Extension="1"),
        ev("LocalOptimizationEnd", Success="Yes"),
        ev("BridgeDestroy", BridgeUniqueid="never-made"),
        ev("Newstate", Uniqueid="", Channel="X", ChannelState="zz"),
        ev("SomethingNew", Uniqueid="1.1", Channel="X/1"),
        Message([("Response", "Success")]),
        Message([]),
    ],
)
def test_out_of_order_or_unknown_events_never_crash_nor_invent(msg):
    tracker = CallTracker()
    tracker.feed(msg, 100.0)
    assert tracker.channels == {} and tracker.calls == {} and tracker.ended == []


def test_a_late_event_never_brings_a_hung_up_channel_back():
    tracker = CallTracker()
    tracker.feed(ev("Newchannel", **chan("1.1", "PJSIP/a-1")), 10.0)
    tracker.feed(ev("Hangup", Cause="16", **chan("1.1", "PJSIP/a-1")), 12.0)
    tracker.feed(ev("Newstate", **chan("1.1", "PJSIP/a-1", state=6)), 13.0)
    assert tracker.channels == {} and tracker.calls == {}
    assert len(tracker.ended) == 1 and tracker.ended[0].duration == 2.0


def test_the_hung_up_channels_remembered_are_the_newest_and_bounded():
    """A late event of any of the last _DEAD_MEMORY channels to hang up brings none back, whatever came since;
    the memory of them stays bounded on a PBX that never stops (every 5,000 ends the oldest go)."""
    from amish.core import calls

    tracker = CallTracker(max_ended=10, keep_events=0)
    n = calls._DEAD_MEMORY * 2 + 123
    for i in range(n):
        uid = f"1.{i}"
        tracker.feed(ev("Newchannel", **chan(uid, f"PJSIP/a-{i}")), float(i))
        tracker.feed(ev("Hangup", Cause="16", **chan(uid, f"PJSIP/a-{i}")), float(i) + 0.5)
        assert len(tracker._dead) <= calls._DEAD_MEMORY * 5 // 4
    oldest_kept = n - calls._DEAD_MEMORY
    for i in (n - 1, oldest_kept):  # late: the newest, and the oldest that must still be known
        tracker.feed(ev("Newstate", **chan(f"1.{i}", f"PJSIP/a-{i}", state=6)), float(n))
    assert tracker.channels == {}


def test_rename_follows_the_channel_and_its_name_lookup():
    tracker = CallTracker()
    tracker.feed(ev("Newchannel", **chan("1.1", "PJSIP/a-1")), 1.0)
    tracker.feed(ev("Rename", Channel="PJSIP/a-1", Newname="PJSIP/a-1<ZOMBIE>", Uniqueid="1.1"), 2.0)
    ch = tracker.channels["1.1"]
    assert ch.name == "PJSIP/a-1<ZOMBIE>" and ch.names == ("PJSIP/a-1", "PJSIP/a-1<ZOMBIE>")
    assert tracker.channel_named("PJSIP/a-1<ZOMBIE>") is ch and tracker.channel_named("PJSIP/a-1") is None


def test_hold_and_recording_state_and_the_call_state():
    tracker = CallTracker()
    tracker.feed(ev("Newchannel", **chan("1.1", "PJSIP/a-1", state=6)), 1.0)
    tracker.feed(ev("Hold", MusicClass="default", **chan("1.1", "PJSIP/a-1", state=6)), 2.0)
    assert tracker.channels["1.1"].on_hold and tracker.calls["1.1"].state == "on hold"
    tracker.feed(ev("Unhold", **chan("1.1", "PJSIP/a-1", state=6)), 3.0)
    tracker.feed(ev("MixMonitorStart", **chan("1.1", "PJSIP/a-1", state=6)), 3.5)
    assert not tracker.channels["1.1"].on_hold and tracker.channels["1.1"].recording
    assert [h[2] for h in tracker.calls["1.1"].holds] == [True, False]
    assert tracker.calls["1.1"].state == "up" and tracker.calls["1.1"].recorded


def test_seeded_from_core_show_channels_and_bridge_info():
    tracker = CallTracker()
    for m in (
        ev("CoreShowChannel", ActionID="1", Duration="00:01:05", BridgeId="br-1", Application="Dial",
           ApplicationData="PJSIP/200", CallerIDNum="100", Exten="200", **chan("5.1", "PJSIP/100-1", state=6)),
        ev("CoreShowChannel", ActionID="1", Duration="00:01:00", BridgeId="br-1", Application="AppDial",
           **chan("5.2", "PJSIP/200-2", lid="5.1", state=6)),
        ev("BridgeListItem", ActionID="2", BridgeUniqueid="br-1", BridgeType="basic", BridgeTechnology="simple_bridge"),
    ):  # fmt: skip
        tracker.feed(m, 1000.0)
    assert set(tracker.channels) == {"5.1", "5.2"}
    call = tracker.calls["5.1"]
    assert call.start == 1000.0 - 65 and call.caller == "100" and call.state == "up"
    assert tracker.channels["5.1"].seeded and tracker.channels["5.1"].where == "Dial(PJSIP/200)"
    assert tracker.bridges["br-1"].members == ["5.1", "5.2"] and tracker.bridges["br-1"].technology == "simple_bridge"


def test_a_resync_ends_what_vanished_and_says_so():
    tracker = CallTracker()
    tracker.feed(ev("Newchannel", **chan("1.1", "PJSIP/a-1")), 1.0)
    tracker.feed(ev("Newchannel", **chan("2.1", "PJSIP/b-1")), 1.0)
    tracker.take_changes()
    tracker.begin_resync()
    tracker.feed(ev("CoreShowChannel", Duration="00:00:09", **chan("2.1", "PJSIP/b-1", state=6)), 10.0)
    gone = tracker.end_resync(10.0)
    assert [c.uniqueid for c in gone] == ["1.1"] and gone[0].vanished
    assert set(tracker.channels) == {"2.1"} and tracker.channels["2.1"].state == 6
    call = tracker.call("1.1")
    assert call.end == 10.0 and call.vanished and call.as_json()["vanished"] is True
    assert tracker.take_changes().ended_calls == ["1.1"]


def test_ended_calls_are_bounded_oldest_dropped_first():
    tracker = CallTracker(max_ended=3)
    for i in range(5):
        uid = f"{i}.0"
        tracker.feed(ev("Newchannel", **chan(uid, f"Local/x-{i};1")), float(i))
        tracker.feed(ev("Hangup", Cause="16", **chan(uid, f"Local/x-{i};1")), float(i) + 0.5)
    assert [c.linkedid for c in tracker.ended] == ["2.0", "3.0", "4.0"]
    assert tracker.dropped_calls == 2 and tracker.call("0.0") is None


def test_listeners_and_changes_say_what_changed():
    tracker = CallTracker()
    heard = []
    tracker.add_listener(heard.append)
    v0 = tracker.version
    tracker.feed(ev("Newchannel", **chan("1.1", "PJSIP/a-1")), 1.0)
    tracker.feed(ev("VarSet", Variable="X", Value="1", **chan("1.1", "PJSIP/a-1")), 1.1)  # changes nothing
    tracker.feed(ev("Newstate", **chan("1.1", "PJSIP/a-1", state=6)), 2.0)
    assert tracker.version == v0 + 2 and len(heard) == 2
    assert heard[0].channels == {"1.1"} and heard[0].calls == {"1.1"}
    changes = tracker.take_changes()
    assert changes.version == tracker.version and changes.channels == {"1.1"}
    assert not tracker.take_changes()


def test_the_timestamp_header_is_the_clock_when_the_server_sends_it():
    tracker = CallTracker()
    tracker.feed(ev("Newchannel", Timestamp="1700000000.250000", **chan("1.1", "PJSIP/a-1")), 5.0)
    assert tracker.channels["1.1"].created == 1700000000.25


@pytest.mark.parametrize("cause,name", [(16, "NORMAL_CLEARING"), (17, "USER_BUSY"), (None, ""), (250, "CAUSE_250")])
def test_cause_names(cause, name):
    assert cause_name(cause) == name


# -- does the login read the call class? (CallClassCheck) --------------------------------------


def test_a_login_without_the_call_class_is_found_out_by_the_lists_alone():
    from amish.core.calls import CallClassCheck

    tracker = CallTracker()
    check = CallClassCheck(tracker, every=5.0)
    assert check.due(0.0)
    check.listed([], 0.0)  # an idle PBX proves nothing
    assert not check.due(4.9) and check.due(5.0)
    check.listed([], 5.0)
    assert check.verdict(10.0) is None
    check.listed(["1.1", "1.2"], 10.0)  # a call came, and not one call event
    assert check.verdict(14.9) is None  # its events may trail its listing a little
    check.listed(["1.1", "1.2"], 15.0)
    assert check.verdict(15.0) is False and not check.due(20.0)


def test_one_call_event_proves_the_login_reads_the_call_class():
    from amish.core.calls import CallClassCheck

    tracker = CallTracker()
    check = CallClassCheck(tracker, every=5.0)
    check.listed([], 0.0)
    check.listed(["1.1"], 5.0)
    tracker.feed(ev("Newchannel", **chan("1.1", "PJSIP/a-1")), 6.0)  # late, but it came
    assert check.verdict(11.0) is True and not check.due(11.0)
    # list items (an ActionID) are not call events
    other = CallTracker()
    other.feed(ev("CoreShowChannel", ActionID="1", Duration="00:00:01", **chan("2.1", "PJSIP/b-1")), 1.0)
    assert not other.call_class_seen


def test_a_call_seeded_from_the_list_in_any_order_is_from_its_first_channel():
    """CoreShowChannels lists in Asterisk's container order (from run to run any leg first): who
    called and whom is the Linkedid's channel's to say (the --live table once showed 100 -> 100)."""
    legs = [  # an Originate of Local/100@amish-phones/n into 211@amish-calls, as Asterisk 22 lists it
        ev("CoreShowChannel", ActionID="1", Duration="00:00:01", CallerIDNum="100", Context="amish-calls",
           Exten="211", **chan("7.10", "Local/100@amish-phones-00000039;1", state=6)),
        ev("CoreShowChannel", ActionID="1", Duration="00:00:01", CallerIDNum="100", Context="amish-phones",
           Exten="100", **chan("7.11", "Local/100@amish-phones-00000039;2", lid="7.10", state=6)),
        ev("CoreShowChannel", ActionID="1", Duration="00:00:01", CallerIDNum="211", Context="amish-phones",
           Exten="211", **chan("7.12", "Local/211@amish-phones-0000003a;1", lid="7.10", state=6)),
    ]  # fmt: skip
    for order in (legs, legs[::-1], legs[1:] + legs[:1]):
        tracker = CallTracker()
        tracker.feed_all(order, 1000.0)
        call = tracker.calls["7.10"]
        assert (call.first.uniqueid, call.caller, call.callee) == ("7.10", "100", "211")
