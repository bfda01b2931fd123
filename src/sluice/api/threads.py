"""Threads a connector starts that log as the thread that started them.

Kafka Connect tags log lines with the connector and task (``[name|task-0]``) through log4j's
MDC, which a thread inherits from the thread that starts it: a connector's helper threads log
under its name without doing anything. Python threads inherit nothing, so a plugin starts its
helper threads as :class:`ContextThread`. What a thread carries over is the runtime's business
(today the log context): the runtime registers it with :func:`carry_into_threads`, and this
module, like every connector, knows nothing of the runtime.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["Capture", "ContextThread", "carry_into_threads"]

Capture = Callable[[], Callable[[], None]]
"""Runs in the starting thread and returns what restores the same state in the new thread."""

_captures: list[Capture] = []


def carry_into_threads(capture: Capture) -> None:
    """Have every :class:`ContextThread` take over what ``capture`` captures (once per hook)."""
    if capture not in _captures:
        _captures.append(capture)


class ContextThread(threading.Thread):
    """A :class:`threading.Thread` that runs in its starter's context (the connector and task
    its log lines name), taken when :meth:`start` is called, not when it is created; also for
    subclasses that override :meth:`run`."""

    def start(self) -> None:
        restores = [capture() for capture in _captures]
        run = self.run

        def run_in_context() -> None:
            for restore in restores:
                restore()
            run()

        self.run = run_in_context  # type: ignore[method-assign]
        super().start()
