"""MirrorMaker 2's checkpoint records (``<source alias>.checkpoints.internal``), Kafka's bytes.

A checkpoint says "consumer group G, which committed upstream offset U on source partition T-P,
can resume at downstream offset D of the remote copy". Byte-compatible with
``org.apache.kafka.connect.mirror.Checkpoint`` (connect-mirror-client), which is what
``RemoteClusterUtils.translateOffsets`` reads:

* key: ``group`` (``STRING``), ``topic`` (``STRING``), ``partition`` (``INT32``);
* value: a header ``version`` (``INT16``, always 0), then ``upstreamOffset`` (``INT64``),
  ``offset`` (``INT64``), ``metadata`` (``STRING``).

``topic`` is the *source* topic's name; the checkpoints topic lives on the target cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

from sluice.connectors.mirror.struct_codec import StructFormatError, StructReader, StructWriter

__all__ = [
    "CHECKPOINT_VERSION",
    "Checkpoint",
    "StructFormatError",
    "decode_checkpoint",
    "encode_checkpoint_key",
    "encode_checkpoint_value",
]

CHECKPOINT_VERSION = 0
"""The only value version Kafka defines (``Checkpoint.VERSION``)."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Group ``group`` at upstream ``upstream_offset`` of ``topic``/``partition`` maps to
    downstream ``downstream_offset``; ``metadata`` is the group's commit metadata (often "")."""

    group: str
    topic: str
    partition: int
    upstream_offset: int
    downstream_offset: int
    metadata: str = ""

    def key(self) -> bytes:
        return encode_checkpoint_key(self.group, self.topic, self.partition)

    def value(self) -> bytes:
        return encode_checkpoint_value(self.upstream_offset, self.downstream_offset, self.metadata)


def encode_checkpoint_key(group: str, topic: str, partition: int) -> bytes:
    """The record key: ``STRING group, STRING topic, INT32 partition``."""
    return StructWriter().string(group).string(topic).int32(partition).getvalue()


def encode_checkpoint_value(
    upstream_offset: int, downstream_offset: int, metadata: str = ""
) -> bytes:
    """The record value: ``INT16 version (0), INT64 upstreamOffset, INT64 offset,
    STRING metadata``."""
    return (
        StructWriter()
        .int16(CHECKPOINT_VERSION)
        .int64(upstream_offset)
        .int64(downstream_offset)
        .string(metadata)
        .getvalue()
    )


def decode_checkpoint(key: bytes | None, value: bytes | None) -> Checkpoint:
    """Read one checkpoint record; raises :class:`StructFormatError` for bytes that are not one
    (including a value version other than 0, which Kafka cannot read either)."""
    if key is None or value is None:
        raise StructFormatError("checkpoint: a key and a value are required")
    values = StructReader(value, "checkpoint value")
    version = values.int16("version")
    if version != CHECKPOINT_VERSION:
        raise StructFormatError(f"checkpoint value: unknown version {version} (only 0 is defined)")
    upstream = values.int64("upstreamOffset")
    downstream = values.int64("offset")
    metadata = values.string("metadata")
    keys = StructReader(key, "checkpoint key")
    group = keys.string("group")
    topic = keys.string("topic")
    partition = keys.int32("partition")
    return Checkpoint(group, topic, partition, upstream, downstream, metadata)
