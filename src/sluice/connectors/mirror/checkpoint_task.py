"""``MirrorCheckpointTask``: consumer-group offsets of the source translated for the target.

Kafka's ``org.apache.kafka.connect.mirror.MirrorCheckpointTask``. The task reads the offset-syncs
topic (``mm2-offset-syncs.<target>.internal``, on the cluster ``offset-syncs.topic.location``
names) into an :class:`OffsetSyncStore`, after reading back its groups' last checkpoints from
the target (Kafka's ``CheckpointStore``), so that restarts never move a checkpoint backwards;
every ``emit.checkpoints.interval.seconds`` it reads the committed offsets of its groups on the
source, translates them and returns checkpoint records for
``<source>.checkpoints.internal`` (only when a checkpoint moved: the downstream offset grew, or
the group rewound upstream). With ``sync.group.offsets.enabled``, every
``sync.group.offsets.interval.seconds`` it commits the translated offsets to the target's group
of the same name when that group has no active members there (``Empty``, or not there at all) and
its own offset is lower.

Records are raw bytes (Kafka's ``Checkpoint`` format): the worker must use
``org.apache.kafka.connect.converters.ByteArrayConverter`` for keys and values.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    ConsumerGroupState,
    ConsumerGroupTopicPartitions,
    KafkaError,
    KafkaException,
)
from confluent_kafka import Consumer as KafkaConsumer
from confluent_kafka import TopicPartition as KafkaTopicPartition
from confluent_kafka.admin import AdminClient

import sluice
from sluice.api import Schema, SourceRecord, SourceTask
from sluice.connectors.mirror.checkpoint import Checkpoint, decode_checkpoint
from sluice.connectors.mirror.checkpoint_config import TASK_ASSIGNED_GROUPS, CheckpointSettings
from sluice.connectors.mirror.offset_sync import StructFormatError, decode_offset_sync
from sluice.connectors.mirror.offset_sync_store import OffsetSyncStore

__all__ = ["MirrorCheckpointTask", "is_newer_checkpoint"]

log = logging.getLogger(__name__)

ADMIN_TIMEOUT = 30.0
_IDLE_STATES = (ConsumerGroupState.EMPTY, ConsumerGroupState.DEAD)


def is_newer_checkpoint(new: Checkpoint, last: Checkpoint | None) -> bool:
    """Kafka's rule for emitting: first one, an upstream rewind, or a larger downstream offset."""
    return (
        last is None
        or new.upstream_offset < last.upstream_offset
        or new.downstream_offset > last.downstream_offset
    )


def _failed(tp: KafkaTopicPartition) -> bool:
    error = tp.error
    return error is not None and error.code() != KafkaError.NO_ERROR


