"""A secret typed or pasted into the shell never reaches the screen or the history (issue 10 item 2).

A person types a one-line Login key by key, pastes a telnet-form Login block,
and mistypes one (an error that would quote the line), in the full-screen
shell and in line mode, on a real terminal (pexpect + pyte) against the real
Asterisk. The screen is read after every key.
"""

from __future__ import annotations

import pexpect
import pytest

from conftest import ADMIN
from terminal import Terminal

pytestmark = pytest.mark.asterisk

SECRET = ADMIN[1]  # the real one, so each Login is one Asterisk accepts
PIECES = [SECRET[i : i + 8] for i in range(len(SECRET) - 7)]  # any 8 characters of it in a row


def assert_hidden(t: Terminal) -> None:
    screen = t.text()
    for piece in PIECES:
        assert piece not in screen, f"{piece!r} of the secret is on the screen:\n{screen}"


def type_one_line_login(t: Terminal) -> None:
    t.send("Login Username=admin Secret=")
    for n, ch in enumerate(SECRET, 1):
        t.send(ch)
        t.wait_for(lambda s: t.text().count("Secret=" + "*" * n) >= 1 and "Secret=" + "*" * (n + 1) not in s,
                   what=f"{n} stars after Secret=")
        assert_hidden(t)
    t.send("\r")
    t.wait_for(lambda s: s.count("Already authenticated") >= 1 or "Authentication accepted" in s,
               what="the answer to the typed Login")
    assert "Secret=********" in t.text()  # the echo of what was sent
    assert_hidden(t)


def paste_login_block(t: Terminal, answers_before: int) -> None:
    t.send(f"\x1b[200~Action: Login\nUsername: admin\nSecret: {SECRET}\n\x1b[201~")
    t.wait_for(lambda s: "*" * 8 in s.split("Already authenticated")[-1], what="the pasted Secret as stars")
    assert_hidden(t)
    t.send("\x07")  # Ctrl-G: close the completion menu that covers the input's first columns
    t.wait_for(lambda s: "Secret: " + "*" * len(SECRET) in s, what="the pasted Secret as stars")
    assert_hidden(t)
    t.send("\r")
    t.wait_for(lambda s: s.count("Already authenticated") > answers_before, what="the answer to the pasted Login")
    assert_hidden(t)


def mistype_login(t: Terminal) -> None:
    t.send(f"Login Username=admin Secret= {SECRET}")
    t.wait_for(lambda s: "Secret= " + "*" * len(SECRET) in s, what="a misplaced secret as stars")
    assert_hidden(t)
    t.send("\r")
    t.wait_text("expected Header=value, got '********'")
    assert_hidden(t)


def quit_and_check_history(t: Terminal, tmp_path) -> None:
    t.send("Ping\r")
    t.wait_text("Pong")
    t.send("\x04")
    t.child.expect(pexpect.EOF, timeout=20)
    history = (tmp_path / "amish" / "history").read_text()
    assert "Ping" in history
    for piece in PIECES:
        assert piece not in history


@pytest.mark.parametrize("mode", ["full-screen", "line"])
def test_a_secret_typed_or_pasted_never_reaches_the_screen_or_history(asterisk, tmp_path, mode):
    args = ["-u", "admin", asterisk.host, str(asterisk.port)]
    t = Terminal(["--line", *args] if mode == "line" else args, {"XDG_STATE_HOME": str(tmp_path)})
    try:
        t.wait_text("ami>")
        t.wait_for(lambda s: "connected" in s or mode == "line", what="connected")
        type_one_line_login(t)
        answers = t.text().count("Already authenticated")
        paste_login_block(t, answers)
        mistype_login(t)
        quit_and_check_history(t, tmp_path)
    finally:
        t.close()
