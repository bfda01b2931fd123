"""What each task measures about itself: Kafka Connect's connector-task, source-task and
sink-task metric groups.

The task thread records once per batch (a poll, a put, a commit); scrapes read the figures from
another thread. Error counts (``task-error-metrics``) stay where they are counted, in the task's
:class:`~sluice.runtime.errors.ErrorHandler`, and are read from there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import ClassVar, Final, TypeVar

from sluice.runtime.metrics.sampled import DEFAULT_SAMPLES, DEFAULT_WINDOW, SampledStat

__all__ = ["TASK_STATES", "SinkTaskMetrics", "SourceTaskMetrics", "TaskMetrics", "switched_off"]

TaskMetricsT = TypeVar("TaskMetricsT", bound="TaskMetrics")

TASK_STATES: Final = ("unassigned", "running", "paused", "failed", "restarting", "destroyed")
"""The ``status`` values of ``connector-task-metrics``, lower-case as Kafka Connect shows them."""


class TaskMetrics:
    """``connector-task-metrics``: status, time running and paused, batch sizes, commits."""

    kind: ClassVar[str] = ""

    def __init__(
        self,
        connector: str,
        task: int,
        window: float = DEFAULT_WINDOW,
        samples: int = DEFAULT_SAMPLES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.connector = connector
        self.task = task
        self.clock = clock
        self._window = (window, samples)
        self.status = "unassigned"
        self._status_lock = threading.Lock()
        self._since = clock()
        self._time_in = {state: self._stat() for state in ("running", "paused", "other")}
        self.batch_size = self._stat()
        self.commit_time_ms = self._stat()
        self.commit_outcome = self._stat()
        """1.0 per successful offset commit, 0.0 per failed one: its mean is the success share."""
        self._init_group()

    def _stat(self) -> SampledStat:
        return SampledStat(*self._window, self.clock)

    def _init_group(self) -> None:
        """The subclass's own stats (a hook, so every group shares the constructor)."""

    # -- status and the time spent in it ------------------------------------------------------
    def set_status(self, status: str) -> None:
        with self._status_lock:
            self._account(self.clock())
            self.status = status

    def _account(self, now: float) -> None:
        key = self.status if self.status in ("running", "paused") else "other"
        self._time_in[key].record(now - self._since, now)
        self._since = now

    def ratios(self) -> tuple[float, float]:
        """Shares of recent time spent running and paused (``running-ratio``, ``pause-ratio``)."""
        with self._status_lock:
            now = self.clock()
            self._account(now)
            times = {k: s.total(now) for k, s in self._time_in.items()}
        whole = sum(times.values())
        if whole <= 0:
            return (
                1.0 if self.status == "running" else 0.0,
                1.0 if self.status == "paused" else 0.0,
            )
        return times["running"] / whole, times["paused"] / whole

    # -- commits ------------------------------------------------------------------------------
    def record_commit(self, success: bool, seconds: float) -> None:
        now = self.clock()
        self.commit_outcome.record(1.0 if success else 0.0, now)
        if success:
            self.commit_time_ms.record(seconds * 1000.0, now)

    # -- what the summary and the console show -------------------------------------------------
    def records_in(self) -> tuple[float, int]:
        """Records/s and total into the task's pipeline (polled from a source, read by a sink)."""
        raise NotImplementedError

    def records_out(self) -> tuple[float, int]:
        """Records/s and total out of it (written to Kafka, handed to ``put``)."""
        raise NotImplementedError


class SourceTaskMetrics(TaskMetrics):
    """``source-task-metrics``."""

    kind = "source"

    def _init_group(self) -> None:
        self.poll = self._stat()
        self.poll_total = 0
        self.write = self._stat()
        self.write_total = 0
        self.poll_time_ms = self._stat()
        self.active = self._stat()
        self.active_count: Callable[[], int] = lambda: 0
        """Records sent but not yet acknowledged by Kafka (set by the task)."""

    def record_poll(self, count: int, seconds: float) -> None:
        now = self.clock()
        self.poll.record(count, now)
        self.poll_total += count
        self.poll_time_ms.record(seconds * 1000.0, now)
        self.batch_size.record(count, now)

    def record_write(self, count: int) -> None:
        now = self.clock()
        self.write.record(count, now)
        self.write_total += count

    def record_commit(self, success: bool, seconds: float) -> None:
        super().record_commit(success, seconds)
        # Sampled here, once per offset flush, rather than per batch: counting the records in
        # flight walks every unacknowledged batch.
        self.active.record(self.active_count())

    def records_in(self) -> tuple[float, int]:
        return self.poll.rate(), self.poll_total

    def records_out(self) -> tuple[float, int]:
        return self.write.rate(), self.write_total


class SinkTaskMetrics(TaskMetrics):
    """``sink-task-metrics``, plus the lag of each partition the task reads."""

    kind = "sink"

    def _init_group(self) -> None:
        self.read = self._stat()
        self.read_total = 0
        self.send = self._stat()
        self.send_total = 0
        self.put_time_ms = self._stat()
        self.partition_count = 0
        self.commit_seq_no = 0
        self.commit_completion = self._stat()
        self.commit_completion_total = 0
        self.commit_skip = self._stat()
        self.commit_skip_total = 0
        self.active = self._stat()
        self.active_count = 0
        """Records read from Kafka whose offsets are not committed yet."""
        self.lag: dict[tuple[str, int], int] = {}
        """High watermark minus the next offset to read, per ``(topic, partition)``."""

    def record_read(self, count: int) -> None:
        now = self.clock()
        self.read.record(count, now)
        self.read_total += count
        self.active_count += count
        self.active.record(self.active_count, now)

    def record_put(self, count: int, seconds: float) -> None:
        now = self.clock()
        self.send.record(count, now)
        self.send_total += count
        self.put_time_ms.record(seconds * 1000.0, now)
        self.batch_size.record(count, now)

    def record_commit_sent(self) -> None:
        """An offset commit went out: every record read so far is covered by it."""
        self.commit_seq_no += 1
        self.commit_completion.record(1.0)
        self.commit_completion_total += 1
        self.active_count = 0

    def record_commit_skipped(self) -> None:
        """Nothing new to commit (the task's ``pre_commit`` returned what is already stored)."""
        self.commit_skip.record(1.0)
        self.commit_skip_total += 1

    def lag_max(self) -> float:
        return float(max(self.lag.values())) if self.lag else 0.0

    def records_in(self) -> tuple[float, int]:
        return self.read.rate(), self.read_total

    def records_out(self) -> tuple[float, int]:
        return self.send.rate(), self.send_total


_RECORDERS: Final = (
    "record_poll",
    "record_write",
    "record_read",
    "record_put",
    "record_commit",
    "record_commit_sent",
    "record_commit_skipped",
)


def _ignore(*_args: object) -> None:
    return None


def switched_off(metrics: TaskMetricsT) -> TaskMetricsT:
    """``metrics`` with every per-batch recording turned into a no-op.

    Only for measuring what counting costs (``bench/metrics_overhead.py``); states are still
    tracked so the REST status and the task-status series stay right.
    """
    for name in _RECORDERS:
        if hasattr(metrics, name):
            setattr(metrics, name, _ignore)
    return metrics
