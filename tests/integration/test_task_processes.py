"""Tasks in child processes (``sluice.task.isolation=process``) through a real broker."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from sluice.runtime.metrics.summary import local_summary
from sluice.runtime.status import ConnectorTaskId, State
from sluice.runtime.task_process import TaskProcess
from sluice.testing import EmbeddedWorker, wait_for
from tests.fixtures.distributed import running_cluster
from tests.fixtures.kafka import consume_all, produce_values
from tests.fixtures.worker_process import group_committed, stored_offset

PLUGINS = str(Path(__file__).parent / "task_process_plugins")
PROCESS_WORKER = {"plugin.path": PLUGINS, "sluice.task.isolation": "process"}


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _state(w: EmbeddedWorker, name: str, task: int) -> State | None:
    s = w.herder.connector_status(name).tasks.get(task)
    return s.state if s is not None else None


def _handle(w: EmbeddedWorker, name: str, task: int) -> TaskProcess:
    handle = w.herder.worker.tasks[ConnectorTaskId(name, task)]
    assert isinstance(handle, TaskProcess)
    return handle


def test_two_task_sink_and_source_in_processes_deliver_everything(
    kafka_bootstrap: str, kafka_topic, tmp_path: Path
) -> None:
    """At least once, offsets committed: sink offsets to the group, source offsets to the
    worker's file, with each task in its own process and the figures in the worker."""
    into_sink = kafka_topic("into-sink", partitions=2)
    values = [f"v{i}" for i in range(2000)]
    produce_values(kafka_bootstrap, into_sink, values[:1000], partition=0)
    produce_values(kafka_bootstrap, into_sink, values[1000:], partition=1)
    from_source = kafka_topic("from-source", partitions=2)
    out = tmp_path / "out"
    out.mkdir()
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "w", PROCESS_WORKER) as w:
        w.create(
            "sink",
            {
                "connector.class": "RecordingSinkConnector",
                "tasks.max": "2",
                "topics": into_sink,
                "dir": str(out),
            },
        )
        w.create(
            "source",
            {
                "connector.class": "CountingSourceConnector",
                "tasks.max": "2",
                "topic": from_source,
                "count": "1500",
            },
        )
        w.wait_running("sink", tasks=2)
        w.wait_running("source", tasks=2)
        pids = {_handle(w, n, t).pid for n in ("sink", "source") for t in (0, 1)}
        assert len(pids) == 4 and os.getpid() not in pids
        wait_for(
            lambda: len(_lines(out / "task-0.txt")) + len(_lines(out / "task-1.txt")) >= 2000,
            30,
            message=lambda: f"{len(_lines(out / 'task-0.txt'))}+{len(_lines(out / 'task-1.txt'))}",
        )
        for p in (0, 1):
            wait_for(
                lambda p=p: group_committed(kafka_bootstrap, "connect-sink", into_sink, p) == 1000,
                30,
            )
        for t in (0, 1):
            wait_for(
                lambda t=t: (
                    stored_offset(tmp_path / "w", "source", {"task": str(t)}) == {"pos": 1499}
                ),
                30,
            )
        # The worker shows the processes' figures.
        wait_for(
            lambda: sum(_handle(w, "sink", t).metrics.records_out()[1] for t in (0, 1)) == 2000,
            10,
        )
        wait_for(
            lambda: sum(_handle(w, "source", t).metrics.records_out()[1] for t in (0, 1)) == 3000,
            10,
        )
        assert {t.metrics.status for t in w.herder.worker.task_snapshot()} == {"running"}
        scraped = generate_latest(w.herder.worker.metrics_registry).decode()
        sent = re.findall(r'sink_record_send_total\{connector="sink",task="[01]"\} (\S+)', scraped)
        assert len(sent) == 2 and sum(float(v) for v in sent) == 2000
        summary = local_summary(w.herder.worker, None)["tasks"]
        assert sum(t["records_out_total"] for t in summary if t["connector"] == "sink") == 2000
    assert sorted(_lines(out / "task-0.txt") + _lines(out / "task-1.txt")) == sorted(values)
    sent = consume_all(kafka_bootstrap, from_source, 3000)
    assert sorted(m.value().decode() for m in sent) == sorted(
        f"{t}-{i}" for t in (0, 1) for i in range(1500)
    )


