"""Offset-sync records: the byte layout of Kafka's ``OffsetSync`` (checked against Java in
tests/compat/test_mirror_records_java.py) and the errors for bytes that are not one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sluice.connectors.mirror.offset_sync import (
    OffsetSync,
    StructFormatError,
    decode_offset_sync,
    encode_offset_sync_key,
    encode_offset_sync_value,
)

# Kafka's OffsetSync(new TopicPartition("orders", 3), 5, 3).recordKey() / recordValue()
JAVA_KEY = b"\x00\x06orders\x00\x00\x00\x03"
JAVA_VALUE = b"\x00" * 7 + b"\x05" + b"\x00" * 7 + b"\x03"


def test_layout_is_kafkas() -> None:
    assert encode_offset_sync_key("orders", 3) == JAVA_KEY
    assert encode_offset_sync_value(5, 3) == JAVA_VALUE
    assert decode_offset_sync(JAVA_KEY, JAVA_VALUE) == OffsetSync("orders", 3, 5, 3)


def test_negative_and_unicode() -> None:
    key = encode_offset_sync_key("é", -1)
    assert key == b"\x00\x02\xc3\xa9\xff\xff\xff\xff"
    assert encode_offset_sync_value(-1, 0)[:8] == b"\xff" * 8


@given(
    st.text(max_size=40),
    st.integers(-(2**31), 2**31 - 1),
    st.integers(-(2**63), 2**63 - 1),
    st.integers(-(2**63), 2**63 - 1),
)
def test_round_trip(topic: str, partition: int, upstream: int, downstream: int) -> None:
    try:
        topic.encode("utf-8")
    except UnicodeEncodeError:
        return  # lone surrogates are no topic name
    sync = OffsetSync(topic, partition, upstream, downstream)
    assert decode_offset_sync(sync.key(), sync.value()) == sync


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (JAVA_KEY[:-1], JAVA_VALUE, "partition"),
        (JAVA_KEY, JAVA_VALUE[:12], "offset"),
        (b"\xff\xff", JAVA_VALUE, "negative length"),
        (b"\x00\x01\xff\x00\x00\x00\x00", JAVA_VALUE, "not UTF-8"),
        (None, JAVA_VALUE, "key and a value"),
    ],
)
def test_bad_bytes(key: bytes | None, value: bytes, message: str) -> None:
    with pytest.raises(StructFormatError, match=message):
        decode_offset_sync(key, value)


def test_too_long_topic() -> None:
    with pytest.raises(StructFormatError, match="32767"):
        encode_offset_sync_key("x" * 32768, 0)
