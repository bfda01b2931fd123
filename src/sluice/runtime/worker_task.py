"""The life of one task on its own thread: start, run, pause, fail, stop.

``WorkerTask`` holds what source and sink tasks share: the thread, the target state (STARTED or
PAUSED), the stop and cancel flags and status reporting. A task that raises is marked FAILED with
its traceback and stays down until restarted, as in Kafka Connect; the worker and the other
tasks carry on. A task that runs but cannot get anywhere (its brokers are out of reach, it keeps
warning) keeps its state and reports the condition through its :attr:`WorkerTask.problems`.
"""

from __future__ import annotations

import abc
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol, TypeVar

from sluice.api import ConnectRecord, Converter, HeaderConverter
from sluice.kafka.clients import REAL_CLIENTS, KafkaClients
from sluice.plugins.registry import java_class_name
from sluice.runtime import log_context, problem_log, task_problems
from sluice.runtime.dead_letter_queue import DeadLetterQueueReporter
from sluice.runtime.errors import ErrorHandler
from sluice.runtime.java_traces import format_trace
from sluice.runtime.kafka_reachability import KafkaReachability
from sluice.runtime.metrics.task_metrics import TaskMetrics
from sluice.runtime.task_problems import TaskProblems
from sluice.runtime.transformation_chain import TransformationChain
from sluice.storage.states import ConnectorTaskId, TargetState

__all__ = ["RecordPipeline", "TaskStatusListener", "WorkerTask"]

RecordT = TypeVar("RecordT", bound=ConnectRecord)

log = logging.getLogger(__name__)


class TaskStatusListener(Protocol):
    """Where tasks report their state changes (the herder, through the status store)."""

    def on_task_startup(self, task: ConnectorTaskId) -> None: ...

    def on_task_pause(self, task: ConnectorTaskId) -> None: ...

    def on_task_resume(self, task: ConnectorTaskId) -> None: ...

    def on_task_failure(self, task: ConnectorTaskId, trace: str) -> None: ...

    def on_task_shutdown(self, task: ConnectorTaskId) -> None: ...


class TaskProblemListener(Protocol):
    """A listener that also publishes a running task's problems (optional: the herders are)."""

    def on_task_problem(self, task: ConnectorTaskId, trace: str | None) -> None: ...


class _RecordingListener:
    """Passes state changes on to the herder and keeps the task's ``status`` metric in step.

    A RUNNING state written afresh (start-up, resume) carries no problem, so the task's current
    problems are published again after it.
    """

    def __init__(
        self, listener: TaskStatusListener, metrics: TaskMetrics, problems: TaskProblems
    ) -> None:
        self.listener = listener
        self.metrics = metrics
        self.problems = problems

    def on_task_startup(self, task: ConnectorTaskId) -> None:
        self.metrics.set_status("running")
        self.listener.on_task_startup(task)
        self.problems.republish()

    def on_task_pause(self, task: ConnectorTaskId) -> None:
        self.metrics.set_status("paused")
        self.listener.on_task_pause(task)

    def on_task_resume(self, task: ConnectorTaskId) -> None:
        self.metrics.set_status("running")
        self.listener.on_task_resume(task)
        self.problems.republish()

    def on_task_failure(self, task: ConnectorTaskId, trace: str) -> None:
        self.metrics.set_status("failed")
        self.listener.on_task_failure(task, trace)

    def on_task_shutdown(self, task: ConnectorTaskId) -> None:
        self.metrics.set_status("unassigned")
        self.listener.on_task_shutdown(task)

    def on_task_problem(self, task: ConnectorTaskId, trace: str | None) -> None:
        """Publish a RUNNING task's problems, if the listener can (test doubles may not)."""
        if self.metrics.status == "running" and hasattr(self.listener, "on_task_problem"):
            listener: TaskProblemListener = self.listener  # type: ignore[assignment]
            listener.on_task_problem(task, trace)


@dataclass
class RecordPipeline:
    """What a task's records pass through besides the task: converters, transforms, errors."""

    key_converter: Converter
    value_converter: Converter
    header_converter: HeaderConverter
    chain: TransformationChain[Any]
    errors: ErrorHandler
    key_converter_class: str = ""
    value_converter_class: str = ""
    header_converter_class: str = ""
    """The converters' class names as Kafka Connect reports them (``__connect.errors.class.name``
    of a converter failure): the configured class name, else the registry's name for the class."""

    def __post_init__(self) -> None:
        if not self.key_converter_class:
            self.key_converter_class = java_class_name(type(self.key_converter))
        if not self.value_converter_class:
            self.value_converter_class = java_class_name(type(self.value_converter))
        if not self.header_converter_class:
            self.header_converter_class = java_class_name(type(self.header_converter))


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
        clients: KafkaClients = REAL_CLIENTS,
    ) -> None:
        self.id = id
        self.clients = clients
        """Where the task's producer or consumer and its clock come from (doubles in tests)."""
        self.clock = clients.clock
        self.metrics = metrics
        self.problems = TaskProblems()
        """What keeps the task from working now (REST ``trace``, metrics, console)."""
        self.kafka = KafkaReachability(self.problems)
        """Fed by the task's clients: whether they reach the brokers."""
        recording = _RecordingListener(listener, metrics, self.problems)
        self.problems.on_change = partial(recording.on_task_problem, id)
        self.listener: TaskStatusListener = recording
        self.task_config = task_config
        self.key_converter = pipeline.key_converter
        self.value_converter = pipeline.value_converter
        self.header_converter = pipeline.header_converter
        self.key_converter_class = pipeline.key_converter_class
        self.value_converter_class = pipeline.value_converter_class
        self.header_converter_class = pipeline.header_converter_class
        self.chain = pipeline.chain
        self._chain_batchable = pipeline.chain.batchable
        self.errors = pipeline.errors
        self.errors.stopping = self.stopping = threading.Event()
        self.flush_interval = offset_flush_interval
        self.flush_timeout = offset_flush_timeout
        self._target = target_state
        self._state_lock = threading.Condition()
        self.cancelled = False
        self.failed = False
        problem_log.install()
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

    def bind_thread(self) -> None:
        """Tag the calling thread's log lines with this task, and its warnings as its problems
        (the task thread, and any helper thread that works for the task)."""
        log_context.set_context(self.id.connector, self.id.task)
        task_problems.bind(self.problems)

    @staticmethod
    def unbind_thread() -> None:
        log_context.set_context(None)
        task_problems.bind(None)

    def transform_batch(
        self, records: list[RecordT], one: Callable[[int, RecordT], RecordT | None]
    ) -> list[RecordT | None]:
        """The chain's result for each record (``None`` where dropped).

        The whole batch goes through the chain at once when every transform allows it (see
        ``Transformation.apply_batch``); otherwise, or should that raise, record by record
        through ``one(index, record)``, which reports failures through the error handler.
        """
        if self._chain_batchable:
            try:
                return self.chain.apply_batch(records)
            except Exception:  # redone below record by record, where errors are handled
                pass
        return [one(i, r) for i, r in enumerate(records)]

    def run(self) -> None:
        self.bind_thread()
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
                self.listener.on_task_failure(self.id, format_trace(e))
        finally:
            try:
                self.close()
            except Exception:
                log.exception("%s failed to close cleanly", self)
            if not self.failed and not self.cancelled:
                self.listener.on_task_shutdown(self.id)
            self.unbind_thread()

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
