"""What a worker and one of its task processes say to each other over their pipe.

Messages are small tuples whose first item names them; records never cross the pipe (a sink task
reads from Kafka and a source task produces to it in the child), only control, status, logs,
offsets and figures:

worker → task process
    ``("start",)`` run the built task; ``("target", "STARTED"|"PAUSED")`` its target state;
    ``("stop",)`` stop gracefully; ``("reply", id, ok, value)`` the answer to an offset request;
    ``("levels", (root, {logger: level}))`` the worker's logger levels, when they change;
    ``("gc", ((t0, t1, t2), frozen))`` the worker's collector tuning, when it changes.

task process → worker
    ``("built", trace|None)`` the task was built (``None``) or could not be (the failure trace);
    ``("status", event, trace|None)`` a :class:`~sluice.runtime.worker_task.TaskStatusListener`
    call (``startup``, ``pause``, ``resume``, ``failure``, ``shutdown``, ``problem``);
    ``("log", fields)`` a log record's attributes; ``("offsets", id, op, args)`` an offset store
    call (``get``, ``set``, ``keys``) answered by ``reply``; ``("topic", name)`` a topic the
    task uses for the first time; ``("stats", kind, json)`` librdkafka statistics of one of its
    clients; ``("figures", TaskFigures)`` its metrics, errors and problems now;
    ``("exited",)`` the task thread ended and everything it said was sent.
"""

from __future__ import annotations

import functools
import signal
from dataclasses import dataclass, field
from typing import Any, Final

from sluice.runtime.metrics.task_metrics import SourceTaskMetrics, TaskMetrics
from sluice.runtime.task_problems import Problem
from sluice.runtime.worker_config import WorkerConfig
from sluice.storage.states import ConnectorTaskId

__all__ = [
    "FIGURES_INTERVAL",
    "HostRequest",
    "TaskFigures",
    "apply_metrics",
    "describe_exit",
    "export_metrics",
]

FIGURES_INTERVAL: Final = 1.0
"""Seconds between two snapshots of a task process's figures."""

_NOT_SENT: Final = frozenset(
    {"connector", "task", "clock", "_window", "status", "_status_lock", "_since", "_time_in"}
)
"""Metric attributes the worker keeps itself: identity, the clock, and the status and time
spent in it (driven by the status events, which the worker sees in order)."""


@dataclass
class HostRequest:
    """Everything a task process needs to build its task as the worker would have."""

    id: ConnectorTaskId
    worker_id: str
    config: WorkerConfig
    registry: Any
    """The worker's :class:`~sluice.plugins.registry.PluginRegistry` (names to class paths)."""
    connector_config: dict[str, str]
    """Resolved (``${provider:...}`` replaced) by the worker."""
    task_config: dict[str, str]
    """Resolved too."""
    target_state: str
    track_topics: bool
    log_levels: tuple[int, dict[str, int]]
    crash_file: str
    """Where the process's ``faulthandler`` writes the Python stacks if it dies on a signal."""
    gc_tuning: tuple[tuple[int, int, int], bool] = ((700, 10, 10), False)
    """The worker's collector thresholds and whether it froze its start-up objects: the task
    process does as the worker does (``sluice standalone`` tunes them for the record path)."""
    figures_interval: float = FIGURES_INTERVAL


@dataclass
class TaskFigures:
    """A task process's figures, sent every :data:`FIGURES_INTERVAL` and when it ends."""

    metrics: dict[str, Any]
    errors: dict[str, int]
    dead_letters: tuple[int, int]
    problems: list[Problem] = field(default_factory=list)


def export_metrics(metrics: TaskMetrics) -> dict[str, Any]:
    """The task's statistics and counters, to replace the worker's copy of them."""
    for _ in range(3):  # the task thread may add a lag entry while this copies
        try:
            out = {
                k: dict(v) if isinstance(v, dict) else v
                for k, v in list(vars(metrics).items())
                if k not in _NOT_SENT and not callable(v)
            }
            break
        except RuntimeError:
            continue
    else:
        out = {}
    if isinstance(metrics, SourceTaskMetrics):
        out["active_count"] = metrics.active_count()
    return out


def apply_metrics(metrics: TaskMetrics, figures: dict[str, Any]) -> None:
    """Install a snapshot from :func:`export_metrics` (each attribute swapped whole, so a scrape
    reads either the previous statistic or the new one)."""
    for k, v in figures.items():
        if k == "active_count" and isinstance(metrics, SourceTaskMetrics):
            metrics.active_count = functools.partial(int, v)
        else:
            setattr(metrics, k, v)


def describe_exit(exitcode: int | None) -> str:
    """``signal 11 (SIGSEGV)``, ``exit status 3``: how a process ended, for a trace."""
    if exitcode is None:
        return "an unknown cause"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            return f"signal {-exitcode}"
        return f"signal {-exitcode} ({name})"
    return f"exit status {exitcode}"
