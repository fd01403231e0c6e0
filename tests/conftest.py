"""Shared fixtures. The sandbox Asterisk is a real Asterisk 22 in a chroot.

scripts/test starts it and exports AMISH_TEST_*; when pytest is run by hand the
`asterisk` fixture starts it itself. A missing Asterisk fails the tests that
need it: it is never a reason to skip.

This file stays at the top of tests/; which folder holds which kind of test is in
tests/README.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SANDBOX = ROOT / "scripts" / "asterisk-sandbox"

ADMIN = ("admin", "amish-admin-secret")
READER = ("reader", "amish-reader-secret")


@dataclass(frozen=True)
class Sandbox:
    host: str
    port: int
    tls_port: int
    http_port: int
    https_port: int
    cafile: str
    other_cafile: str
    root: str
    instance: int = 0  # 0: the default Asterisk; N: instance N of the same chroot (its own dirs and ports)

    def _script(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        env = dict(os.environ)
        if self.instance:
            env["AMISH_SANDBOX_INSTANCE"] = str(self.instance)
        return subprocess.run([str(SANDBOX), *argv], check=check, capture_output=True, text=True, timeout=120, env=env)
    sip_port: int = 0  # PJSIP's UDP port (the SIPp phones: tests/support/sipphones.py)
    rtp_base: int = 0  # the sandbox's block of 100 media ports

    def cli(self, command: str) -> str:
        """Run an Asterisk CLI command (asterisk -rx) in the sandbox."""
        return self._script("cli", command).stdout

    def stop(self) -> None:
        """Stop this instance (never the default one: other tests share it)."""
        assert self.instance, "the default sandbox Asterisk is shared: stop an instance of a fleet instead"
        self._script("down")

    def start(self) -> None:
        """Start this instance again (does nothing when it runs)."""
        proc = self._script("up", check=False)
        if proc.returncode != 0:
            pytest.fail(f"sandbox instance {self.instance} did not start:\n{proc.stderr}", pytrace=False)


def _env_from(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


@pytest.fixture(scope="session")
def asterisk() -> Sandbox:
    env = {k: v for k, v in os.environ.items() if k.startswith("AMISH_TEST_")}
    if "AMISH_TEST_PORT" not in env:
        proc = subprocess.run([str(SANDBOX), "up"], capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            pytest.fail(f"the sandbox Asterisk did not start:\n{proc.stderr}", pytrace=False)
        env = _env_from(proc.stdout)
    return Sandbox(
        host=env["AMISH_TEST_HOST"],
        port=int(env["AMISH_TEST_PORT"]),
        tls_port=int(env["AMISH_TEST_TLS_PORT"]),
        http_port=int(env["AMISH_TEST_HTTP_PORT"]),
        https_port=int(env["AMISH_TEST_HTTPS_PORT"]),
        cafile=env["AMISH_TEST_CAFILE"],
        other_cafile=env["AMISH_TEST_OTHER_CAFILE"],
        root=env["AMISH_TEST_ROOT"],
        sip_port=int(env.get("AMISH_TEST_SIP_PORT", "0")),
        rtp_base=int(env.get("AMISH_TEST_RTP_BASE", "0")),
    )


FLEET_SIZE = 3


@pytest.fixture(scope="session")
def _fleet_started():
    boxes = []
    for n in range(1, FLEET_SIZE + 1):
        env = dict(os.environ, AMISH_SANDBOX_INSTANCE=str(n))
        proc = subprocess.run([str(SANDBOX), "up"], capture_output=True, text=True, timeout=900, env=env)
        if proc.returncode != 0:
            pytest.fail(f"sandbox instance {n} did not start:\n{proc.stderr}", pytrace=False)
        e = _env_from(proc.stdout)
        boxes.append(Sandbox(
            host=e["AMISH_TEST_HOST"], port=int(e["AMISH_TEST_PORT"]), tls_port=int(e["AMISH_TEST_TLS_PORT"]),
            http_port=int(e["AMISH_TEST_HTTP_PORT"]), https_port=int(e["AMISH_TEST_HTTPS_PORT"]),
            cafile=e["AMISH_TEST_CAFILE"],
            other_cafile=e["AMISH_TEST_OTHER_CAFILE"], root=e["AMISH_TEST_ROOT"], instance=n,
        ))
    yield boxes
    for n in range(1, FLEET_SIZE + 1):  # started here, stopped here: no Asterisk left running after the tests
        subprocess.run([str(SANDBOX), "down"], capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, AMISH_SANDBOX_INSTANCE=str(n)))


@pytest.fixture
def asterisk_fleet(_fleet_started) -> list[Sandbox]:
    """FLEET_SIZE more real Asterisks (sandbox instances 1..N, same chroot and users, ports of their own),
    started by the tests, never skipped; each is running when the test starts (a test may stop one)."""
    for box in _fleet_started:
        box.start()
    return list(_fleet_started)


@pytest.fixture
def admin(asterisk):
    """A logged-in admin Connection to the sandbox (events on)."""
    from amish.transports.connection import Connection

    conn = Connection(asterisk.host, asterisk.port)
    conn.connect()
    conn.login(*ADMIN)
    yield conn
    conn.close()


@pytest.fixture
def amish_cmd():
    """How to run the amish command line in a subprocess."""
    return [sys.executable, "-m", "amish"]
