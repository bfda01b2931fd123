"""A consumer group fails over from cluster A to cluster B with MirrorMaker 2's translated offsets.

One sluice worker on B mirrors a two-partition topic A -> B and checkpoints a group with
``sync.group.offsets.enabled``. The group reads part of each partition on A, commits and goes
idle; once its translated offsets are on B, a consumer of the same group resumes on B from them.
Together the two see every record (never a gap), with few duplicates. The checkpoint and
heartbeat topics on B carry records Kafka's formats decode.
"""

from __future__ import annotations

import collections
import time
from pathlib import Path

import pytest
from confluent_kafka import Consumer

from sluice.connectors.mirror.heartbeat import decode_heartbeat
from sluice.testing import wait_for
from tests.fixtures.mirror_flow import checkpoints_on_b, mirrored_group, read_topic, wait_translated

pytestmark = pytest.mark.integration


def _resume_on_b(bootstrap_b: str, group: str, topic: str, expected: int) -> list[bytes]:
    """A consumer of ``group`` subscribes on B and reads from the committed offsets on."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_b,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    got: list[bytes] = []
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + 30
        while len(got) < expected and time.monotonic() < deadline:
            for m in consumer.consume(500, 0.5):
                if m.error() is None:
                    got.append(m.value() or b"")
        # anything more (a duplicate beyond the expected count) shows up in one more poll
        got += [m.value() or b"" for m in consumer.consume(500, 1.0) if m.error() is None]
    finally:
        consumer.close()
    return got


def test_group_fails_over_without_missing_records(
    tmp_path: Path, kafka_bootstrap: str, kafka_bootstrap_b: str
) -> None:
    with mirrored_group(tmp_path, kafka_bootstrap, kafka_bootstrap_b) as flow:
        translated = wait_translated(flow, kafka_bootstrap_b)
        # Never after a record the group had not read, and near it: a sync per record, kept
        # exponentially spaced back from the latest (so off by at most half the distance).
        for p, offset in flow.cut.items():
            slack = (flow.per_partition - offset) // 2 + 1
            assert 0 <= offset - translated[p] <= slack, (p, translated, flow.cut)

        checkpoints = checkpoints_on_b(kafka_bootstrap_b, flow.group)
        assert {k: (c.upstream_offset, c.downstream_offset) for k, c in checkpoints.items()} == {
            (flow.remote, p): (offset, translated[p]) for p, offset in flow.cut.items()
        }

        def beating() -> bool:
            beats = [
                decode_heartbeat(m.key(), m.value())
                for m in read_topic(kafka_bootstrap_b, "heartbeats")
            ]
            return any(
                (b.source_cluster_alias, b.target_cluster_alias) == ("A", "B") for b in beats
            )

        wait_for(beating, timeout=15, message="no heartbeat A->B on B")

        rest = len(flow.values) - sum(translated.values())
        on_b = _resume_on_b(kafka_bootstrap_b, flow.group, flow.remote, rest)

    seen = collections.Counter(flow.seen_on_a + on_b)
    missing = set(flow.values) - set(seen)
    assert not missing, f"{len(missing)} records never consumed, e.g. {sorted(missing)[:5]}"
    duplicates = sum(n - 1 for n in seen.values())  # exactly those between both positions
    assert duplicates == sum(o - translated[p] for p, o in flow.cut.items())
    assert set(seen) == set(flow.values)
