"""Where sluice spends its time: a summary of the py-spy profiles ``--profile-sluice`` left.

``python -m bench.hotspots RUN_DIR...`` reads each ``py-spy.txt`` (collapsed stacks: frames
joined by ``;`` and a sample count) and prints the functions with the most samples on top of
the stack (self time) and anywhere on it (inclusive time), as ``function (file:line)``.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["main", "summarize"]

_LINE_NO = re.compile(r":\d+\)$")


def _function(frame: str) -> str:
    """``func (file.py:123)`` without the line number, for inclusive totals per function."""
    return _LINE_NO.sub(")", frame)


def summarize(files: Iterable[Path], top: int = 20) -> str:
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for path in files:
        for line in path.read_text("utf-8", "replace").splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = [
                f for f in stack.split(";") if f and not f.startswith(("process ", "thread "))
            ]
            if not frames:
                continue
            total += count
            self_time[frames[-1]] += count
            for func in {_function(f) for f in frames}:
                inclusive[func] += count
    if not total:
        return "no samples"
    out = [f"{total} samples", "", "self time (top of stack):"]
    out += [f"  {100 * n / total:5.1f}%  {f}" for f, n in self_time.most_common(top)]
    out += ["", "inclusive time (on the stack):"]
    out += [f"  {100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(top)]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print("usage: python -m bench.hotspots RUN_DIR_OR_PY_SPY_TXT...", file=sys.stderr)
        return 2
    files: list[Path] = []
    for arg in args:
        path = Path(arg)
        files += sorted(path.rglob("py-spy.txt")) if path.is_dir() else [path]
    print(summarize(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
