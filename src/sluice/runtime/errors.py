"""One error handler for every stage of a task: retry, tolerate and report, or fail.

Kafka Connect's ``errors.*`` settings decide what happens when converting, transforming, polling,
putting or producing a record fails: retriable failures are retried with exponential back-off
(300 ms doubling, capped at ``errors.retry.delay.max.ms``) for up to ``errors.retry.timeout``;
then, with ``errors.tolerance=all``, failures in the tolerable stages are reported (log,
dead-letter queue) and the record is skipped; otherwise the task fails with
``"Tolerance exceeded in error handler"``. Callers run their fast path unguarded and hand a failure
to :meth:`ErrorHandler.handle`, so records that succeed pay nothing for error handling.
"""

from __future__ import annotations

import abc
import concurrent.futures
import enum
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from sluice.api import ConnectError, RetriableError
from sluice.runtime.connector_config import ErrorHandlingConfig

__all__ = [
    "ErrorHandler",
    "ErrorReporter",
    "LogReporter",
    "ProcessingContext",
    "Stage",
    "ToleranceExceededError",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

INITIAL_BACKOFF: Final = 0.3


class Stage(enum.Enum):
    """Where a failure happened; the values are the ``__connect.errors.stage`` header values."""

    KEY_CONVERTER = "KEY_CONVERTER"
    VALUE_CONVERTER = "VALUE_CONVERTER"
    HEADER_CONVERTER = "HEADER_CONVERTER"
    TRANSFORMATION = "TRANSFORMATION"
    TASK_PUT = "TASK_PUT"
    TASK_POLL = "TASK_POLL"
    KAFKA_PRODUCE = "KAFKA_PRODUCE"
    KAFKA_CONSUME = "KAFKA_CONSUME"


TOLERABLE_STAGES: Final = frozenset(
    {
        Stage.KEY_CONVERTER,
        Stage.VALUE_CONVERTER,
        Stage.HEADER_CONVERTER,
        Stage.TRANSFORMATION,
        Stage.KAFKA_PRODUCE,
    }
)


class ToleranceExceededError(ConnectError):
    """A failure the configured tolerance does not allow; fails the task."""


@dataclass
class ConsumedRecord:
    """The raw Kafka record behind a failure on the sink side (what a DLQ republishes)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]] = field(default_factory=list)
    timestamp: int | None = None


@dataclass
class ProcessingContext:
    """Everything a reporter needs to describe one failure."""

    connector: str
    task: int
    stage: Stage
    executing_class: str
    error: BaseException
    attempts: int = 1
    consumed: ConsumedRecord | None = None
    record: Any = None

    def describe(self, include_record: bool) -> str:
        text = (
            f"Error encountered in task {self.connector}-{self.task}. Executing stage "
            f"'{self.stage.value}' with class '{self.executing_class}'"
        )
        if self.consumed is not None:
            c = self.consumed
            text += (
                f", where consumed record is {{topic='{c.topic}', "
                f"partition={c.partition}, offset={c.offset}"
            )
            if include_record:
                text += f", key={c.key!r}, value={c.value!r}"
            text += "}"
        elif self.record is not None and include_record:
            text += f", where source record is = {self.record!r}"
        return text + "."


class ErrorReporter(abc.ABC):
    """Somewhere tolerated failures are reported (the log, a dead-letter queue)."""

    @abc.abstractmethod
    def report(self, context: ProcessingContext) -> concurrent.futures.Future[None] | None:
        """Report; a returned future completes when the report is durable."""

    def flush(self, timeout: float | None = None) -> None:
        """Push out buffered reports so their futures can complete."""

    def close(self) -> None:
        """Flush and release resources."""


class LogReporter(ErrorReporter):
    """``errors.log.enable``: one ERROR line per failure, with the record if asked."""

    def __init__(self, include_messages: bool) -> None:
        self.include_messages = include_messages
        self.logged = 0
        """Lines written (``total-errors-logged``)."""

    def report(self, context: ProcessingContext) -> None:
        self.logged += 1
        log.error(context.describe(self.include_messages), exc_info=context.error)
        return None


class ErrorHandler:
    """Kafka Connect's ``RetryWithToleranceOperator`` for one task."""

    def __init__(
        self,
        connector: str,
        task: int,
        retry_timeout: float = 0.0,
        retry_delay_max: float = 60.0,
        tolerate_all: bool = False,
        reporters: Sequence[ErrorReporter] = (),
        stopping: threading.Event | None = None,
    ) -> None:
        self.connector = connector
        self.task = task
        self.retry_timeout = retry_timeout
        self.retry_delay_max = retry_delay_max
        self.tolerate_all = tolerate_all
        self.reporters = list(reporters)
        self.stopping = stopping or threading.Event()
        self.total_failures = 0
        """Failed attempts, retries included (``total-record-failures``)."""
        self.total_errors = 0
        """Records whose processing failed after retries (``total-record-errors``)."""
        self.total_skipped = 0
        self.total_retries = 0
        self.last_error_ms = 0
        """Wall-clock milliseconds of the last error, 0 if none (``last-error-timestamp``)."""
        self.pending: list[concurrent.futures.Future[None]] = []

    @classmethod
    def from_config(
        cls,
        connector: str,
        task: int,
        config: ErrorHandlingConfig,
        reporters: Sequence[ErrorReporter] = (),
        stopping: threading.Event | None = None,
    ) -> ErrorHandler:
        """Build from a connector's parsed ``errors.*`` keys."""
        reps = list(reporters)
        if config.log_enable:
            reps.insert(0, LogReporter(config.log_include_messages))
        return cls(
            connector,
            task,
            retry_timeout=config.retry_timeout,
            retry_delay_max=config.retry_delay_max,
            tolerate_all=config.tolerate_all,
            reporters=reps,
            stopping=stopping,
        )

    def _backoff(self, attempt: int, deadline: float) -> bool:
        """Sleep before the next attempt; False when the retry budget is spent or we stop."""
        delay = INITIAL_BACKOFF * (2 ** (attempt - 1))
        if delay > self.retry_delay_max:
            delay = random.uniform(0, self.retry_delay_max)  # jitter once at the cap
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        return not self.stopping.wait(min(delay, remaining))

    def retry(
        self,
        stage: Stage,
        executing_class: str,
        operation: Callable[[], T],
        first_error: BaseException,
        consumed: ConsumedRecord | None = None,
        record: Any = None,
    ) -> tuple[bool, T | None]:
        """Handle ``first_error`` from ``operation``: retry it if retriable, then tolerate or fail.

        Returns ``(True, result)`` if a retry succeeded and ``(False, None)`` if the record is to
        be skipped; raises :class:`ToleranceExceededError` when the failure is not tolerated.
        """
        error = first_error
        attempts = 1
        if isinstance(error, RetriableError) and self.retry_timeout > 0:
            deadline = time.monotonic() + self.retry_timeout
            while self._backoff(attempts, deadline):
                attempts += 1
                self.total_retries += 1
                try:
                    return True, operation()
                except Exception as e:  # the operation's own failure, handled below
                    error = e
                    if not isinstance(e, RetriableError):
                        break
        self.fail(stage, executing_class, error, attempts, consumed, record)
        return False, None

    def fail(
        self,
        stage: Stage,
        executing_class: str,
        error: BaseException,
        attempts: int = 1,
        consumed: ConsumedRecord | None = None,
        record: Any = None,
        tolerable: bool | None = None,
    ) -> None:
        """Record a failure that retrying did not cure; returns only if it is tolerated.

        ``tolerable`` overrides the stage's own rule (the errant record reporter tolerates any
        failure a task reports, as Kafka Connect's does).
        """
        self.total_failures += attempts
        self.total_errors += 1
        self.last_error_ms = int(time.time() * 1000)
        context = ProcessingContext(
            self.connector, self.task, stage, executing_class, error, attempts, consumed, record
        )
        if tolerable is None:
            tolerable = stage in TOLERABLE_STAGES or isinstance(error, RetriableError)
        if not (self.tolerate_all and tolerable):
            for reporter in self.reporters:
                if isinstance(reporter, LogReporter):
                    reporter.report(context)
            if not tolerable:
                raise ToleranceExceededError("Unhandled exception in error handler") from error
            raise ToleranceExceededError("Tolerance exceeded in error handler") from error
        self.total_skipped += 1
        self.report(context)

    def report(self, context: ProcessingContext) -> None:
        for reporter in self.reporters:
            future = reporter.report(context)
            if future is not None:
                self.pending.append(future)

    def await_reports(self, timeout: float | None = None) -> None:
        """Wait until every report is settled (before committing offsets past the records).

        A report that could not be written (a failed dead letter queue produce) was counted and
        logged by its reporter; as in Kafka Connect it does not stop the task here. Only the
        reports a task made itself through the errant record reporter fail it, and that
        reporter checks its own futures (:meth:`WorkerErrantRecordReporter.await_futures`).
        """
        if not self.pending:
            return
        for reporter in self.reporters:
            reporter.flush(timeout)
        pending, self.pending = self.pending, []
        for f in pending:
            f.exception(timeout)  # waits; a timeout still raises

    @property
    def errors_logged(self) -> int:
        return sum(r.logged for r in self.reporters if isinstance(r, LogReporter))

    def close(self) -> None:
        for reporter in self.reporters:
            reporter.close()
