"""MirrorMaker 2's source and heartbeat connectors between two real brokers.

Cluster ``A`` is the session broker, ``B`` the second one; the worker runs on ``B`` (a Connect
worker writes to its own cluster, so it sits next to the target, as MirrorMaker recommends). A
three-partition topic with keys, headers and timestamps arrives in ``A.<topic>`` byte for byte,
partition for partition; a topic created later appears; offset syncs and heartbeats are readable.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Message, Producer
from confluent_kafka.admin import AdminClient

from sluice.connectors.mirror.heartbeat import decode_heartbeat
from sluice.connectors.mirror.offset_sync import decode_offset_sync
from sluice.testing import EmbeddedWorker, wait_for
from tests.fixtures.kafka import consume_all, create_topic
from tests.fixtures.mirror_flow import read_topic

BYTES = "org.apache.kafka.connect.converters.ByteArrayConverter"
SOURCE = "org.apache.kafka.connect.mirror.MirrorSourceConnector"
HEARTBEAT = "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector"


def flow(bootstrap_a: str, bootstrap_b: str, **extra: str) -> dict[str, str]:
    return {
        "source.cluster.alias": "A",
        "target.cluster.alias": "B",
        "source.cluster.bootstrap.servers": bootstrap_a,
        "target.cluster.bootstrap.servers": bootstrap_b,
        "replication.factor": "1",
        "offset-syncs.topic.replication.factor": "1",
        "heartbeats.topic.replication.factor": "1",
        **extra,
    }


@pytest.fixture
def worker_b(tmp_path: Path, kafka_bootstrap_b: str) -> Iterator[EmbeddedWorker]:
    props = {
        "key.converter": BYTES,
        "value.converter": BYTES,
        "header.converter": BYTES,
        "offset.flush.interval.ms": "300",
    }
    with EmbeddedWorker(kafka_bootstrap_b, tmp_path / "b", props) as worker:
        yield worker


def produce(bootstrap: str, topic: str, rows: list[tuple[int, bytes, bytes, int, Any]]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    errors: list[Any] = []

    def delivered(err: Any, _msg: Any) -> None:
        if err is not None:
            errors.append(err)

    for partition, key, value, timestamp, headers in rows:
        producer.produce(
            topic,
            value,
            key,
            partition=partition,
            timestamp=timestamp,
            headers=headers,
            on_delivery=delivered,
        )
    assert producer.flush(30) == 0
    assert not errors, errors


def fingerprint(m: Message) -> tuple[Any, ...]:
    return (m.partition(), m.offset(), m.key(), m.value(), m.timestamp(), m.headers())


def topic_exists(bootstrap: str, topic: str) -> bool:
    return topic in AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).topics


def test_topics_mirrored_byte_for_byte(
    worker_b: EmbeddedWorker, kafka_bootstrap: str, kafka_bootstrap_b: str, tmp_path: Path
) -> None:
    prefix = f"mm-{uuid.uuid4().hex[:8]}"
    topic = create_topic(kafka_bootstrap, f"{prefix}-orders", partitions=3)
    # Recent timestamps: records older than the broker's 7-day retention are deleted at its
    # next retention check, which could land before the mirror has copied them.
    base = int(time.time() * 1000) - 60_000
    rows = [
        (
            i % 3,
            f"k{i}".encode(),
            bytes([i, 0, 255]) * (i + 1),
            base + i,
            [("h", f"v{i}".encode()), ("bin", b"\x00\xff"), ("h", None)],
        )
        for i in range(30)
    ]
    rows.append((1, b"tombstone", None, base + 99, None))  # type: ignore[arg-type]
    produce(kafka_bootstrap, topic, rows)

    worker_b.create(
        "mirror",
        {
            "connector.class": SOURCE,
            "tasks.max": "2",
            "topics": f"{prefix}-.*",
            "refresh.topics.interval.seconds": "1",
            **flow(kafka_bootstrap, kafka_bootstrap_b),
        },
    )
    worker_b.create(
        "beats", {"connector.class": HEARTBEAT, **flow(kafka_bootstrap, kafka_bootstrap_b)}
    )
    worker_b.wait_running("mirror", tasks=2)
    worker_b.wait_running("beats", tasks=1)

    source = sorted(map(fingerprint, consume_all(kafka_bootstrap, topic, 31)))
    mirrored = sorted(map(fingerprint, consume_all(kafka_bootstrap_b, f"A.{topic}", 31)))
    assert mirrored == source  # same partitions, offsets, keys, values, timestamps, headers

    later = create_topic(kafka_bootstrap, f"{prefix}-later", partitions=2)
    produce(kafka_bootstrap, later, [(p, b"k", b"late", base, None) for p in (0, 1)])
    assert len(consume_all(kafka_bootstrap, later, 2)) == 2
    got = consume_all(kafka_bootstrap_b, f"A.{later}", 2, timeout=20)
    assert sorted(m.partition() for m in got) == [0, 1]

    # A partition added later on A is added to the remote topic and mirrored too.
    from confluent_kafka.admin import NewPartitions

    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})  # kept: its futures need it
    admin.create_partitions([NewPartitions(later, 3)])[later].result(30)
    produce(kafka_bootstrap, later, [(2, b"k", b"in the new partition", base, None)])
    admin_b = AdminClient({"bootstrap.servers": kafka_bootstrap_b})

    def widened() -> bool:
        meta = admin_b.list_topics(f"A.{later}", timeout=10).topics[f"A.{later}"]
        return len(meta.partitions) == 3

    wait_for(widened, timeout=30, message="the remote topic got the added partition")
    got = consume_all(kafka_bootstrap_b, f"A.{later}", 3, timeout=30)
    assert sorted(m.partition() for m in got) == [0, 1, 2]

    def synced() -> bool:
        syncs = [
            decode_offset_sync(m.key(), m.value())
            for m in read_topic(kafka_bootstrap, "mm2-offset-syncs.B.internal")
        ]
        return {s.partition for s in syncs if s.topic == topic} == {0, 1, 2}

    wait_for(synced, timeout=15, message="offset syncs for every partition")

    def beating() -> bool:
        beats = [
            decode_heartbeat(m.key(), m.value())
            for m in read_topic(kafka_bootstrap_b, "heartbeats")
        ]
        now = time.time() * 1000
        return any(
            (b.source_cluster_alias, b.target_cluster_alias) == ("A", "B")
            and now - b.timestamp < 10_000
            for b in beats
        )

    wait_for(beating, timeout=15, message="a fresh heartbeat A->B on B")

    # Heartbeats of a flow B->A land in ``heartbeats`` on A; the A->B flow copies them on.
    props = {"key.converter": BYTES, "value.converter": BYTES, "header.converter": BYTES}
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "a", props) as worker_a:
        worker_a.create(
            "beats-to-a",
            {
                "connector.class": HEARTBEAT,
                **flow(kafka_bootstrap, kafka_bootstrap_b),
                "source.cluster.alias": "B",
                "target.cluster.alias": "A",
                "source.cluster.bootstrap.servers": kafka_bootstrap_b,
                "target.cluster.bootstrap.servers": kafka_bootstrap,
            },
        )

        def relayed() -> bool:
            if not topic_exists(kafka_bootstrap_b, "A.heartbeats"):
                return False
            beats = read_topic(kafka_bootstrap_b, "A.heartbeats")
            return any(
                (decode_heartbeat(m.key(), m.value()).source_cluster_alias) == "B" for m in beats
            )

        wait_for(relayed, timeout=20, message="B->A heartbeats mirrored into A.heartbeats on B")
