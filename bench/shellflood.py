"""The full-screen shell under a flood: keystroke echo latency, redraws, memory.

    python bench/shellflood.py --events 1150000 --warmup 150000 [--keys 150]

Starts the flood server, then `amish -u admin 127.0.0.1 PORT` in a
pseudo-terminal (TERM=xterm, PROMPT_TOOLKIT_NO_CPR=1, 120x36), its screen
kept by pyte. While the server streams as fast as amish reads:

- types a realistic line (an Originate with its headers) one character at a
  time, 25-60 ms apart (completion while typing stays on, as for a person),
  clearing it with Ctrl-C now and then, and measures each keystroke's echo:
  from writing the key to reading the output that puts it on the pyte screen's
  input line;
- counts redraws (each prompt_toolkit render hides the cursor first: ESC[?25l)
  and bytes written to the terminal per second;
- reads VmRSS from /proc/PID/status once `--warmup` events were sent, then
  when `--events` were sent: the growth over the events in between.

Prints one ``RESULT {json}`` line. Bounded: the flood server stops after
--events, everything after --max-seconds.

A big PBX (``--calls 5000 --call-rate 200 --view channels``): the server sends
call lifecycles instead of the captured mix (bench/callflood.py), the shell
shows its Channels view (F6) while the keys are typed, and memory is read
before the flood, once the ended calls kept (``--keep-calls``) are full, and
``--calls-window`` seconds later.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import statistics
import subprocess
import sys
import threading
import time

import pexpect
import pyte

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import SECRET, emit  # noqa: E402

ROWS, COLS = 36, 120
LINE = "Originate Channel=Local/echo@amish-test Application=Wait Data=0.2 Async=true CallerID=7001"
HIDE_CURSOR = b"\x1b[?25l"


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Screen:
    """Reads the pty all the time (amish never waits on us), keeps the pyte screen."""

    def __init__(self, child: pexpect.spawn):
        self.child = child
        self.fd = child.child_fd
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.lock = threading.Lock()
        self.bytes = 0
        self.redraws = 0
        self.expect: str | None = None
        self.echo_at: float | None = None
        self.changed = threading.Event()
        self.closed = False
        self.tail = b""
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.fd], [], [], 0.5)
                if not ready:
                    continue
                data = os.read(self.fd, 1 << 20)
            except OSError:
                data = b""
            if not data:
                self.closed = True
                self.changed.set()
                return
            at = time.perf_counter()
            with self.lock:
                self.bytes += len(data)
                both = self.tail + data
                self.redraws += both.count(HIDE_CURSOR) - self.tail.count(HIDE_CURSOR)
                self.tail = data[-8:]
                self.stream.feed(data)
                if self.expect is not None and self.echo_at is None and self.echoed(self.expect):
                    self.echo_at = at
            self.changed.set()

    def echoed(self, expect: str) -> bool:
        """The input line reads `expect` and the cursor stands after it (a typed space shows only so)."""
        display = self.screen.display
        y = self.screen.cursor.y
        return (0 <= y < len(display) and display[y].rstrip() == expect.rstrip()
                and self.screen.cursor.x == len(expect))

    def input_line(self) -> str:
        for line in reversed(self.screen.display):
            if line.startswith("ami> "):
                return line.rstrip()
        return ""

    def text(self) -> str:
        with self.lock:
            return "\n".join(self.screen.display)

    def wait_for(self, predicate, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if predicate():
                    return True
            self.changed.wait(0.05)
            self.changed.clear()
        return False

    def keystroke(self, key: str, expect: str, timeout: float = 5.0) -> float | None:
        """Send one key; seconds until the input line reads `expect` (None: never)."""
        with self.lock:
            self.expect = expect
            self.echo_at = None
        sent = time.perf_counter()
        os.write(self.fd, key.encode())
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if self.echo_at is not None:
                    return self.echo_at - sent
            self.changed.wait(0.02)
            self.changed.clear()
        return None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--events", type=int, default=30_000_000, help="events the server sends at most")
    p.add_argument("--warmup", type=int, default=150_000, help="events sent before the first memory reading")
    p.add_argument("--warm-received", type=int, default=60_000,
                   help="...and events the shell has taken in (its stores full: capacity 50000)")
    p.add_argument("--window", type=int, default=1_000_000, help="events sent between the two memory readings")
    p.add_argument("--keys", type=int, default=150)
    p.add_argument("--typing-seconds", type=float, default=20.0)
    p.add_argument("--max-seconds", type=float, default=90.0, help="the flood and the whole run stop after this long")
    p.add_argument("--amish", default=os.path.join(os.path.dirname(sys.executable), "amish"))
    p.add_argument("--profile", metavar="FILE", help="py-spy the shell while typing (collapsed stacks to FILE)")
    p.add_argument("--calls", type=int, default=0, help="a big PBX: this many concurrent calls (floodserver --calls)")
    p.add_argument("--call-rate", type=float, default=200.0, help="with --calls: new calls a second")
    p.add_argument("--keep-calls", type=int, default=1000, help="with --calls: the shell's --keep-calls")
    p.add_argument("--calls-window", type=float, default=10.0, help="with --calls: seconds between the memory readings")
    p.add_argument("--warmup-events", type=int, default=0,
                   help="with --calls: this many UserEvents fill the events store before the calls (memory from there)")
    p.add_argument("--view", choices=("events", "channels", "calls"), default="events",
                   help="what the shell shows while the keys are typed (F6: channels, F7: calls)")
    a = p.parse_args()
    if a.calls:
        return main_calls(a)

    server = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "floodserver.py"), "--events", str(a.events), "--connections", "1",
         "--max-seconds", str(a.max_seconds + 5), "--progress"],
        stdout=subprocess.PIPE, text=True,
    )
    port = int(server.stdout.readline().split()[1])
    sent = [0]
    progress: list[tuple[float, int]] = []
    server_done = threading.Event()

    def watch_server():
        for line in server.stdout:
            if line.startswith("sent "):
                sent[0] = int(line.split()[1])
                progress.append((time.monotonic(), sent[0]))
            elif line.startswith("done"):
                server_done.set()
        server_done.set()

    threading.Thread(target=watch_server, daemon=True).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
    env.update(TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", AMISH_SECRET=SECRET, XDG_STATE_HOME="/tmp/amish-bench-state",
               NO_COLOR="")
    env.pop("NO_COLOR")
    cmd, args = a.amish, []
    child = pexpect.spawn(cmd, args + ["-u", "admin", "127.0.0.1", str(port)], env=env, dimensions=(ROWS, COLS))
    screen = Screen(child)
    result: dict = {"events": a.events, "warmup": a.warmup, "window": a.window}
    deadline = time.monotonic() + a.max_seconds
    try:
        if not screen.wait_for(lambda: screen.input_line().startswith("ami>"), 30):
            raise SystemExit("no prompt:\n" + screen.text())
        # typing starts once the flood is on
        while sent[0] < min(20_000, a.events // 2) and time.monotonic() < deadline:
            time.sleep(0.05)
        t_flood = time.monotonic()
        spy = None
        if a.profile:
            spy = subprocess.Popen(
                [os.path.join(os.path.dirname(sys.executable), "py-spy"), "record", "--pid", str(child.pid), "--threads",
                 "-r", "200", "-f", "raw", "-o", a.profile], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        b0, r0 = screen.bytes, screen.redraws
        latencies: list[float] = []
        missed = 0
        misses: list[dict] = []
        typed = ""
        import random

        rng = random.Random(7)
        typing_deadline = time.monotonic() + a.typing_seconds
        while (len(latencies) + missed < a.keys and time.monotonic() < min(deadline, typing_deadline)
               and not server_done.is_set()):
            if len(typed) >= len(LINE) or (typed and rng.random() < 0.02):
                screen.keystroke("\x03", "ami> ", timeout=2.0)  # Ctrl-C clears the input
                typed = ""
                time.sleep(0.05)
                continue
            typed += LINE[len(typed)]
            lat = screen.keystroke(typed[-1], "ami> " + typed, timeout=2.0)
            if lat is None:
                missed += 1
                misses.append({"expected": "ami> " + typed, "screen": screen.input_line()})
                screen.wait_for(lambda: screen.echoed("ami> " + typed), 5.0)
            else:
                latencies.append(lat)
            time.sleep(rng.uniform(0.025, 0.06))
        t_typed = time.monotonic()
        b1, r1 = screen.bytes, screen.redraws
        if spy is not None:
            spy.send_signal(2)
            spy.wait(30)
        sent_while_typing = sent[0]

        # memory: from warm-up (the shell's stores full) over the next --window events
        def received() -> int:
            m = re.search(r"(\d+) shown of (\d+) received", screen.text())
            return int(m.group(2)) if m else 0

        while (sent[0] < a.warmup or received() < a.warm_received) and not server_done.is_set() and time.monotonic() < deadline:
            time.sleep(0.1)
        rss_warm = (sent[0], rss_kib(child.pid), received())
        rss_max = rss_warm[1]
        samples = []
        while sent[0] < rss_warm[0] + a.window and not server_done.is_set() and time.monotonic() < deadline:
            rss = rss_kib(child.pid)
            rss_max = max(rss_max, rss)
            samples.append((sent[0], rss))
            time.sleep(0.25)
        t_end = time.monotonic()
        rss_end = (sent[0], rss_kib(child.pid), received())
        text = screen.text()
        title = re.search(r"(\d+) shown of (\d+) received(?:, (\d+) evicted)?(?:, (\d+) dropped)?", text)
        lat_ms = sorted(x * 1000 for x in latencies)

        def pct(q):
            return lat_ms[min(len(lat_ms) - 1, int(round(q * (len(lat_ms) - 1))))] if lat_ms else None

        first = progress[0] if progress else (t_flood, 0)
        last = progress[-1] if progress else (t_end, sent[0])
        result.update(
            keystrokes=len(latencies),
            missed=missed,
            misses=misses[:5],
            p50_ms=pct(0.50),
            p90_ms=pct(0.90),
            p99_ms=pct(0.99),
            max_ms=lat_ms[-1] if lat_ms else None,
            mean_ms=statistics.fmean(lat_ms) if lat_ms else None,
            typing_seconds=t_typed - t_flood,
            redraws_per_s=(r1 - r0) / (t_typed - t_flood),
            tty_kib_per_s=(b1 - b0) / 1024 / (t_typed - t_flood),
            sent_while_typing=sent_while_typing,
            flood_rate=(last[1] - first[1]) / (last[0] - first[0]) if last[0] > first[0] else None,
            rss_warm_kib=rss_warm[1],
            rss_warm_at=rss_warm[0],
            rss_warm_received=rss_warm[2],
            rss_end_kib=rss_end[1],
            rss_end_at=rss_end[0],
            rss_end_received=rss_end[2],
            window_sent=rss_end[0] - rss_warm[0],
            rss_max_kib=rss_max,
            rss_growth_mib=(rss_end[1] - rss_warm[1]) / 1024,
            rss_samples=samples[:: max(1, len(samples) // 40)],
            shown=int(title.group(1)) if title else None,
            received=int(title.group(2)) if title else None,
            dropped=int(title.group(4)) if title and title.group(4) else 0,
            flood_seconds=t_end - t_flood,
        )
    finally:
        try:
            child.sendcontrol("d")
            child.expect(pexpect.EOF, timeout=10)
        except Exception:
            pass
        if child.isalive():
            child.terminate(force=True)
        server.terminate()
        server.wait(10)
    emit(result)


def main_calls(a) -> None:
    """A big PBX: call lifecycles, a view open, keystroke echo, then memory with the ended calls kept full."""
    server = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "floodserver.py"), "--events", str(a.events), "--connections", "1",
         "--max-seconds", str(a.max_seconds + 5), "--progress", "--calls", str(a.calls), "--call-rate", str(a.call_rate),
         "--warmup-events", str(a.warmup_events)],
        stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True,
    )
    port = int(server.stdout.readline().split()[1])
    state = {"sent": 0, "made": 0, "ended": 0}
    server_done = threading.Event()
    warm = threading.Event()

    def watch_server():
        for line in server.stdout:
            if line.startswith("warm"):
                warm.set()
            elif line.startswith("sent "):
                parts = line.split()
                state.update(sent=int(parts[1]), made=int(parts[3]), ended=int(parts[5]))
            elif line.startswith("done"):
                server_done.set()
        server_done.set()

    threading.Thread(target=watch_server, daemon=True).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMISH_")}
    env.update(TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1", AMISH_SECRET=SECRET, XDG_STATE_HOME="/tmp/amish-bench-state")
    child = pexpect.spawn(a.amish, ["--keep-calls", str(a.keep_calls), "-u", "admin", "127.0.0.1", str(port)],
                          env=env, dimensions=(ROWS, COLS))
    screen = Screen(child)
    result: dict = {"calls": a.calls, "call_rate": a.call_rate, "keep_calls": a.keep_calls, "view": a.view}
    deadline = time.monotonic() + a.max_seconds
    key = {"channels": "\x1b[17~", "calls": "\x1b[18~"}.get(a.view)
    try:
        if not screen.wait_for(lambda: screen.input_line().startswith("ami>"), 30):
            raise SystemExit("no prompt:\n" + screen.text())
        rss_cold = rss_kib(child.pid)
        if a.warmup_events:
            # the events store filled first (by events no call tracker reads), as any busy PBX fills it: the growth
            # measured from here is the call model's (the store is bounded; "Shell under flood" measures it)
            warm.wait(a.max_seconds / 3)
            want = min(a.warmup_events, 50_000) * 0.95
            until = time.monotonic() + 20
            while time.monotonic() < until:
                m = re.search(r"of (\d+) received", screen.text())
                if m and int(m.group(1)) >= want:
                    break
                time.sleep(0.25)
            time.sleep(1.0)
        rss_before = rss_kib(child.pid)
        server.stdin.write("go\n")
        server.stdin.flush()
        title = {"channels": " Channels ", "calls": " Calls "}.get(a.view)
        # the PBX as found (every call up) is in the view before typing starts
        while time.monotonic() < deadline:
            if title is None or re.search(title + r"\d+ shown of (\d+)", screen.text()):
                m = re.search(r" Channels \d+ shown of (\d+)", screen.text())
                if title is None or (m and int(m.group(1)) >= a.calls * 2 * 0.9):
                    break
            if key and title not in screen.text():
                os.write(screen.fd, key.encode())
                time.sleep(0.5)
                os.write(screen.fd, b"\x1b")  # the focus back on the input line, the view stays
            time.sleep(0.25)
        t_loaded = time.monotonic()
        spy = None
        if a.profile:
            spy = subprocess.Popen(
                [os.path.join(os.path.dirname(sys.executable), "py-spy"), "record", "-p", str(child.pid), "--threads",
                 "-r", "200", "-f", "raw", "-o", a.profile], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        lat_ms, missed, slowest = _type_keys(screen, a, deadline)
        t_typed = time.monotonic()
        if spy is not None:
            spy.send_signal(2)
            spy.wait(30)
        while state["ended"] < a.keep_calls + a.call_rate and not server_done.is_set() and time.monotonic() < deadline:
            time.sleep(0.2)
        rss_warm = rss_kib(child.pid)
        ended_warm = state["ended"]
        end = time.monotonic() + a.calls_window
        rss_max = rss_warm
        while time.monotonic() < min(end, deadline) and not server_done.is_set():
            rss_max = max(rss_max, rss_kib(child.pid))
            time.sleep(0.25)
        rss_end = rss_kib(child.pid)
        m = re.search(r" (Channels|Calls) (\d+) shown of (\d+)", screen.text())

        def pct(q):
            return lat_ms[min(len(lat_ms) - 1, int(round(q * (len(lat_ms) - 1))))] if lat_ms else None

        result.update(
            keystrokes=len(lat_ms), missed=missed, p50_ms=pct(0.5), p90_ms=pct(0.9), p99_ms=pct(0.99),
            max_ms=lat_ms[-1] if lat_ms else None, slowest=slowest, seconds_to_load=t_loaded - (deadline - a.max_seconds),
            typing_seconds=t_typed - t_loaded, calls_made=state["made"], calls_ended=state["ended"],
            ended_at_warm=ended_warm, rss_cold_kib=rss_cold, warmup_events=a.warmup_events, rss_before_kib=rss_before, rss_warm_kib=rss_warm, rss_end_kib=rss_end,
            rss_max_kib=rss_max, rss_growth_mib=(rss_end - rss_before) / 1024,
            rss_window_growth_mib=(rss_end - rss_warm) / 1024,
            view_rows=int(m.group(3)) if m else None, sent=state["sent"],
        )
    finally:
        try:
            child.sendcontrol("d")
            child.expect(pexpect.EOF, timeout=10)
        except Exception:
            pass
        if child.isalive():
            child.terminate(force=True)
        server.terminate()
        server.wait(10)
    emit(result)


def _clear_input(screen: "Screen") -> None:
    """Ctrl-C until the input line is empty, as a person does: with the completion menu open the
    first one only closes the menu (amish's binding), and keys typed after it would land on the old line."""
    for _ in range(3):
        if screen.keystroke("\x03", "ami> ", timeout=1.0) is not None:
            return


def _type_keys(screen: "Screen", a, deadline: float) -> tuple[list[float], int, list]:
    """Type LINE a key at a time (as main does); the echo latencies (ms, sorted), the keys never echoed,
    and the slowest keys: [ms (None: never echoed), the input line it should have made]."""
    import random

    rng = random.Random(7)
    latencies: list[float] = []
    missed = 0
    typed = ""
    each: list = []
    typing_deadline = time.monotonic() + a.typing_seconds
    while len(latencies) + missed < a.keys and time.monotonic() < min(deadline, typing_deadline):
        if len(typed) >= len(LINE) or (typed and rng.random() < 0.02):
            _clear_input(screen)
            typed = ""
            time.sleep(0.05)
            continue
        typed += LINE[len(typed)]
        lat = screen.keystroke(typed[-1], "ami> " + typed, timeout=2.0)
        each.append((None if lat is None else round(lat * 1000, 1), typed))
        if lat is None:
            missed += 1
            late = time.monotonic()
            screen.wait_for(lambda: screen.echoed("ami> " + typed), 5.0)
            each[-1] = (None, typed, {"screen": screen.input_line(), "then_s": round(time.monotonic() - late + 2, 2)})
        else:
            latencies.append(lat * 1000)
        time.sleep(rng.uniform(0.025, 0.06))
    slowest = sorted(each, key=lambda e: -1e9 if e[0] is None else -e[0])[:6]
    return sorted(latencies), missed, slowest


if __name__ == "__main__":
    main()
