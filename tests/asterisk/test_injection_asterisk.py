"""Header injection judged by the real Asterisk: no input makes it run an action that was not asked for.

The fake-server tests (test_faults_user.py) judge what amish sends with a
reader written to Asterisk's rules; these send the same attempts to the
sandbox Asterisk itself. The injected action is a harmless, observable one:
``UserEvent`` with a unique name. A witness session (events on) then sends a
marker UserEvent of its own; events reach it in order, so once the marker is
in, an injected event would be in too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest

from amish.transports.connection import Closed, Connection
from amish.core.protocol import Message

from conftest import ADMIN, ROOT

pytestmark = pytest.mark.asterisk

BREAKS = ["\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]


def attempts(name: str) -> list[tuple[str, bytes, tuple[str, ...]]]:
    """(id, stdin, extra args): each tries to make Asterisk run `UserEvent: name`."""
    inject = f"Action: UserEvent{{b}}UserEvent: {name}{{b}}"
    out = [
        ("escapes-typed-as-text",
         ('Ping Data="a\\r\\n\\r\\n' + inject.format(b="\\r\\n") + '"\n').encode(), ()),
        ("variable-one-line", b"Ping Data=${V}\n", ("--var", "V=a\r\n\r\n" + inject.format(b="\r\n"))),
        ("variable-telnet", b"Action: Ping\nData: ${V}\n\n", ("--var", "V=a\r\n\r\n" + inject.format(b="\r\n"))),
        ("lone-cr-telnet", ("Action: Ping\r\nData: a\r\r" + inject.format(b="\r") + "\r\n\r\n").encode(), ()),
        # a line that fills Asterisk's 1024-byte buffer: what follows must not become a message of its own
        # (a line of 1023 bytes, or any multiple, ends where Asterisk's buffer does: its CR and LF are
        # read apart, as an empty line that ends the message, and the rest runs as a message of its own)
        ("line-of-1023-bytes-telnet",
         ("Action: Ping\nData: " + "y" * 1017 + "\n" + inject.format(b="\n") + "\n").encode(), ()),
        ("line-of-2046-bytes-telnet",
         ("Action: Ping\nData: " + "y" * 2040 + "\n" + inject.format(b="\n") + "\n").encode(), ()),
        ("line-of-1023-bytes-one-line",
         ("Ping Data=" + "y" * 1017 + f" Action=UserEvent UserEvent={name}\n").encode(), ()),
    ]
    for i, brk in enumerate(BREAKS):
        out.append((f"break-{i}-{brk.encode('unicode_escape').decode()}",
                    ('Ping Data="a' + brk + brk + inject.format(b=brk) + '"\n').encode(), ()))
    return out


IDS = [a[0] for a in attempts("X")]


@pytest.fixture
def witness(asterisk):
    conn = Connection(asterisk.host, asterisk.port)
    conn.connect()
    conn.login(*ADMIN)
    yield conn
    conn.close()


def user_events_until_marker(conn: Connection, sub, timeout: float = 30.0) -> list[str]:
    """The UserEvent names seen up to our own marker (sent now, so everything before it is in)."""
    marker = f"AmishMarker-{uuid.uuid4().hex[:8]}"
    assert conn.send([("Action", "UserEvent"), ("UserEvent", marker)]).ok
    names: list[str] = []
    while True:
        item = sub.get(timeout=timeout)  # an upper bound only
        assert item is not None, f"the marker never came; saw {names}"
        assert not isinstance(item, Closed), item
        if isinstance(item, Message) and item.is_event("UserEvent"):
            if item.get("UserEvent") == marker:
                return names
            names.append(item.get("UserEvent") or "")


@pytest.mark.parametrize("index", range(len(IDS)), ids=IDS)
def test_asterisk_runs_no_injected_action(asterisk, witness, tmp_path, index):
    name = f"AmishInjected{uuid.uuid4().hex[:8]}"
    _, stdin, extra = attempts(name)[index]
    sub = witness.subscribe()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
    env.update(AMISH_SECRET=ADMIN[1], XDG_CONFIG_HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "amish", "-u", "admin", *extra, asterisk.host, str(asterisk.port)],
                          input=stdin, capture_output=True, env=env, cwd=ROOT, timeout=60)
    assert proc.returncode in (0, 1, 4), proc.stderr  # sent (Pong or Asterisk's Error) or refused as bad input
    assert b"Traceback" not in proc.stderr
    seen = user_events_until_marker(witness, sub)
    assert name not in seen, (proc.stdout, proc.stderr)
