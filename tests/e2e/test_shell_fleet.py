"""The shell on a fleet of real Asterisks (sandbox instances 1-3), typed into in a pseudo-terminal.

The events pane merges the servers with a server column; actions go to the
current server (/use NAME, in the prompt and the toolbar) or to all (/all);
each server's --read-only and confirmations hold; one server stopped mid-run
is said lost, the others go on, and it is said back when it returns.
"""

from __future__ import annotations

import pytest

from terminal import Terminal

pytestmark = pytest.mark.asterisk


def lab_config(boxes, tmp_path, extra: str = "") -> str:
    lines = []
    for box in boxes:
        lines += [f"[profiles.pbx{box.instance}]", f'host = "{box.host}"', f"port = {box.port}", 'user = "admin"']
        if box.instance == 3:
            lines.append("read_only = true")  # one member is read-only: its rail holds on a fleet
        lines.append("")
    lines += ["[groups]", 'lab = ["pbx*"]', ""]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + extra)
    path.chmod(0o600)
    return str(path)


@pytest.fixture
def fleet_term(asterisk_fleet, tmp_path):
    config = lab_config(asterisk_fleet, tmp_path)
    t = Terminal(["--group", "lab"], {"XDG_STATE_HOME": str(tmp_path), "AMISH_CONFIG": config})
    yield t
    t.close()
    for box in asterisk_fleet:
        box.start()


def prompt_line(term) -> str:
    return next((l for l in reversed(term.screen.display) if l.startswith("pbx")), "")


def test_the_shell_on_three_servers(fleet_term, asterisk_fleet):
    term = fleet_term
    term.wait_text(" Transcript ", timeout=20)
    term.wait_for(lambda t: sum(" FullyBooted" in l for l in term.events_pane()) >= 3, timeout=20,
                  what="FullyBooted from every server")
    # the events pane: a server column, every server in it
    assert {l.split()[0] for l in term.events_pane() if "FullyBooted" in l} == {"pbx1", "pbx2", "pbx3"}
    # the prompt and the toolbar name the current server
    term.wait_for(lambda t: prompt_line(term).startswith("pbx1> "), what="the prompt names pbx1")
    assert "pbx1 127.0.0.1:" in term.text() and "3/3 servers up" in term.text()

    # /use completes the server's name, and actions then go there
    term.send("/use pbx")
    term.send("\t")
    term.wait_for(lambda t: "pbx3" in t and " server " in t, what="the servers offered")
    term.send("\x1b")  # Esc: the menu closes, the input stays as typed
    term.wait_for(lambda t: " server " not in t and prompt_line(term).rstrip() == "pbx1> /use pbx", what="menu closed")
    term.send("2\r")
    term.wait_text("actions go to pbx2")
    term.wait_for(lambda t: prompt_line(term).startswith("pbx2> "), what="the prompt names pbx2")
    term.send("!core show settings\r")
    term.wait_text("/etc/asterisk-2/asterisk.conf")  # the answer came from instance 2 (its own config dir)
    assert "/etc/asterisk-1" not in term.text() and "/etc/asterisk-3" not in term.text()

    # /all: each server's answer under its name; read-only pbx3 refuses for itself only
    term.send("/all Command Command=\"module reload app_echo.so\"\r")
    term.wait_text("send it to 2 servers (pbx1, pbx2)?")  # the confirmation names how many
    assert "pbx3: refused, nothing sent there (--read-only)" in term.text()
    term.send("\x03")  # Ctrl-C: not sent
    term.send("/all Ping\r")
    term.wait_text("sent to 3 servers: pbx1, pbx2, pbx3")
    term.wait_for(lambda t: all(f"── pbx{i} ──" in t for i in (1, 2, 3)), what="an answer from each server")

    # read-only follows the current server: pbx3 refuses a reload, pbx2 would ask
    term.send("/use pbx3\r")
    term.wait_text("actions go to pbx3")
    term.send("Command Command=\"core reload\"\r")
    term.wait_text("refused, nothing sent")

    # one server stopped mid-run: said lost, the rest go on; said back when it returns
    asterisk_fleet[1].stop()  # pbx2
    term.wait_for(lambda t: "pbx2: connection lost" in t, timeout=20, what="pbx2 lost")
    term.send("/use pbx2\r")
    term.wait_text("actions go to pbx2")
    term.send("Ping\r")
    term.wait_text("pbx2 is not connected")
    term.send("/use pbx1\r")
    term.send("Ping\r")
    term.wait_for(lambda t: "Pong" in t or "Ping: Pong" in t, what="pbx1 still answers")
    asterisk_fleet[1].start()
    term.wait_for(lambda t: "pbx2: back: reconnected after" in t, timeout=60, what="pbx2 back")
    term.send("/all Ping\r")
    term.wait_text("sent to 3 servers: pbx1, pbx2, pbx3")


