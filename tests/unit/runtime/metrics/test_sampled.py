"""Windowed rates, averages and maxima, on a hand-driven clock."""

from __future__ import annotations

import math

from sluice.runtime.metrics.sampled import SampledStat


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_spans_at_least_one_whole_window() -> None:
    clock = Clock()
    stat = SampledStat(window=30.0, samples=2, clock=clock)
    stat.record(300)
    clock.now += 1
    # Kafka's Rate divides by at least (samples - 1) windows: 300 over 30 s, not over 1 s.
    assert stat.rate() == 10.0


def test_old_samples_are_forgotten() -> None:
    clock = Clock()
    stat = SampledStat(window=10.0, samples=2, clock=clock)
    stat.record(5)
    stat.record(7)
    assert stat.max() == 7 and stat.avg() == 6 and stat.count() == 2
    clock.now += 10.5
    stat.record(1)  # a new window
    assert stat.max() == 7 and stat.count() == 3
    clock.now += 25  # both windows are now older than the 20 s horizon
    assert stat.count() == 0 and stat.total() == 0
    assert math.isnan(stat.avg()) and math.isnan(stat.max())
    assert stat.rate() == 0.0


def test_rate_over_a_steady_stream() -> None:
    clock = Clock()
    stat = SampledStat(window=30.0, samples=2, clock=clock)
    for _ in range(120):  # 100 records a second for two minutes
        stat.record(100)
        clock.now += 1
    assert 90 <= stat.rate() <= 110
