"""amish's benchmark suite: one command, one table (bench/RESULTS.md).

    bench/run [--quick] [--only ingest,calls,tail,bigmsg,shell,bigpbx,startup,pipeline,fleet,http] [--no-write]

Creates its venvs in bench/.venvs/ (amish installed from this checkout as a
user would, `pip install .`, plus pexpect/pyte/py-spy; one venv per peer with
the versions pinned in bench/requirements/), installs netcat-openbsd with apt
if nc is missing, and starts the sandbox Asterisk for the pipeline figure
(scripts/asterisk-sandbox up) when it is not running. Every client runs in a
fresh interpreter, clients take turns, figures are medians. Prints the table
and, unless --quick or --no-write, writes bench/RESULTS.md and
bench/results.json (a run of some sections only, --only, replaces those
sections in bench/results.json and keeps the others, saying so).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENVS = HERE / ".venvs"
sys.path.insert(0, str(HERE))
from common import SAMPLE_EVERY, compare, expected, load_capture  # noqa: E402

PEERS = {
    "panoramisk": ("panoramisk", "panoramisk_ingest.py"),
    "asterisk-ami": ("asterisk-ami", "asteriskami_ingest.py"),
    "pyst2": ("pyst2", "pyst2_ingest.py"),
    "basicami": ("basicami", "basicami_ingest.py"),
}
#: Python AMI clients that are not ingest peers, and why (said under the ingest table).
NOT_PEERS = {
    "astami 1.1.0": "has no way to receive events: it reads the stream only while waiting for a response "
    "and drops every message whose ActionID is not the one it waits for",
}


def log(*args) -> None:
    print("bench:", *args, file=sys.stderr, flush=True)


# -- set-up ---------------------------------------------------------------------------


def venv(name: str) -> Path:
    """bench/.venvs/NAME with bench/requirements/NAME.txt installed (once per change of that file)."""
    path = VENVS / name
    py = path / "bin" / "python"
    req = HERE / "requirements" / f"{name}.txt"
    stamp = path / ".bench-requirements"
    if not py.exists():
        log(f"creating venv {path.relative_to(ROOT)}")
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    if not stamp.exists() or stamp.read_text() != req.read_text():
        log(f"installing {', '.join(req.read_text().split())} into {name}")
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(req)], check=True)
        stamp.write_text(req.read_text())
    return py


def install_amish(py: Path) -> None:
    """The checkout as it is now, installed as `pip install .` would (not editable).

    From a copy in a temporary folder, so the build leaves nothing in the checkout.
    """
    import tempfile

    log("installing amish from this checkout into the bench venv")
    with tempfile.TemporaryDirectory(prefix="amish-bench-src-") as tmp:
        src = Path(tmp) / "amish-src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            if (ROOT / name).exists():
                shutil.copy2(ROOT / name, src / name)
        shutil.copytree(ROOT / "amish", src / "amish", ignore=shutil.ignore_patterns("__pycache__"))
        pip = [str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        if subprocess.run([str(py), "-c", "import prompt_toolkit, rich, pygments"], capture_output=True).returncode:
            subprocess.run(pip + [str(src)], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(pip + ["--force-reinstall", "--no-deps", str(src)], check=True, stdout=subprocess.DEVNULL)


def ensure_nc() -> bool:
    if shutil.which("nc"):
        return True
    if os.geteuid() != 0:
        return False
    log("installing netcat-openbsd (apt)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if subprocess.run(["apt-get", "install", "-y", "-q", "netcat-openbsd"], env=env, capture_output=True).returncode:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "netcat-openbsd"], env=env, capture_output=True)
    return shutil.which("nc") is not None


def sandbox_up(port: int = 15038) -> bool:
    def reachable() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.settimeout(2)
                return b"Call Manager" in s.recv(100)
        except OSError:
            return False

    if reachable():
        return True
    script = ROOT / "scripts" / "asterisk-sandbox"
    if os.geteuid() == 0 and script.exists():
        log("starting the sandbox Asterisk (scripts/asterisk-sandbox up)")
        subprocess.run([str(script), "up"], capture_output=True, timeout=900)
    return reachable()


def machine() -> dict:
    model = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    def git(*args) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        except OSError:
            return ""

    dirty = bool(git("status", "--porcelain", "--", "amish"))
    return {
        "amish": (git("rev-parse", "--short", "HEAD") or "?") + (" + uncommitted changes in amish/" if dirty else ""),
        "nproc": os.cpu_count(),
        "cpu": model or platform.processor(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "loadavg_start": os.getloadavg(),
    }


# -- running --------------------------------------------------------------------------


def run_json(cmd: list, timeout: float = 300, env: dict | None = None) -> dict:
    """Run a bench script; its ``RESULT {json}`` line (or an error)."""
    try:
        proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout,
                              env=env, cwd=str(HERE))
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:g} s"}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {"error": f"exit {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-400:]}"}


class FloodServer:
    def __init__(self, events: int, connections: int, max_seconds: float = 900, quiet: bool = False,
                 fresh_ids: bool = False):  # fmt: skip
        cmd = [sys.executable, str(HERE / "floodserver.py"), "--events", str(events), "--connections",
               str(connections), "--max-seconds", str(max_seconds)] + (["--quiet"] if quiet else [])
        cmd += ["--fresh-ids"] if fresh_ids else []
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline().split()[1])

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def section_ingest(cfg, pys) -> dict:
    _, mix, _ = load_capture()
    n, n_slow, reps = cfg.n, cfg.n_slow, cfg.reps
    clients = [
        ("raw", pys["amish"], ["clients/raw_count.py"], {}),
        ("obvious", pys["amish"], ["clients/obvious.py"], {}),
        ("amish (subscriber thread)", pys["amish"], ["clients/amish_ingest.py", "--mode", "thread"], {}),
        ("amish (in callback)", pys["amish"], ["clients/amish_ingest.py", "--mode", "callback"], {}),
        ("panoramisk", pys["panoramisk"], ["clients/panoramisk_ingest.py"], {}),
        ("asterisk-ami", pys["asterisk-ami"], ["clients/asteriskami_ingest.py"], {}),
        ("pyst2", pys["pyst2"], ["clients/pyst2_ingest.py"], {}),
        ("basicami", pys["basicami"], ["clients/basicami_ingest.py"], {}),
    ]
    want = {n: expected(mix, n), n_slow: expected(mix, n_slow)}
    big = FloodServer(n, reps * len(clients) + 2)
    small = FloodServer(n_slow, reps + 2)
    rows = {name: {"rates": [], "problems": [], "events": n_slow if name == "pyst2" else n} for name, *_ in clients}
    try:
        for r in range(reps):
            for name, py, script, extra in clients:
                server = small if name == "pyst2" else big
                env = dict(os.environ, **extra)
                res = run_json([py, *script, server.port], timeout=180, env=env)
                row = rows[name]
                if "error" in res:
                    row["problems"].append(res["error"])
                    log(f"ingest {name}: {res['error']}")
                    continue
                row["rates"].append(res["rate"])
                if name == "raw":
                    if res["events"] != n:
                        row["problems"].append(f"counted {res['events']} of {n}")
                else:
                    row["problems"] += compare(res, want[rows[name]["events"]], mix)
                    if res.get("dropped"):
                        row["problems"].append(f"{res['dropped']} dropped")
                log(f"ingest run {r + 1}/{reps} {name}: {res['rate']:,.0f} events/s")
    finally:
        big.close()
        small.close()
    for row in rows.values():
        row["median"] = median(row["rates"])
        row["problems"] = sorted(set(row["problems"]))
    return rows


def section_calls(cfg, pys) -> dict:
    """The call tracker keeps up: events/s through connection + CallTracker vs the obvious parser, on
    the sandbox mix with fresh Uniqueids every cycle (new calls, not the same ones again)."""
    n, reps = cfg.n, cfg.reps
    clients = [("obvious", ["clients/obvious.py"]), ("amish + call tracker", ["clients/amish_calls_ingest.py"])]
    server = FloodServer(n, reps * len(clients) + 2, fresh_ids=True)
    rows = {name: {"rates": [], "problems": [], "runs": []} for name, _ in clients}
    try:
        for r in range(reps):
            for name, script in clients:
                res = run_json([pys["amish"], *script, server.port], timeout=300)
                row = rows[name]
                if "error" in res:
                    row["problems"].append(res["error"])
                    log(f"calls {name}: {res['error']}")
                    continue
                row["rates"].append(res["rate"])
                if res["events"] != n:  # FullyBooted, then the mix (BenchEnd not counted)
                    row["problems"].append(f"counted {res['events']} of {n}")
                if res.get("dropped"):
                    row["problems"].append(f"{res['dropped']} dropped")
                row["runs"].append({k: res[k] for k in ("rate", "calls_ended", "live_channels", "ignored") if k in res})
                log(f"calls run {r + 1}/{reps} {name}: {res['rate']:,.0f} events/s"
                    + (f", {res['calls_ended']:,} calls ended" if "calls_ended" in res else ""))
    finally:
        server.close()
    for row in rows.values():
        row["median"] = median(row["rates"])
        row["problems"] = sorted(set(row["problems"]))
    return {"events": n, **rows}


def section_tail(cfg, pys) -> dict:
    reps, n = cfg.reps, cfg.n
    who_all = ("amish", "obvious")
    server = FloodServer(n, len(who_all) * reps + 2)
    out = {who: [] for who in who_all}
    try:
        for _ in range(reps):
            for who in who_all:
                res = run_json([pys["amish"], "tailbench.py", server.port, "--events", n, "--who", who], timeout=120)
                out[who].append(res)
                log(f"tail {who}: {res.get('rate', 0):,.0f} events/s, {res.get('events')} of {n}"
                    + (f", {res['stderr']}" if res.get("stderr") else ""))
    finally:
        server.close()
    return {
        "events": n,
        "amish": {"median": median([r.get("rate") for r in out["amish"]]), "runs": out["amish"]},
        "obvious": {"median": median([r.get("rate") for r in out["obvious"]]), "runs": out["obvious"]},
    }


def section_bigmsg(cfg, pys) -> dict:
    return run_json([pys["amish"], "bigmsg.py", "--reps", 15 if not cfg.quick else 5], timeout=300)


def section_shell(cfg, pys) -> dict:
    args = ["shellflood.py"]
    if cfg.quick:
        args += ["--window", "200000", "--keys", "60", "--typing-seconds", "10", "--max-seconds", "45"]
    res = run_json([pys["amish"], *args], timeout=400)
    log(f"shell: {json.dumps({k: v for k, v in res.items() if k != 'rss_samples'})}")
    return res


def section_bigpbx(cfg, pys) -> dict:
    """A big PBX (5,000 concurrent calls, 200 new a second) with the Channels view open: keystroke echo,
    memory with 1,000 ended calls kept (targets: p99 <= 50 ms, growth <= 50 MB)."""
    args = ["shellflood.py", "--calls", "5000", "--call-rate", "200", "--view", "channels", "--keep-calls", "1000",
            "--warmup-events", "60000",
            "--keys", "150" if not cfg.quick else "60", "--typing-seconds", "20" if not cfg.quick else "10",
            "--calls-window", "10", "--max-seconds", "150"]
    res = run_json([pys["amish"], *args], timeout=400)
    log(f"bigpbx: {json.dumps(res)}")
    return res


def section_startup(cfg, pys) -> dict:
    return run_json([pys["amish"], "startup.py", "--reps", cfg.reps + 2], timeout=300)


def section_pipeline(cfg, pys) -> dict:
    if not ensure_nc():
        return {"error": "nc (netcat-openbsd) is missing and could not be installed"}
    if not sandbox_up():
        return {"error": "the sandbox Asterisk is not running on 127.0.0.1:15038 (scripts/asterisk-sandbox up, as root)"}
    return run_json([pys["amish"], "pipeline.py", "--reps", cfg.reps, "--actions", 50_000, "--base", 1_000], timeout=900)


def section_http(cfg, pys) -> dict:
    """AMI over HTTP on the sandbox (its ports from AMISH_SANDBOX_HTTP_PORT / _AMI_PORT, as the sandbox script)."""
    if shutil.which("curl") is None:
        return {"error": "curl is missing"}
    http_port = int(os.environ.get("AMISH_SANDBOX_HTTP_PORT", 18088))
    ami_port = int(os.environ.get("AMISH_SANDBOX_AMI_PORT", 15038))
    if not sandbox_up(ami_port):
        return {"error": f"the sandbox Asterisk is not running on 127.0.0.1:{ami_port} (scripts/asterisk-sandbox up, as root)"}
    return run_json([pys["amish"], "httpbench.py", "--reps", cfg.reps, "--actions", 10_000, "--base", 1_000,
                     "--events", 20_000, "--http-port", http_port, "--ami-port", ami_port], timeout=1800)


def section_fleet(cfg, pys) -> dict:
    return run_json([pys["amish"], "fleet.py", "--reps", cfg.reps], timeout=900)


SECTIONS = {
    "ingest": section_ingest,
    "calls": section_calls,
    "tail": section_tail,
    "bigmsg": section_bigmsg,
    "shell": section_shell,
    "bigpbx": section_bigpbx,
    "startup": section_startup,
    "pipeline": section_pipeline,
    "fleet": section_fleet,
    "http": section_http,
}


# -- the table ------------------------------------------------------------------------


def fmt_rate(x) -> str:
    return "—" if x is None else f"{x:,.0f}"


def verdict(ok) -> str:
    return "—" if ok is None else ("**met**" if ok else "**missed**")


def shell_cells(s: dict) -> tuple[str, str, str, bool, bool, bool]:
    """(latency, redraws, memory) texts and whether each target is met."""
    lat = (f"p99 {s['p99_ms']:.0f} ms (p50 {s['p50_ms']:.0f}, max {s['max_ms']:.0f}; {s['keystrokes']} keys"
           + (f", {s['missed']} not echoed within 2 s" if s["missed"] else "") + ")")
    red = f"{s['redraws_per_s']:.1f} redraws/s, {s['tty_kib_per_s']:.0f} KiB/s to the terminal"
    if s["redraws_per_s"] < 5 and s["p99_ms"] > 500:
        red += " (bounded because the UI loop is starved: the screen lags the flood by seconds)"
    mem = (f"{s['rss_growth_mib']:+.1f} MiB over {s['window_sent']:,} events sent ({s['rss_warm_kib'] / 1024:.0f} → "
           f"{s['rss_end_kib'] / 1024:.0f} MiB; the shell took in {s['rss_end_received'] - s['rss_warm_received']:,} of them, "
           f"dropped the rest, counted)")
    return (lat, red, mem, s["p99_ms"] <= 50 and not s["missed"], s["redraws_per_s"] <= 40,
            s["rss_growth_mib"] <= 20 and s["window_sent"] >= 1_000_000)


def table(results: dict) -> str:
    rows = []

    def row(target, goal, measured, ok):
        rows.append(f"| {target} | {goal} | {measured} | {verdict(ok)} |")

    detail = []
    r = results.get("ingest")
    if r:
        detail += ["### Ingest: events/s through each client's event callback (median)", "",
                   "| client | events/s | vs obvious | events per run | fidelity |", "| --- | ---: | ---: | ---: | --- |"]
        base = r["obvious"]["median"]
        for name, x in r.items():
            ratio = f"{x['median'] / base:.2f}x" if x["median"] and base else "—"
            fid = "; ".join(x["problems"]) or ("count only (no parsing)" if name == "raw" else "intact")
            detail.append(f"| {name} | {fmt_rate(x['median'])} | {ratio} | {x['events']:,} | {fid} |")
        detail.append("")
        detail += [f"Not measured: {name}, which {why}." for name, why in NOT_PEERS.items()] + [""]
        peers = {k: r[k]["median"] for k in PEERS if r.get(k) and r[k]["median"]}
        best = max(peers, key=peers.get) if peers else None
        for mode in ("subscriber thread", "in callback"):
            a = r.get(f"amish ({mode})", {}).get("median")
            if a and base:
                row(f"Ingest ({mode}) vs the obvious parser", "≥ 1.5x", f"{a / base:.2f}x ({fmt_rate(a)} vs {fmt_rate(base)} events/s)",
                    a / base >= 1.5)
            if a and best:
                row(f"Ingest ({mode}) vs the fastest peer, {best}", "≥ 3x",
                    f"{a / peers[best]:.2f}x ({fmt_rate(a)} vs {fmt_rate(peers[best])} events/s)", a / peers[best] >= 3)
    c = results.get("calls")
    if c and c.get("obvious", {}).get("median") and c.get("amish + call tracker", {}).get("median"):
        a, base = c["amish + call tracker"]["median"], c["obvious"]["median"]
        runs = c["amish + call tracker"]["runs"]
        ended = f"; {runs[0]['calls_ended']:,} calls ended per run" if runs and "calls_ended" in runs[0] else ""
        problems = c["amish + call tracker"]["problems"] + c["obvious"]["problems"]
        row("Calls: events/s through connection + call tracker vs the obvious parser (sandbox mix, new calls every "
            "cycle)", "≥ 1.0x", f"{a / base:.2f}x ({fmt_rate(a)} vs {fmt_rate(base)} events/s{ended}"
            + (f"; {'; '.join(problems)}" if problems else "") + ")", a / base >= 1.0 and not problems)
    elif c:
        rows.append(f"| Calls: connection + call tracker vs the obvious parser | ≥ 1.0x | "
                    f"{'; '.join(c.get('obvious', {}).get('problems', []) + c.get('amish + call tracker', {}).get('problems', [])) or 'no result'} | **not run** |")
    t = results.get("tail")
    if t and t["amish"]["median"] and t["obvious"]["median"]:
        runs = t["amish"]["runs"]
        lost = [t["events"] - (x.get("events") or 0) for x in runs]
        intact = all(x.get("intact") for x in runs)
        ratio = t["amish"]["median"] / t["obvious"]["median"]
        note = ("output byte-identical to the flood" if intact else
                f"**but events lost** in {sum(1 for x in lost if x)}/{len(runs)} runs (up to {max(lost):,} of {t['events']:,}; "
                "amish says so on stderr: the output could not keep up)")
        row("Tail: `amish events --format raw` to a pipe vs the obvious parser printing each event", "≥ 1x, nothing lost",
            f"{ratio:.2f}x ({fmt_rate(t['amish']['median'])} vs {fmt_rate(t['obvious']['median'])} events/s written), {note}",
            ratio >= 1 and intact)
    b = results.get("bigmsg")
    if b and "output" in b:
        for shape, label in (("output", "Command output, `Output:` lines"), ("follows", "legacy `Response: Follows` body")):
            x = b[shape]
            row(f"Big message ({label}): 4 MiB / 1 MiB parse time", "≤ 4.5x",
                f"{x['parse']['ratio']:.2f}x ({x['parse']['1MiB_ms']:.1f} → {x['parse']['4MiB_ms']:.1f} ms); framing alone "
                f"{x['frame']['ratio']:.2f}x; plain-Python decode+split+tuples of the same bytes {x['baseline']['ratio']:.2f}x",
                x["parse"]["ratio"] <= 4.5)
    s = results.get("shell")
    if s and s.get("p99_ms") is not None:
        lat, red, mem, ok_lat, ok_red, ok_mem = shell_cells(s)
        row("Shell under flood: keystroke-to-echo latency", "p99 ≤ 50 ms", lat, ok_lat)
        row("Shell under flood: redraws", "bounded", red, ok_red)
        row("Shell under flood: RSS after warm-up", "growth ≤ 20 MB over 1,000,000 events", mem, ok_mem)
    elif s:
        rows.append(f"| Shell under flood | | {s.get('error', 'no result')} | **not run** |")
    bp = results.get("bigpbx")
    if bp and bp.get("p99_ms") is not None:
        row("Big PBX (5,000 calls up, 200 new/s, Channels view open): keystroke-to-echo", "p99 ≤ 50 ms",
            f"p99 {bp['p99_ms']:.0f} ms (p50 {bp['p50_ms']:.0f}, p90 {bp['p90_ms']:.0f}, max {bp['max_ms']:.0f}; "
            f"{bp['keystrokes']} keys, {bp['missed']} not echoed within 2 s; {bp.get('view_rows') or 0:,} rows in the view)",
            bp["p99_ms"] <= 50 and not bp["missed"])
        cold = bp.get("rss_cold_kib")
        warm_txt = (f"; from the shell at its prompt, before the events store was filled: "
                    f"{(bp['rss_end_kib'] - cold) / 1024:+.1f} MiB" if cold and bp.get("warmup_events") else "")
        row("Big PBX: memory with 1,000 ended calls kept", "growth ≤ 50 MB",
            f"{bp['rss_growth_mib']:+.1f} MiB ({bp['rss_before_kib'] / 1024:.0f} → {bp['rss_end_kib'] / 1024:.0f} MiB"
            + (f", from the events store full of {bp['warmup_events']:,} earlier events" if bp.get("warmup_events") else "")
            + f" to the steady state, {bp['ended_at_warm']:,} calls ended; {bp['rss_window_growth_mib']:+.1f} MiB over "
            f"the last 10 s{warm_txt})", bp["rss_growth_mib"] * 1024 * 1024 <= 50e6)
    elif bp:
        rows.append(f"| Big PBX | | {bp.get('error', 'no result')} | **not run** |")
    st = results.get("startup")
    if st and "median_ms" in st:
        m = st["median_ms"]
        row("Start-up: `amish` to a usable prompt vs `python -c 'import prompt_toolkit, pygments, rich'`", "≤ 2.5x",
            f"{st['prompt_ratio']:.2f}x ({m['prompt']:.0f} vs {m['imports']:.0f} ms)", st["prompt_ratio"] <= 2.5)
        row("Start-up: `amish --version` vs `python -c 'import argparse'`", "≤ 1.5x",
            f"{st['version_ratio']:.2f}x ({m['version']:.0f} vs {m['argparse']:.0f} ms; `python -c pass` {m['pass']:.0f} ms)",
            st["version_ratio"] <= 1.5)
        row("Start-up: `amish --help` vs `python -c 'import argparse'`", "≤ 1.5x",
            f"{st['help_ratio']:.2f}x ({m['help']:.0f} vs {m['argparse']:.0f} ms)", st["help_ratio"] <= 1.5)
    pl = results.get("pipeline")
    if pl and "ratio" in pl:
        extra = f"; {'; '.join(pl['problems'])}" if pl["problems"] else ""
        base_txt = (f"minus {pl['base']:,} actions, so start-up cancels out; sandbox Asterisk)" if "base" in pl
                    else "actions; sandbox Asterisk)")  # fmt: skip
        row(f"Pipelined batch: throughput of `Ping` with `--pipeline` vs `nc` with the same bytes ({pl['actions']:,} "
            + base_txt, "≥ 0.5x",
            f"{pl['ratio']:.2f}x ({fmt_rate(pl['rate']['amish'])} vs {fmt_rate(pl['rate']['nc'])} actions/s; "
            f"{pl['actions']:,} start to exit: {pl['median_s']['amish'] * 1000:.0f} vs {pl['median_s']['nc'] * 1000:.0f} ms{extra})",
            pl["ratio"] >= 0.5 and not pl["problems"])
    elif pl:
        rows.append(f"| Pipelined batch | ≥ 0.5x | {pl.get('error')} | **not run** |")
    fl = results.get("fleet")
    if fl and "ratio" in fl:
        extra = f"; {'; '.join(fl['problems'])}" if fl["problems"] else ""
        row(f"Fleet: {fl['servers']} loopback servers at --parallel {fl['parallel']} vs ceil({fl['servers']}/"
            f"{fl['parallel']}) x one server's time ({fl['actions']} Pings answered after {fl['delay_ms']:g} ms each; "
            "start-up taken off both sides)", "≤ 1.5x, every answer attributed, memory flat",
            f"{fl['ratio']:.2f}x ({fl['median_s']['fleet']:.2f} s for the fleet, {fl['one_server_work_s'] * 1000:.0f} ms "
            f"of work per server; peak RSS {fl['rss_mib']['fleet']:.0f} MiB for {fl['servers']} servers vs "
            f"{fl['rss_mib']['parallel']:.0f} MiB for {fl['parallel']}{extra})",
            fl["ratio"] <= 1.5 and not fl["problems"] and fl["rss_mib"]["fleet"] <= fl["rss_mib"]["parallel"] + 15)
    elif fl:
        rows.append(f"| Fleet | ≤ 1.5x | {fl.get('error')} | **not run** |")
    ht = results.get("http")
    if ht and "pings" in ht:
        pg, ev = ht["pings"], ht["events"]
        extra = f"; {'; '.join(pg['problems'])}" if pg["problems"] else ""
        row(f"AMI over HTTP: throughput of `Ping` over http:// with `--pipeline` vs curl sending the same POSTs on one "
            f"kept-alive connection ({pg['actions']:,} minus {pg['base']:,} actions, so start-up cancels out)", "≥ 1.0x",
            f"{pg['ratio']:.2f}x ({fmt_rate(pg['rate']['amish'])} vs {fmt_rate(pg['rate']['curl'])} actions/s; "
            f"{pg['actions']:,} start to exit: {pg['median_s']['amish'] * 1000:.0f} vs {pg['median_s']['curl'] * 1000:.0f} ms{extra})",
            pg["ratio"] >= 1.0 and not pg["problems"])
        extra = f"; {'; '.join(ev['problems'])}" if ev["problems"] else ""
        counts = sorted({r["events"] for v in ev["runs"].values() for r in v})
        row(f"AMI over HTTP: `amish events` over http:// vs over TCP, at once, under one flood of {ev['events']:,} "
            "UserEvents", "counts equal, nothing lost (rate ratio reported)",
            f"{ev['ratio']:.2f}x ({fmt_rate(ev['rate']['http'])} vs {fmt_rate(ev['rate']['tcp'])} events/s, the flood's "
            f"own pace); every run: {', '.join(f'{c:,}' for c in counts)} events each, in order{extra}",
            ev["counts_equal"] and not ev["problems"])
    elif ht:
        rows.append(f"| AMI over HTTP | ≥ 1.0x | {ht.get('error')} | **not run** |")
    head = ["## Targets", "", "| target | goal | measured | verdict |", "| --- | --- | --- | --- |"]
    return "\n".join(head + rows + [""] + detail)


def rerun_note(results: dict) -> str:
    """Which sections a later partial run (bench/run --only) replaced, with its machine and load."""
    lines = []
    for name, m in results.get("rerun", {}).items():
        lines.append(f"Section {name} re-run alone on {m['date']} (commit {m.get('amish', '?')}; load average "
                     f"{m['loadavg_start'][0]:.2f} at its start, {m.get('loadavg_end', [0])[0]:.2f} at its end).")
    return ("\n".join(lines) + "\n\n") if lines else ""


def write_results(results: dict, cfg, text: str) -> None:
    m = results["machine"]
    header = f"""# amish benchmark results

