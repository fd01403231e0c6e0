"""The keys of the Channels and Calls views and of the events pane, typed in a pseudo-terminal
against the real Asterisk: following a call, acting on a channel, details, timeline steps, sorting, narrowing."""

from __future__ import annotations

import re

import pytest

from callscreen import (
    DOWN, F3, F6, F7, HOLD, HOLD1, event_tags, hang_up_everything, held_calls, hold_call, tag_of, top_area,
    transcript,
)
from terminal import Terminal

pytestmark = pytest.mark.asterisk


@pytest.fixture
def shell(asterisk, tmp_path):
    """Start amish (extra arguments first) once the test's calls are up."""
    hang_up_everything(asterisk)
    terms = []

    def start(*extra, rows=44):
        t = Terminal([*extra, "-u", "admin", asterisk.host, str(asterisk.port)], {"XDG_STATE_HOME": str(tmp_path)},
                     size=(rows, 140))
        terms.append(t)
        t.wait_text("connected")
        return t

    yield start
    for t in terms:
        t.close()
    hang_up_everything(asterisk)


def channels_view(term: Terminal, count: int, pattern=HOLD1) -> set[str]:
    term.send(F6)
    term.wait_for(lambda t: " Channels " in t and len(held_calls(term, pattern)) == count, what=f"{count} channels")
    return held_calls(term, pattern)


def narrow_to(term: Terminal, channel: str) -> None:
    """/channels Channel=NAME from the view's / key: the one row left is selected."""
    term.send("/")
    term.wait_for(lambda t: term.input_line().startswith("ami> /channels "), what="/channels in the input")
    term.send(f"Channel={channel}\r")
    term.wait_for(lambda t: held_calls(term, HOLD) == {channel}, what=f"the view narrowed to {channel}")
    term.wait_for(lambda t: term.input_line().strip() == "ami>", what="the input empty")  # the table focused


def close_menu(term: Terminal) -> None:
    """Esc: the completion menu the input opened closed (a key within ESC_WAIT would make it Alt-key)."""
    term.send("\x1b")
    term.pump(1.2)  # the terminal parser's wait for a longer sequence, then the key processor's


def row_of(term: Terminal, channel: str) -> str:
    return next((line for line in top_area(term)[2:] if channel in line), "")  # under the title and header


# -- following a call ---------------------------------------------------------------------


def test_c_on_an_event_follows_only_its_call_and_c_again_shows_all(asterisk, admin, shell):
    first = hold_call(admin)
    second = hold_call(admin)
    term = shell("--filter", "Newchannel")  # the channels of calls made from now on, one line each
    third, fourth = hold_call(admin), hold_call(admin)
    tags = {tag_of(third), tag_of(fourth)}
    assert tag_of(first) != tag_of(second)
    term.wait_for(lambda t: event_tags(term) == tags, what="the two calls' events")
    term.send(F3)  # the focus on the events pane; its cursor on the newest event: the fourth call's
    term.wait_for(lambda t: "[focused]" in top_area(term)[0], what="the events pane focused")
    term.send("c")
    term.wait_for(lambda t: f"following call {tag_of(fourth)} ({fourth}" in top_area(term)[0],
                  what="the title naming the call followed")
    term.wait_for(lambda t: event_tags(term) == {tag_of(fourth)}, what="only the fourth call's events")
    fifth = hold_call(admin)  # a new call while following: not shown
    term.pump(1.0)
    assert event_tags(term) == {tag_of(fourth)}
    term.send("c")  # all calls again, the new one included
    term.wait_for(lambda t: event_tags(term) == tags | {tag_of(fifth)} and "following" not in top_area(term)[0],
                  what="every call's events again")


