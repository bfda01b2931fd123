"""Debezium's heartbeat records, the same for every connector (``heartbeat.interval.ms``).

Key ``io.debezium.connector.common.ServerNameKey`` ``{serverName}``, value
``io.debezium.connector.common.Heartbeat`` ``{ts_ms}``, carrying the connector's current offset so
that an idle connector's position still reaches the offset store.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Final

from sluice.api import SchemaBuilder, SourceRecord, Struct

__all__ = ["HEARTBEAT_KEY_SCHEMA", "HEARTBEAT_VALUE_SCHEMA", "heartbeat_record"]

HEARTBEAT_KEY_SCHEMA: Final = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.common.ServerNameKey")
    .version(1)
    .field("serverName", SchemaBuilder.string().build())
    .build()
)
HEARTBEAT_VALUE_SCHEMA: Final = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.common.Heartbeat")
    .version(1)
    .field("ts_ms", SchemaBuilder.int64().build())
    .build()
)


def heartbeat_record(
    partition: Mapping[str, Any],
    offset: Mapping[str, Any],
    topic: str,
    server: str,
    stamped: bool = False,
) -> SourceRecord:
    """A heartbeat now; ``stamped`` also gives the record that time as its timestamp (else the
    producer's)."""
    now_ms = time.time_ns() // 1_000_000
    key = Struct(HEARTBEAT_KEY_SCHEMA).put("serverName", server)
    value = Struct(HEARTBEAT_VALUE_SCHEMA).put("ts_ms", now_ms)
    return SourceRecord(
        partition,
        offset,
        topic,
        None,
        HEARTBEAT_KEY_SCHEMA,
        key,
        HEARTBEAT_VALUE_SCHEMA,
        value,
        now_ms if stamped else None,
    )
