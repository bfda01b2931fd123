"""MirrorMaker 2's offset-sync and checkpoint records against Kafka's classes, both directions.

A Java harness (``java/MirrorRecordsHarness.java``) in Kafka's ``org.apache.kafka.connect.mirror``
package calls ``OffsetSync``'s and ``Checkpoint``'s own serializers and ``deserializeRecord``
(connect-mirror and connect-mirror-client jars). For every case Kafka's bytes equal sluice's, and
each side reads the other's bytes into the record meant.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest

from sluice.connectors.mirror.checkpoint import (
    Checkpoint,
    decode_checkpoint,
    encode_checkpoint_key,
    encode_checkpoint_value,
)
from sluice.connectors.mirror.offset_sync import (
    OffsetSync,
    decode_offset_sync,
    encode_offset_sync_key,
    encode_offset_sync_value,
)
from tests.compat.java_tools import LineHarness, compile_line_harness

pytestmark = pytest.mark.compat

HARNESS = Path(__file__).resolve().parent / "java" / "MirrorRecordsHarness.java"
REQUIRED_JARS = ("connect-mirror-", "connect-mirror-client-", "kafka-clients-")

TEXTS = ["", "orders", "A.orders", "é ü ß 中文", "😀 𝄞", "x" * 300, "sp ace\nnl"]
NUMBERS = [0, 1, 42, 2**31 - 1, -1, 2**63 - 1, -(2**63)]
PARTITIONS = [0, 7, 2**31 - 1, -1]

Java = Callable[[list[str]], list[str]]


@pytest.fixture(scope="module")
def java(tmp_path_factory: pytest.TempPathFactory) -> LineHarness:
    """Compiles the harness once; returns a function answering a batch of jobs in one JVM."""
    return compile_line_harness(
        HARNESS,
        "org.apache.kafka.connect.mirror.MirrorRecordsHarness",
        REQUIRED_JARS,
        tmp_path_factory.mktemp("mirror-records-harness"),
    )


def _b64(data: bytes | str) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return base64.b64encode(raw).decode("ascii")


def _text(b64: str) -> str:
    return base64.b64decode(b64).decode("utf-8")


def _syncs() -> list[OffsetSync]:
    cases = [OffsetSync(t, p, 5, 3) for t in TEXTS for p in PARTITIONS]
    cases += [OffsetSync("t", 0, u, d) for u in NUMBERS for d in NUMBERS]
    return cases


def _checkpoints() -> list[Checkpoint]:
    cases = [Checkpoint(g, t, 1, 10, 9, m) for g in TEXTS for t in TEXTS[:3] for m in TEXTS[:4]]
    cases += [Checkpoint("g", "t", p, u, u // 2, "") for p in PARTITIONS for u in NUMBERS]
    return cases


def test_offset_syncs_match_kafka_both_ways(java: Java) -> None:
    syncs = _syncs()
    jobs = [
        f"OS_ENC {_b64(s.topic)} {s.partition} {s.upstream_offset} {s.downstream_offset}"
        for s in syncs
    ]
    jobs += [f"OS_DEC {_b64(s.key())} {_b64(s.value())}" for s in syncs]
    answers = java(jobs)
    for sync, encoded, decoded in zip(
        syncs, answers[: len(syncs)], answers[len(syncs) :], strict=True
    ):
        key, value = encoded.split(" ")
        assert base64.b64decode(key) == encode_offset_sync_key(sync.topic, sync.partition)
        assert base64.b64decode(value) == encode_offset_sync_value(
            sync.upstream_offset, sync.downstream_offset
        )
        assert decode_offset_sync(base64.b64decode(key), base64.b64decode(value)) == sync
        topic, partition, upstream, downstream = decoded.split(" ")
        assert OffsetSync(_text(topic), int(partition), int(upstream), int(downstream)) == sync


def test_checkpoints_match_kafka_both_ways(java: Java) -> None:
    cps = _checkpoints()
    jobs = [
        f"CP_ENC {_b64(c.group)} {_b64(c.topic)} {c.partition} {c.upstream_offset} "
        f"{c.downstream_offset} {_b64(c.metadata)}"
        for c in cps
    ]
    jobs += [f"CP_DEC {_b64(c.key())} {_b64(c.value())}" for c in cps]
    answers = java(jobs)
    for cp, encoded, decoded in zip(cps, answers[: len(cps)], answers[len(cps) :], strict=True):
        key, value = encoded.split(" ")
        assert base64.b64decode(key) == encode_checkpoint_key(cp.group, cp.topic, cp.partition)
        assert base64.b64decode(value) == encode_checkpoint_value(
            cp.upstream_offset, cp.downstream_offset, cp.metadata
        )
        assert decode_checkpoint(base64.b64decode(key), base64.b64decode(value)) == cp
        group, topic, partition, upstream, downstream, metadata = decoded.split(" ")
        read = Checkpoint(
            _text(group),
            _text(topic),
            int(partition),
            int(upstream),
            int(downstream),
            _text(metadata),
        )
        assert read == cp