def test_pause_resume_restart_and_failure_with_trace(
    kafka_bootstrap: str, kafka_topic, tmp_path: Path
) -> None:
    topic = kafka_topic(partitions=2)
    fail = tmp_path / "fail"
    config = {
        "connector.class": "CountingSourceConnector",
        "tasks.max": "2",
        "topic": topic,
        "count": "1000000000",
        "fail.flag": str(fail),
    }
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "w", PROCESS_WORKER) as w:
        w.create("src", config)
        w.wait_running("src", tasks=2)
        w.herder.pause_connector("src")
        wait_for(lambda: {_state(w, "src", t) for t in (0, 1)} == {State.PAUSED}, 10)
        assert _handle(w, "src", 0).metrics.status == "paused"
        written = _handle(w, "src", 0).metrics.records_out()[1]
        w.herder.resume_connector("src")
        wait_for(lambda: {_state(w, "src", t) for t in (0, 1)} == {State.RUNNING}, 10)
        wait_for(lambda: _handle(w, "src", 0).metrics.records_out()[1] > written, 10)

        before = _handle(w, "src", 1).pid
        w.herder.restart_task(ConnectorTaskId("src", 1))
        wait_for(lambda: _state(w, "src", 1) is State.RUNNING, 10)
        assert _handle(w, "src", 1).pid != before

        fail.touch()
        wait_for(lambda: {_state(w, "src", t) for t in (0, 1)} == {State.FAILED}, 10)
        trace = w.herder.connector_status("src").tasks[0].trace or ""
        assert "ConnectException: task 0 fails because" in trace
        assert "CountingSourceTask.poll" in trace
        fail.unlink()
        w.herder.restart_task(ConnectorTaskId("src", 0))
        wait_for(lambda: _state(w, "src", 0) is State.RUNNING, 10)
        assert _state(w, "src", 1) is State.FAILED


@pytest.mark.parametrize("how", ["segv", "segv-c"])
def test_a_crashing_task_process_fails_only_its_task(
    kafka_bootstrap: str, kafka_topic, tmp_path: Path, how: str
) -> None:
    topic = kafka_topic(partitions=2)
    crash = tmp_path / "crash"
    config = {
        "connector.class": "CountingSourceConnector",
        "tasks.max": "2",
        "topic": topic,
        "count": "1000000000",
        "crash.flag": str(crash),
        "crash.task": "1",
        "crash.how": how,
    }
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "w", PROCESS_WORKER) as w:
        w.create("src", config)
        w.wait_running("src", tasks=2)
        crash.touch()
        wait_for(lambda: _state(w, "src", 1) is State.FAILED, 10)
        trace = w.herder.connector_status("src").tasks[1].trace or ""
        assert "died with signal 11 (SIGSEGV)" in trace, trace
        assert "(faulthandler):" in trace
        if how == "segv-c":  # a fault in C code: the stack of the thread that faulted
            assert "in _crash" in trace, trace
        assert _state(w, "src", 0) is State.RUNNING
        written = _handle(w, "src", 0).metrics.records_out()[1]
        wait_for(lambda: _handle(w, "src", 0).metrics.records_out()[1] > written, 10)
        crash.unlink()
        w.herder.restart_task(ConnectorTaskId("src", 1))
        wait_for(lambda: _state(w, "src", 1) is State.RUNNING, 10)
        assert w.herder.connector_status("src").connector.state is State.RUNNING


def test_child_logs_reach_the_worker_with_the_task_context(
    kafka_bootstrap: str, kafka_topic, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    topic = kafka_topic(partitions=2)
    out = tmp_path / "out"
    out.mkdir()
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "w", PROCESS_WORKER) as w:
        w.create(
            "rec",
            {
                "connector.class": "RecordingSinkConnector",
                "tasks.max": "2",
                "topics": topic,
                "dir": str(out),
            },
        )
        w.wait_running("rec", tasks=2)

        def from_task(n: int) -> list[logging.LogRecord]:
            return [
                r
                for r in caplog.records
                if r.getMessage().startswith(f"recording sink task {n} writes")
            ]

        wait_for(lambda: from_task(0) and from_task(1), 10)
        for n in (0, 1):
            record = from_task(n)[0]
            assert record.process == _handle(w, "rec", n).pid
            assert (record.connector, record.task) == ("rec", n)  # type: ignore[attr-defined]
            assert record.connect_context == f"[rec|task-{n}] "  # type: ignore[attr-defined]
            assert record.levelno == logging.WARNING
        # A warning of a task is its current problem, in the REST status of the RUNNING task.
        wait_for(
            lambda: (
                "recording sink task 0" in (w.herder.connector_status("rec").tasks[0].trace or "")
            ),
            10,
        )


