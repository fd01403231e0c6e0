"""Changing the sandbox's live manager.conf for one test, safely: shared by the audit and HTTP tests.

A variant is written in place, `manager reload`ed, and the canonical file (sandbox/etc/manager.conf
with scripts/asterisk-sandbox's substitutions, never a copy of the live file) always comes back.
A lock file next to the chroot serialises the runs that share the sandbox.
"""

from __future__ import annotations

import contextlib
import fcntl
import re
from pathlib import Path

from conftest import ADMIN, READER, ROOT

LIVE_REL = Path("etc/asterisk/manager.conf")


def canonical_manager_conf(asterisk) -> str:
    """sandbox/etc/manager.conf as scripts/asterisk-sandbox writes it (the same substitutions)."""
    text = (ROOT / "sandbox" / "etc" / "manager.conf").read_text()
    return (text.replace("@AMI_PORT@", str(asterisk.port)).replace("@TLS_PORT@", str(asterisk.tls_port))
            .replace("@HTTP_PORT@", str(asterisk.http_port)))


def admin_can_log_in(asterisk) -> bool:
    from amish.transports.connection import Connection

    conn = Connection(asterisk.host, asterisk.port)
    try:
        conn.connect()
        conn.login(*ADMIN)
        return conn.send([("Action", "Ping")]).ok
    finally:
        conn.close()


@contextlib.contextmanager
def manager_conf_lock(asterisk, exclusive: bool):
    """Serialise the tests that change (or depend on) the live manager.conf across pytest runs
    sharing the sandbox: a variant is only ever seen, and restored, by the run that wrote it."""
    lock_path = Path(asterisk.root).parent / "amish-audit-manager-conf.lock"
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextlib.contextmanager
def live_manager_conf(asterisk):
    """Yield apply(text): write a manager.conf variant into the running sandbox; the original always comes back."""
    path = Path(asterisk.root) / LIVE_REL
    original = canonical_manager_conf(asterisk)

    def apply(text: str) -> None:
        for must in (f"port = {asterisk.port}", "bindaddr = 127.0.0.1", f"tlsbindaddr = 127.0.0.1:{asterisk.tls_port}",
                     f"secret = {ADMIN[1]}", f"secret = {READER[1]}"):
            assert must in text, must
        assert re.findall(r"(?m)^\s*(?:tls)?bindaddr\s*=\s*(\S+)", text) == ["127.0.0.1", f"127.0.0.1:{asterisk.tls_port}"]
        path.write_text(text)  # in place: owner and mode stay
        asterisk.cli("manager reload")

    with manager_conf_lock(asterisk, exclusive=True):
        try:
            yield apply
        finally:
            path.write_text(original)
            asterisk.cli("manager reload")
            assert admin_can_log_in(asterisk), "the admin account must work for the rest of the suite"


@contextlib.contextmanager
def short_http_sessions(asterisk, seconds: int = 3):
    """manager.conf with ``httptimeout = seconds``: an HTTP session left silent longer is forgotten.

    Pausing amish (SIGSTOP) longer than that is how a test makes the real server forget a
    session that amish's polls would otherwise keep alive.
    """
    with live_manager_conf(asterisk) as apply:
        apply(canonical_manager_conf(asterisk).replace("[general]\n", f"[general]\nhttptimeout = {seconds}\n", 1))
        yield


def purge_expired_sessions(asterisk) -> None:
    """Have Asterisk forget the manager sessions past their time now, not up to 5 s later.

    Asterisk purges expired sessions in the AMI listener's accept loop: every 5 s, and at once
    after a connection is accepted. A test connects to the AMI port to make that happen when it
    wants it (so a session left silent longer than httptimeout is really gone).
    """
    import socket
    import time

    with socket.create_connection((asterisk.host, asterisk.port), timeout=5):
        pass
    time.sleep(0.5)
