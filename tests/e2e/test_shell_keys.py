"""The full-screen shell's keys, panes and toolbar as a person meets them: a pseudo-terminal
(pexpect + pyte) at the sizes people use, the real Asterisk as the server."""

from __future__ import annotations

import re

import pytest

from terminal import Terminal

pytestmark = pytest.mark.asterisk

PAGE_UP, PAGE_DOWN, END, CTRL_END = "\x1b[5~", "\x1b[6~", "\x1b[F", "\x1b[1;5F"
SHIFT_UP, UP, LEFT, ESC = "\x1b[1;2A", "\x1b[A", "\x1b[D", "\x1b"
F1, F3 = "\x1bOP", "\x1bOR"
CTRL_C, CTRL_D = "\x03", "\x04"

WIDE, NARROW = (45, 160), (24, 80)


@pytest.fixture
def shell(asterisk, tmp_path):
    """Start the shell at a size: shell((rows, cols), NO_COLOR="1")."""
    started = []

    def start(size=WIDE, **env):
        dirs = {"XDG_STATE_HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}  # no cached help
        t = Terminal(["-u", "admin", asterisk.host, str(asterisk.port)], {**dirs, **env}, size=size)
        started.append(t)
        t.wait_text("connected")
        t.wait_for(lambda s: title_row(t, "Transcript") is not None, what="the transcript pane")
        return t

    yield start
    for t in started:
        t.close()


def title_row(term, name: str) -> int | None:
    return next((i for i, line in enumerate(term.screen.display) if line.startswith(f" {name} ")), None)


def title(term, name: str) -> str:
    row = title_row(term, name)
    return "" if row is None else term.screen.display[row]


def toolbar(term) -> str:
    return term.screen.display[-1]


def reversed_row(term, row: int) -> bool:
    """Every character of the row's text is drawn in reverse video."""
    text = term.screen.display[row].rstrip()
    return bool(text) and all(term.screen.buffer[row][x].reverse for x in range(len(text)))


def events_rows(term) -> int:
    return title_row(term, "Transcript") - title_row(term, "Events") - 1


def fill_the_transcript(term) -> None:
    """A CLI answer longer than the transcript pane: its last line is on screen, its first not."""
    term.send("!core show help\r")
    term.wait_text("xmldoc reload")


def send_user_events(term, *names) -> None:
    for name in names:
        term.send(f"UserEvent UserEvent={name}\r")
        term.wait_for(lambda s: any(l.rstrip().endswith(f"UserEvent={name}") for l in term.screen.display[:20]),
                      what=f"the event {name} in the events pane")


# -- 4, 5: the transcript's scrolling keys --------------------------------------------------------


def test_page_up_scrolls_the_transcript_and_leaves_the_input_alone(shell):
    term = shell()
    fill_the_transcript(term)
    term.send("Ping")
    term.wait_for(lambda s: re.search(r"\bPing +action", s), what="the completion menu for Ping")
    term.send(PAGE_UP)
    term.wait_for(lambda s: "scrolled" in title(term, "Transcript"), what="the transcript title saying it is scrolled")
    assert "xmldoc reload" not in term.text()  # the view moved a page at once
    term.send("X")
    term.wait_for(lambda s: term.input_line().rstrip() == "ami> PingX", what="X typed at the end of the input")
    term.send(PAGE_DOWN)
    term.wait_for(lambda s: "xmldoc reload" in s and "scrolled" not in title(term, "Transcript"),
                  what="back at the bottom")
    assert term.input_line().rstrip() == "ami> PingX"


def test_sending_brings_the_scrolled_transcript_back(shell):
    term = shell()
    fill_the_transcript(term)
    term.send(PAGE_UP + PAGE_UP)
    term.wait_for(lambda s: "scrolled" in title(term, "Transcript"), what="scrolled up")
    term.send(CTRL_C)  # an empty input: nothing to clear, nothing waiting
    term.send("Ping Data=came-back\r")
    term.wait_for(lambda s: "Pong" in s and "came-back" in s, what="the Ping and its Pong in sight")
    assert "scrolled" not in title(term, "Transcript")
    # Ctrl-End returns too
    term.send(PAGE_UP)
    term.wait_for(lambda s: "scrolled (Ctrl-End" in title(term, "Transcript"), what="scrolled again")
    term.send(CTRL_END)
    term.wait_for(lambda s: "Pong" in s and "scrolled" not in title(term, "Transcript"), what="Ctrl-End")


# -- 6: closing the completion menu ------------------------------------------------------------------


def test_esc_and_ctrl_c_close_the_completion_menu(shell):
    term = shell()
    menu_open = lambda s: "MixMonitorMute" in s  # noqa: E731
    term.send("MixMon")
    term.wait_for(menu_open, what="the menu")
    term.send(ESC)
    term.wait_for(lambda s: not menu_open(s), what="Esc closed the menu")
    assert term.input_line().rstrip() == "ami> MixMon"
    term.send("i")
    term.wait_for(menu_open, what="the menu again")
    term.send(CTRL_C)
    term.wait_for(lambda s: not menu_open(s), what="Ctrl-C closed the menu")
    assert term.input_line().rstrip() == "ami> MixMoni"  # the input stays
    term.send(CTRL_C)  # no menu: Ctrl-C clears the input, as before
    term.wait_for(lambda s: term.input_line().rstrip() == "ami>", what="the input cleared")
    term.send("Ping\r")
    term.wait_text("Pong")


# -- 7: End in the input ---------------------------------------------------------------------------------


def test_end_moves_the_cursor_then_resumes_following(shell):
    term = shell()
    send_user_events(term, "One", "Two")
    term.send(SHIFT_UP)
    term.wait_for(lambda s: "scrolled (End or F5" in title(term, "Events"), what="the events pane scrolled")
    term.send("Ping" + LEFT + LEFT + END)  # End with the cursor inside the line: only the cursor moves
    term.send("X")
    term.wait_for(lambda s: term.input_line().rstrip() == "ami> PingX", what="X at the end")
    assert "scrolled" in title(term, "Events") and "scrolled" in toolbar(term)
    term.send(END)  # at the end already: follow again
    term.wait_for(lambda s: "scrolled" not in title(term, "Events") and "follow" in toolbar(term), what="following")
    assert term.input_line().rstrip() == "ami> PingX"


# -- 8: the focused pane and the selected event ----------------------------------------------------------


@pytest.mark.parametrize("env", [{}, {"NO_COLOR": "1"}], ids=["colour", "NO_COLOR"])
def test_the_focused_pane_and_the_selected_event_show(shell, env):
    term = shell(**env)
    send_user_events(term, "Alpha", "Beta")
    assert not reversed_row(term, title_row(term, "Events")) and "[focused]" not in term.text()
    term.send(F3)
    term.wait_for(lambda s: "[focused]" in title(term, "Events"), what="the events title saying it has the focus")
    term.send(UP)
    alpha = next(i for i, l in enumerate(term.screen.display) if l.rstrip().endswith("UserEvent=Alpha"))
    term.wait_for(lambda s: reversed_row(term, alpha), what="the selected event in reverse video")
    beta = next(i for i, l in enumerate(term.screen.display) if l.rstrip().endswith("UserEvent=Beta"))
    assert not reversed_row(term, beta)
    assert reversed_row(term, title_row(term, "Events"))
    assert not reversed_row(term, title_row(term, "Transcript"))
    term.send(F3)
    term.wait_for(lambda s: "[focused]" in title(term, "Transcript"), what="the transcript focused")
    assert reversed_row(term, title_row(term, "Transcript")) and not reversed_row(term, title_row(term, "Events"))
    assert not reversed_row(term, alpha)
    term.send(ESC)
    term.wait_for(lambda s: "[focused]" not in s, what="back to the input")
    assert not reversed_row(term, title_row(term, "Transcript"))


# -- 15: the toolbar at 80 columns, and resizing ---------------------------------------------------------


def test_the_toolbar_at_80_columns_keeps_whole_numbers_and_the_event_state(shell):
    term = shell(NARROW)
    send_user_events(term, "One", "Two")
    term.send("/filter UserEvent\r")
    term.wait_for(lambda s: "filter" in toolbar(term), what="the filter in the toolbar")
    bar = toolbar(term)
    assert "follow" in bar
    shown, received = map(int, re.search(r"(\d+) shown of (\d+) received", title(term, "Events")).groups())
    assert f"events {shown}/{received} " in bar  # both numbers whole
    term.send(SHIFT_UP)
    term.wait_for(lambda s: "scrolled" in toolbar(term), what="scrolled in the toolbar")
    assert len(bar.rstrip()) <= 80


def test_a_resize_keeps_the_panes_proportions(shell):
    term = shell(WIDE)
    assert events_rows(term) == 18  # 40 % of 45 rows
    rows, cols = NARROW
    term.child.setwinsize(rows, cols)
    term.screen.resize(rows, cols)
    term.wait_for(lambda s: title_row(term, "Transcript") is not None and title_row(term, "Transcript") < 20
                  and toolbar(term).startswith(" connected"), what="the redraw at 80x24")
    assert events_rows(term) == 10  # 40 % of 24 rows
    transcript = term.input_line() and term.screen.display.index(term.input_line()) - title_row(term, "Transcript") - 1
    assert transcript >= 9
    term.send("Ping\r")
    term.wait_text("Pong")


# -- 16: the completion menu, F1 and the space after a completion -----------------------------------------


def test_the_completion_menu_leaves_the_toolbar_in_sight(shell):
    term = shell()
    term.send("Ping")
    term.wait_for(lambda s: re.search(r"\bPing +action", s), what="the completion menu for Ping")
    assert toolbar(term).startswith(" connected admin@")
    menu_row = next(i for i, l in enumerate(term.screen.display) if re.search(r"\bPing +action", l))
    assert menu_row < term.screen.display.index(term.input_line())  # above the input line


def test_f1_shows_the_help_once(shell):
    term = shell()
    term.send("Ping")
    term.send(F1)
    term.wait_text("e.g. Ping")
    term.wait_for(lambda s: "keep the manager connection open" in re.sub(r"\s+", " ", s),
                  what="the server's description")
    term.pump(0.5)
    assert term.text().count("e.g. Ping") == 1
    assert "asking the server" not in term.text()


def test_a_space_after_a_taken_completion_is_not_doubled(shell):
    term = shell()
    term.send("MixMon")
    term.wait_for(lambda s: "MixMonitorMute" in s, what="the menu")
    term.send("\t")  # select MixMonitor in the menu
    term.wait_for(lambda s: term.input_line().rstrip() == "ami> MixMonitor", what="MixMonitor selected")
    term.send(" Chan")
    term.wait_for(lambda s: "Chan" in term.input_line(), what="typed on")
    term.send("\t")
    term.wait_for(lambda s: "Channel=" in term.input_line(), what="Channel= completed")
    assert term.input_line().rstrip() == "ami> MixMonitor Channel="


def test_a_space_after_a_completion_taken_by_tab_is_not_doubled(shell):
    term = shell()
    term.send("MixMonitorMu")
    term.wait_for(lambda s: "MixMonitorMute" in s and "action" in s, what="the one match in the menu")
    term.send("\t")  # a single match is taken at once, with its space
    term.wait_for(lambda s: "MixMonitorMute" not in s.replace(term.input_line(), ""), what="the menu closed")
    term.send(" Dir")
    term.wait_for(lambda s: "Dir" in term.input_line(), what="typed on")
    assert term.input_line().rstrip() == "ami> MixMonitorMute Dir"