def test_distributed_offsets_and_revocation_with_task_processes(
    kafka_bootstrap: str, kafka_topic, tmp_path: Path
) -> None:
    """Source offsets go to the offsets topic through the worker; a worker's graceful stop
    revokes its task processes, and their tasks resume elsewhere from the committed offsets."""
    topic = kafka_topic(partitions=2)
    props = {"plugin.path": PLUGINS, "sluice.task.isolation": "process"}
    with running_cluster(kafka_bootstrap, tmp_path, size=2, props=props) as cluster:
        config = {
            "connector.class": "CountingSourceConnector",
            "tasks.max": "2",
            "topic": topic,
            "count": "2000",
        }
        response = cluster.any().request(
            "POST", "/connectors", json={"name": "dsrc", "config": config}
        )
        assert response.status_code == 201, response.text

        def committed() -> dict[str, int]:
            body = cluster.any().get("/connectors/dsrc/offsets")
            return {o["partition"]["task"]: o["offset"]["pos"] for o in body["offsets"]}

        cluster.wait_running("dsrc", tasks=2)
        wait_for(lambda: committed() == {"0": 1999, "1": 1999}, 30, message=committed)
        owner = cluster.status("dsrc")["tasks"][0]["worker_id"]  # type: ignore[index]
        [stopping] = [w for w in cluster.workers if w.worker_id == owner]
        assert stopping.stop() == 0, stopping.log_tail()
        status = cluster.wait_running("dsrc", tasks=2)
        assert {t["worker_id"] for t in status["tasks"]} == {cluster.live()[0].worker_id}
        # The moved task read its committed offset: nothing was sent twice.
        sent = consume_all(kafka_bootstrap, topic, 4000)
        assert sorted(m.value().decode() for m in sent) == sorted(
            f"{t}-{i}" for t in (0, 1) for i in range(2000)
        )
        assert "died with" not in cluster.logs()


def test_dead_letter_queue_and_errant_reporter_in_task_processes(
    kafka_bootstrap: str, kafka_topic, tmp_path: Path
) -> None:
    """The DLQ and the errant record reporter are built in the process; the worker counts."""
    topic, dlq = kafka_topic(partitions=2), kafka_topic("dlq")
    produce_values(kafka_bootstrap, topic, ["1", "oops", "2"], partition=0)
    produce_values(kafka_bootstrap, topic, ["3", "{bad", "4"], partition=1)
    odd_topic, odd_dlq = kafka_topic("odd"), kafka_topic("odd-dlq")
    produce_values(kafka_bootstrap, odd_topic, ["1", "2", "3", "4"])
    out, evens = tmp_path / "out.txt", tmp_path / "evens.txt"
    worker = {**PROCESS_WORKER, "plugin.path": f"{PLUGINS},{Path(__file__).parent / 'plugins'}"}
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "w", worker) as w:
        w.create(
            "dlq",
            {
                "connector.class": "FileStreamSink",
                "tasks.max": "2",
                "topics": topic,
                "file": str(out),
                "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                "value.converter.schemas.enable": "false",
                "errors.tolerance": "all",
                "errors.deadletterqueue.topic.name": dlq,
                "errors.deadletterqueue.topic.replication.factor": "1",
                "errors.deadletterqueue.context.headers.enable": "true",
            },
        )
        w.create(
            "odd",
            {
                "connector.class": "ReportOddSinkConnector",
                "topics": odd_topic,
                "file": str(evens),
                "errors.tolerance": "all",
                "errors.deadletterqueue.topic.name": odd_dlq,
                "errors.deadletterqueue.topic.replication.factor": "1",
            },
        )
        w.wait_running("dlq", tasks=2)
        w.wait_running("odd")
        assert isinstance(w.herder.worker.tasks[ConnectorTaskId("odd", 0)], TaskProcess)
        bad = consume_all(kafka_bootstrap, dlq, 2)
        reported = consume_all(kafka_bootstrap, odd_dlq, 2)
        wait_for(lambda: _lines(evens) == ["2", "4"], 30, message=lambda: str(_lines(evens)))
        wait_for(
            lambda: sorted(_lines(out)) == ["1", "2", "3", "4"],
            30,
            message=lambda: str(_lines(out)),
        )

        def counted() -> tuple[int, int]:
            handles = [_handle(w, "dlq", t) for t in (0, 1)]
            requests = sum(h.dead_letter_counts()[0] for h in handles)
            return requests, sum(h.errors.total_skipped for h in handles)

        wait_for(lambda: counted() == (2, 2), 10, message=lambda: str(counted()))
    assert sorted(m.value() for m in bad) == [b"oops", b"{bad"]
    assert [m.value() for m in reported] == [b"1", b"3"]
    assert {dict(m.headers())["__connect.errors.stage"] for m in bad} == {b"VALUE_CONVERTER"}
    assert {dict(m.headers())["__connect.errors.class.name"] for m in bad} == {
        b"org.apache.kafka.connect.json.JsonConverter"
    }
