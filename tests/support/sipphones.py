"""SIP phones for the sandbox Asterisk: SIPp, in the chroot, one process per phone and call.

sandbox/etc/pjsip.conf knows three phones, alice, bob and carol, each at a static
contact on 127.0.0.1: the sandbox's SIP port + 1, + 2, + 3 (scripts/asterisk-sandbox,
AMISH_SANDBOX_SIP_PORT). Their media ports are in the second half of the sandbox's
media block (AMISH_SANDBOX_RTP_BASE + 50...; Asterisk's RTP has the first half).

A phone plays one of the scenarios in tests/support/sipp/ (what a real phone sends:
INVITE with SDP, ACK, BYE, hold as a re-INVITE with ``a=sendonly`` / ``a=inactive``):

    uac-bye        calls, talks 1 s, hangs up
    uac-wait-bye   calls, talks until the far end hangs up
    uac-hold       calls, holds (sendonly), resumes, holds (inactive), resumes, hangs up
    uac-fail       calls; expects 486 (busy) or 480 (no answer)
    uas-answer     rings 0.3 s, answers, waits for the far end's BYE
    uas-answer-bye rings 0.3 s, answers, talks 1.5 s, hangs up
    uas-busy       answers 486 Busy Here
    uas-ring       rings until cancelled

The dialplan ([amish-sip] in sandbox/etc/extensions.conf) dials the phone named by
the number called (``bob``; ``timeout-bob`` gives up after 2 s).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCENARIOS = Path(__file__).resolve().parent / "sipp"
PHONES = {"alice": 1, "bob": 2, "carol": 3}
_IN_ROOT = "/var/tmp/amish-sipp"


@dataclass(frozen=True)
class SipSandbox:
    root: str  # the chroot (sipp runs inside it)
    sip_port: int  # Asterisk's PJSIP UDP port on 127.0.0.1
    rtp_base: int  # the sandbox's block of 100 media ports

    @classmethod
    def from_env(cls, env) -> "SipSandbox":
        return cls(env["AMISH_TEST_ROOT"], int(env["AMISH_TEST_SIP_PORT"]), int(env["AMISH_TEST_RTP_BASE"]))

    def phone_port(self, phone: str) -> int:
        return self.sip_port + PHONES[phone]

    def media_port(self, phone: str) -> int:
        return self.rtp_base + 40 + 10 * PHONES[phone]


class Phone:
    """One SIPp process playing `phone` through `scenario` (a call if `calls` is given)."""

    def __init__(self, sb: SipSandbox, phone: str, scenario: str, calls: str | None = None, timeout: float = 40):
        self.phone, self.scenario = phone, scenario
        target = Path(sb.root + _IN_ROOT)
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(SCENARIOS / f"{scenario}.xml", target / f"{scenario}.xml")
        cmd = ["chroot", sb.root, "/usr/bin/sipp", "-sf", f"{_IN_ROOT}/{scenario}.xml", "-key", "user", phone,
               "-i", "127.0.0.1", "-p", str(sb.phone_port(phone)), "-mp", str(sb.media_port(phone)),
               "-m", "1", "-nostdin", "-timeout", f"{int(timeout)}s", "-timeout_error",
               "-trace_err", "-error_file", f"{_IN_ROOT}/{phone}-errors.log"]  # fmt: skip
        if calls is not None:
            cmd += ["-s", calls, f"127.0.0.1:{sb.sip_port}"]
        self.errors = target / f"{phone}-errors.log"
        self.errors.unlink(missing_ok=True)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def wait(self, timeout: float = 45) -> None:
        """Wait for the call to end; AssertionError (with SIPp's errors) unless it went as scripted."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(f"{self.phone} ({self.scenario}): SIPp did not finish in {timeout} s") from None
        if self.proc.returncode != 0:
            errors = self.errors.read_text(errors="replace")[-3000:] if self.errors.exists() else ""
            raise AssertionError(f"{self.phone} ({self.scenario}): SIPp exit {self.proc.returncode}\n{errors}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def __enter__(self) -> "Phone":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
