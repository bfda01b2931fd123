"""Windowed statistics as Kafka's metrics library keeps them (``SampledStat``).

Kafka Connect's rates, averages and maxima are not lifetime figures: each keeps
``metrics.num.samples`` samples (default 2) of ``metrics.sample.window.ms`` (default 30 s) and
forgets older ones, so a rate says how fast a task moves *now*. Dashboards built for Kafka Connect
read them that way, so sluice measures them the same way. Recording is a few attribute updates:
tasks call it once per batch, never per record.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

__all__ = ["DEFAULT_SAMPLES", "DEFAULT_WINDOW", "SampledStat"]

DEFAULT_WINDOW = 30.0
DEFAULT_SAMPLES = 2


class _Sample:
    __slots__ = ("count", "max", "min", "start", "total")

    def __init__(self, start: float) -> None:
        self.reset(start)

    def reset(self, start: float) -> None:
        self.start = start
        self.count = 0
        self.total = 0.0
        self.max = -math.inf
        self.min = math.inf


class SampledStat:
    """Count, sum, max and min of recorded values over the last ``samples`` windows.

    Not locked: one thread records (the task thread) and a scrape reads a consistent-enough
    view; a value recorded during a scrape shows up in the next one.
    """

    __slots__ = ("_clock", "_current", "_samples", "window")

    def __init__(
        self,
        window: float = DEFAULT_WINDOW,
        samples: int = DEFAULT_SAMPLES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self._clock = clock
        now = clock()
        self._samples = [_Sample(now) for _ in range(max(2, samples))]
        self._current = 0

    def record(self, value: float, now: float | None = None) -> None:
        if now is None:
            now = self._clock()
        sample = self._samples[self._current]
        if now - sample.start >= self.window:
            self._current = (self._current + 1) % len(self._samples)
            sample = self._samples[self._current]
            sample.reset(now)
        sample.count += 1
        sample.total += value
        if value > sample.max:
            sample.max = value
        if value < sample.min:
            sample.min = value

    def _live(self, now: float) -> list[_Sample]:
        """Samples still inside the horizon (Kafka purges older ones; here readers skip them
        and :meth:`record` reuses them, so a scrape never writes what the task thread writes)."""
        horizon = self.window * len(self._samples)
        return [s for s in self._samples if s.count and now - s.start < horizon]

    def total(self, now: float | None = None) -> float:
        return sum(s.total for s in self._live(self._clock() if now is None else now))

    def count(self, now: float | None = None) -> int:
        return sum(s.count for s in self._live(self._clock() if now is None else now))

    def rate(self, now: float | None = None) -> float:
        """Sum per second over at least ``samples - 1`` whole windows (Kafka's ``Rate``)."""
        if now is None:
            now = self._clock()
        total = self.total(now)
        horizon = self.window * len(self._samples)
        oldest = min((s.start for s in self._samples if now - s.start < horizon), default=now)
        elapsed = now - oldest
        minimum = self.window * (len(self._samples) - 1)
        return total / max(elapsed, minimum) if max(elapsed, minimum) > 0 else 0.0

    def avg(self, now: float | None = None) -> float:
        """Mean of the recorded values; NaN when none were recorded (as Kafka's ``Avg``)."""
        live = self._live(self._clock() if now is None else now)
        count = sum(s.count for s in live)
        return sum(s.total for s in live) / count if count else math.nan

    def max(self, now: float | None = None) -> float:
        live = self._live(self._clock() if now is None else now)
        return max(s.max for s in live) if live else math.nan

    def min(self, now: float | None = None) -> float:
        live = self._live(self._clock() if now is None else now)
        return min(s.min for s in live) if live else math.nan
