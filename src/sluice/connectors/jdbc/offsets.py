"""Source partitions and offsets in exactly the shapes the Confluent connector stores.

Keeping the shapes means offsets written by the Confluent connector are picked up by sluice (and
back), and the REST offsets API shows and changes them as users know them:

* table partition (protocol 1): ``{"protocol": "1", "table": "mydb.users"}``; the legacy
  protocol 0 partition ``{"table": "users"}`` is still read at start;
* query partition: ``{"query": "query"}``;
* offset: ``{"incrementing": 42}``, ``{"timestamp": <epoch ms>, "timestamp_nanos": <nanos of
  the second>}`` or both.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

from sluice.api import ConnectError
from sluice.connectors.jdbc.identifiers import TableId

__all__ = [
    "INCREMENTING_FIELD",
    "TIMESTAMP_FIELD",
    "TIMESTAMP_NANOS_FIELD",
    "Offset",
    "query_partition",
    "table_partition_v0",
    "table_partition_v1",
]

TABLE_NAME_KEY: Final = "table"
PROTOCOL_KEY: Final = "protocol"
PROTOCOL_ONE: Final = "1"
QUERY_NAME_KEY: Final = "query"
QUERY_NAME_VALUE: Final = "query"

INCREMENTING_FIELD: Final = "incrementing"
TIMESTAMP_FIELD: Final = "timestamp"
TIMESTAMP_NANOS_FIELD: Final = "timestamp_nanos"

EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def table_partition_v1(table: TableId) -> dict[str, str]:
    # Key order as Java's HashMap iterates them: offset stores look partitions up by their
    # serialized bytes, so offsets written by the Confluent connector must be found.
    return {PROTOCOL_KEY: PROTOCOL_ONE, TABLE_NAME_KEY: table.fqn()}


def table_partition_v0(table: TableId) -> dict[str, str]:
    return {TABLE_NAME_KEY: table.table}


def query_partition() -> dict[str, str]:
    return {QUERY_NAME_KEY: QUERY_NAME_VALUE}


@dataclass(frozen=True)
class Offset:
    """Where a table's copy stands: last timestamp (aware UTC) and last incrementing value."""

    timestamp: dt.datetime | None = None
    incrementing: int | None = None

    @property
    def incrementing_or_default(self) -> int:
        return -1 if self.incrementing is None else self.incrementing

    @property
    def timestamp_or_epoch(self) -> dt.datetime:
        return EPOCH if self.timestamp is None else self.timestamp

    def to_map(self) -> dict[str, Any]:
        # Keys in the order Java's HashMap writes them, so stored bytes match Confluent's.
        out: dict[str, Any] = {}
        ms = nanos = None
        if self.timestamp is not None:
            ms, nanos = to_millis_and_nanos(self.timestamp)
            out[TIMESTAMP_NANOS_FIELD] = nanos
        if self.incrementing is not None:
            out[INCREMENTING_FIELD] = self.incrementing
        if ms is not None:
            out[TIMESTAMP_FIELD] = ms
        return out

    @classmethod
    def from_map(cls, data: dict[str, Any] | None) -> Offset:
        if not data:
            return cls()
        incrementing = data.get(INCREMENTING_FIELD)
        millis = data.get(TIMESTAMP_FIELD)
        timestamp = None
        try:
            if millis is not None:
                nanos = data.get(TIMESTAMP_NANOS_FIELD)
                timestamp = from_millis_and_nanos(
                    int(millis), None if nanos is None else int(nanos)
                )
            return cls(timestamp, None if incrementing is None else int(incrementing))
        except (TypeError, ValueError) as e:
            raise ConnectError(f"Invalid JDBC source offset {data}: {e}") from e


def to_millis_and_nanos(value: dt.datetime) -> tuple[int, int]:
    """``java.sql.Timestamp``'s ``getTime()`` and ``getNanos()`` of an instant."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    delta = value - EPOCH
    micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return micros // 1000, (micros % 1_000_000) * 1000


def from_millis_and_nanos(millis: int, nanos: int | None) -> dt.datetime:
    if nanos is None:
        return EPOCH + dt.timedelta(milliseconds=millis)
    seconds = millis // 1000
    return EPOCH + dt.timedelta(seconds=seconds, microseconds=nanos // 1000)
