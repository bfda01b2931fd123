"""The task process: builds one task exactly as the worker would, runs it, and reports back.

:func:`main` runs in a child the worker started (``forkserver`` context, see
:mod:`sluice.runtime.task_process.supervisor`). The task is built by the worker's own
``Worker._build_task`` from the worker config, the plugin registry and the resolved connector
and task configs, so its converters, transforms, error handler, dead letter queue, errant record
reporter and clients are the ones a task thread would have. What the task thread would have
done with the worker's objects crosses the pipe instead:

* status changes go to the worker's listener (``status`` messages);
* source offsets are read from and written to the worker's offset store (``offsets``
  requests, answered before the task goes on: an offset is still only written once Kafka
  acknowledged its record, and the write is durable when ``set`` returns, as in a thread);
* log records go to the worker's handlers with the task's context (``log``);
* metrics, error counts and current problems go as snapshots (``figures``), client statistics
  as librdkafka wrote them (``stats``).

The process ignores SIGINT and SIGTERM: the worker decides when its tasks stop (a Ctrl-C in a
terminal reaches every process of the group). If the worker goes away, the pipe ends and the
task is stopped, and the process exits after the graceful shutdown time at the latest.
"""

from __future__ import annotations

import faulthandler
import gc
import itertools
import logging
import os
import signal
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from multiprocessing.connection import Connection
from typing import Any

from sluice.api import ConnectError
from sluice.runtime import log_context
from sluice.runtime.java_traces import format_trace
from sluice.runtime.metrics.client_stats import STATS_INTERVAL_MS
from sluice.runtime.task_process.protocol import HostRequest, TaskFigures, export_metrics
from sluice.runtime.worker import Worker
from sluice.runtime.worker_task import WorkerTask
from sluice.storage.offsets import OffsetBackingStore
from sluice.storage.states import ConnectorTaskId, TargetState

__all__ = ["main"]

log = logging.getLogger(__name__)

_PLAIN = (str, int, float, bool, type(None))


class _Channel:
    """The child's end of the pipe: sends from any thread, waits for offset replies."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._send_lock = threading.Lock()
        self._ids = itertools.count()
        self._pending: dict[int, Future[Any]] = {}
        self.closed = False

    def send(self, message: tuple[Any, ...]) -> None:
        with self._send_lock:
            if self.closed:
                return
            try:
                self.conn.send(message)
            except (OSError, ValueError):
                self.closed = True

    def close(self) -> None:
        """Send nothing more (the pipe ends when the process does)."""
        with self._send_lock:
            self.closed = True

    def request(self, op: str, *args: Any) -> Any:
        if self.closed:
            raise ConnectError("the worker that ran this task process is gone")
        number = next(self._ids)
        future: Future[Any] = Future()
        self._pending[number] = future
        self.send(("offsets", number, op, args))
        if self.closed:
            self._pending.pop(number, None)
            raise ConnectError("the worker that ran this task process is gone")
        return future.result()

    def answer(self, number: int, ok: bool, value: Any) -> None:
        future = self._pending.pop(number, None)
        if future is None:
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(ConnectError(str(value)))

    def abandon(self) -> None:
        """The worker is gone: no answer will come."""
        self.closed = True
        for number in list(self._pending):
            future = self._pending.pop(number, None)
            if future is not None:
                future.set_exception(ConnectError("the worker that ran this task is gone"))


class _RemoteOffsetStore(OffsetBackingStore):
    """The worker's offset store, reached over the pipe."""

    def __init__(self, channel: _Channel) -> None:
        self.channel = channel

    def get(self, keys: Iterable[bytes]) -> dict[bytes, bytes]:
        found: dict[bytes, bytes] = self.channel.request("get", list(keys))
        return found

    def set(self, values: Mapping[bytes, bytes | None]) -> None:
        self.channel.request("set", dict(values))

    def keys(self) -> list[bytes]:
        keys: list[bytes] = self.channel.request("keys")
        return keys


class _Listener:
    """The task's status listener: every call goes to the worker's listener, in order."""

    def __init__(self, channel: _Channel) -> None:
        self.channel = channel

    def on_task_startup(self, task: ConnectorTaskId) -> None:
        self.channel.send(("status", "startup", None))

    def on_task_pause(self, task: ConnectorTaskId) -> None:
        self.channel.send(("status", "pause", None))

    def on_task_resume(self, task: ConnectorTaskId) -> None:
        self.channel.send(("status", "resume", None))

    def on_task_failure(self, task: ConnectorTaskId, trace: str) -> None:
        self.channel.send(("status", "failure", trace))

    def on_task_shutdown(self, task: ConnectorTaskId) -> None:
        self.channel.send(("status", "shutdown", None))

    def on_task_problem(self, task: ConnectorTaskId, trace: str | None) -> None:
        self.channel.send(("status", "problem", trace))


class _PipeLogHandler(logging.Handler):
    """Sends each record's attributes to the worker, with the context of the thread that logged
    it (:class:`~sluice.runtime.log_context.ContextFilter` runs here, in that thread)."""

    def __init__(self, channel: _Channel) -> None:
        super().__init__(logging.NOTSET)
        self.channel = channel
        self.addFilter(log_context.ContextFilter())
        self._formatter = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            fields = dict(record.__dict__)
            fields["msg"] = record.getMessage()
            fields["args"] = None
            if record.exc_info:
                fields["exc_text"] = record.exc_text or self._formatter.formatException(
                    record.exc_info
                )
            fields["exc_info"] = None
            fields.pop("message", None)
            for k, v in fields.items():
                if not isinstance(v, _PLAIN):
                    fields[k] = str(v)
            self.channel.send(("log", fields))
        except Exception:
            self.handleError(record)


