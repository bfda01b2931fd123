"""Worker-level figures: start-up attempts (``connect-worker-metrics``) and rebalances
(``connect-worker-rebalance-metrics``, distributed mode).

Counts of connectors and tasks are not kept here: they are read from the worker when scraped,
so they can never drift from what actually runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sluice.runtime.metrics.sampled import DEFAULT_SAMPLES, DEFAULT_WINDOW, SampledStat

__all__ = ["RebalanceMetrics", "StartupCounts", "WorkerMetrics"]


@dataclass
class StartupCounts:
    """Attempts to start connectors or tasks and how they ended."""

    attempts: int = 0
    successes: int = 0
    failures: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record(self, success: bool) -> None:
        with self._lock:
            self.attempts += 1
            if success:
                self.successes += 1
            else:
                self.failures += 1

    def percentage(self, part: int) -> float:
        """Share of attempts (0..1, as Kafka reports ``*-percentage``); 0 before any attempt."""
        return part / self.attempts if self.attempts else 0.0


@dataclass
class WorkerMetrics:
    connector_startups: StartupCounts = field(default_factory=StartupCounts)
    task_startups: StartupCounts = field(default_factory=StartupCounts)


class RebalanceMetrics:
    """What the distributed herder reports about the group's rebalances."""

    def __init__(
        self,
        window: float = DEFAULT_WINDOW,
        samples: int = DEFAULT_SAMPLES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self.connect_protocol = ""
        self.leader_name = ""
        self.epoch = -1
        self.completed_total = 0
        self.rebalancing = False
        self.assigned_connectors = 0
        self.assigned_tasks = 0
        self.time_ms = SampledStat(window, samples, clock)
        self._started: float | None = None
        self._completed_at: float | None = None

    def started(self) -> None:
        if not self.rebalancing:
            self.rebalancing = True
            self._started = self.clock()

    def completed(
        self, protocol: str, leader: str, generation: int, connectors: int, tasks: int
    ) -> None:
        now = self.clock()
        if self._started is not None:
            self.time_ms.record((now - self._started) * 1000.0, now)
        self._started = None
        self.rebalancing = False
        self.completed_total += 1
        self._completed_at = now
        self.connect_protocol = protocol
        self.leader_name = leader
        self.epoch = generation
        self.assigned_connectors = connectors
        self.assigned_tasks = tasks

    def time_since_last_ms(self) -> float:
        """Milliseconds since the last rebalance completed; -1 before the first (as Kafka)."""
        if self._completed_at is None:
            return -1.0
        return (self.clock() - self._completed_at) * 1000.0
