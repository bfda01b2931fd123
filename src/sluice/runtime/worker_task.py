"""The life of one task on its own thread: start, run, pause, fail, stop.

``WorkerTask`` holds what source and sink tasks share: the thread, the target state (STARTED or
PAUSED), the stop and cancel flags and status reporting. A task that raises is marked FAILED with
its traceback and stays down until restarted, as in Kafka Connect; the worker and the other
tasks carry on.
"""

from __future__ import annotations

import abc
import logging
import threading
import traceback
from dataclasses import dataclass
from typing import Any, Protocol

from sluice.api import Converter, HeaderConverter
from sluice.runtime import log_context
from sluice.runtime.dead_letter_queue import DeadLetterQueueReporter
from sluice.runtime.errors import ErrorHandler
from sluice.runtime.metrics.task_metrics import TaskMetrics
from sluice.runtime.status import ConnectorTaskId, TargetState
from sluice.runtime.transformation_chain import TransformationChain

__all__ = ["RecordPipeline", "TaskStatusListener", "WorkerTask"]

log = logging.getLogger(__name__)


class TaskStatusListener(Protocol):
    """Where tasks report their state changes (the herder, through the status store)."""

    def on_task_startup(self, task: ConnectorTaskId) -> None: ...

    def on_task_pause(self, task: ConnectorTaskId) -> None: ...

    def on_task_resume(self, task: ConnectorTaskId) -> None: ...

    def on_task_failure(self, task: ConnectorTaskId, trace: str) -> None: ...

    def on_task_shutdown(self, task: ConnectorTaskId) -> None: ...


class _RecordingListener:
    """Passes state changes on to the herder and keeps the task's ``status`` metric in step."""

    def __init__(self, listener: TaskStatusListener, metrics: TaskMetrics) -> None:
        self.listener = listener
        self.metrics = metrics

    def on_task_startup(self, task: ConnectorTaskId) -> None:
        self.metrics.set_status("running")
        self.listener.on_task_startup(task)

    def on_task_pause(self, task: ConnectorTaskId) -> None:
        self.metrics.set_status("paused")
        self.listener.on_task_pause(task)

    def on_task_resume(self, task: ConnectorTaskId) -> None:
        self.metrics.set_status("running")
        self.listener.on_task_resume(task)

    def on_task_failure(self, task: ConnectorTaskId, trace: str) -> None:
        self.metrics.set_status("failed")
        self.listener.on_task_failure(task, trace)

    def on_task_shutdown(self, task: ConnectorTaskId) -> None:
        self.metrics.set_status("unassigned")
        self.listener.on_task_shutdown(task)


@dataclass
class RecordPipeline:
    """What a task's records pass through besides the task: converters, transforms, errors."""

    key_converter: Converter
    value_converter: Converter
    header_converter: HeaderConverter
    chain: TransformationChain[Any]
    errors: ErrorHandler


class WorkerTask(abc.ABC):
    """Base of :class:`WorkerSourceTask` and :class:`WorkerSinkTask`."""

    def __init__(
        self,
        id: ConnectorTaskId,
        listener: TaskStatusListener,
        target_state: TargetState,
        task_config: dict[str, str],
        pipeline: RecordPipeline,
        offset_flush_interval: float,
        offset_flush_timeout: float,
        metrics: TaskMetrics,
    ) -> None:
        self.id = id
        self.metrics = metrics
        self.listener: TaskStatusListener = _RecordingListener(listener, metrics)
        self.task_config = task_config
        self.key_converter = pipeline.key_converter
        self.value_converter = pipeline.value_converter
        self.header_converter = pipeline.header_converter
        self.chain = pipeline.chain
        self.errors = pipeline.errors
        self.errors.stopping = self.stopping = threading.Event()
        self.flush_interval = offset_flush_interval
        self.flush_timeout = offset_flush_timeout
        self._target = target_state
        self._state_lock = threading.Condition()
        self.cancelled = False
        self.failed = False
        self.thread = threading.Thread(target=self.run, name=f"task-thread-{id}", daemon=True)

    # -- control, from other threads ----------------------------------------------------------
    def start_thread(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        """Ask the task to stop; returns at once (``await_stop`` waits)."""
        with self._state_lock:
            self.stopping.set()
            self._state_lock.notify_all()
        self.on_stop_requested()

    def on_stop_requested(self) -> None:
        """Hook for subclasses: wake whatever the task thread may be blocked on."""

    def await_stop(self, timeout: float) -> bool:
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def cancel(self) -> None:
        """Abandon a task that did not stop in time: no more status or offset writes from it."""
        self.cancelled = True

    def transition_to(self, state: TargetState) -> None:
        with self._state_lock:
            self._target = state
            self._state_lock.notify_all()

    @property
    def target_state(self) -> TargetState:
        return self._target

    @property
    def paused(self) -> bool:
        return self._target is TargetState.PAUSED

    # -- the task thread ----------------------------------------------------------------------
    def await_unpaused(self) -> bool:
        """Block while paused; returns False if stopping instead."""
        with self._state_lock:
            while self._target is TargetState.PAUSED and not self.stopping.is_set():
                self._state_lock.wait()
            return not self.stopping.is_set()

    def run(self) -> None:
        log_context.set_context(self.id.connector, self.id.task)
        try:
            if self.paused:
                self.listener.on_task_pause(self.id)
                if not self.await_unpaused():
                    return
            self.initialize_and_start()
            if not self.stopping.is_set():
                self.listener.on_task_startup(self.id)
                if self.paused:
                    self.listener.on_task_pause(self.id)
            self.execute()
        except BaseException as e:
            if self.cancelled:
                log.warning("%s threw after being cancelled: %s", self, e)
            else:
                self.failed = True
                log.error(
                    "%s Task threw an uncaught and unrecoverable exception. "
                    "Task is being killed and will not recover until manually restarted",
                    self,
                    exc_info=e,
                )
                self.listener.on_task_failure(self.id, traceback.format_exc())
        finally:
            try:
                self.close()
            except Exception:
                log.exception("%s failed to close cleanly", self)
            if not self.failed and not self.cancelled:
                self.listener.on_task_shutdown(self.id)
            log_context.set_context(None)

    def dead_letter_counts(self) -> tuple[int, int]:
        """Records sent to the dead letter queue, and how many of them Kafka refused."""
        requests = failures = 0
        for reporter in self.errors.reporters:
            if isinstance(reporter, DeadLetterQueueReporter):
                requests += reporter.produce_requests
                failures += reporter.produce_failures
        return requests, failures

    def close_pipeline(self) -> None:
        """Release the transforms, error reporters and converters (task thread, at the end)."""
        self.chain.close()
        self.errors.close()
        for conv in (self.key_converter, self.value_converter, self.header_converter):
            conv.close()

    @abc.abstractmethod
    def initialize_and_start(self) -> None:
        """Create clients, initialize and start the user's task."""

    @abc.abstractmethod
    def execute(self) -> None:
        """The task loop; returns when ``stopping`` is set."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release clients; runs whether the task stopped or failed."""

    def __str__(self) -> str:
        return f"{type(self).__name__}{{id={self.id}}}"
