"""``kill -9`` of a worker running MirrorSourceConnector loses nothing.

A ``sluice standalone`` process on cluster B mirrors a two-partition topic A -> B while records
are still being produced to A. It is killed with SIGKILL mid-way (the last records are
produced after the kill) and restarted on the same
offsets file: every record of A ends up in ``A.<topic>`` on B (duplicates allowed), and what the
worker had committed before its death is never copied twice.
"""

from __future__ import annotations

import collections
import threading
import uuid
from pathlib import Path

import pytest

from sluice.storage.offset_codec import decode_value, encode_key
from sluice.storage.offsets import FileOffsetBackingStore
from sluice.testing import wait_for
from tests.fixtures.kafka import consume_all, create_topic, produce_values
from tests.fixtures.worker_process import (
    high_watermark,
    kill9,
    start_worker,
    stop_worker,
    worker_log,
    write_props,
)

pytestmark = pytest.mark.integration

BYTES = "org.apache.kafka.connect.converters.ByteArrayConverter"
PER_PARTITION = 20_000
PARTITIONS = (0, 1)
HELD_BACK = 16_000  # per partition, produced before the kill; the rest after it


def _mirrored(bootstrap_b: str, remote: str) -> int:
    return sum(high_watermark(bootstrap_b, remote, p) for p in PARTITIONS)


def _committed(tmp: Path, topic: str, partition: int) -> int:
    """How many records of ``partition`` the worker had committed (the next offset to copy)."""
    store = FileOffsetBackingStore(tmp / "connect.offsets")
    store.start()
    key = encode_key("mirror", {"cluster": "A", "topic": topic, "partition": partition})
    stored = decode_value(store.get([key]).get(key))
    return int(stored["offset"]) + 1 if stored else 0


def test_kill9_while_mirroring_loses_nothing(
    tmp_path: Path, kafka_bootstrap: str, kafka_bootstrap_b: str
) -> None:
    topic = create_topic(kafka_bootstrap, f"kill9-{uuid.uuid4().hex[:8]}", partitions=2)
    remote = f"A.{topic}"
    worker = write_props(
        tmp_path / "worker.properties",
        {
            "bootstrap.servers": kafka_bootstrap_b,
            "key.converter": BYTES,
            "value.converter": BYTES,
            "header.converter": BYTES,
            "offset.storage.file.filename": str(tmp_path / "connect.offsets"),
            "offset.flush.interval.ms": "300",
            "listeners": "http://127.0.0.1:0",
        },
    )
    conn = write_props(
        tmp_path / "mirror.properties",
        {
            "name": "mirror",
            "connector.class": "org.apache.kafka.connect.mirror.MirrorSourceConnector",
            "tasks.max": "1",
            "topics": topic,
            "source.cluster.alias": "A",
            "target.cluster.alias": "B",
            "source.cluster.bootstrap.servers": kafka_bootstrap,
            "target.cluster.bootstrap.servers": kafka_bootstrap_b,
            "replication.factor": "1",
            "offset-syncs.topic.replication.factor": "1",
            "refresh.topics.interval.seconds": "1",
        },
    )
    values = {p: [f"{p}-{i:06d}".encode() for i in range(PER_PARTITION)] for p in PARTITIONS}
    produce_values(kafka_bootstrap, topic, values[0][:2000], partition=0)
    produce_values(kafka_bootstrap, topic, values[1][:2000], partition=1)

    def produce(start: int, stop: int) -> None:
        for first in range(start, stop, 2000):
            for p in PARTITIONS:
                produce_values(kafka_bootstrap, topic, values[p][first : first + 2000], partition=p)

    def produce_rest() -> None:  # still producing while the worker copies and dies
        produce(2000, HELD_BACK)

    producer = threading.Thread(target=produce_rest, daemon=True)
    proc = start_worker(tmp_path, worker, conn)
    producer.start()
    try:
        wait_for(
            lambda: (
                _mirrored(kafka_bootstrap_b, remote) > 3000 and _committed(tmp_path, topic, 0) > 0
            ),
            30,
            0.1,
            message=lambda: worker_log(tmp_path),
        )
    finally:
        kill9(proc)
    committed = {p: _committed(tmp_path, topic, p) for p in PARTITIONS}
    producer.join(60)
    # The last records are produced only after the kill, so the restarted worker always has work
    # left that its predecessor had not copied, however fast the first one was.
    produce(HELD_BACK, PER_PARTITION)
    total = PER_PARTITION * len(PARTITIONS)
    assert sum(high_watermark(kafka_bootstrap, topic, p) for p in PARTITIONS) == total

    proc = start_worker(tmp_path, worker, conn)
    try:
        wait_for(
            lambda: all(_committed(tmp_path, topic, p) == PER_PARTITION for p in PARTITIONS),
            30,
            0.2,
            message=lambda: worker_log(tmp_path),
        )
    finally:
        stop_worker(proc)

    delivered = _mirrored(kafka_bootstrap_b, remote)
    got = consume_all(kafka_bootstrap_b, remote, delivered, timeout=30)
    for p in PARTITIONS:
        counts = collections.Counter(m.value() for m in got if m.partition() == p)
        assert set(counts) == set(values[p]), f"partition {p}: every record arrives"
        twice = [v for v, n in counts.items() if n > 1]
        assert all(int(v[2:]) >= committed[p] for v in twice), "committed records never re-sent"
