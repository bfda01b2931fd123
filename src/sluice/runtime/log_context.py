"""Log lines that say which connector and task wrote them: ``[name|task-0]``, as Kafka Connect.

Each worker thread sets its context once; a logging filter copies it onto every record, so one
handler serves worker, connector and task threads whatever the output format:

* ``connect_context``: the text prefix (``[name|task-0] ``, ``[name|worker] ``, or empty), for
  :data:`LOG_FORMAT`;
* ``connector``, ``task`` and ``connect_scope``: the same facts as separate fields (``None``
  outside a context), for the JSON lines of :mod:`sluice.runtime.log_json`, so that both
  formats read one per-thread state and cannot disagree.

Threads a plugin starts as :class:`sluice.api.ContextThread` take over their starter's context,
as log4j's MDC is inherited in Kafka Connect.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

from sluice.api.threads import carry_into_threads

__all__ = [
    "LOG_FORMAT",
    "LOG_FORMATS",
    "ContextFilter",
    "LogContext",
    "connector_context",
    "current",
    "install",
    "set_context",
]

LOG_FORMAT = "[%(asctime)s] %(levelname)s %(connect_context)s%(message)s (%(name)s)"

LOG_FORMATS: Final = ("text", "json")
"""The values of the worker's ``log.format`` and of ``$SLUICE_LOG_FORMAT``."""


@dataclass(frozen=True)
class LogContext:
    """Who is logging on this thread: a connector (``scope`` says for what, as Kafka's
    ``LoggingContext.Scope``: ``worker``, ``offsets``), one of its tasks, or nobody."""

    connector: str | None = None
    task: int | None = None
    scope: str | None = None

    @property
    def prefix(self) -> str:
        """Kafka Connect's MDC ``connector.context``: ``[name|task-0] `` or ``[name|worker] ``."""
        if self.connector is None:
            return ""
        if self.task is not None:
            return f"[{self.connector}|task-{self.task}] "
        return f"[{self.connector}|{self.scope or 'worker'}] "


_NONE: Final = LogContext()
_local = threading.local()


def current() -> LogContext:
    """The calling thread's context."""
    context: LogContext = getattr(_local, "context", _NONE)
    return context


def set_context(connector: str | None, task: int | None = None, scope: str | None = None) -> None:
    """Tag the current thread's log lines; ``None`` clears the tag."""
    if connector is None:
        _local.context = _NONE
    elif task is not None:
        _local.context = LogContext(connector, task)
    else:
        _local.context = LogContext(connector, None, scope or "worker")


def _capture() -> Callable[[], None]:
    context = current()

    def restore() -> None:
        _local.context = context

    return restore


carry_into_threads(_capture)


@contextmanager
def connector_context(connector: str, scope: str = "worker") -> Iterator[None]:
    """Tag log lines for the duration of a block (herder calls into a connector)."""
    previous = current()
    set_context(connector, scope=scope)
    try:
        yield
    finally:
        _local.context = previous


class ContextFilter(logging.Filter):
    """Copies the emitting thread's context onto the record (filters run in that thread)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = current()
        record.connect_context = context.prefix
        record.connector = context.connector
        record.task = context.task
        record.connect_scope = context.scope
        return True


def install(level: int | str = logging.INFO, log_format: str = "text") -> None:
    """Configure root logging for the worker process.

    ``log_format`` is ``"text"`` (Kafka Connect's layout) or ``"json"`` (one object per line,
    see :class:`sluice.runtime.log_json.JsonFormatter`); the caller picks it from the worker's
    ``log.format`` and ``$SLUICE_LOG_FORMAT``.

    Repeats of a line are held back (:class:`~sluice.runtime.log_rate_limit.RepeatFilter`), and
    warnings of task threads become their task's current problem
    (:mod:`sluice.runtime.problem_log`).
    """
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    from sluice.runtime import problem_log
    from sluice.runtime.log_rate_limit import RepeatFilter

    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    handler.addFilter(RepeatFilter())
    if log_format == "json":
        from sluice.runtime.log_json import JsonFormatter

        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    problem_log.install()
    root.setLevel(level)
    if root.getEffectiveLevel() >= logging.INFO:
        # kafka-python (worker group membership) narrates every connection and join at INFO and
        # warns on every heartbeat during a rebalance; sluice's own group log says what matters.
        logging.getLogger("kafka").setLevel(logging.WARNING)
        logging.getLogger("kafka.coordinator.heartbeat").setLevel(logging.ERROR)
