"""Progress on stderr while the bench runs, so stdout carries only the results.

On a terminal one status line is redrawn in place; elsewhere (CI logs, pytest) a line is printed
at most every few seconds, so the log shows that the bench is alive without drowning in updates.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    def __init__(self, stream: TextIO | None = None, quiet_interval: float = 5.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty()
        self.quiet_interval = quiet_interval
        self._last = 0.0
        self._pending = False

    def update(self, what: str, done: int, total: int | None = None) -> None:
        now = time.monotonic()
        if total:
            text = f"{what}: {done:,}/{total:,} ({100.0 * done / total:.0f}%)"
        else:
            text = f"{what}: {done:,}"
        if self.tty:
            self.stream.write("\r\033[K" + text)
            self.stream.flush()
            self._pending = True
        elif now - self._last >= self.quiet_interval:
            self._last = now
            self.stream.write(text + "\n")
            self.stream.flush()

    def done(self, text: str) -> None:
        if self._pending:
            self.stream.write("\r\033[K")
            self._pending = False
        self.stream.write(text + "\n")
        self.stream.flush()
        self._last = time.monotonic()
