"""What is wrong with a running task right now, for the places users look.

Kafka Connect has no state for "running, but getting nowhere": a task whose brokers are gone, or
whose source file is missing, stays RUNNING, and the only sign is in the log. sluice keeps
Kafka's states and attaches the condition to the task instead: the REST status shows it as the
task's ``trace`` (see :meth:`sluice.runtime.abstract_herder.AbstractHerder.connector_status`),
``/metrics`` as ``sluice_task_problem``, ``/metrics/summary`` and the console as ``problem``.

Each task has one :class:`TaskProblems`, made with the task and gone with it (a restarted task
starts clean). A problem has a kind:

* :data:`KAFKA`: the task's Kafka clients cannot reach the brokers; set and cleared by
  :mod:`sluice.runtime.kafka_reachability`;
* :data:`LOG`: the task's threads logged a WARNING or ERROR (:mod:`sluice.runtime.problem_log`);
  the latest such line is the problem until the task makes progress (polls records) or
  :data:`LOG_PROBLEM_TTL` seconds pass without another.

Changes are published for the rest of the cluster through ``on_change`` (the herder writes the
task's RUNNING status with the text as ``trace``), from :meth:`TaskProblems.tick`, which the task
thread calls on every turn of its loop: that thread also writes the task's other states, so the
two kinds of writes cannot overtake each other. Only a change in *which* kinds are current is
published, at most once per :data:`PUBLISH_INTERVAL`, so a flapping condition costs a few status
records a minute at most; the live text is always read locally.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sluice.api.threads import carry_into_threads

__all__ = [
    "KAFKA",
    "KINDS",
    "LOG",
    "LOG_PROBLEM_TTL",
    "PUBLISH_INTERVAL",
    "Problem",
    "TaskProblems",
    "bind",
    "bound",
]

KAFKA: Final = "kafka"
LOG: Final = "log"
KINDS: Final = (KAFKA, LOG)
"""The kinds, most important first (the order of the lines of a trace)."""

LOG_PROBLEM_TTL: Final = 30.0
"""Seconds without another warning after which a logged problem is over."""
PUBLISH_INTERVAL: Final = 10.0
"""The least time between two published changes of one task's problems."""
MAX_TEXT: Final = 500
"""A problem's text is cut to this many characters (a status is not a log)."""


@dataclass(frozen=True)
class Problem:
    kind: str
    text: str
    """One line a person can read, starting with ``WARNING:`` or ``ERROR:``."""
    since: float
    """Wall-clock time the problem began (seconds since the epoch)."""
    seen: float
    """Monotonic time it was last reported."""


class TaskProblems:
    """The current problems of one task; thread-safe, cheap when there are none."""

    def __init__(
        self,
        ttl: float = LOG_PROBLEM_TTL,
        publish_interval: float = PUBLISH_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.ttl = ttl
        self.publish_interval = publish_interval
        self._clock = clock
        self._wall_clock = wall_clock
        self._problems: dict[str, Problem] = {}
        self._lock = threading.Lock()
        self._published: frozenset[str] = frozenset()
        self._published_at = -publish_interval
        self.on_change: Callable[[str | None], None] | None = None
        """Called from :meth:`tick` with the new trace (``None``: all clear)."""

    def report(self, kind: str, text: str) -> None:
        """``kind`` is (still) a problem, described by ``text``."""
        line = text.strip().splitlines()[0] if text.strip() else kind
        if len(line) > MAX_TEXT:
            line = line[: MAX_TEXT - 1] + "…"
        now = self._clock()
        with self._lock:
            previous = self._problems.get(kind)
            since = previous.since if previous is not None else self._wall_clock()
            self._problems[kind] = Problem(kind, line, since, now)

    def clear(self, kind: str) -> None:
        if kind not in self._problems:  # the common case, without the lock
            return
        with self._lock:
            self._problems.pop(kind, None)

    def progress(self) -> None:
        """The task moved records: whatever it logged before is no longer its problem."""
        self.clear(LOG)

    def current(self) -> list[Problem]:
        """The problems now, most important first; expired logged problems are dropped."""
        if not self._problems:
            return []
        with self._lock:
            logged = self._problems.get(LOG)
            if logged is not None and self._clock() - logged.seen >= self.ttl:
                del self._problems[LOG]
            return [self._problems[k] for k in KINDS if k in self._problems]

    def trace(self) -> str | None:
        """The problems as the status ``trace`` shows them, one line each; ``None`` if none."""
        problems = self.current()
        return "\n".join(p.text for p in problems) if problems else None

    def republish(self) -> None:
        """The task's status was written afresh without a problem: publish the current ones
        again at the next :meth:`tick`."""
        self._published, self._published_at = frozenset(), -self.publish_interval

    def tick(self) -> None:
        """Publish a change of the current kinds through ``on_change`` (task thread)."""
        if not self._problems and not self._published:
            return
        problems = self.current()
        kinds = frozenset(p.kind for p in problems)
        now = self._clock()
        if kinds == self._published or now - self._published_at < self.publish_interval:
            return
        self._published, self._published_at = kinds, now
        if self.on_change is not None:
            self.on_change("\n".join(p.text for p in problems) if problems else None)


_local = threading.local()


def bind(problems: TaskProblems | None) -> None:
    """Make ``problems`` the calling thread's task problems (``None`` unbinds)."""
    _local.problems = problems


def bound() -> TaskProblems | None:
    """The calling thread's task problems, if it works for a task."""
    problems: TaskProblems | None = getattr(_local, "problems", None)
    return problems


def _capture() -> Callable[[], None]:
    problems = bound()
    return lambda: bind(problems)


# A task's helper threads (sluice.api.ContextThread) work for it too: their warnings are its
# problems (the problems take a lock: any thread may report).
carry_into_threads(_capture)
