"""Completion from the server's own lists, typed in a real terminal against the sandbox:
the dialplan (sandbox/etc/extensions.conf), applications, CLI completion, numbered
UpdateConfig groups, UpdateConfig's help and what an escalated-privileges error means."""

from __future__ import annotations

import pytest

from terminal import Terminal

pytestmark = pytest.mark.asterisk


@pytest.fixture
def term(asterisk, tmp_path):
    t = Terminal(["-u", "admin", asterisk.host, str(asterisk.port)], {"XDG_STATE_HOME": str(tmp_path)})
    t.wait_text("connected")
    yield t
    t.close()


def menu(term) -> str:
    """The screen without the input line (the completion menu is drawn above or below it)."""
    line = term.input_line()
    return "\n".join(l for l in term.screen.display if l != line)


def test_exten_and_priority_come_from_the_contexts_dialplan(term):
    term.send("Originate Channel=Local/1@x Context=amish-test Exten=")
    term.send("\t")
    # the extensions of [amish-test], fetched with ShowDialPlan in the background
    term.wait_for(lambda t: all(e in menu(term) for e in ("echo", "hold", "busy")), what="amish-test's extensions")
    term.send("\x15")  # Ctrl-U: start the line again, now that the dialplan is known
    term.send("Originate Channel=Local/1@x Context=amish-test Exten=ho")
    term.send("\t")
    term.wait_for(lambda t: "Exten=hold " in term.input_line(), what="Exten=hold completed")
    term.send("Priority=")
    term.send("\t")
    # hold has priorities 1, 2, 3 (Answer, Wait, Hangup)
    term.wait_for(lambda t: term.input_line().rstrip().endswith("Priority=1"), what="the first priority taken")
    screen = menu(term)
    assert " 2 " in screen and " 3 " in screen, screen


def test_application_from_the_servers_list(term):
    term.send("Originate Channel=Local/1@x Application=Pla")
    term.send("\t")
    term.wait_for(lambda t: "Playback" in menu(term), what="Playback offered")
    assert "PlayTones" in menu(term)


def test_cli_words_from_the_servers_own_completion(term):
    # "hints" is in no list amish carries: only the server's CLI completion knows it
    term.send("!core show hi")
    term.send("\t")
    term.wait_for(lambda t: "hints" in menu(term) and "history" not in term.input_line(), what="core show hints offered")
    term.send("\t")
    term.wait_for(lambda t: term.input_line().startswith("ami> !core show hint"), what="a word taken")


def test_the_next_numbered_group_is_offered(term):
    term.send("UpdateConfig SrcFilename=x.conf DstFilename=x.conf Action-000000=NewCat Cat-000000=a Act")
    term.send("\t")
    term.wait_for(lambda t: "Action-000001" in t, what="Action-000001 offered")


def test_updateconfig_help_shows_the_options_not_the_actions(term):
    term.send("UpdateConfig")
    term.send("\x1bOP")  # F1
    # the Options row's values are its options (the Action values are Action-000000's)
    term.wait_for(lambda t: any("Options-000000" in l and "allowdups, template" in l for l in term.screen.display),
                  what="UpdateConfig's help with the options")
    rows = [l for l in term.screen.display if "Options-000000" in l]
    assert rows and not any("NewCat" in l for l in rows), rows


def test_escalated_privileges_is_explained(term):
    # a file outside Asterisk's config directory: refused whatever the login may do
    term.send("GetConfig Filename=../../usr/share/asterisk/documentation/core-en_US.xml\r")
    term.wait_text("File requires escalated privileges")
    term.wait_text("does not exist yet or lies outside its config directory")


def test_line_mode_completes_from_the_server_too(asterisk, tmp_path):
    t = Terminal(["--line", "-u", "admin", asterisk.host, str(asterisk.port)], {"XDG_STATE_HOME": str(tmp_path)})
    try:
        t.wait_text("ami>")
        t.send("Originate Channel=Local/1@x Context=amish-test Exten=")
        t.send("\t")
        t.wait_for(lambda s: all(e in s for e in ("echo", "hold", "busy")), what="amish-test's extensions")
    finally:
        t.close()
