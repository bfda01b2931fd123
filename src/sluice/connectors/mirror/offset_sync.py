"""MirrorMaker 2's offset-sync records (``mm2-offset-syncs.<alias>.internal``), Kafka's bytes.

An offset sync says "upstream offset U of this source partition was written at downstream offset
D of its remote copy". ``MirrorSourceTask`` emits them; the checkpoint connector reads them to
translate consumer group offsets. Byte-compatible with
``org.apache.kafka.connect.mirror.OffsetSync``:

* key: ``topic`` (``STRING``), ``partition`` (``INT32``);
* value: ``upstreamOffset`` (``INT64``), ``offset`` (``INT64``) — no version header.

(See :mod:`.struct_codec` for the encoding.)
"""

from __future__ import annotations

from dataclasses import dataclass

from sluice.connectors.mirror.struct_codec import StructFormatError, StructReader, StructWriter

__all__ = [
    "OffsetSync",
    "StructFormatError",
    "decode_offset_sync",
    "encode_offset_sync_key",
    "encode_offset_sync_value",
]


@dataclass(frozen=True, slots=True)
class OffsetSync:
    """Upstream ``upstream_offset`` of ``topic``/``partition`` is downstream ``downstream_offset``.

    ``topic`` is the *source* topic name (not the remote topic's name).
    """

    topic: str
    partition: int
    upstream_offset: int
    downstream_offset: int

    def key(self) -> bytes:
        return encode_offset_sync_key(self.topic, self.partition)

    def value(self) -> bytes:
        return encode_offset_sync_value(self.upstream_offset, self.downstream_offset)


def encode_offset_sync_key(topic: str, partition: int) -> bytes:
    """The record key: ``STRING topic, INT32 partition``."""
    return StructWriter().string(topic).int32(partition).getvalue()


def encode_offset_sync_value(upstream_offset: int, downstream_offset: int) -> bytes:
    """The record value: ``INT64 upstreamOffset, INT64 offset``."""
    return StructWriter().int64(upstream_offset).int64(downstream_offset).getvalue()


def decode_offset_sync(key: bytes | None, value: bytes | None) -> OffsetSync:
    """Read one offset-sync record; raises :class:`StructFormatError` for bytes that are not one."""
    if key is None or value is None:
        raise StructFormatError("offset sync: a key and a value are required")
    keys = StructReader(key, "offset sync key")
    topic = keys.string("topic")
    partition = keys.int32("partition")
    values = StructReader(value, "offset sync value")
    upstream = values.int64("upstreamOffset")
    downstream = values.int64("offset")
    return OffsetSync(topic, partition, upstream, downstream)
