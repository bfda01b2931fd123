"""``MirrorSourceTask``: consumes assigned source partitions, returns records for the remote topic.

Each record keeps its partition, key, value, headers and timestamp, as raw bytes. Its source
partition and offset are Kafka's, so a sluice worker and a Kafka Connect worker can take over each
other's progress: ``{"cluster": "A", "topic": "orders", "partition": 0}`` -> ``{"offset": 41}``,
the offset of the last record copied (the task resumes at 42). Once the target acknowledged a
record, an offset sync ``upstream -> downstream`` goes to ``mm2-offset-syncs.<target>.internal``
when the partition has none yet, skipped records, or drifted by ``offset.lag.max``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer
from confluent_kafka import TopicPartition as KafkaTopicPartition

import sluice
from sluice.api import (
    Header,
    Headers,
    RecordMetadata,
    Schema,
    SourceRecord,
    SourceTask,
    TopicPartition,
)
from sluice.connectors.mirror.mirror_config import TASK_TOPIC_PARTITIONS, MirrorSettings
from sluice.connectors.mirror.offset_sync import encode_offset_sync_key, encode_offset_sync_value

__all__ = [
    "MirrorSourceTask",
    "PartitionState",
    "decode_topic_partition",
    "encode_topic_partition",
]

log = logging.getLogger(__name__)

BATCH = 2000


def encode_topic_partition(tp: TopicPartition) -> str:
    """Java's ``TopicPartition.toString()``: ``topic-partition``."""
    return f"{tp.topic}-{tp.partition}"


def decode_topic_partition(text: str) -> TopicPartition:
    topic, _, partition = text.strip().rpartition("-")
    return TopicPartition(topic, int(partition))


@dataclass
class PartitionState:
    """When to emit an offset sync, as Kafka's ``OffsetSyncWriter.PartitionState`` decides."""

    max_offset_lag: int
    previous_upstream: int = -1
    previous_downstream: int = -1
    last_sync_downstream: int = -1
    should_sync: bool = False

    def update(self, upstream: int, downstream: int) -> bool:
        if (
            self.last_sync_downstream == -1
            or downstream - (self.last_sync_downstream + 1) >= self.max_offset_lag
            or upstream - self.previous_upstream != 1
            or downstream < self.previous_downstream
        ):
            self.last_sync_downstream = downstream
            self.should_sync = True
        self.previous_upstream, self.previous_downstream = upstream, downstream
        return self.should_sync


class MirrorSourceTask(SourceTask):
    def __init__(self) -> None:
        self._consumer: Consumer | None = None
        self._producer: Producer | None = None
        self._lock = threading.Lock()
        self._stopping = False
        self._states: dict[TopicPartition, PartitionState] = {}
        self._delayed: dict[TopicPartition, tuple[int, int]] = {}

    def version(self) -> str:
        return sluice.__version__

    def start(self, props: Mapping[str, str]) -> None:
        settings = MirrorSettings.parse(props)
        self._alias = settings.source_alias
        self._policy = settings.policy
        self._timeout = min(float(settings["consumer.poll.timeout.ms"]) / 1000, 1.0)
        self._lag_max = int(settings["offset.lag.max"])
        self._syncs_topic = settings.policy.offset_syncs_topic(settings.target_alias)
        if settings["emit.offset-syncs.enabled"]:
            self._producer = Producer(settings.client(settings.offset_syncs_cluster, "producer"))
        conf: dict[str, Any] = {
            "group.id": f"mm2-replication-{settings.source_alias}-{settings.target_alias}",
            "auto.offset.reset": "earliest",
            **settings.client("source", "consumer"),
            "enable.auto.commit": False,
        }
        self._consumer = Consumer(conf)
        raw = props.get(TASK_TOPIC_PARTITIONS, "")
        partitions = [decode_topic_partition(p) for p in raw.split(",") if p.strip()]
        reader = self.context.offset_storage_reader()
        assignment = []
        for tp in partitions:
            stored = reader.offset(self._wrap(tp))
            offset = stored.get("offset") if stored else None
            start = offset + 1 if isinstance(offset, int) and offset >= 0 else OFFSET_BEGINNING
            assignment.append(KafkaTopicPartition(tp.topic, tp.partition, start))
        self._consumer.assign(assignment)
        log.info(
            "Replicating %d topic-partitions %s->%s: %s",
            len(partitions),
            settings.source_alias,
            settings.target_alias,
            raw,
        )

    def _wrap(self, tp: TopicPartition) -> dict[str, Any]:
        return {"cluster": self._alias, "topic": tp.topic, "partition": tp.partition}

    def poll(self) -> list[SourceRecord] | None:
        with self._lock:
            if self._stopping or self._consumer is None:
                return None
            messages = self._consumer.consume(BATCH, self._timeout)
        records: list[SourceRecord] = []
        alias, policy = self._alias, self._policy
        remote: dict[str, str] = {}
        for m in messages:
            err = m.error()
            if err is not None:
                if err.code() != KafkaError._PARTITION_EOF:
                    log.warning("Failure during poll: %s", err)
                continue
            topic, partition, offset = m.topic(), m.partition(), m.offset()
            assert topic is not None and partition is not None and offset is not None
            target = remote.get(topic)
            if target is None:
                target = remote[topic] = policy.format_remote_topic(alias, topic)
            ts_type, ts = m.timestamp()
            raw_headers = m.headers()
            headers = (
                Headers(Header(h[0], h[1], Schema.OPTIONAL_BYTES_SCHEMA) for h in raw_headers)
                if raw_headers
                else Headers()
            )
            records.append(
                SourceRecord(
                    {"cluster": alias, "topic": topic, "partition": partition},
                    {"offset": offset},
                    target,
                    partition,
                    Schema.OPTIONAL_BYTES_SCHEMA,
                    m.key(),
                    Schema.OPTIONAL_BYTES_SCHEMA,
                    m.value(),
                    ts if ts_type != 0 else None,
                    headers,
                )
            )
        return records or None

    def commit_record(self, record: SourceRecord, metadata: RecordMetadata | None) -> None:
        if self._stopping or metadata is None or self._producer is None:
            return
        sp = record.source_partition or {}
        tp = TopicPartition(str(sp["topic"]), int(sp["partition"]))
        upstream = int((record.source_offset or {})["offset"])
        state = self._states.get(tp)
        if state is None:
            state = self._states[tp] = PartitionState(self._lag_max)
        if state.update(upstream, metadata.offset):
            self._delayed.pop(tp, None)
            self._send(tp, upstream, metadata.offset)
            state.should_sync = False
        else:
            self._delayed[tp] = (upstream, metadata.offset)

    def _send(self, tp: TopicPartition, upstream: int, downstream: int) -> None:
        assert self._producer is not None
        self._producer.produce(
            self._syncs_topic,
            encode_offset_sync_value(upstream, downstream),
            encode_offset_sync_key(tp.topic, tp.partition),
            partition=0,
        )
        self._producer.poll(0)

    def commit(self) -> None:
        """Send the syncs held back by ``offset.lag.max``, so quiet topics end fully synced."""
        if self._producer is None:
            return
        delayed, self._delayed = self._delayed, {}
        for tp, (upstream, downstream) in delayed.items():
            self._send(tp, upstream, downstream)
        self._producer.flush(10)

    def stop(self) -> None:
        """Called from another thread: waits for ``poll`` to return, then closes the clients."""
        self._stopping = True
        with self._lock:
            if self._consumer is not None:
                self._consumer.close()
                self._consumer = None
        if self._producer is not None:
            self._producer.flush(5)
