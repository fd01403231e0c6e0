"""The cycle collector's full passes wait for an idle keyboard (shell/idlegc.py): a big PBX's call model
made each one a 50-100 ms freeze, started by CPython whenever it liked, often mid-word."""

from __future__ import annotations

import gc

from amish.shell import idlegc
from amish.shell.idlegc import IdleCollector


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_no_full_pass_while_keys_come_one_when_the_keyboard_rests_and_one_at_the_latest_whatever():
    clock, runs = Clock(), []
    c = IdleCollector(clock, lambda: runs.append(clock.t))
    # typing a key every 0.2 s for longer than EVERY: never a full pass under the fingers
    while clock.t < 1000.0 + idlegc.LONGEST - 1:
        c.key()
        clock.t += 0.2
        assert not c.tick()
    assert runs == []
    clock.t += idlegc.IDLE  # the user stops: the pass runs now
    assert c.tick() and len(runs) == 1
    clock.t += idlegc.IDLE
    assert not c.tick()  # not again before EVERY
    # typing without a rest: a pass after LONGEST all the same (garbage in cycles is freed)
    start = clock.t
    while not runs[1:]:
        c.key()
        clock.t += 0.2
        c.tick()
    assert idlegc.LONGEST - 0.5 <= runs[1] - start + idlegc.IDLE <= idlegc.LONGEST + 0.5


def test_installed_generation_two_is_never_collected_on_its_own_and_the_thresholds_come_back():
    before = gc.get_threshold()
    c = IdleCollector()
    c.install()
    try:
        g0, g1, g2 = gc.get_threshold()
        assert (g0, g1) == before[:2] and g2 > 10**8
        gen2 = []
        cb = lambda phase, info: phase == "stop" and info["generation"] == 2 and gen2.append(1)  # noqa: E731
        gc.callbacks.append(cb)
        try:
            junk = []
            for i in range(300_000):  # enough survivors for CPython to collect generation 2 by itself
                junk.append([i])
                if i % 50_000 == 0:
                    junk = junk[-100_000:]
            assert gen2 == []
            c.last_full -= idlegc.LONGEST
            assert c.tick() and gen2 == [1]
        finally:
            gc.callbacks.remove(cb)
    finally:
        c.uninstall()
    assert gc.get_threshold() == before


def test_a_full_pass_hands_back_the_memory_freed_in_the_middle_of_the_heap():
    """What a flood's backlog or the ended calls freed below memory still in use stays in the process with
    glibc (it trims only the top of its heap); the idle pass gives it back: the RSS a user sees falls."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent("""
        import os
        import sys
        from amish.shell import idlegc
        assert "ctypes" not in sys.modules, "looked up at the first pass, not at the shell's start-up"
        page = os.sysconf("SC_PAGE_SIZE")
        def rss():
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * page
        held = [bytes(4000) for _ in range(20_000)]  # 80 MB on the C heap (over pymalloc's 512 bytes)
        pin = [bytes(4000) for _ in range(100)]  # still in use, above them: the heap's top cannot shrink
        del held
        before = rss()
        idlegc.full_pass()
        after = rss()
        assert idlegc._TRIM not in (None, idlegc._UNKNOWN), "glibc's malloc_trim"
        print(before - after)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) > 50_000_000  # most of the 80 MB back
