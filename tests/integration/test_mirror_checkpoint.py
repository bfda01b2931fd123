"""The checkpoint task between two real clusters (A = session broker, B = second broker).

Offset syncs are written to A's ``mm2-offset-syncs.B.internal`` as Java's ``MirrorSourceTask``
writes them; a group commits on A; the task must return checkpoints with the translated offsets.
With ``sync.group.offsets.enabled`` the translated offsets are committed to the idle group on B.
"""

from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaException, TopicPartition

from sluice.connectors.mirror.checkpoint import decode_checkpoint
from sluice.connectors.mirror.checkpoint_task import MirrorCheckpointTask
from sluice.connectors.mirror.offset_sync import encode_offset_sync_key, encode_offset_sync_value
from sluice.testing import wait_for
from tests.fixtures.kafka import create_topic, produce_values

pytestmark = pytest.mark.integration


def test_checkpoints_and_group_offsets_reach_the_target(
    kafka_bootstrap: str, kafka_bootstrap_b: str
) -> None:
    tag = uuid.uuid4().hex[:8]
    topic, group = f"orders-{tag}", f"app-{tag}"
    source_alias = f"A{tag}"  # a fresh flow: fresh offset-syncs and checkpoints topics
    syncs_topic = "mm2-offset-syncs.B.internal"
    create_topic(kafka_bootstrap, topic, partitions=2)
    produce_values(kafka_bootstrap, topic, [b"x"] * 10, partition=0)
    produce_values(kafka_bootstrap, topic, [b"y"] * 10, partition=1)
    syncs = [(topic, 0, 0, 100), (topic, 0, 5, 105), (topic, 1, 4, 7)]
    produce_values(
        kafka_bootstrap,
        syncs_topic,
        [encode_offset_sync_value(u, d) for _, _, u, d in syncs],
        keys=[encode_offset_sync_key(t, p) for t, p, _, _ in syncs],
    )
    consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": group})
    commit = [TopicPartition(topic, 0, 8), TopicPartition(topic, 1, 4)]
    deadline = time.monotonic() + 30
    try:  # the group read 8 records of partition 0 and 4 of partition 1, then left
        while True:
            try:  # a fresh broker answers NOT_COORDINATOR until __consumer_offsets is up
                consumer.commit(offsets=commit, asynchronous=False)
                break
            except KafkaException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        consumer.close()

    task = MirrorCheckpointTask()
    task.start(
        {
            "source.cluster.alias": source_alias,
            "target.cluster.alias": "B",
            "source.cluster.bootstrap.servers": kafka_bootstrap,
            "target.cluster.bootstrap.servers": kafka_bootstrap_b,
            "topics": topic,
            "emit.checkpoints.interval.seconds": "1",
            "task.assigned.groups": group,
        }
    )
    try:
        deadline = time.monotonic() + 30
        records = None
        while records is None and time.monotonic() < deadline:
            records = task.poll()
        assert records is not None
        got = {
            (c.topic, c.partition): c for c in (decode_checkpoint(r.key, r.value) for r in records)
        }
        remote = f"{source_alias}.{topic}"
        assert {k: (c.upstream_offset, c.downstream_offset) for k, c in got.items()} == {
            (remote, 0): (8, 106),  # past the sync at 5: one past its downstream offset, no more
            (remote, 1): (4, 7),
        }
        assert all(r.topic == f"{source_alias}.checkpoints.internal" for r in records)

        # The group is idle on B (it never ran there): once the remote topic exists there (the
        # source connector creates it), the group gets the translated offsets. A fresh
        # broker answers NOT_COORDINATOR for a while; the task retries at its next interval.
        create_topic(kafka_bootstrap_b, remote, partitions=2)
        synced = wait_for(task.sync_group_offsets, 30, 0.5, message="no offsets synced to B")
        assert synced == {group: {(remote, 0): 106, (remote, 1): 7}}
        b = Consumer({"bootstrap.servers": kafka_bootstrap_b, "group.id": group})
        try:
            on_b = b.committed([TopicPartition(remote, 0), TopicPartition(remote, 1)], timeout=30)
        finally:
            b.close()
        assert [(tp.partition, tp.offset) for tp in on_b] == [(0, 106), (1, 7)]
        assert task.sync_group_offsets() == {}  # nothing newer: nothing written again

    finally:
        task.stop()
