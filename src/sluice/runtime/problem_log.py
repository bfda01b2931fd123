"""Warnings a task logs become the task's current problem, whatever connector wrote them.

A connector that cannot do its work usually says so in the log and carries on: FileStreamSource
warns every second that its file is missing. No connector API is needed to surface that: this
handler sits on the root logger, and a WARNING or ERROR written on a thread that works for a task
(see :func:`sluice.runtime.task_problems.bind`) becomes that task's :data:`~sluice.runtime.
task_problems.LOG` problem. It sees every such line, including those the output's
:class:`~sluice.runtime.log_rate_limit.RepeatFilter` holds back, so a problem stays current as
long as the warnings go on.

librdkafka's own lines are left out: the task's clients report the same trouble through their
error callbacks, which :mod:`sluice.runtime.kafka_reachability` turns into a clearer problem.
A logger set above WARNING (``--log-level ERROR``) hides its warnings from this handler too.
"""

from __future__ import annotations

import logging

from sluice.kafka.client_logs import LOGGER as LIBRDKAFKA_LOGGER
from sluice.runtime import task_problems

__all__ = ["ProblemLogHandler", "install"]


class ProblemLogHandler(logging.Handler):
    """Reports WARNING and ERROR lines of task threads to their task's problems."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        problems = task_problems.bound()
        if problems is None:
            return
        name = record.name
        if name == LIBRDKAFKA_LOGGER or name.startswith(LIBRDKAFKA_LOGGER + "."):
            return
        try:
            message = record.getMessage()
        except Exception:
            return
        if getattr(record, "repeats_held", 0):  # the output's filter added its note
            message = message.rsplit(" (", 1)[0]
        problems.report(task_problems.LOG, f"{record.levelname}: {message}")


def install() -> None:
    """Add the handler to the root logger, once, after the output handlers."""
    root = logging.getLogger()
    if not any(isinstance(h, ProblemLogHandler) for h in root.handlers):
        root.addHandler(ProblemLogHandler())