class _HostWorker(Worker):
    """The worker's task-building code, with the worker's stores and registries behind the pipe."""

    def __init__(self, request: HostRequest, channel: _Channel) -> None:
        super().__init__(
            request.worker_id, request.config, request.registry, _RemoteOffsetStore(channel)
        )
        self.channel = channel

    def _watch_client(self, id: ConnectorTaskId, config: dict[str, Any], kind: str) -> None:
        config.setdefault("statistics.interval.ms", STATS_INTERVAL_MS)
        send = self.channel.send

        def on_stats(raw: str) -> None:
            send(("stats", kind, raw))

        config["stats_cb"] = on_stats


def _apply_levels(levels: tuple[int, dict[str, int]]) -> None:
    root_level, named = levels
    logging.getLogger().setLevel(root_level)
    manager = logging.Logger.manager
    for name, existing in list(manager.loggerDict.items()):
        if isinstance(existing, logging.Logger) and name not in named:
            existing.setLevel(logging.NOTSET)
    for name, level in named.items():
        logging.getLogger(name).setLevel(level)


def _tune_gc(tuning: tuple[tuple[int, int, int], bool]) -> None:
    """Collect as the worker does: ``sluice standalone`` freezes its start-up objects and
    collects young objects less often, which the record path gains much from."""
    thresholds, frozen = tuning
    if frozen and gc.get_freeze_count() == 0:
        gc.freeze()
    gc.set_threshold(*thresholds)


def _figures(task: WorkerTask) -> TaskFigures:
    e = task.errors
    return TaskFigures(
        export_metrics(task.metrics),
        {
            "total_failures": e.total_failures,
            "total_errors": e.total_errors,
            "total_skipped": e.total_skipped,
            "total_retries": e.total_retries,
            "last_error_ms": e.last_error_ms,
            "errors_logged": e.errors_logged,
        },
        task.dead_letter_counts(),
        task.problems.current(),
    )


class _Host:
    def __init__(self, conn: Connection, request: HostRequest) -> None:
        self.request = request
        self.channel = _Channel(conn)
        self.conn = conn
        self.task: WorkerTask | None = None
        self.started = threading.Event()
        self.gone = threading.Event()
        self._lock = threading.Lock()
        self.stop_requested = False
        self.running = False

    def serve(self) -> None:
        """The command reader (a daemon thread): the worker's commands and offset answers."""
        while True:
            try:
                message = self.conn.recv()
            except (EOFError, OSError):
                break
            try:
                self._handle(message)
            except Exception:
                log.exception("Task process of %s failed to handle %s", self.request.id, message[0])
        self._worker_gone()

    def _handle(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "reply":
            self.channel.answer(message[1], message[2], message[3])
        elif kind == "target":
            if self.task is not None:
                self.task.transition_to(TargetState(message[1]))
        elif kind == "stop":
            self._stop()
        elif kind == "start":
            self.started.set()
        elif kind == "levels":
            _apply_levels(message[1])
        elif kind == "gc":
            _tune_gc(message[1])

    def _stop(self) -> None:
        with self._lock:
            self.stop_requested = True
            task = self.task if self.running else None
        self.started.set()
        if task is not None:
            # Off the reader thread: stopping a source task may wait on offset replies.
            threading.Thread(target=task.stop, name="task-stop", daemon=True).start()

    def _worker_gone(self) -> None:
        """The pipe ended: the worker died or dropped the task. Stop, then leave in time."""
        self.gone.set()
        self.channel.abandon()
        self._stop()
        grace = self.request.config.graceful_shutdown_timeout
        timer = threading.Timer(grace, os._exit, (1,))
        timer.daemon = True
        timer.start()

    def run(self) -> int:
        request = self.request
        threading.Thread(target=self.serve, name="task-process-commands", daemon=True).start()
        worker = _HostWorker(request, self.channel)
        try:
            task = worker._build_task(
                request.id,
                request.connector_config,
                request.task_config,
                _Listener(self.channel),
                TargetState(request.target_state),
                self._on_topic if request.track_topics else None,
            )
        except Exception:
            log.exception("Failed to start task %s", request.id)
            self.channel.send(("built", format_trace()))
            self.channel.send(("exited",))
            return 0
        self.task = task
        _tune_gc(request.gc_tuning)
        self.channel.send(("built", None))
        self.started.wait()
        with self._lock:
            if self.stop_requested:
                self.channel.send(("exited",))
                return 0
            self.running = True
            task.start_thread()
        interval = request.figures_interval
        while task.thread.is_alive():
            task.thread.join(interval)
            self.channel.send(("figures", _figures(task)))
        self.channel.send(("exited",))
        return 0

    def _on_topic(self, topic: str) -> None:
        self.channel.send(("topic", topic))


def _install_logging(channel: _Channel, levels: tuple[int, dict[str, int]]) -> None:
    root = logging.getLogger()
    root.handlers[:] = [_PipeLogHandler(channel)]
    _apply_levels(levels)


def main(conn: Connection, request: HostRequest) -> None:
    """The task process's entry point (``multiprocessing.Process`` target)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with open(request.crash_file, "w") as crash:
        faulthandler.enable(crash, all_threads=True)
        host = _Host(conn, request)
        _install_logging(host.channel, request.log_levels)
        log_context.set_context(request.id.connector, request.id.task)
        try:
            host.run()
        finally:
            host.channel.close()