def test_e_on_a_channel_row_follows_its_call(asterisk, admin, shell):
    linkedids = [hold_call(admin), hold_call(admin)]
    term = shell()
    names = channels_view(term, 2)
    wanted = sorted(names)[1]
    narrow_to(term, wanted)
    term.send("e")
    term.wait_for(lambda t: top_area(term) and top_area(term)[0].startswith(" Events ")
                  and "following call #" in top_area(term)[0], what="the events pane following a call")
    title = top_area(term)[0]
    followed = re.search(r"following call (#\d+) \(([^;]+);", title)
    assert followed and followed.group(2) in linkedids
    # the events pane shows that call's events only: the channels up before the start are not in it,
    # so make the call do something: its Hangup comes, the other call's does not
    other = next(l for l in linkedids if l != followed.group(2))
    hang_up_everything(asterisk)
    term.wait_for(lambda t: any("Hangup" in l for l in top_area(term)), what="the followed call's hang-ups")
    assert event_tags(term) == {followed.group(1)}, (event_tags(term), tag_of(other))


# -- acting on a channel ----------------------------------------------------------------------


def test_r_redirects_the_channel_with_context_and_exten_completed(asterisk, admin, shell):
    hold_call(admin)
    term = shell()
    (name,) = channels_view(term, 1)
    term.wait_for(lambda t: "Wait(120)" in row_of(term, name), what="the channel in Wait(120)")
    narrow_to(term, name)
    term.send("r")
    term.wait_for(lambda t: term.input_line().startswith(f"ami> Redirect Channel={name} Context="),
                  what="a Redirect in the input")
    term.send("amish-te\t")  # typed over the menu the input opened
    term.wait_for(lambda t: "Context=amish-test " in term.input_line(), what="the context completed")
    term.send("Exten=hol\t")
    term.wait_for(lambda t: "Exten=hold " in term.input_line(), what="the exten completed from its dialplan")
    term.send("Priority=1\r")
    term.wait_text("are you sure?")
    assert held_calls(term, HOLD) == {name}  # nothing sent yet
    term.send("\r")
    term.wait_text("Redirect successful")
    # the same channel, now where it was sent: [amish-test] hold answers then waits 60 s
    term.send(F3)
    term.wait_for(lambda t: "Wait(60)" in row_of(term, name), what="the channel moved to hold,1 (Wait(60))")


def test_m_starts_mixmonitor_the_row_shows_it_and_m_again_stops_it(asterisk, admin, shell):
    hold_call(admin)
    term = shell()
    (name,) = channels_view(term, 1)
    narrow_to(term, name)
    assert ", rec" not in row_of(term, name)
    term.send("m")
    term.wait_for(lambda t: term.input_line().startswith(f"ami> MixMonitor Channel={name} File=amish-"),
                  what="MixMonitor in the input")
    term.send("\r")  # the menu the input opened has nothing selected: Enter sends
    term.wait_for(lambda t: re.search(r"Success +MixMonitor", t), what="MixMonitor sent and answered")
    term.send(F3)
    term.wait_for(lambda t: ", rec" in row_of(term, name), what="the row showing it records")
    term.send("m")
    term.wait_for(lambda t: term.input_line().rstrip() == f"ami> StopMixMonitor Channel={name}",
                  what="StopMixMonitor in the input")
    term.send("\r")
    term.wait_text("StopMixMonitor stops a recording")  # asks first, as typed
    term.send("\r")
    term.wait_for(lambda t: re.search(r"Success +StopMixMonitor", t), what="StopMixMonitor sent and answered")
    term.send(F3)
    term.wait_for(lambda t: row_of(term, name) and ", rec" not in row_of(term, name), what="the recording stopped")


def test_enter_on_a_channel_shows_its_details_and_its_variables(asterisk, admin, shell):
    hold_call(admin, {"AMISH_MARK": "tea-for-two"})
    term = shell(rows=120)  # room for the details and Status's answer together
    (name,) = channels_view(term, 1)
    narrow_to(term, name)
    term.send("\r")
    # at once, from the model; then Status's answer with every variable of the channel
    term.wait_for(lambda t: any(l.startswith("Channel") and name in l for l in transcript(term))
                  and any(l.startswith("Where") for l in transcript(term)), what="the model's details")
    term.wait_for(lambda t: "AMISH_MARK=tea-for-two" in t, what="the channel's variable from Status")
    # the view is still live and keyed: the selection still on the channel
    term.send("e")
    term.wait_for(lambda t: "following call #" in top_area(term)[0], what="the keys still work")