Produced by `bench/run` ({'--quick' if cfg.quick else 'full run'}); regenerate with the same command.

Machine: {m['nproc']} CPUs (nproc), {m['cpu']}, Python {m['python']}, Linux {m['kernel']}, {m['date']}.
amish: commit {m.get('amish', '?')}, installed from the checkout as `pip install .` would.
Load average at the start {m['loadavg_start'][0]:.2f}, at the end {m['loadavg_end'][0]:.2f} (1 min): the machine is
shared, so absolute rates move between runs; ratios are taken within one run, clients taking turns, medians of
{cfg.reps} runs (startup {cfg.reps + 2}).

{rerun_note(results)}Ingest: {cfg.n:,} events per run ({cfg.n_slow:,} for pyst2, whose rate is per event all the same), the event mix
captured from the sandbox Asterisk (bench/data/), every {SAMPLE_EVERY}th event's headers checksummed.
"""
    (HERE / "RESULTS.md").write_text(header + "\n" + text + "\n")
    (HERE / "results.json").write_text(json.dumps(results, indent=1) + "\n")


def main() -> None:
    p = argparse.ArgumentParser(description="amish's benchmark suite")
    p.add_argument("--quick", action="store_true", help="fewer events and runs (about 1-2 minutes)")
    p.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections: " + ",".join(SECTIONS))
    p.add_argument("--no-write", action="store_true", help="print the table only")
    cfg = p.parse_args()
    cfg.n = 50_000 if cfg.quick else 200_000
    cfg.n_slow = 1_000 if cfg.quick else 3_000
    cfg.reps = 3 if cfg.quick else 5
    only = [s.strip() for s in cfg.only.split(",") if s.strip()]
    started = time.monotonic()
    VENVS.mkdir(exist_ok=True)
    pys = {"amish": venv("amish")}
    install_amish(pys["amish"])
    if "ingest" in only:
        for name, (req, _) in PEERS.items():
            pys[name] = venv(req)
    results: dict = {"machine": machine()}
    for name in only:
        log(f"section {name}")
        t = time.monotonic()
        results[name] = SECTIONS[name](cfg, pys)
        log(f"section {name} took {time.monotonic() - t:.0f} s")
    results["machine"]["loadavg_end"] = os.getloadavg()
    results["machine"]["seconds"] = time.monotonic() - started
    if not cfg.quick and not cfg.no_write and set(only) != set(SECTIONS) and (HERE / "results.json").exists():
        # a run of some sections: they replace theirs in the last results; the rest stay as they were
        merged = json.loads((HERE / "results.json").read_text())
        rerun = merged.setdefault("rerun", {})
        for name in only:
            merged[name] = results[name]
            rerun[name] = results["machine"]
        results = merged
    text = table(results)
    print(text)
    if not cfg.quick and not cfg.no_write:
        write_results(results, cfg, text)
        log("wrote bench/RESULTS.md and bench/results.json")
    log(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
