"""Summarise py-spy's collapsed stacks (--format raw): self and inclusive share per function."""

from __future__ import annotations

import re
import sys
from collections import Counter


def summarise(path: str, top: int = 15) -> str:
    own: Counter = Counter()
    incl: Counter = Counter()
    total = 0
    for line in open(path, encoding="utf-8", errors="replace"):
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [re.sub(r"\s*\(([^)]*/)?([^/)]+)\)", r" (\2)", f) for f in stack.split(";")]
        own[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
    out = [f"{total} samples", "", "self %   function"]
    out += [f"{100 * n / total:6.1f}   {f}" for f, n in own.most_common(top)]
    out += ["", "total %  function (inclusive)"]
    out += [f"{100 * n / total:6.1f}   {f}" for f, n in incl.most_common(top + 10)]
    return "\n".join(out)


if __name__ == "__main__":
    print(summarise(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 15))
