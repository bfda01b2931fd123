"""Per-task throughput, lag and error figures as JSON, with a few minutes of history.

Prometheus keeps history for those who run one; the console and ``sluice status`` must show
"how fast, how far behind, what broke" without one. Every few seconds the worker samples each
local task's rates into a small ring, and :func:`local_summary` serves them with the current
figures (``GET /metrics/summary``; its shape is documented in the OpenAPI description).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from sluice.runtime.metrics.task_metrics import SinkTaskMetrics
from sluice.storage.states import ConnectorTaskId

if TYPE_CHECKING:
    from sluice.runtime.worker import Worker

__all__ = ["HISTORY_INTERVAL", "HISTORY_POINTS", "ThroughputHistory", "local_summary"]

HISTORY_INTERVAL = 5.0
HISTORY_POINTS = 120
"""Ten minutes of points, one every :data:`HISTORY_INTERVAL` seconds."""

Point = tuple[int, float, float]


class ThroughputHistory:
    """A background sampler of each local task's in and out rates."""

    def __init__(self, worker: Worker, interval: float = HISTORY_INTERVAL) -> None:
        self.worker = worker
        self.interval = interval
        self._points: dict[ConnectorTaskId, deque[Point]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="metrics-history", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        now_ms = int(time.time() * 1000)
        tasks = self.worker.task_snapshot()
        with self._lock:
            live = {t.id for t in tasks}
            for gone in set(self._points) - live:
                del self._points[gone]
            for t in tasks:
                ring = self._points.setdefault(t.id, deque(maxlen=HISTORY_POINTS))
                ring.append((now_ms, t.metrics.records_in()[0], t.metrics.records_out()[0]))

    def points(self, task: ConnectorTaskId) -> list[Point]:
        with self._lock:
            return list(self._points.get(task, ()))


def _rounded(value: float) -> float:
    return round(value, 3)


def local_summary(worker: Worker, history: ThroughputHistory | None) -> dict[str, Any]:
    """This worker's tasks and their figures (the ``scope=worker`` answer)."""
    tasks: list[dict[str, Any]] = []
    for t in worker.task_snapshot():
        m = t.metrics
        in_rate, in_total = m.records_in()
        out_rate, out_total = m.records_out()
        partitions: list[dict[str, Any]] = []
        lag: int | None = None
        if isinstance(m, SinkTaskMetrics):
            partitions = [
                {"topic": topic, "partition": p, "lag": v}
                for (topic, p), v in sorted(m.lag.items())
            ]
            lag = sum(m.lag.values()) if m.lag else None
        requests, failures = t.dead_letter_counts()
        e = t.errors
        tasks.append(
            {
                "connector": t.id.connector,
                "task": t.id.task,
                "worker_id": worker.worker_id,
                "type": m.kind,
                "status": m.status,
                "records_in_rate": _rounded(in_rate),
                "records_out_rate": _rounded(out_rate),
                "records_in_total": in_total,
                "records_out_total": out_total,
                "lag": lag,
                "partitions": partitions,
                "errors_total": e.total_errors,
                "failures_total": e.total_failures,
                "records_skipped": e.total_skipped,
                "dlq_produce_requests": requests,
                "dlq_produce_failures": failures,
                "last_error_timestamp": e.last_error_ms,
                "problem": t.problems.trace(),
                "history": [
                    [ts, _rounded(a), _rounded(b)]
                    for ts, a, b in (history.points(t.id) if history else [])
                ],
            }
        )
    return {
        "worker_id": worker.worker_id,
        "time_ms": int(time.time() * 1000),
        "workers": [{"worker_id": worker.worker_id, "reachable": True, "error": None}],
        "tasks": tasks,
    }
