"""Debezium's change-event records for PostgreSQL: topics, key and envelope schemas, values.

One :class:`TableSchema` per captured table holds what Debezium's ``TableSchemaBuilder`` makes:
the key schema ``<prefix>.<schema>.<table>.Key`` (the primary key columns; ``None`` for a table
without one, whose records then have a null key as Debezium sends them), the row schema
``...Value`` (optional, every captured column) and the envelope ``...Envelope`` with ``before``,
``after``, ``source`` (``io.debezium.connector.postgresql.Source``), ``transaction``, ``op``,
``ts_ms``, ``ts_us``, ``ts_ns``, in Debezium's field order and schema versions.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import sluice
from sluice.api import ConnectError, DataError, Schema, SchemaBuilder, SourceRecord, Struct
from sluice.connectors.debezium.postgres_types import ColumnInfo, ColumnMapping, map_column

__all__ = [
    "SNAPSHOT_VALUES",
    "SOURCE_SCHEMA",
    "SourcePosition",
    "TableSchema",
    "source_struct",
]

log = logging.getLogger(__name__)

CONNECTOR_NAME: Final = "postgresql"
SNAPSHOT_VALUES: Final = (
    "true",
    "first",
    "first_in_data_collection",
    "last_in_data_collection",
    "last",
    "false",
    "incremental",
)
"""Debezium's ``SnapshotRecord`` names, lower case, in its declaration order (the ``allowed``
parameter of the ``source.snapshot`` enum schema)."""

_SNAPSHOT_SCHEMA: Final = (
    SchemaBuilder.string()
    .name("io.debezium.data.Enum")
    .version(1)
    .parameter("allowed", ",".join(SNAPSHOT_VALUES))
    .default_value("false")
    .optional()
    .build()
)

SOURCE_SCHEMA: Final = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.postgresql.Source")
    .version(1)
    .field("version", SchemaBuilder.string().build())
    .field("connector", SchemaBuilder.string().build())
    .field("name", SchemaBuilder.string().build())
    .field("ts_ms", SchemaBuilder.int64().build())
    .field("snapshot", _SNAPSHOT_SCHEMA)
    .field("db", SchemaBuilder.string().build())
    .field("sequence", SchemaBuilder.string().optional().build())
    .field("ts_us", SchemaBuilder.int64().optional().build())
    .field("ts_ns", SchemaBuilder.int64().optional().build())
    .field("schema", SchemaBuilder.string().build())
    .field("table", SchemaBuilder.string().build())
    .field("txId", SchemaBuilder.int64().optional().build())
    .field("lsn", SchemaBuilder.int64().optional().build())
    .field("xmin", SchemaBuilder.int64().optional().build())
    .field("origin", SchemaBuilder.string().optional().build())
    .field("origin_lsn", SchemaBuilder.int64().optional().build())
    .build()
)

TRANSACTION_SCHEMA: Final = (
    SchemaBuilder.struct()
    .optional()
    .name("event.block")
    .version(1)
    .field("id", SchemaBuilder.string().build())
    .field("total_order", SchemaBuilder.int64().build())
    .field("data_collection_order", SchemaBuilder.int64().build())
    .build()
)


@dataclass(frozen=True)
class SourcePosition:
    """What ``source`` says about one event."""

    schema: str
    table: str
    timestamp: dt.datetime
    """Commit time while streaming, read time during the snapshot."""
    snapshot: str
    """One of :data:`SNAPSHOT_VALUES`."""
    tx_id: int | None
    lsn: int | None
    last_commit_lsn: int | None


def _micros(value: dt.datetime) -> int:
    delta = value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def source_struct(server: str, db: str, pos: SourcePosition) -> Struct:
    """Debezium's ``source`` block (``PostgresSourceInfoStructMaker``); values in field order,
    built without per-field checks (this runs once per change)."""
    us = _micros(pos.timestamp)
    commit = "null" if pos.last_commit_lsn is None else f'"{pos.last_commit_lsn}"'
    lsn = "null" if pos.lsn is None else f'"{pos.lsn}"'
    # An incremental snapshot's read event has no txId and lsn of its own (Debezium leaves them
    # out); only its sequence tells where its close watermark was.
    streamed = pos.snapshot != "incremental"
    return Struct.trusted(
        SOURCE_SCHEMA,
        [
            sluice.__version__,
            CONNECTOR_NAME,
            server,
            us // 1000,
            None if pos.snapshot == "false" else pos.snapshot,  # the schema default is "false"
            db,
            f"[{commit},{lsn}]",
            us,
            us * 1000,
            pos.schema,
            pos.table,
            pos.tx_id if streamed else None,
            pos.lsn if streamed else None,
            None,
            None,
            None,
        ],
    )


def _sanitized(topic: str) -> str:
    """Debezium's ``TopicNameSanitizer``: characters Kafka refuses in topic names become ``_``."""
    clean = re.sub(r"[^a-zA-Z0-9._\-]", "_", topic)
    if clean != topic:
        log.warning("Topic '%s' is not a valid Kafka topic name: using '%s'", topic, clean)
    return clean


