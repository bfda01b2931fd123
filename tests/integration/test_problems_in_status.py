"""A running task that cannot get anywhere says so where users look, and stops saying it after.

Kafka Connect keeps such a task RUNNING; sluice keeps the state and shows the condition as the
task's status ``trace``, in ``/metrics`` (``sluice_task_problem``) and ``/metrics/summary``
(``problem``), and logs it once and then at a slowing pace. The workers run as child processes,
as users run them, so that everything they print is seen.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sluice.devkafka import LocalKafka
from sluice.testing import wait_for
from tests.fixtures.distributed import running_cluster
from tests.fixtures.kafka import TopicFactory, consume_all
from tests.fixtures.ports import free_port

pytestmark = pytest.mark.integration

RAW_CLIENT_LINE = re.compile(r"^%\d\|", re.MULTILINE)
MISSING = "Couldn't find file"


class _Worker:
    """``sluice standalone`` with one FileStreamSource, its output in ``log``."""

    def __init__(self, tmp: Path, bootstrap: str, source: Path, topic: str) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = tmp / "worker.log"
        worker = tmp / "worker.properties"
        worker.write_text(
            f"bootstrap.servers={bootstrap}\n"
            "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
            "value.converter=org.apache.kafka.connect.storage.StringConverter\n"
            f"offset.storage.file.filename={tmp / 'offsets'}\n"
            "offset.flush.interval.ms=1000\n"
            f"listeners={self.url}\n"
        )
        connector = tmp / "source.properties"
        connector.write_text(
            f"name=src\nconnector.class=FileStreamSource\nfile={source}\ntopic={topic}\n"
        )
        with open(self.log, "wb") as out:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "sluice.cli.main",
                    "standalone",
                    str(worker),
                    str(connector),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.api = httpx.Client(base_url=self.url, timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def task_status(self) -> dict[str, Any] | None:
        try:
            response = self.api.get("/connectors/src/tasks/0/status")
        except httpx.TransportError:
            return None
        return response.json() if response.status_code == 200 else None

    def trace(self) -> str | None:
        status = self.task_status()
        assert status is None or status["state"] == "RUNNING", status
        return None if status is None else status.get("trace")

    def summary_problem(self) -> str | None:
        tasks = self.api.get("/metrics/summary").json()["tasks"]
        problem: str | None = tasks[0]["problem"]
        return problem

    def stop(self) -> None:
        self.api.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@pytest.fixture
def worker_factory(tmp_path: Path) -> Iterator[Any]:
    workers: list[_Worker] = []

    def start(bootstrap: str, source: Path, topic: str) -> _Worker:
        worker = _Worker(tmp_path, bootstrap, source, topic)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def test_a_missing_source_file_is_shown_then_cleared(
    tmp_path: Path, kafka_bootstrap: str, kafka_topic: TopicFactory, worker_factory: Any
) -> None:
    topic = kafka_topic()
    source = tmp_path / "in.txt"
    worker = worker_factory(kafka_bootstrap, source, topic)

    trace = wait_for(worker.trace, 30, message=worker.output)
    assert trace.startswith(f"WARNING: {MISSING} {source}"), trace
    assert worker.summary_problem() == trace
    metrics = worker.api.get("/metrics").text
    assert 'sluice_task_problem{connector="src",kind="log",task="0"} 1.0' in metrics

    first = worker.output().count(MISSING)
    time.sleep(5.0)  # the connector warns every second meanwhile
    repeats = worker.output().count(MISSING) - first
    assert repeats <= 3, worker.output()  # 1 s, 2 s, 4 s after the first one, at most
    assert "similar line" in worker.output()

    source.write_text("one\ntwo\n")
    wait_for(lambda: worker.trace() is None, 15, message=worker.output)
    assert worker.summary_problem() is None
    assert "sluice_task_problem" not in worker.api.get("/metrics").text
    assert [m.value() for m in consume_all(kafka_bootstrap, topic, 2)] == [b"one", b"two"]


def test_every_worker_of_a_cluster_shows_the_problem(
    tmp_path: Path, kafka_bootstrap: str, kafka_topic: TopicFactory
) -> None:
    """The owner publishes the change in the task's RUNNING status; the other worker reads it
    from the status topic."""
    source = tmp_path / "in.txt"
    with running_cluster(kafka_bootstrap, tmp_path, size=2) as cluster:
        first, second = cluster.workers
        config = {
            "connector.class": "FileStreamSource",
            "file": str(source),
            "topic": kafka_topic(),
        }
        created = first.request("PUT", "/connectors/src/config", json=config)
        assert created.status_code == 201, created.text
        cluster.wait_running("src")

        def traces() -> list[str | None]:
            return [
                w.get("/connectors/src/status")["tasks"][0].get("trace") for w in (first, second)
            ]

        def shown_by_both() -> list[str] | None:
            both = traces()
            return [t for t in both if t] if all(both) else None

        shown = wait_for(shown_by_both, 30, message=cluster.logs)
        assert all(t.startswith(f"WARNING: {MISSING} {source}") for t in shown), shown
        source.write_text("now it exists\n")
        wait_for(lambda: traces() == [None, None], 30, message=lambda: str(traces()))


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[LocalKafka]:
    """A broker this test may stop and start again (same port, same data)."""
    kafka = LocalKafka(port=free_port(2), data_dir=tmp_path / "kafka", heap="256m")
    kafka.start(timeout=120)
    yield kafka
    kafka.stop()


def test_a_broker_gone_mid_run_is_shown_then_cleared(
    tmp_path: Path, own_broker: LocalKafka, worker_factory: Any
) -> None:
    source = tmp_path / "in.txt"
    source.write_text("before\n")
    worker = worker_factory(own_broker.bootstrap, source, "gone-mid-run")
    consume_all(own_broker.bootstrap, "gone-mid-run", 1, timeout=60)
    wait_for(lambda: worker.task_status() is not None and worker.trace() is None, 30)

    own_broker.stop()
    outage_starts = len(worker.output())
    trace = wait_for(worker.trace, 15, message=worker.output)
    assert trace.startswith("WARNING: cannot reach the Kafka brokers since "), trace
    time.sleep(10.0)  # an outage of some length, for the count of lines below
    during = worker.output()[outage_starts:]
    assert RAW_CLIENT_LINE.findall(during) == [], during
    assert len(during.splitlines()) < 30, during
    assert "(librdkafka.producer)" in during and "[src|task-0]" in during

    own_broker.start(timeout=120)
    wait_for(lambda: worker.trace() is None, 30, message=worker.output)
    with open(source, "a") as f:
        f.write("after\n")
    values = [m.value() for m in consume_all(own_broker.bootstrap, "gone-mid-run", 2, timeout=60)]
    assert values == [b"before", b"after"]
    assert RAW_CLIENT_LINE.findall(worker.output()) == []
