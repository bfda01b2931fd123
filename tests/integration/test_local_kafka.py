"""The local broker for real: start, answer, carry records, stop, restart on the same data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

from sluice.devkafka import BrokerStartError, LocalKafka, kafka_version
from tests.fixtures.kafka import (
    TopicFactory,
    consume_all,
    create_topic,
    produce_values,
)
from tests.fixtures.ports import free_port

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run(
        [sys.executable, "-m", "sluice.cli.local_kafka", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[LocalKafka]:
    """A broker of this test's own; stopped even when the test fails half-way."""
    kafka = LocalKafka(port=free_port(2), data_dir=tmp_path / "kafka", heap="256m")
    yield kafka
    kafka.stop()


def test_lifecycle_through_the_cli_and_the_api(broker: LocalKafka) -> None:
    where = ["--port", str(broker.port), "--data-dir", str(broker.data_dir)]

    started = cli("start", *where, "--heap", "256m", "--timeout", "120")
    assert started.returncode == 0, started.stderr
    status = broker.status()
    assert status.running and status.answers
    assert started.stdout == (
        f"Kafka 4.1.1 running at 127.0.0.1:{broker.port} "
        f"(pid {status.pid}, data {broker.data_dir})\n"
    )
    assert status.controller_port == broker.port + 1
    assert (broker.data_dir / "kraft-logs" / "meta.properties").is_file()
    assert "Kafka Server started" in broker.log_file.read_text(), (
        "the broker logged nothing: the jars need slf4j-api 2.x beside log4j-slf4j2-impl "
        "(slf4j 1.7 falls back to its no-op logger)"
    )

    # A second start finds the running broker and leaves it alone.
    assert broker.start(timeout=30) == f"127.0.0.1:{broker.port}"
    assert broker.status().pid == status.pid
    again = cli("start", *where)
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stdout
    running = cli("status", *where)
    assert running.returncode == 0 and "running at" in running.stdout

    # Another data folder (another checkout) on the same port: told whose broker holds it.
    other = ["--port", str(broker.port), "--data-dir", str(broker.data_dir.with_name("other"))]
    clash = cli("start", *other, "--timeout", "10")
    assert clash.returncode == 1
    assert f"in use by pid {status.pid}, a sluice Kafka broker with data in {broker.data_dir}" in (
        clash.stderr
    )
    assert f"sluice kafka stop --port {broker.port} --data-dir {broker.data_dir}" in clash.stderr
    assert "make quickstart KAFKA_PORT=" in clash.stderr
    elsewhere = cli("status", *other)
    assert elsewhere.returncode == 0, "a broker answers on the port"
    assert f"answers at 127.0.0.1:{broker.port} (pid {status.pid}, a sluice" in elsewhere.stdout

    topic = create_topic(broker.bootstrap, "lifecycle")
    produce_values(broker.bootstrap, topic, [b"one", None, b"three"], keys=[b"a", b"b", None])
    got = consume_all(broker.bootstrap, topic, 3, timeout=30)
    assert [(m.key(), m.value()) for m in got] == [(b"a", b"one"), (b"b", None), (None, b"three")]

    stopped = cli("stop", *where)
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.startswith(f"Kafka stopped (pid {status.pid}, port {broker.port}")
    after = broker.status()
    assert not after.running and not after.answers and after.pid is None
    assert not broker.pid_file.exists()
    stopped_status = cli("status", *where)
    assert stopped_status.returncode == 1
    assert stopped_status.stdout.startswith("Kafka is not running")
    assert broker.stop() is False

    # Restarting reuses the formatted data folder: the records are still there.
    cluster_id_file = broker.data_dir / "kraft-logs" / "meta.properties"
    formatted = cluster_id_file.read_text()
    broker.start(timeout=120)
    assert cluster_id_file.read_text() == formatted
    assert [m.value() for m in consume_all(broker.bootstrap, topic, 3)] == [b"one", None, b"three"]
    assert broker.stop() is True
    assert not broker.status().running


def test_a_broker_that_dies_at_start_reports_its_log(tmp_path: Path) -> None:
    broker = LocalKafka(port=free_port(2), data_dir=tmp_path, heap="1k")

    with pytest.raises(BrokerStartError, match="exited with code") as caught:
        broker.start(timeout=60)

    assert "Too small" in caught.value.log_tail
    assert "Too small" in str(caught.value)
    assert not broker.pid_file.exists()
    assert broker.status().running is False


def test_session_broker_serves_topics_from_the_factory(
    kafka_bootstrap: str, kafka_topic: TopicFactory
) -> None:
    topic = kafka_topic(partitions=3, config={"cleanup.policy": "compact"})
    other = kafka_topic(prefix="other")

    assert topic != other and other.startswith("other-")
    described = AdminClient({"bootstrap.servers": kafka_bootstrap}).list_topics(topic, timeout=10)
    assert len(described.topics[topic].partitions) == 3
    values = [f"v{i}".encode() for i in range(30)]
    produce_values(kafka_bootstrap, topic, values, keys=[f"k{i}".encode() for i in range(30)])
    produce_values(
        kafka_bootstrap, topic, [b"h"], keys=[b"kh"], headers=[("origin", b"test")], partition=2
    )
    got = consume_all(kafka_bootstrap, topic, 31)
    assert sorted(m.value() or b"" for m in got) == sorted([*values, b"h"])
    with_header = [m for m in got if m.value() == b"h"]
    assert with_header[0].headers() == [("origin", b"test")]
    assert with_header[0].partition() == 2


def test_a_second_broker_runs_beside_the_first(
    kafka_bootstrap: str, kafka_broker_b: LocalKafka, kafka_topic: TopicFactory
) -> None:
    """Two clusters side by side (the MirrorMaker 2 tests' A and B): own ports, data, ids."""
    only_on_a = kafka_topic()
    admin_a = AdminClient({"bootstrap.servers": kafka_bootstrap})
    admin_b = AdminClient({"bootstrap.servers": kafka_broker_b.bootstrap})
    meta_a, meta_b = admin_a.list_topics(timeout=10), admin_b.list_topics(timeout=10)
    assert meta_a.cluster_id != meta_b.cluster_id
    assert only_on_a in meta_a.topics and only_on_a not in meta_b.topics

    where = ["--port", str(kafka_broker_b.port), "--data-dir", str(kafka_broker_b.data_dir)]
    status = cli("status", *where)
    assert status.returncode == 0, status.stderr
    assert f"running at {kafka_broker_b.bootstrap}" in status.stdout
    again = cli("start", *where)
    assert again.returncode == 0 and "already running" in again.stdout, again.stderr
    produce_values(kafka_broker_b.bootstrap, create_topic(kafka_broker_b.bootstrap, "on-b"), [b"x"])
    assert [m.value() for m in consume_all(kafka_broker_b.bootstrap, "on-b", 1)] == [b"x"]


def test_missing_jars_are_fetched_with_maven(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pom = tmp_path / "pom.xml"
    shutil.copy(REPO / "pom.xml", pom)
    monkeypatch.setenv("SLUICE_POM", str(pom))
    libs = tmp_path / "libs"
    broker = LocalKafka(data_dir=tmp_path / "data", libs_dir=libs)

    assert broker.ensure_jars() == libs

    assert kafka_version(libs) == "4.1.1"
    names = {jar.name for jar in libs.glob("*.jar")}
    assert {"kafka-tools-4.1.1.jar", "connect-runtime-4.1.1.jar", "log4j-core-2.24.3.jar"} <= names
    assert (libs / ".sluice-pom.sha256").is_file()
    assert not libs.with_name("libs.fetching").exists()