class MirrorCheckpointTask(SourceTask):
    def __init__(self) -> None:
        self._stop = threading.Event()
        self._store = OffsetSyncStore(must_read_to_end=True)
        self._checkpoints: dict[str, dict[tuple[str, int], Checkpoint]] = {}
        self._syncs_consumer: KafkaConsumer | None = None
        self._lock = threading.Lock()

    def version(self) -> str:
        return sluice.__version__

    def start(self, props: Mapping[str, str]) -> None:
        settings = CheckpointSettings.parse(props)
        self._settings = settings
        mirror = settings.mirror
        raw = props.get(TASK_ASSIGNED_GROUPS, "")
        self._groups = [g for g in raw.split(",") if g]
        self._topic = settings.checkpoints_topic
        self._emit_every = float(settings["emit.checkpoints.interval.seconds"])
        self._emit = bool(settings["emit.checkpoints.enabled"])
        self._sync = bool(settings["sync.group.offsets.enabled"])
        self._sync_every = float(settings["sync.group.offsets.interval.seconds"])
        self._source_admin = AdminClient(dict(mirror.client("source", "admin")))
        self._target_admin = AdminClient(dict(mirror.client("target", "admin")))
        conf: dict[str, Any] = {
            **mirror.client(mirror.offset_syncs_cluster, "consumer"),
            "group.id": f"mm2-checkpoint-{mirror.source_alias}-{mirror.target_alias}",
            "enable.auto.commit": False,
            "enable.partition.eof": False,
        }
        # Kafka's CheckpointStore (3.8+): the last checkpoints of the assigned groups are read
        # back from the target first, so new ones never move backwards across restarts; then
        # every offset sync can be kept while reading the topic the first time. Only when that
        # read fails does the store keep just the latest sync per partition until read to end.
        loaded = self._load_checkpoints(mirror.client("target", "consumer"))
        self._store = OffsetSyncStore(must_read_to_end=not loaded)
        self._syncs_consumer = KafkaConsumer(conf)
        self._syncs_consumer.assign(
            [KafkaTopicPartition(settings.offset_syncs_topic, 0, OFFSET_BEGINNING)]
        )
        self._next_emit = time.monotonic()
        self._next_sync = time.monotonic() + self._sync_every
        self._stop.clear()
        log.info(
            "Checkpointing %d consumer groups %s->%s: %s",
            len(self._groups),
            mirror.source_alias,
            mirror.target_alias,
            self._groups,
        )

    def _load_checkpoints(self, client: Mapping[str, Any]) -> bool:
        """Read ``<source>.checkpoints.internal`` on the target to its end, keeping the latest
        checkpoint per partition of the assigned groups; False when it could not be read."""
        groups = set(self._groups)
        consumer = KafkaConsumer(
            {
                **client,
                "group.id": f"mm2-checkpoint-store-{self._settings.mirror.source_alias}",
                "enable.auto.commit": False,
                "enable.partition.eof": False,
            }
        )
        try:
            meta = consumer.list_topics(self._topic, timeout=ADMIN_TIMEOUT).topics.get(self._topic)
            if meta is None or meta.error is not None or not meta.partitions:
                return (
                    meta is not None
                    and meta.error is not None
                    and (meta.error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART)
                )  # no topic: no earlier checkpoints
            ends = {}
            for p in meta.partitions:
                low, high = consumer.get_watermark_offsets(
                    KafkaTopicPartition(self._topic, p), timeout=ADMIN_TIMEOUT
                )
                if high > low:
                    ends[p] = high
            consumer.assign([KafkaTopicPartition(self._topic, p, OFFSET_BEGINNING) for p in ends])
            deadline = time.monotonic() + ADMIN_TIMEOUT
            while ends and not self._stop.is_set():
                if time.monotonic() >= deadline:
                    return False
                batch = consumer.consume(500, timeout=0.2)
                positions = consumer.position(
                    [KafkaTopicPartition(self._topic, p) for p in ends]
                )  # by position, not last offset: compaction leaves gaps
                for tp in positions:
                    if tp.offset >= ends[tp.partition]:
                        del ends[tp.partition]
                for msg in batch:
                    if msg.error() is not None:
                        continue
                    try:
                        cp = decode_checkpoint(msg.key(), msg.value())
                    except StructFormatError as e:
                        log.warning("Skipping a record of %s: %s", self._topic, e)
                        continue
                    if cp.group in groups:
                        self._checkpoints.setdefault(cp.group, {})[(cp.topic, cp.partition)] = cp
            return True
        except KafkaException as e:
            log.warning("Could not read the earlier checkpoints from %s: %s", self._topic, e)
            return False
        finally:
            consumer.close()

    # -- offset syncs -------------------------------------------------------------------------

    def _read_syncs(self, timeout: float) -> None:
        """Take in the offset syncs available now; the first call reads to the topic's end."""
        consumer = self._syncs_consumer
        assert consumer is not None
        topic = self._settings.offset_syncs_topic
        end: int | None = None
        if not self._store.read_to_end:
            try:
                _, end = consumer.get_watermark_offsets(
                    KafkaTopicPartition(topic, 0), timeout=timeout
                )
            except KafkaException:
                return  # no offset-syncs topic yet: try again on the next poll
        deadline = time.monotonic() + timeout
        while not self._stop.is_set():
            batch = consumer.consume(500, timeout=0.05 if end is None else 0.2)
            for msg in batch:
                if msg.error() is not None:
                    continue
                try:
                    self._store.add(decode_offset_sync(msg.key(), msg.value()))
                except StructFormatError as e:
                    log.warning("Skipping a record of %s that is no offset sync: %s", topic, e)
            if end is not None:
                position = consumer.position([KafkaTopicPartition(topic, 0)])[0].offset
                if position >= end:
                    self._store.mark_read_to_end()
                    end = None
                    continue
                if time.monotonic() >= deadline:
                    return
            elif not batch or time.monotonic() >= deadline:
                return

    # -- checkpoints --------------------------------------------------------------------------

    def _remote(self, topic: str) -> str:
        """The checkpoint's topic on the target: ``A.orders`` (or ``orders`` for ``B.orders``)."""
        mirror = self._settings.mirror
        if mirror.policy.topic_source(topic) == mirror.target_alias:
            return mirror.policy.original_topic(topic)
        return mirror.policy.format_remote_topic(mirror.source_alias, topic)

    def _group_offsets(self, admin: AdminClient, group: str) -> dict[tuple[str, int], Any]:
        futures = admin.list_consumer_group_offsets(
            [ConsumerGroupTopicPartitions(group)], request_timeout=ADMIN_TIMEOUT
        )
        result = futures[group].result(timeout=ADMIN_TIMEOUT)
        return {
            (tp.topic, tp.partition): tp
            for tp in result.topic_partitions or []
            if not _failed(tp) and tp.offset >= 0
        }

    def checkpoints_for_group(
        self, group: str, upstream: Mapping[tuple[str, int], tuple[int, str]]
    ) -> list[Checkpoint]:
        """New checkpoints for ``group`` at ``upstream`` offsets; remembers what it returns."""
        mirror = self._settings.mirror
        last = self._checkpoints.setdefault(group, {})
        found = []
        for (topic, partition), (offset, metadata) in sorted(upstream.items()):
            if not mirror.topic_filter_allows(topic):
                continue
            downstream = self._store.translate_downstream(topic, partition, offset)
            if downstream is None or downstream < 0:
                continue
            cp = Checkpoint(group, self._remote(topic), partition, offset, downstream, metadata)
            if is_newer_checkpoint(cp, last.get((cp.topic, partition))):
                last[(cp.topic, partition)] = cp
                found.append(cp)
        return found

    def _record(self, cp: Checkpoint, timestamp: int) -> SourceRecord:
        return SourceRecord(
            {"group": cp.group, "topic": cp.topic, "partition": cp.partition},
            {"offset": 0},
            self._topic,
            0,
            Schema.BYTES_SCHEMA,
            cp.key(),
            Schema.BYTES_SCHEMA,
            cp.value(),
            timestamp,
        )

    def poll(self) -> list[SourceRecord] | None:
        with self._lock:
            if self._syncs_consumer is None:
                return None
            return self._poll()

    def _poll(self) -> list[SourceRecord] | None:
        self._read_syncs(timeout=1.0)
        now = time.monotonic()
        if self._sync and now >= self._next_sync and self._store.read_to_end:
            self._next_sync = now + self._sync_every
            self.sync_group_offsets()
        if not self._emit or now < self._next_emit or not self._store.read_to_end:
            self._stop.wait(min(0.5, max(0.0, self._next_emit - now)))
            return None
        self._next_emit = now + self._emit_every
        timestamp = int(time.time() * 1000)
        records = []
        for group in self._groups:
            if self._stop.is_set():
                return None
            try:
                offsets = self._group_offsets(self._source_admin, group)
            except KafkaException as e:
                log.error("Listing the offsets of group %s on the source failed: %s", group, e)
                continue
            upstream = {k: (tp.offset, tp.metadata or "") for k, tp in offsets.items()}
            records += [
                self._record(cp, timestamp) for cp in self.checkpoints_for_group(group, upstream)
            ]
        return records or None

    # -- group offset sync --------------------------------------------------------------------

    def sync_group_offsets(self) -> dict[str, dict[tuple[str, int], int]]:
        """Commit translated offsets to the target's idle groups; returns what was committed.

        A group's offsets are read and written through a consumer carrying its id that never
        joins (librdkafka's simple commit): the admin API's list/alter calls crashed the process
        in confluent-kafka when the group coordinator was not ready. Offsets only move forward,
        and a group with active consumers on the target is left alone, as Kafka's MirrorMaker 2
        does.
        """
        done: dict[str, dict[tuple[str, int], int]] = {}
        groups = [g for g in self._groups if self._checkpoints.get(g)]
        if not groups:
            return done
        described = self._target_admin.describe_consumer_groups(
            groups, request_timeout=ADMIN_TIMEOUT
        )
        mirror = self._settings.mirror
        for group in groups:
            try:
                state = described[group].result(timeout=ADMIN_TIMEOUT).state
            except KafkaException:
                state = ConsumerGroupState.DEAD  # not on the target yet
            if state not in _IDLE_STATES:
                continue  # consumers are active on the target: leave their offsets alone
            checkpoints = self._checkpoints[group]
            consumer = KafkaConsumer(
                {
                    **mirror.client("target", "consumer"),
                    "group.id": group,
                    "enable.auto.commit": False,
                }
            )
            try:
                committed = consumer.committed(
                    [KafkaTopicPartition(t, p) for t, p in sorted(checkpoints)],
                    timeout=ADMIN_TIMEOUT,
                )
                current = {(tp.topic, tp.partition): tp.offset for tp in committed}
                wanted = [
                    KafkaTopicPartition(t, p, cp.downstream_offset)
                    for (t, p), cp in sorted(checkpoints.items())
                    if current.get((t, p), -1) < cp.downstream_offset
                ]
                if wanted:
                    consumer.commit(offsets=wanted, asynchronous=False)
            except KafkaException as e:
                log.warning("Could not sync the offsets of group %s to the target: %s", group, e)
                continue
            finally:
                consumer.close()
            if wanted:
                done[group] = {(tp.topic, tp.partition): tp.offset for tp in wanted}
        return done

    def stop(self) -> None:
        """Called from another thread: waits for ``poll`` to return, then closes the consumer."""
        self._stop.set()
        with self._lock:
            if self._syncs_consumer is not None:
                self._syncs_consumer.close()
                self._syncs_consumer = None
