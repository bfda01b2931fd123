"""``sluice mirror-maker``: MirrorMaker 2's dedicated mode between two real brokers.

Cluster ``A`` is the session broker, ``B`` the second one. The process runs from Kafka's
``connect-mirror-maker.properties`` format with an ``A->B`` flow: a topic on ``A`` arrives in
``A.<topic>`` on ``B``, heartbeats are emitted on ``B`` (``A->B``) and, by the heartbeat-only
``B->A`` herder, on ``A``; the herders keep their state in Kafka's internal topics.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

from sluice.cli.main import main
from sluice.connectors.mirror.heartbeat import decode_heartbeat
from sluice.testing import wait_for
from tests.fixtures.kafka import consume_all, create_topic, produce_values


def _read(bootstrap: str, topic: str) -> list[tuple[bytes | None, bytes | None]]:
    """Every record of ``topic`` up to its current end (heartbeats keep arriving)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"t-{uuid.uuid4().hex}"})
    try:
        meta = consumer.list_topics(topic, timeout=5).topics.get(topic)
        if meta is None or meta.error is not None:
            return []
        ends = {}
        for p in meta.partitions:
            _low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=5)
            if high > 0:
                ends[p] = high
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in ends])
        out: list[tuple[bytes | None, bytes | None]] = []
        deadline = time.monotonic() + 10
        while ends and time.monotonic() < deadline:
            for m in consumer.consume(500, timeout=0.5):
                if m.error() is None:
                    out.append((m.key(), m.value()))
                    if m.offset() + 1 >= ends.get(m.partition(), 0):
                        ends.pop(m.partition(), None)
        return out
    finally:
        consumer.close()


def _beats(bootstrap: str, source: str, target: str, since_ms: float) -> bool:
    for key, value in _read(bootstrap, "heartbeats"):
        beat = decode_heartbeat(key, value)
        aliases = (beat.source_cluster_alias, beat.target_cluster_alias)
        if aliases == (source, target) and beat.timestamp >= since_ms:
            return True
    return False


@pytest.fixture
def mm2_file(tmp_path: Path, kafka_bootstrap: str, kafka_bootstrap_b: str) -> Iterator[Path]:
    topic = f"mm2-{uuid.uuid4().hex[:8]}"
    create_topic(kafka_bootstrap, topic, partitions=2)
    path = tmp_path / "connect-mirror-maker.properties"
    path.write_text(
        f"""clusters = A, B
A.bootstrap.servers = {kafka_bootstrap}
B.bootstrap.servers = {kafka_bootstrap_b}
A->B.enabled = true
A->B.topics = {topic}
replication.factor = 1
checkpoints.topic.replication.factor = 1
heartbeats.topic.replication.factor = 1
offset-syncs.topic.replication.factor = 1
offset.storage.replication.factor = 1
status.storage.replication.factor = 1
config.storage.replication.factor = 1
emit.heartbeats.interval.seconds = 1
""",
        encoding="utf-8",
    )
    yield path


def test_dedicated_mode_mirrors_a_topic_and_emits_heartbeats(
    mm2_file: Path, kafka_bootstrap: str, kafka_bootstrap_b: str
) -> None:
    topic = next(
        line.split("=", 1)[1].strip()
        for line in mm2_file.read_text().splitlines()
        if line.startswith("A->B.topics")
    )
    values = [f"v{i}".encode() for i in range(20)]
    produce_values(kafka_bootstrap, topic, values, [f"k{i}".encode() for i in range(20)])
    started_ms = time.time() * 1000
    log = mm2_file.with_suffix(".log")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sluice.cli.main", "mirror-maker", str(mm2_file)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        mirrored = consume_all(kafka_bootstrap_b, f"A.{topic}", len(values), timeout=30)
        assert sorted(m.value() for m in mirrored) == sorted(values)
        assert {(m.key(), m.value()) for m in mirrored} == {
            (f"k{i}".encode(), f"v{i}".encode()) for i in range(20)
        }
        wait_for(
            lambda: _beats(kafka_bootstrap_b, "A", "B", started_ms),
            timeout=15,
            message="A->B heartbeats on B",
        )
        wait_for(
            lambda: _beats(kafka_bootstrap, "B", "A", started_ms),
            timeout=15,
            message="B->A heartbeats on A (the heartbeat-only herder)",
        )
        topics_b = AdminClient({"bootstrap.servers": kafka_bootstrap_b}).list_topics(timeout=5)
        assert {"mm2-configs.A.internal", "mm2-offsets.A.internal", "mm2-status.A.internal"} <= set(
            topics_b.topics
        )
        topics_a = AdminClient({"bootstrap.servers": kafka_bootstrap}).list_topics(timeout=5)
        assert "mm2-configs.B.internal" in topics_a.topics
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        print(log.read_text(errors="replace")[-20000:])
    assert code == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A.bootstrap.servers = x:1\n", "clusters: missing"),
        ("clusters = A, B\nA->C.enabled = true\n", "A->C.enabled: unknown cluster alias 'C'"),
        ("clusters = A, B\nA->A.enabled = true\n", "A->A.enabled: a flow needs two different"),
        ("clusters = A, B\nA->B.enabled = false\n", "no replication flow is enabled"),
    ],
)
def test_bad_files_exit_1_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    path = tmp_path / "mm2.properties"
    path.write_text(text, encoding="utf-8")
    assert main(["mirror-maker", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert message in err
    assert err.startswith("sluice: ") and "\n" not in err
