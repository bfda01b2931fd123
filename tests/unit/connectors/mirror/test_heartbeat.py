"""Heartbeat records in the bytes of Kafka's ``org.apache.kafka.connect.mirror.Heartbeat``."""

from __future__ import annotations

import pytest

from sluice.connectors.mirror.heartbeat import Heartbeat, StructFormatError, decode_heartbeat


def test_heartbeat_bytes() -> None:
    beat = Heartbeat("A", "B", 1_700_000_000_123)
    # key: two STRINGs (INT16 length + UTF-8); value: INT16 version 0, INT64 timestamp.
    assert beat.key() == b"\x00\x01A\x00\x01B"
    assert beat.value() == b"\x00\x00" + (1_700_000_000_123).to_bytes(8, "big")
    assert decode_heartbeat(beat.key(), beat.value()) == beat


def test_bad_heartbeats() -> None:
    with pytest.raises(StructFormatError):
        decode_heartbeat(b"\x00\x01A", b"\x00\x00")
    with pytest.raises(StructFormatError, match="version"):
        decode_heartbeat(b"\x00\x01A\x00\x01B", b"\x00\x07" + bytes(8))
    with pytest.raises(StructFormatError):
        decode_heartbeat(None, b"")
