"""``sluice distributed`` refuses bad worker files and bad internal topics with one clear line.

Each case runs the real command on a real broker and checks the exit status and that the error
names the file and the setting to change; nothing is half-written to the config topic.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Consumer

from sluice.testing import wait_for
from tests.fixtures.distributed import WorkerProcess
from tests.fixtures.kafka import create_topic
from tests.fixtures.ports import free_port
from tests.fixtures.worker_process import high_watermark, write_props

pytestmark = pytest.mark.integration


def _props(bootstrap: str, **overrides: str) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8]
    props = {
        "bootstrap.servers": bootstrap,
        "group.id": f"startup-{suffix}",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "config.storage.topic": f"cfg-{suffix}",
        "offset.storage.topic": f"off-{suffix}",
        "status.storage.topic": f"st-{suffix}",
        "config.storage.replication.factor": "1",
        "offset.storage.replication.factor": "1",
        "status.storage.replication.factor": "1",
        "listeners": f"http://127.0.0.1:{free_port()}",
        "session.timeout.ms": "6000",
        "heartbeat.interval.ms": "1000",
    }
    props.update(overrides)
    return props


def _run(tmp_path: Path, props: dict[str, str], timeout: float = 90) -> tuple[int, str]:
    path = write_props(tmp_path / "worker.properties", props)
    done = subprocess.run(
        [sys.executable, "-m", "sluice.cli.main", "distributed", str(path)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "SLUICE_KAFKA_WAIT_SECONDS": "3"},
    )
    # sluice's own one-line error; librdkafka may log after it while its clients close
    errors = [line for line in done.stderr.splitlines() if line.startswith("sluice: ")]
    return done.returncode, errors[-1] if errors else done.stderr


def test_a_config_topic_with_two_partitions(kafka_bootstrap: str, tmp_path: Path) -> None:
    props = _props(kafka_bootstrap)
    create_topic(kafka_bootstrap, props["config.storage.topic"], 2, {"cleanup.policy": "compact"})
    code, error = _run(tmp_path, props)
    assert code == 1
    assert error.startswith(f"sluice: {tmp_path / 'worker.properties'}: ")
    assert "config.storage.topic" in error and "2 partitions" in error
    assert high_watermark(kafka_bootstrap, props["config.storage.topic"]) == 0


def test_an_internal_topic_that_is_not_compacted(kafka_bootstrap: str, tmp_path: Path) -> None:
    props = _props(kafka_bootstrap)
    create_topic(kafka_bootstrap, props["status.storage.topic"], 5, {"cleanup.policy": "delete"})
    code, error = _run(tmp_path, props)
    assert code == 1
    assert "status.storage.topic" in error and "compact" in error


def test_more_replicas_than_brokers(kafka_bootstrap: str, tmp_path: Path) -> None:
    props = _props(kafka_bootstrap)
    del props["offset.storage.replication.factor"]  # Kafka's default, 3, on a one-broker cluster
    code, error = _run(tmp_path, props)
    assert code == 1
    assert "offset.storage.replication.factor=3" in error
    assert "offset.storage.replication.factor=1" in error  # what to write instead


def test_missing_group_id_and_unreachable_broker(kafka_bootstrap: str, tmp_path: Path) -> None:
    props = _props(kafka_bootstrap)
    del props["group.id"]
    code, error = _run(tmp_path, props)
    assert (code, "group.id" in error) == (1, True)
    code, error = _run(tmp_path, _props("127.0.0.1:1"))
    assert code == 1
    assert "Cannot reach Kafka at bootstrap.servers=127.0.0.1:1" in error


@pytest.fixture
def consumer_group(kafka_bootstrap: str, kafka_topic) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A live consumer group (a member polling), whose id a worker file then reuses."""
    group = f"orders-app-{uuid.uuid4().hex[:6]}"
    consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": group})
    consumer.subscribe([kafka_topic()])
    stop = threading.Event()
    assigned = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            consumer.poll(0.2)
            if consumer.assignment():
                assigned.set()

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    wait_for(assigned.is_set, 30, message="the consumer group did not form")
    yield group
    stop.set()
    thread.join()
    consumer.close()


def test_a_group_id_used_by_a_consumer_group(
    kafka_bootstrap: str, tmp_path: Path, consumer_group: str
) -> None:
    code, error = _run(tmp_path, _props(kafka_bootstrap, **{"group.id": consumer_group}))
    assert code == 1
    assert (
        f"group.id={consumer_group} is already used by a group of protocol type 'consumer'" in error
    )


def _start(tmp_path: Path, name: str, props: dict[str, str]) -> WorkerProcess:
    port = int(props["listeners"].rsplit(":", 1)[1])
    path = write_props(tmp_path / f"{name}.properties", props)
    return WorkerProcess(0, path, port, tmp_path / f"{name}.log").start()


def test_two_workers_advertising_one_url_and_an_unreachable_leader(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    closed = free_port()
    leader_props = _props(
        kafka_bootstrap,
        **{"rest.advertised.host.name": "127.0.0.1", "rest.advertised.port": str(closed)},
    )
    leader = _start(tmp_path, "leader", leader_props)
    follower: WorkerProcess | None = None
    try:
        wait_for(leader.healthy, 60, 0.2, message=lambda: leader.log_tail())
        # A second worker claiming the URL the first one advertises is refused once the
        # first has been a live member for longer than a session timeout.
        clash = dict(leader_props, listeners=f"http://127.0.0.1:{free_port()}")
        code, error = _run(tmp_path, clash)
        assert code == 1
        assert f"another worker of group {leader_props['group.id']} already advertises" in error
        assert "rest.advertised.host.name/rest.advertised.port" in error

        follower = _start(
            tmp_path,
            "follower",
            {k: v for k, v in leader_props.items() if not k.startswith("rest.advertised")}
            | {"listeners": f"http://127.0.0.1:{free_port()}"},
        )
        wait_for(follower.healthy, 60, 0.2, message=lambda: follower.log_tail())
        created = follower.request(
            "POST",
            "/connectors",
            json={"name": "x", "config": {"connector.class": "FileStreamSource", "topic": "t"}},
        )
        assert created.status_code == 500
        message = created.json()["message"]
        assert message.startswith("IO Error trying to forward REST request: cannot reach ")
        assert f"http://127.0.0.1:{closed}/" in message and "rest.advertised.port" in message
        assert leader.get("/connectors") == []  # nothing half-written
    finally:
        for worker in (follower, leader):
            if worker is not None and worker.alive:
                worker.stop()
