"""Tasks in processes, without a broker: the isolation choice, the figures, a failed build."""

from __future__ import annotations

import signal
from typing import Any

import pytest

from sluice.api import ConfigError
from sluice.plugins.registry import PluginRegistry
from sluice.runtime.metrics.task_metrics import SinkTaskMetrics, SourceTaskMetrics
from sluice.runtime.task_process import runs_in_process
from sluice.runtime.task_process.protocol import apply_metrics, describe_exit, export_metrics
from sluice.runtime.worker import TaskStart, Worker
from sluice.runtime.worker_config import WorkerConfig
from sluice.storage.offsets import MemoryOffsetBackingStore
from sluice.storage.states import ConnectorTaskId, TargetState

WORKER = {
    "bootstrap.servers": "127.0.0.1:1",
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.storage.StringConverter",
    "offset.storage.file.filename": "/dev/null",
}


@pytest.mark.parametrize(
    ("mode", "tasks_max", "generated", "cores", "expected"),
    [
        ("auto", "2", None, 2, True),
        ("auto", "4", 4, 8, True),
        ("auto", "1", None, 8, False),  # one task: nothing to gain
        ("auto", "4", 1, 8, False),  # the connector made one task of its four
        ("auto", "4", None, 1, False),  # one core: threads
        ("auto", "x", None, 4, False),
        ("thread", "4", 4, 8, False),
        ("process", "1", 1, 1, True),
    ],
)
def test_which_tasks_run_in_processes(
    mode: str, tasks_max: str, generated: int | None, cores: int, expected: bool
) -> None:
    assert runs_in_process(mode, {"tasks.max": tasks_max}, generated, cores) is expected


def test_the_setting_defaults_to_auto_and_is_checked() -> None:
    assert WorkerConfig(WORKER).get_string("sluice.task.isolation") == "auto"
    assert (
        WorkerConfig({**WORKER, "sluice.task.isolation": "process"}).get_string(
            "sluice.task.isolation"
        )
        == "process"
    )
    with pytest.raises(ConfigError):
        WorkerConfig({**WORKER, "sluice.task.isolation": "fibers"})


def test_exits_are_described_for_traces() -> None:
    assert describe_exit(-signal.SIGSEGV) == "signal 11 (SIGSEGV)"
    assert describe_exit(-signal.SIGKILL) == "signal 9 (SIGKILL)"
    assert describe_exit(3) == "exit status 3"
    assert describe_exit(None) == "an unknown cause"


def test_figures_of_the_process_replace_the_workers_copy() -> None:
    child = SinkTaskMetrics("c", 0)
    child.set_status("running")
    child.record_read(10)
    child.record_put(10, 0.002)
    child.lag[("t", 1)] = 7
    parent = SinkTaskMetrics("c", 0)
    parent.set_status("paused")
    apply_metrics(parent, export_metrics(child))
    assert parent.records_out()[1] == 10 and parent.records_in()[1] == 10
    assert parent.send.rate() == child.send.rate() and parent.lag == {("t", 1): 7}
    assert parent.status == "paused"  # the worker keeps the status, driven by status events

    source = SourceTaskMetrics("c", 1)
    source.active_count = lambda: 42
    source.record_write(5)
    copy = SourceTaskMetrics("c", 1)
    apply_metrics(copy, export_metrics(source))
    assert copy.active_count() == 42 and copy.records_out()[1] == 5


class _Listener:
    def __init__(self) -> None:
        self.failures: list[tuple[ConnectorTaskId, str]] = []

    def on_task_startup(self, task: ConnectorTaskId) -> None: ...

    def on_task_pause(self, task: ConnectorTaskId) -> None: ...

    def on_task_resume(self, task: ConnectorTaskId) -> None: ...

    def on_task_failure(self, task: ConnectorTaskId, trace: str) -> None:
        self.failures.append((task, trace))

    def on_task_shutdown(self, task: ConnectorTaskId) -> None: ...


def test_a_task_its_process_cannot_build_fails_with_the_process_trace() -> None:
    worker = Worker(
        "w",
        WorkerConfig({**WORKER, "sluice.task.isolation": "process"}),
        PluginRegistry(),
        MemoryOffsetBackingStore(),
    )
    listener = _Listener()
    id = ConnectorTaskId("broken", 0)
    config = {
        "name": "broken",
        "connector.class": "FileStreamSink",
        "topics": "t",
        "value.converter": "no.such.Converter",
    }
    task_config = {"task.class": "FileStreamSinkTask", "topics": "t"}
    assert worker.runs_in_process(id, config)
    assert not worker.start_task(id, config, task_config, listener, TargetState.STARTED)
    assert worker.tasks == {} and worker.metrics.task_startups.failures == 1
    [(failed, trace)] = listener.failures
    assert failed == id
    assert "no.such.Converter" in trace.splitlines()[0]
    assert "\tat sluice.runtime.task_process.host._Host.run(" in trace  # built in the process


class _FakeTask:
    """What the worker holds for a built task: here only its start is recorded."""

    def __init__(self, id: ConnectorTaskId, events: list[str]) -> None:
        self.id, self.events = id, events

    def start_thread(self) -> None:
        self.events.append(f"start {self.id.task}")


class _OrderWorker(Worker):
    """A worker whose thread tasks are fakes, and whose task 1 cannot be built."""

    def __init__(self) -> None:
        super().__init__(
            "w",
            WorkerConfig({**WORKER, "sluice.task.isolation": "thread"}),
            PluginRegistry(),
            MemoryOffsetBackingStore(),
        )
        self.events: list[str] = []

    def _build_task(self, id: ConnectorTaskId, *args: Any) -> Any:
        self.events.append(f"build {id.task}")
        if id.task == 1:
            raise ConfigError("task 1 is broken")
        return _FakeTask(id, self.events)


def test_a_connectors_tasks_are_all_built_before_any_of_them_starts() -> None:
    # Started together, a connector's sink tasks join their consumer group at once: the group
    # forms once instead of rebalancing as each one arrives.
    worker = _OrderWorker()
    listener = _Listener()
    starts = [
        TaskStart(ConnectorTaskId("c", i), {"name": "c"}, {}, listener, TargetState.STARTED)
        for i in range(3)
    ]
    assert worker.start_tasks(starts) == [True, False, True]
    assert worker.events == ["build 0", "build 1", "build 2", "start 0", "start 2"]
    assert sorted(t.task for t in worker.tasks) == [0, 2]
    [(failed, trace)] = listener.failures
    assert failed == ConnectorTaskId("c", 1) and "task 1 is broken" in trace
    assert worker.metrics.task_startups.failures == 1
