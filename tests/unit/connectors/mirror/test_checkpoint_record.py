"""Checkpoint records: the byte layout of Kafka's ``Checkpoint`` (checked against Java in
tests/compat/test_mirror_records_java.py), its version header, and bad bytes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sluice.connectors.mirror.checkpoint import (
    Checkpoint,
    StructFormatError,
    decode_checkpoint,
    encode_checkpoint_key,
    encode_checkpoint_value,
)

# Kafka's Checkpoint("g1", new TopicPartition("orders", 2), 10, 7, "m").recordKey() / recordValue()
JAVA_KEY = b"\x00\x02g1\x00\x06orders\x00\x00\x00\x02"
JAVA_VALUE = b"\x00\x00" + b"\x00" * 7 + b"\x0a" + b"\x00" * 7 + b"\x07" + b"\x00\x01m"


def test_layout_is_kafkas() -> None:
    assert encode_checkpoint_key("g1", "orders", 2) == JAVA_KEY
    assert encode_checkpoint_value(10, 7, "m") == JAVA_VALUE
    assert decode_checkpoint(JAVA_KEY, JAVA_VALUE) == Checkpoint("g1", "orders", 2, 10, 7, "m")


def test_unknown_version_is_refused() -> None:
    with pytest.raises(StructFormatError, match="version 1"):
        decode_checkpoint(JAVA_KEY, b"\x00\x01" + JAVA_VALUE[2:])


def test_truncated_value() -> None:
    with pytest.raises(StructFormatError, match="metadata"):
        decode_checkpoint(JAVA_KEY, JAVA_VALUE[:-1])


@given(
    st.text(max_size=20),
    st.text(max_size=20),
    st.integers(0, 2**31 - 1),
    st.integers(-(2**63), 2**63 - 1),
    st.integers(-(2**63), 2**63 - 1),
    st.text(max_size=20),
)
def test_round_trip(
    group: str, topic: str, partition: int, upstream: int, downstream: int, metadata: str
) -> None:
    try:
        (group + topic + metadata).encode("utf-8")
    except UnicodeEncodeError:
        return
    cp = Checkpoint(group, topic, partition, upstream, downstream, metadata)
    assert decode_checkpoint(cp.key(), cp.value()) == cp
