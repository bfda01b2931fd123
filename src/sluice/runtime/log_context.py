"""Log lines that say which connector and task wrote them: ``[name|task-0]``, as Kafka Connect.

Each worker thread sets its context once; a logging filter adds it to every record as
``%(connect_context)s`` so one format string serves worker, connector and task threads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["LOG_FORMAT", "ContextFilter", "connector_context", "install", "set_context"]

LOG_FORMAT = "[%(asctime)s] %(levelname)s %(connect_context)s%(message)s (%(name)s)"

_local = threading.local()


def set_context(connector: str | None, task: int | None = None, scope: str | None = None) -> None:
    """Tag the current thread's log lines; ``None`` clears the tag."""
    if connector is None:
        _local.prefix = ""
    elif task is not None:
        _local.prefix = f"[{connector}|task-{task}] "
    else:
        _local.prefix = f"[{connector}|{scope or 'worker'}] "


@contextmanager
def connector_context(connector: str, scope: str = "worker") -> Iterator[None]:
    """Tag log lines for the duration of a block (herder calls into a connector)."""
    previous = getattr(_local, "prefix", "")
    set_context(connector, scope=scope)
    try:
        yield
    finally:
        _local.prefix = previous


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.connect_context = getattr(_local, "prefix", "")
        return True


def install(level: int | str = logging.INFO) -> None:
    """Configure root logging for the worker process."""
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    if root.getEffectiveLevel() >= logging.INFO:
        # kafka-python (worker group membership) narrates every connection and join at INFO and
        # warns on every heartbeat during a rebalance; sluice's own group log says what matters.
        logging.getLogger("kafka").setLevel(logging.WARNING)
        logging.getLogger("kafka.coordinator.heartbeat").setLevel(logging.ERROR)
