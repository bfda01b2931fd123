"""MirrorMaker 2's heartbeat records (the ``heartbeats`` topic), Kafka's bytes.

Byte-compatible with ``org.apache.kafka.connect.mirror.Heartbeat``:

* key: ``sourceClusterAlias`` (``STRING``), ``targetClusterAlias`` (``STRING``);
* value: a header ``version`` (``INT16``, 0) then ``timestamp`` (``INT64``, epoch milliseconds).

A heartbeat that reached cluster ``C`` through ``A -> B -> C`` sits in ``B.A.heartbeats`` there
(with the default policy), which is how tools find the replication paths between clusters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sluice.connectors.mirror.struct_codec import StructFormatError, StructReader, StructWriter

__all__ = ["Heartbeat", "StructFormatError", "decode_heartbeat"]

VERSION: Final = 0


@dataclass(frozen=True, slots=True)
class Heartbeat:
    source_cluster_alias: str
    target_cluster_alias: str
    timestamp: int

    def key(self) -> bytes:
        w = StructWriter().string(self.source_cluster_alias).string(self.target_cluster_alias)
        return w.getvalue()

    def value(self) -> bytes:
        return StructWriter().int16(VERSION).int64(self.timestamp).getvalue()


def decode_heartbeat(key: bytes | None, value: bytes | None) -> Heartbeat:
    """Read one heartbeat record; raises :class:`StructFormatError` for other bytes."""
    if key is None or value is None:
        raise StructFormatError("heartbeat: key and value must both be present")
    v = StructReader(value, "heartbeat value")
    version = v.int16("version")
    if version != VERSION:
        raise StructFormatError(f"heartbeat value: unknown version {version}")
    timestamp = v.int64("timestamp")
    k = StructReader(key, "heartbeat key")
    return Heartbeat(k.string("sourceClusterAlias"), k.string("targetClusterAlias"), timestamp)
