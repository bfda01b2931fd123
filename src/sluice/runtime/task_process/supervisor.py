"""The worker's handle on a task that runs in a child process.

:class:`TaskProcess` stands where a task thread's :class:`~sluice.runtime.worker_task.WorkerTask`
stands in ``Worker.tasks``, and answers what the herders, ``/metrics``, the summary and the
console ask of a task (its id, metrics, errors, problems, dead letter counts, target state) from
what the process reports. The process is started from a ``forkserver`` (a clean single-threaded
server process that has already imported the runtime, so starting a task costs a fork, not an
interpreter start, and no librdkafka thread of the worker is ever forked), and is supervised by
one reader thread per task, which:

* calls the worker's status listener for the task's status changes, in the order they happened;
* answers the task's offset store calls from the worker's own store (a separate thread, in
  order, so log lines and status keep flowing while a write waits for Kafka);
* hands the task's log records to the worker's handlers in the task's log context;
* installs the task's metric snapshots and feeds its clients' statistics to ``/metrics``;
* notices the process's end: a process that dies without its task having ended (a signal such
  as SIGSEGV from a C extension, ``kill -9``, ``os._exit``) makes the task FAILED with a trace
  naming the signal and, when Python could write them, the stacks of its threads at that moment.

Stopping follows the thread model: :meth:`TaskProcess.stop` asks the task to stop,
:meth:`TaskProcess.await_stop` waits for the process to end (within the worker's
``task.shutdown.graceful.timeout.ms``), and :meth:`TaskProcess.cancel` abandons a task that did
not stop in time; here it also kills the process, and no status or offset write of it is
accepted afterwards.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import gc
import logging
import multiprocessing
import os
import tempfile
import threading
import weakref
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Final

from sluice.api import ConnectError
from sluice.runtime import log_context
from sluice.runtime.errors import ErrorHandler
from sluice.runtime.metrics.task_metrics import TaskMetrics
from sluice.runtime.task_problems import Problem, TaskProblems
from sluice.runtime.task_process.protocol import (
    HostRequest,
    TaskFigures,
    apply_metrics,
    describe_exit,
)
from sluice.runtime.worker_task import TaskStatusListener, WorkerTask
from sluice.storage.offsets import OffsetBackingStore
from sluice.storage.states import TargetState

__all__ = ["TaskProcess", "TaskProcessBuildError", "crash_file", "gc_tuning", "logger_levels"]

log = logging.getLogger(__name__)

HOST_MODULE: Final = "sluice.runtime.task_process.host"

_live: weakref.WeakSet[TaskProcess] = weakref.WeakSet()


class TaskProcessBuildError(ConnectError):
    """The task process could not build its task; ``trace`` is the failure trace it reported."""

    def __init__(self, trace: str) -> None:
        super().__init__(trace.splitlines()[0] if trace else "task process failed to start")
        self.trace = trace


def _context() -> Any:
    """The ``forkserver`` context, preloading the task host; ``spawn`` where there is none."""
    try:
        ctx = multiprocessing.get_context("forkserver")
    except ValueError:  # Windows
        return multiprocessing.get_context("spawn")
    ctx.set_forkserver_preload([HOST_MODULE])
    return ctx


def gc_tuning() -> tuple[tuple[int, int, int], bool]:
    """The worker's collector thresholds, and whether it froze its start-up objects."""
    threshold = gc.get_threshold()
    return (threshold[0], threshold[1], threshold[2]), gc.get_freeze_count() > 0


def logger_levels() -> tuple[int, dict[str, int]]:
    """The root level and every level set on a named logger, for a task process to copy."""
    named = {
        name: logger.level
        for name, logger in list(logging.Logger.manager.loggerDict.items())
        if isinstance(logger, logging.Logger) and logger.level != logging.NOTSET
    }
    return logging.getLogger().level, named


class _RemoteProblems(TaskProblems):
    """The task's current problems as its process last reported them."""

    def __init__(self) -> None:
        super().__init__()
        self.latest: list[Problem] = []

    def current(self) -> list[Problem]:
        return list(self.latest)


class _RemoteErrors(ErrorHandler):
    """The task's error counts as its process last reported them."""

    def __init__(self, connector: str, task: int) -> None:
        super().__init__(connector, task)
        self.logged = 0

    @property
    def errors_logged(self) -> int:
        return self.logged

    def update(self, counts: dict[str, int]) -> None:
        self.total_failures = counts["total_failures"]
        self.total_errors = counts["total_errors"]
        self.total_skipped = counts["total_skipped"]
        self.total_retries = counts["total_retries"]
        self.last_error_ms = counts["last_error_ms"]
        self.logged = counts["errors_logged"]