def test_line_mode_on_a_fleet(asterisk_fleet, tmp_path):
    config = lab_config(asterisk_fleet, tmp_path)
    term = Terminal(["--group", "lab", "--line"], {"XDG_STATE_HOME": str(tmp_path), "AMISH_CONFIG": config})
    try:
        term.wait_for(lambda t: all(f"pbx{i} " in t and "FullyBooted" in t for i in (1, 2, 3)), timeout=20,
                      what="every server's FullyBooted, with its server column")
        term.send("/all Ping\r")
        term.wait_for(lambda t: all(f"── pbx{i} ──" in t for i in (1, 2, 3)), what="an answer from each server")
        term.send("/use nosuch\r")
        term.wait_text("no server 'nosuch' in this fleet: pbx1, pbx2, pbx3")
        term.send("/use\r")
        term.wait_for(lambda t: "* pbx1  127.0.0.1:" in t and "read-only" in t, what="the servers listed")
        term.send("/use pbx3\r")
        term.wait_for(lambda t: "pbx3> " in t and "actions go to pbx3" in t and ": read-only" in t,
                      what="the prompt names pbx3, read-only said")
    finally:
        term.close()


def test_ctrl_c_stops_waiting_for_all_server_by_server(fleet_term):
    """/all's answers are in flight like a single action's: counted in the toolbar, and Ctrl-C stops
    waiting for every server, said per server (WaitEvent: a real Asterisk holds its answer)."""
    term = fleet_term
    term.wait_text(" Transcript ", timeout=20)
    term.wait_for(lambda t: sum(" FullyBooted" in l for l in term.events_pane()) >= 3, timeout=20,
                  what="FullyBooted from every server")
    term.send("/all WaitEvent Timeout=30\r")
    term.wait_text("sent to 3 servers: pbx1, pbx2, pbx3")
    term.wait_text("waiting for 3")
    term.send("\x03")  # Ctrl-C on an empty input: stop waiting
    term.wait_text("stopped waiting for 3 action(s)")
    term.wait_for(lambda t: all(f"pbx{i}: WaitEvent: no longer waited for" in t for i in (1, 2, 3)),
                  what="each server said")
    term.wait_for(lambda t: t.count("waiting for 3") == 1, what="nothing left in flight (the toolbar)")


def test_a_refused_login_is_given_up_and_a_stopped_server_is_retried(asterisk_fleet, tmp_path):
    """Each member's own secret (no AMISH_SECRET): pbx2's is wrong, so it is said gone and never retried;
    pbx3 is down at the start, said so, retried in the background and said back; pbx1 works throughout."""
    from conftest import ADMIN

    lines = []
    for box in asterisk_fleet:
        secret = "not-the-secret" if box.instance == 2 else ADMIN[1]
        lines += [f"[profiles.pbx{box.instance}]", f'host = "{box.host}"', f"port = {box.port}", 'user = "admin"',
                  f'secret = "{secret}"', ""]
    lines += ["[groups]", 'lab = ["pbx*"]', ""]
    config = tmp_path / "config.toml"
    config.write_text("\n".join(lines))
    config.chmod(0o600)
    asterisk_fleet[2].stop()  # pbx3: down before the shell starts
    term = Terminal(["--group", "lab"], {"XDG_STATE_HOME": str(tmp_path), "AMISH_CONFIG": str(config),
                                         "AMISH_SECRET": None})
    try:
        term.wait_text(" Transcript ", timeout=20)
        term.wait_for(lambda t: "pbx2: gone: " in t and "not retrying" in t, timeout=20, what="pbx2 given up")
        term.wait_for(lambda t: "pbx3: cannot connect: " in t and "retrying in the background" in t, timeout=20,
                      what="pbx3 said down")
        assert "not-the-secret" not in term.text()
        term.wait_for(lambda t: prompt_line(term).startswith("pbx1> ") and "(1/3 servers up)" in t,
                      what="pbx1 current, one server up")
        term.send("/all Ping\r")
        term.wait_text("sent to 1 server: pbx1; not connected, not sent: pbx2, pbx3")
        term.wait_text("── pbx1 ──")
        term.send("/use\r")
        term.wait_for(lambda t: "  pbx2  127.0.0.1:" in t and "gone" in t.split("  pbx2  ", 1)[1].split("\n")[0],
                      what="/use lists pbx2 gone")
        asterisk_fleet[2].start()
        term.wait_for(lambda t: "pbx3: back: reconnected after" in t, timeout=60, what="pbx3 back")
        term.wait_for(lambda t: "(2/3 servers up)" in t, what="two servers up")
        term.send("/all Ping\r")
        term.wait_text("sent to 2 servers: pbx1, pbx3; not connected, not sent: pbx2")
        assert "pbx2: back" not in term.text()  # a refused login is never tried again
    finally:
        term.close()
        for box in asterisk_fleet:
            box.start()
