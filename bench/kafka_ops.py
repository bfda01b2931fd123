"""What the harness asks the broker: topics, end offsets, append times and group commits.

Measured topics use ``message.timestamp.type=LogAppendTime``: the broker stamps each record when
it appends it, so "the first record reached Kafka" is read off the first record afterwards rather
than caught by polling, and costs the contenders nothing while they run.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from bench.progress import Progress
from sluice.devkafka import LocalKafka

__all__ = ["BenchKafkaError", "Broker", "GroupOffsets", "bench_broker"]

LOG_APPEND_TIME = {"message.timestamp.type": "LogAppendTime"}


class BenchKafkaError(Exception):
    """The broker did not do what the harness asked in time."""


class Broker:
    """Admin and probing clients for one bootstrap address, kept open for the whole bench."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 4})
        self._probe = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"sluice-bench-probe-{uuid.uuid4().hex[:8]}",
                "enable.auto.commit": False,
                "enable.partition.eof": False,
                "log_level": 4,
            }
        )

    def close(self) -> None:
        """Close the clients: the admin client has no ``close``, so it is released, so that
        it does not keep reconnecting (and logging) once the bench broker is stopped."""
        self._probe.close()
        del self.admin

    # -- topics -------------------------------------------------------------------------------
    def topic_exists(self, topic: str) -> bool:
        meta = self.admin.list_topics(timeout=30)
        found = meta.topics.get(topic)
        return found is not None and found.error is None

    def create_topic(
        self,
        topic: str,
        config: dict[str, str] | None = None,
        timeout: float = 60.0,
        partitions: int = 1,
    ) -> str:
        """Create a topic (one partition unless told) and wait until each partition has a leader."""
        new = NewTopic(topic, partitions, replication_factor=1, config=dict(config or {}))
        futures = self.admin.create_topics(
            [new],
            operation_timeout=timeout,
        )
        futures[topic].result(timeout=timeout)
        deadline = time.monotonic() + timeout
        while True:
            meta = self.admin.list_topics(topic=topic, timeout=timeout).topics.get(topic)
            if (
                meta is not None
                and meta.error is None
                and meta.partitions
                and all(p.leader >= 0 for p in meta.partitions.values())
            ):
                return topic
            if time.monotonic() > deadline:
                raise BenchKafkaError(f"topic {topic} has no leader after {timeout:.0f}s")
            time.sleep(0.05)

    def delete_topics(self, topics: list[str]) -> None:
        """Delete topics, ignoring ones already gone; a measured run's output is not kept."""
        if not topics:
            return
        for future in self.admin.delete_topics(topics, operation_timeout=60).values():
            with contextlib.suppress(KafkaException):
                future.result(timeout=60)

    # -- offsets and timestamps ---------------------------------------------------------------
    def partitions(self, topic: str) -> int:
        """How many partitions ``topic`` has (0 before it exists)."""
        try:
            meta = self.admin.list_topics(topic=topic, timeout=10).topics.get(topic)
        except KafkaException:
            return 0
        return len(meta.partitions) if meta is not None and meta.error is None else 0

    def end_offset(self, topic: str, partition: int | None = None) -> int:
        """Records in ``partition`` (all partitions when None): high watermarks, 0 before the
        topic exists."""
        parts = [partition] if partition is not None else range(max(1, self.partitions(topic)))
        total = 0
        for p in parts:
            try:
                _low, high = self._probe.get_watermark_offsets(
                    TopicPartition(topic, p), timeout=10, cached=False
                )
            except KafkaException:
                continue
            total += max(0, int(high))
        return total

    def record_timestamp(
        self, topic: str, offset: int, timeout: float = 30.0, partition: int = 0
    ) -> float:
        """The timestamp of the record at ``offset`` of ``partition``, in epoch seconds."""
        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": f"sluice-bench-ts-{uuid.uuid4().hex[:8]}",
                "enable.auto.commit": False,
                "fetch.max.bytes": 1048576,
            }
        )
        try:
            consumer.assign([TopicPartition(topic, partition, offset)])
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                msg = consumer.poll(0.5)
                if msg is None or msg.error() is not None:
                    continue
                _kind, ts = msg.timestamp()
                return float(ts) / 1000.0
            raise BenchKafkaError(f"no record at {topic}@{offset} within {timeout:.0f}s")
        finally:
            consumer.close()

    def group_offsets(self, group: str) -> GroupOffsets:
        """A reader of ``group``'s commits, kept open for one run's polling."""
        return GroupOffsets(self.bootstrap, group)


class GroupOffsets:
    """Reads a consumer group's committed offsets without joining the group."""

    def __init__(self, bootstrap: str, group: str) -> None:
        self._consumer = Consumer(
            {"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False}
        )

    def committed(self, topic: str, partitions: int = 1) -> int:
        """The committed offsets on the first ``partitions`` partitions of ``topic``, summed;
        -1 while none has a commit."""
        try:
            found = self._consumer.committed(
                [TopicPartition(topic, p) for p in range(partitions)], timeout=10
            )
        except KafkaException:
            return -1
        offsets = [int(tp.offset) for tp in found or [] if tp.offset >= 0]
        return sum(offsets) if offsets else -1

    def close(self) -> None:
        self._consumer.close()


@contextlib.contextmanager
def bench_broker(
    bootstrap: str | None, port: int, cache: Path, progress: Progress
) -> Iterator[Broker]:
    """The broker at ``bootstrap``, or a local one started on ``port`` (data under ``cache``)
    and stopped when the block ends."""
    local: LocalKafka | None = None
    if bootstrap is None:
        local = LocalKafka(port=port, data_dir=cache / "kafka", heap="1g")
        progress.done(f"starting the bench broker on port {port} ({local.data_dir})")
        bootstrap = local.start(timeout=180)
    broker = Broker(bootstrap)
    try:
        yield broker
    finally:
        broker.close()
        if local is not None:
            progress.done("stopping the bench broker")
            local.stop()