# -- the timeline -----------------------------------------------------------------------------


def test_enter_on_a_timeline_step_shows_the_events_behind_it(asterisk, admin, shell):
    term = shell()
    hold_call(admin)
    term.send(F7)
    term.wait_for(lambda t: " Calls 1 shown of 1 " in t, what="the call in the Calls view")
    hang_up_everything(asterisk)
    term.wait_for(lambda t: any(" ended " in l for l in top_area(term)), what="the call ended")
    term.send("\r")
    term.wait_for(lambda t: " Call timeline " in t and "hang-up" in t, what="the timeline")
    steps = top_area(term)
    first = next(i for i, l in enumerate(steps) if re.match(r"\s+0\.000 ", l))
    assert "●" in steps[first]  # the first step, the call's first channel made; the cursor is on it
    term.send("\r")
    term.wait_for(lambda t: any(re.match(r"\s*Event\s*:?\s*Newchannel", l) or "Newchannel" in l
                                for l in transcript(term)), what="the step's Newchannel event in full")
    assert any("Uniqueid" in l for l in transcript(term))  # in full: every header
    hangup_row = next(i for i, l in enumerate(steps) if "hang-up" in l)
    term.send(DOWN * (hangup_row - first))
    term.send("\r")
    term.wait_for(lambda t: any(re.search(r"\bCause\b", l) for l in transcript(term)), what="the Hangup behind the step")


# -- sorting and narrowing ----------------------------------------------------------------------


def _order(term: Terminal) -> list[str]:
    return [m.group(0) for l in top_area(term)[2:] for m in [HOLD.search(l)] if m]


def test_s_sorts_by_the_next_column_and_S_reverses(asterisk, admin, shell):
    hold_call(admin), hold_call(admin)
    term = shell()
    channels_view(term, 4, HOLD)
    assert "sort: Duration ↓" in top_area(term)[0]
    term.send("s")  # Duration -> Channel (the columns wrap round)
    term.wait_for(lambda t: "sort: Channel ↓" in top_area(term)[0], what="sorted by channel, descending")
    term.wait_for(lambda t: len(_order(term)) == 4 and _order(term) == sorted(_order(term), reverse=True),
                  what="rows by name, descending")
    term.send("S")
    term.wait_for(lambda t: "sort: Channel ↑" in top_area(term)[0], what="ascending")
    term.wait_for(lambda t: len(_order(term)) == 4 and _order(term) == sorted(_order(term)), what="rows by name, ascending")
    term.send("s")
    term.wait_for(lambda t: "sort: State ↑" in top_area(term)[0], what="the next column")


def test_channels_expr_narrows_the_view_and_says_so(asterisk, admin, shell):
    hold_call(admin), hold_call(admin)
    term = shell()
    channels_view(term, 4, HOLD)
    close_menu(term)  # to the input
    term.send("/channels Channel~;2$\r")
    term.wait_for(lambda t: len(held_calls(term, HOLD)) == 2 and all(n.endswith(";2") for n in held_calls(term, HOLD)),
                  what="only the ;2 halves")
    assert "2 shown of 4" in top_area(term)[0] and "narrowed: Channel~;2$" in top_area(term)[0]
    close_menu(term)
    term.send("/channels Application=Wait Channel=*;1\r")
    term.wait_for(lambda t: len(held_calls(term, HOLD)) == 2 and all(n.endswith(";1") for n in held_calls(term, HOLD)),
                  what="the ;1 halves, in Wait")
    close_menu(term)
    term.send("/channels ChannelStateDesc=Ringing\r")
    term.wait_for(lambda t: "none of the 4 match the filter: ChannelStateDesc=Ringing" in t, what="nothing matches")
    close_menu(term)
    term.send("/channels Channel=(\r")
    term.wait_for(lambda t: any(l.startswith("filter:") for l in transcript(term)), what="one clear error line")
    assert "Traceback" not in term.text()
    close_menu(term)
    term.send("/channels\r")
    term.wait_for(lambda t: len(held_calls(term, HOLD)) == 4 and "narrowed" not in top_area(term)[0],
                  what="all shown again")