class TableSchema:
    """Schemas and converters for one table, from its columns in the order rows carry them.

    ``columns`` are every column of the row (tuple positions); ``key_columns`` names the primary
    key. Columns that the column filters drop, or whose type has no mapping, are left out of
    ``Value`` (the latter with a warning naming the table, the column and
    ``include.unknown.datatypes``).
    """

    def __init__(
        self,
        prefix: str,
        schema: str,
        table: str,
        columns: Sequence[ColumnInfo],
        key_columns: Sequence[str],
        mappings: Mapping[str, ColumnMapping | None],
        included: Sequence[bool],
    ) -> None:
        self.schema = schema
        self.table = table
        self.topic = _sanitized(f"{prefix}.{schema}.{table}")
        names = f"{prefix}.{schema}.{table}"  # record schema names are not sanitized
        self.columns = list(columns)
        self._value_positions: list[tuple[int, ColumnMapping]] = []
        vb = SchemaBuilder.struct().name(f"{names}.Value")
        for i, (col, keep) in enumerate(zip(columns, included, strict=True)):
            mapping = mappings.get(col.name)
            if not keep or mapping is None:
                continue
            vb.field(col.name, mapping.schema)
            self._value_positions.append((i, mapping))
        self.value_schema: Schema = vb.optional().build()
        position = {c.name: i for i, c in enumerate(columns)}
        self._key_positions: list[tuple[int, ColumnMapping]] = []
        key_schema: Schema | None = None
        if key_columns:
            kb = SchemaBuilder.struct().name(f"{names}.Key")
            for name in key_columns:
                mapping = mappings.get(name)
                if mapping is None:
                    continue
                kb.field(name, mapping.schema)
                self._key_positions.append((position[name], mapping))
            if self._key_positions:
                key_schema = kb.build()
        self.key_schema = key_schema
        self.envelope_schema: Schema = (
            SchemaBuilder.struct()
            .name(f"{self.topic}.Envelope")
            .version(2)
            .field("before", self.value_schema)
            .field("after", self.value_schema)
            .field("source", SOURCE_SCHEMA)
            .field("transaction", TRANSACTION_SCHEMA)
            .field("op", SchemaBuilder.string().build())
            .field("ts_ms", SchemaBuilder.int64().optional().build())
            .field("ts_us", SchemaBuilder.int64().optional().build())
            .field("ts_ns", SchemaBuilder.int64().optional().build())
            .build()
        )

    def _convert(self, mapping: ColumnMapping, text: Any) -> Any:
        try:
            return mapping.convert(text)
        except (ValueError, ArithmeticError, IndexError, DataError) as e:
            col = mapping.column
            raise ConnectError(
                f"Cannot convert the value {str(text)[:100]!r} of column "
                f"{self.schema}.{self.table}.{col.name} ({col.type_name or col.type_oid}): {e}. "
                "Leave the column out with column.exclude.list if it cannot be represented."
            ) from e

    def row(self, values: Sequence[Any]) -> Struct:
        # The converters produce each field's type (checked by the tests), so the struct is
        # built without per-field validation: it is the hot path of the connector.
        convert = self._convert
        return Struct.trusted(
            self.value_schema, [convert(m, values[i]) for i, m in self._value_positions]
        )

    def key(self, values: Sequence[Any]) -> Struct | None:
        if self.key_schema is None:
            return None
        convert = self._convert
        return Struct.trusted(
            self.key_schema, [convert(m, values[i]) for i, m in self._key_positions]
        )

    def record(
        self,
        partition: Mapping[str, Any],
        offset: Mapping[str, Any],
        op: str,
        before: Sequence[Any] | None,
        after: Sequence[Any] | None,
        source: Struct,
        key_values: Sequence[Any] | None = None,
    ) -> SourceRecord:
        """One change event; the key comes from ``key_values`` or else the row that has it."""
        now_ns = time.time_ns()
        env = Struct.trusted(
            self.envelope_schema,
            [
                None if before is None else self.row(before),
                None if after is None else self.row(after),
                source,
                None,  # transaction: provide.transaction.metadata is not supported
                op,
                now_ns // 1_000_000,
                now_ns // 1000,
                now_ns,
            ],
        )
        key_from = (
            key_values if key_values is not None else (after if after is not None else before)
        )
        key = None if key_from is None else self.key(key_from)
        return SourceRecord(
            partition,
            offset,
            self.topic,
            None,
            self.key_schema,
            key,
            self.envelope_schema,
            env,
        )

    def tombstone(
        self, partition: Mapping[str, Any], offset: Mapping[str, Any], key_values: Sequence[Any]
    ) -> SourceRecord:
        return SourceRecord(
            partition, offset, self.topic, None, self.key_schema, self.key(key_values), None, None
        )


def build_table_schema(
    prefix: str,
    schema: str,
    table: str,
    columns: Sequence[ColumnInfo],
    key_columns: Sequence[str],
    settings: Any,
) -> TableSchema:
    """A :class:`TableSchema` with the connector's type and column-filter settings applied."""
    mappings: dict[str, ColumnMapping | None] = {}
    included = []
    for col in columns:
        mapping = map_column(col, settings.types)
        if mapping is None:
            log.warning(
                "Column %s.%s.%s has the type %s (oid %d), which the connector does not map: it "
                "is left out of change events, as Debezium leaves it (set "
                "include.unknown.datatypes=true to receive its text as bytes)",
                schema,
                table,
                col.name,
                col.type_name or "?",
                col.type_oid,
            )
        mappings[col.name] = mapping
        included.append(settings.captures_column(schema, table, col.name))
    return TableSchema(prefix, schema, table, columns, key_columns, mappings, included)