class TaskProcess(WorkerTask):
    """One task running in a child process; a :class:`WorkerTask` to everything that reads it.

    The constructor does not call ``WorkerTask.__init__``: there is no pipeline, thread or
    client here, only the state the worker's readers look at.
    """

    def __init__(
        self,
        request: HostRequest,
        listener: TaskStatusListener,
        metrics: TaskMetrics,
        offset_store: OffsetBackingStore,
        on_topic: Callable[[str], None] | None,
        client_stats: Callable[[str], Callable[[str], None]],
        task_class: type | None = None,
    ) -> None:
        self.id = request.id
        self.request = request
        self.metrics = metrics
        self._problems = _RemoteProblems()
        self.problems = self._problems
        self._errors = _RemoteErrors(request.id.connector, request.id.task)
        self.errors = self._errors
        self.listener = listener
        self.task_config = request.task_config
        self.stopping = threading.Event()
        self.flush_interval = request.config.offset_flush_interval
        self.flush_timeout = request.config.offset_flush_timeout
        self._target = TargetState(request.target_state)
        self.cancelled = False
        self.failed = False
        self.task: Any = None
        """An instance of the task's class made without ``__init__``, for its version."""
        if task_class is not None:
            with contextlib.suppress(Exception):
                self.task = object.__new__(task_class)
        self._offsets = offset_store
        self._on_topic = on_topic
        self._client_stats = client_stats
        self._stats: dict[str, Callable[[str], None]] = {}
        self._dead_letters = (0, 0)
        self._built = threading.Event()
        self._build_trace: str | None = None
        self._exited = False
        self._send_lock = threading.Lock()
        self._levels = request.log_levels
        self._gc_tuning = request.gc_tuning
        self._offset_calls = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix=f"task-offsets-{self.id}"
        )
        self._conn: Connection | None = None
        self.process: BaseProcess | None = None
        self.thread = threading.Thread(
            target=self._read, name=f"task-process-{self.id}", daemon=True
        )

    # -- start --------------------------------------------------------------------------------
    def spawn(self) -> None:
        """Start the process, which builds the task and then waits for ``start``: several
        task processes spawned before any is awaited build at the same time."""
        ctx = _context()
        parent_end, child_end = ctx.Pipe(duplex=True)
        self._conn = parent_end
        from sluice.runtime.task_process import host

        process = ctx.Process(
            target=host.main, args=(child_end, self.request), name=f"task-{self.id}"
        )
        try:
            process.start()
        finally:
            child_end.close()
        # Only this handle's reader thread may ask for the exit status: the forkserver sends it
        # once, and multiprocessing reads it from whichever thread polls first (its own clean-up
        # of finished children at every start, a second join), leaving the others 255.
        getattr(multiprocessing.process, "_children", set()).discard(process)
        self.process = process
        _live.add(self)
        self.thread.start()

    def await_built(self) -> None:
        """Wait until the spawned process built the task; raises :class:`TaskProcessBuildError`
        if it could not (or died trying)."""
        self._built.wait()
        if self._build_trace is not None:
            raise TaskProcessBuildError(self._build_trace)
        log.debug("Task %s runs in process %s", self.id, self.pid)

    def start_thread(self) -> None:
        """Let the built task run (the worker has registered it by now)."""
        self._send(("start",))

    # -- control ------------------------------------------------------------------------------
    def stop(self) -> None:
        self.stopping.set()
        self._send(("stop",))

    def await_stop(self, timeout: float) -> bool:
        """Wait for the process to end and everything it said to be handled (the reader thread
        ends then)."""
        if self.thread.is_alive():
            self.thread.join(timeout)
        return not self.thread.is_alive()

    def cancel(self) -> None:
        """Abandon the task: kill its process; nothing it says is heeded any more."""
        self.cancelled = True
        self._kill()

    def _kill(self) -> None:
        process = self.process
        if process is not None and self.thread.is_alive():
            with contextlib.suppress(Exception):
                process.kill()

    def transition_to(self, state: TargetState) -> None:
        self._target = state
        self._send(("target", state.value))

    def dead_letter_counts(self) -> tuple[int, int]:
        return self._dead_letters

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def _send(self, message: tuple[Any, ...]) -> None:
        conn = self._conn
        if conn is None:
            return
        # A process that is gone cannot be told anything: the reader reports how it ended.
        with self._send_lock, contextlib.suppress(OSError, ValueError):
            conn.send(message)

    # -- what the process says ----------------------------------------------------------------
    def _read(self) -> None:
        conn = self._conn
        assert conn is not None
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            except Exception:
                log.exception("%s: unreadable message from the task process", self)
                continue
            try:
                self._dispatch(message)
            except Exception:
                log.exception("%s: failed to handle %s from the task process", self, message[0])
        log_context.set_context(None)
        self._ended()

    def _dispatch(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "log":
            self._log(message[1])
        elif kind == "status":
            self._status(message[1], message[2])
        elif kind == "figures":
            self._figures(message[1])
        elif kind == "offsets":
            self._offset_calls.submit(self._offset_call, message[1], message[2], message[3])
        elif kind == "stats":
            self._feed_stats(message[1], message[2])
        elif kind == "topic":
            if self._on_topic is not None and not self.cancelled:
                self._on_topic(message[1])
        elif kind == "built":
            self._build_trace = message[1]
            self._built.set()
        elif kind == "exited":
            self._exited = True

    def _status(self, event: str, trace: str | None) -> None:
        if self.cancelled:
            return
        listener, id, metrics = self.listener, self.id, self.metrics
        if event == "startup":
            metrics.set_status("running")
            listener.on_task_startup(id)
        elif event == "pause":
            metrics.set_status("paused")
            listener.on_task_pause(id)
        elif event == "resume":
            metrics.set_status("running")
            listener.on_task_resume(id)
        elif event == "failure":
            self.failed = True
            metrics.set_status("failed")
            listener.on_task_failure(id, trace or "")
        elif event == "shutdown":
            metrics.set_status("unassigned")
            listener.on_task_shutdown(id)
        elif event == "problem":
            publish = getattr(listener, "on_task_problem", None)
            if metrics.status == "running" and publish is not None:
                publish(id, trace)

    def _log(self, fields: dict[str, Any]) -> None:
        record = logging.makeLogRecord(fields)
        logger = logging.getLogger(record.name)
        if not logger.isEnabledFor(record.levelno):
            return
        # The worker's handlers read the context of the thread that handles the record.
        log_context.set_context(
            fields.get("connector"), fields.get("task"), fields.get("connect_scope")
        )
        logger.handle(record)

    def _figures(self, figures: TaskFigures) -> None:
        apply_metrics(self.metrics, figures.metrics)
        self._errors.update(figures.errors)
        self._dead_letters = figures.dead_letters
        self._problems.latest = figures.problems
        levels = logger_levels()
        if levels != self._levels:
            self._levels = levels
            self._send(("levels", levels))
        tuning = gc_tuning()
        if tuning != self._gc_tuning:
            self._gc_tuning = tuning
            self._send(("gc", tuning))

    def _feed_stats(self, kind: str, raw: str) -> None:
        if self.stopping.is_set() or self.cancelled:
            return  # the worker has forgotten the task's clients
        feed = self._stats.get(kind)
        if feed is None:
            feed = self._stats[kind] = self._client_stats(kind)
        feed(raw)

    def _offset_call(self, number: int, op: str, args: tuple[Any, ...]) -> None:
        try:
            if op == "get":
                value: Any = self._offsets.get(args[0])
            elif op == "keys":
                value = self._offsets.keys()
            elif op == "set":
                if self.cancelled:
                    raise ConnectError(f"task {self.id} was cancelled: its offsets are not written")
                self._offsets.set(args[0])
                value = None
            else:
                raise ConnectError(f"unknown offset store call {op!r}")
        except Exception as e:
            self._send(("reply", number, False, f"{type(e).__name__}: {e}"))
        else:
            self._send(("reply", number, True, value))

    # -- the end ------------------------------------------------------------------------------
    def _ended(self) -> None:
        process = self.process
        assert process is not None
        process.join()
        self._offset_calls.shutdown(wait=False)
        if self._conn is not None:
            self._conn.close()
        crash = self._crash_report()
        self._problems.latest = []
        if self._exited and process.exitcode == 0:
            self._built.set()
            return
        how = describe_exit(process.exitcode)
        trace = (
            "org.apache.kafka.connect.errors.ConnectException: The process of task "
            f"{self.id} (pid {process.pid}) died with {how}"
        )
        if crash:
            trace += "\n\tPython threads of the task process when it died (faulthandler):"
            trace += "".join(f"\n\t{line}" for line in crash.splitlines() if line.strip())
        if not self._built.is_set():
            self._build_trace = trace
            self._built.set()
            return
        if self.cancelled or self._build_trace is not None:
            return  # abandoned, or never built (the worker reported that already)
        log.error("%s: the task process (pid %s) died with %s", self, process.pid, how)
        if not self.failed:
            self.failed = True
            self.metrics.set_status("failed")
            self.listener.on_task_failure(self.id, trace)

    def _crash_report(self) -> str:
        path = self.request.crash_file
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError:
            return ""
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)
        return text.strip()

    # -- WorkerTask's task-thread side, which lives in the process ---------------------------
    def initialize_and_start(self) -> None:
        raise NotImplementedError("runs in the task process")

    def execute(self) -> None:
        raise NotImplementedError("runs in the task process")

    def close(self) -> None:
        raise NotImplementedError("runs in the task process")

    def __str__(self) -> str:
        return f"TaskProcess{{id={self.id}}}"


def crash_file() -> str:
    """A fresh file for a task process's ``faulthandler`` output."""
    fd, path = tempfile.mkstemp(prefix="sluice-task-", suffix=".crash")
    os.close(fd)
    return path


@atexit.register
def _kill_leftovers() -> None:
    """Tasks the worker did not stop must not outlive it (nor hold up interpreter exit)."""
    for task in list(_live):
        task._kill()
