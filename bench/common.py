"""Shared by the bench scripts: the captured event mix, the stream built from it,
and the fidelity check (counts and a checksum of a canonical form of headers).

Standard library only: every client's venv imports this file, whatever it has
installed. Nothing here uses amish, so the expected figures do not depend on
the code being measured.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
CAPTURE = DATA / "sandbox-capture.ami"

USER = "admin"
SECRET = "amish-admin-secret"

#: Every SAMPLE_EVERY-th event (by index in the stream) has all its headers checksummed.
SAMPLE_EVERY = 97
#: The last event of a flood: clients stop their clock on it and do not count it.
END_EVENT = "BenchEnd"


def split_messages(data: bytes) -> list[bytes]:
    """Complete messages of a CRLF stream, each with its terminating blank line."""
    out = []
    for part in data.split(b"\r\n\r\n"):
        part = part.lstrip(b"\r\n")
        if part:
            out.append(part + b"\r\n\r\n")
    return out


def reference_headers(raw: bytes) -> list[tuple[str, str]]:
    """The (key, value) pairs of one message: the simplest correct reading."""
    text = raw.decode("utf-8", "surrogateescape")
    pairs = []
    for line in text.split("\r\n"):
        if not line:
            continue
        key, sep, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        pairs.append((key, value))
    return pairs


def load_capture() -> tuple[bytes, list[bytes], dict[str, list[bytes]]]:
    """(banner line, the events of the capture, captured responses by action name).

    The capture is the server side of a session with the sandbox Asterisk
    (bench/capture.py): a banner, then responses and events.
    """
    data = CAPTURE.read_bytes()
    nl = data.index(b"\n")
    banner, rest = data[: nl + 1], data[nl + 1 :]
    events = [m for m in split_messages(rest) if m.startswith(b"Event:")]
    meta = json.loads((DATA / "sandbox-capture.json").read_text())
    responses: dict[str, list[bytes]] = {}
    messages = split_messages(rest)
    by_id: dict[str, list[bytes]] = {}
    for m in messages:
        for key, value in reference_headers(m):
            if key.lower() == "actionid":
                by_id.setdefault(value, []).append(m)
                break
    for action_id, name in meta["actions"].items():
        if name.lower() not in responses and action_id in by_id:
            responses[name.lower()] = by_id[action_id]
    return banner, events, responses


def fully_booted() -> bytes:
    return b"Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 1234\r\nLastReload: 1234\r\nStatus: Fully Booted\r\n\r\n"


def end_event(n: int) -> bytes:
    return f"Event: {END_EVENT}\r\nPrivilege: system,all\r\nEvents: {n}\r\n\r\n".encode()


def stream_events(mix: list[bytes], n: int) -> list[bytes]:
    """The n events of a flood (FullyBooted, then the mix over and over), without the end marker."""
    out = [fully_booted()]
    m = len(mix)
    out.extend(mix[i % m] for i in range(n - 1))
    return out


def canonical(pairs) -> bytes:
    """An order-free canonical form of one event's headers: sorted lowercase-key/value lines."""
    return "\x01".join(sorted(f"{(k or '').lower()}\x00{v}" for k, v in pairs)).encode("utf-8", "surrogateescape")


class Tally:
    """What every client computes in its event callback (identically, so the work is the same).

    Counts events and their names, reads one more header (as any real consumer
    would), and checksums the canonical headers of every SAMPLE_EVERY-th event.
    """

    __slots__ = ("n", "names", "digest", "sampled", "samples")

    def __init__(self):
        self.n = 0
        self.names: dict[str, int] = {}
        self.digest = hashlib.sha256()
        self.sampled = 0
        self.samples: list[str] = []

    def sample(self, pairs) -> None:
        """Checksum one event's headers (called for every SAMPLE_EVERY-th event)."""
        c = canonical(pairs)
        self.digest.update(c)
        self.samples.append(hashlib.sha256(c).hexdigest()[:10])
        self.sampled += 1

    def result(self) -> dict:
        return {
            "events": self.n,
            "names": self.names,
            "sha256": self.digest.hexdigest(),
            "sampled": self.sampled,
            "samples": self.samples,
        }


def expected(mix: list[bytes], n: int) -> dict:
    """What a client that received the flood intact reports."""
    t = Tally()
    for raw in stream_events(mix, n):
        pairs = reference_headers(raw)
        name = pairs[0][1]
        t.names[name] = t.names.get(name, 0) + 1
        if t.n % SAMPLE_EVERY == 0:
            t.sample(pairs)
        t.n += 1
    return t.result()


def compare(got: dict, want: dict, mix: list[bytes] | None = None) -> list[str]:
    """What differs between a client's report and the expected one (empty: intact)."""
    problems = []
    if got.get("events") != want["events"]:
        problems.append(f"received {got.get('events')} events of {want['events']}")
    gn, wn = got.get("names") or {}, want["names"]
    if got.get("names") is not None and gn != wn:
        diff = sorted(k for k in set(gn) | set(wn) if gn.get(k) != wn.get(k))
        shown = ", ".join(f"{k}: {gn.get(k, 0)}/{wn.get(k, 0)}" for k in diff[:4])
        problems.append(f"event counts differ for {len(diff)} names ({shown})")
    if got.get("sha256") is not None and got.get("sha256") != want["sha256"]:
        gs, ws = got.get("samples") or [], want["samples"]
        bad = [i for i in range(min(len(gs), len(ws))) if gs[i] != ws[i]] + list(range(min(len(gs), len(ws)), max(len(gs), len(ws))))
        why = ""
        if mix is not None and bad:
            # what the events whose headers differ have in common (a hint; the README says what was verified)
            traits = {"a repeated header": 0, "an empty last value": 0, "non-ASCII text": 0, "none of these": 0}
            for i in bad:
                index = i * SAMPLE_EVERY
                raw = fully_booted() if index == 0 else mix[(index - 1) % len(mix)]
                pairs = reference_headers(raw)
                keys = [k.lower() for k, _ in pairs]
                hits = [len(keys) != len(set(keys)), pairs[-1][1] == "", any(b > 127 for b in raw)]
                for name, hit in zip(traits, hits):
                    traits[name] += hit
                traits["none of these"] += not any(hits)
            why = " (of those, " + ", ".join(f"{n} hold {t}" for t, n in traits.items() if n) + ")"
        problems.append(f"{len(bad)} of {len(ws)} sampled events differ{why}")
    return problems


def emit(result: dict) -> None:
    """A client's one line of output for the harness."""
    sys.stdout.write("RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))
