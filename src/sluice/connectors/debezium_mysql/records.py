"""Debezium's record shapes: change events, tombstones, schema changes and heartbeats.

Schema names, versions, field order and optionality follow Debezium 3.6's ``SchemaFactory``,
``Envelope``, ``BinlogSourceInfoStructMaker`` and ``ConnectTableChangeSerializer``, so that a
consumer of Debezium's topics reads sluice's without change.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from sluice.api import Schema, SchemaBuilder, SourceRecord, Struct
from sluice.connectors.debezium.heartbeat import heartbeat_record
from sluice.connectors.debezium_mysql.columns import Column, convert
from sluice.connectors.debezium_mysql.config import Settings
from sluice.connectors.debezium_mysql.tables import TableModel

__all__ = [
    "DEBEZIUM_VERSION",
    "RecordFactory",
    "SourcePosition",
]

DEBEZIUM_VERSION: Final = "3.6.1.Final"
"""The Debezium release whose records these are (``source.version``)."""

SNAPSHOT_VALUES: Final = (
    "true",
    "first",
    "first_in_data_collection",
    "last_in_data_collection",
    "last",
    "false",
    "incremental",
)


def _enum(values: tuple[str, ...]) -> SchemaBuilder:
    return (
        SchemaBuilder.string()
        .name("io.debezium.data.Enum")
        .version(1)
        .parameter("allowed", ",".join(values))
    )


def source_schema(connector: str) -> Schema:
    """``io.debezium.connector.<mysql|mariadb>.Source``."""
    return (
        SchemaBuilder.struct()
        .name(f"io.debezium.connector.{connector}.Source")
        .version(1)
        .field("version", Schema.STRING_SCHEMA)
        .field("connector", Schema.STRING_SCHEMA)
        .field("name", Schema.STRING_SCHEMA)
        .field("ts_ms", Schema.INT64_SCHEMA)
        .field("snapshot", _enum(SNAPSHOT_VALUES).default_value("false").optional().build())
        .field("db", Schema.STRING_SCHEMA)
        .field("sequence", Schema.OPTIONAL_STRING_SCHEMA)
        .field("ts_us", Schema.OPTIONAL_INT64_SCHEMA)
        .field("ts_ns", Schema.OPTIONAL_INT64_SCHEMA)
        .field("table", Schema.OPTIONAL_STRING_SCHEMA)
        .field("server_id", Schema.INT64_SCHEMA)
        .field("gtid", Schema.OPTIONAL_STRING_SCHEMA)
        .field("file", Schema.STRING_SCHEMA)
        .field("pos", Schema.INT64_SCHEMA)
        .field("row", Schema.INT32_SCHEMA)
        .field("thread", Schema.OPTIONAL_INT64_SCHEMA)
        .field("query", Schema.OPTIONAL_STRING_SCHEMA)
        .build()
    )


TRANSACTION_SCHEMA: Final = (
    SchemaBuilder.struct()
    .optional()
    .name("event.block")
    .version(1)
    .field("id", Schema.STRING_SCHEMA)
    .field("total_order", Schema.INT64_SCHEMA)
    .field("data_collection_order", Schema.INT64_SCHEMA)
    .build()
)


def _history_column_schema() -> Schema:
    return (
        SchemaBuilder.struct()
        .name("io.debezium.connector.schema.Column")
        .version(1)
        .field("name", Schema.STRING_SCHEMA)
        .field("jdbcType", Schema.INT32_SCHEMA)
        .field("nativeType", Schema.OPTIONAL_INT32_SCHEMA)
        .field("typeName", Schema.STRING_SCHEMA)
        .field("typeExpression", Schema.OPTIONAL_STRING_SCHEMA)
        .field("charsetName", Schema.OPTIONAL_STRING_SCHEMA)
        .field("length", Schema.OPTIONAL_INT32_SCHEMA)
        .field("scale", Schema.OPTIONAL_INT32_SCHEMA)
        .field("position", Schema.INT32_SCHEMA)
        .field("optional", Schema.OPTIONAL_BOOLEAN_SCHEMA)
        .field("autoIncremented", Schema.OPTIONAL_BOOLEAN_SCHEMA)
        .field("generated", Schema.OPTIONAL_BOOLEAN_SCHEMA)
        .field("comment", Schema.OPTIONAL_STRING_SCHEMA)
        .field("defaultValueExpression", Schema.OPTIONAL_STRING_SCHEMA)
        .field("enumValues", SchemaBuilder.array(Schema.STRING_SCHEMA).optional().build())
        .build()
    )


HISTORY_COLUMN_SCHEMA: Final = _history_column_schema()
HISTORY_TABLE_SCHEMA: Final = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.schema.Table")
    .version(1)
    .field("defaultCharsetName", Schema.OPTIONAL_STRING_SCHEMA)
    .field("primaryKeyColumnNames", SchemaBuilder.array(Schema.STRING_SCHEMA).optional().build())
    .field("columns", SchemaBuilder.array(HISTORY_COLUMN_SCHEMA).build())
    .field("comment", Schema.OPTIONAL_STRING_SCHEMA)
    .optional()
    .build()
)
HISTORY_CHANGE_SCHEMA: Final = (
    SchemaBuilder.struct()
    .name("io.debezium.connector.schema.Change")
    .version(1)
    .field("type", Schema.STRING_SCHEMA)
    .field("id", Schema.STRING_SCHEMA)
    .field("table", HISTORY_TABLE_SCHEMA)
    .build()
)


@dataclass
class SourcePosition:
    """Where an event is in the binlog, for ``source`` (not the restart offset)."""

    file: str
    pos: int
    row: int = 0
    server_id: int = 0
    gtid: str | None = None
    thread: int | None = None
    ts_ms: int = 0
    snapshot: str | None = None
    """``true``/``first``/``last``... during the snapshot, ``None`` while streaming."""


def _column_dict(c: Column) -> dict[str, Any]:
    """A column as Debezium's JSON table change serializer writes it (history topic)."""
    out: dict[str, Any] = {
        "name": c.name,
        "jdbcType": c.jdbc_type,
        "typeName": c.type_name,
        "typeExpression": c.type_expression,
        "charsetName": c.charset,
        "position": c.position,
        "optional": c.optional,
        "autoIncremented": c.auto_increment,
        "generated": c.generated,
        "comment": c.comment,
        "hasDefaultValue": c.has_default,
        "enumValues": c.quoted_enum_values,
    }
    if c.length is not None:
        out["length"] = c.length
    if c.scale is not None:
        out["scale"] = c.scale
    if c.default_expression is not None:
        out["defaultValueExpression"] = c.default_expression
    return out


def table_change_dict(kind: str, model: TableModel, with_table: bool = True) -> dict[str, Any]:
    """One entry of ``tableChanges`` in the history topic's JSON (a ``DROP`` carries only the
    id, as Debezium writes it)."""
    if not with_table or kind == "DROP":
        return {"type": kind, "id": model.id.quoted}
    table: dict[str, Any] = {
        "defaultCharsetName": model.default_charset,
        "primaryKeyColumnNames": list(model.primary_key),
        "columns": [_column_dict(c) for c in model.columns],
        "attributes": [],
    }
    if model.comment is not None:
        table["comment"] = model.comment
    return {"type": kind, "id": model.id.quoted, "table": table, "comment": None}


def _table_change_struct(kind: str, model: TableModel, with_table: bool = True) -> Struct:
    if not with_table or kind == "DROP":
        return Struct(HISTORY_CHANGE_SCHEMA).put("type", kind).put("id", model.id.quoted)
    columns = []
    for c in model.columns:
        st = Struct(HISTORY_COLUMN_SCHEMA)
        st.put("name", c.name).put("jdbcType", c.jdbc_type).put("typeName", c.type_name)
        st.put("typeExpression", c.type_expression).put("charsetName", c.charset)
        st.put("length", c.length).put("scale", c.scale).put("position", c.position)
        st.put("optional", c.optional).put("autoIncremented", c.auto_increment)
        st.put("generated", c.generated).put("comment", c.comment)
        st.put("defaultValueExpression", c.default_expression)
        st.put("enumValues", c.quoted_enum_values if c.enum_values else None)
        columns.append(st)
    table = Struct(HISTORY_TABLE_SCHEMA)
    table.put("defaultCharsetName", model.default_charset)
    table.put("primaryKeyColumnNames", list(model.primary_key))
    table.put("columns", columns).put("comment", model.comment)
    change = Struct(HISTORY_CHANGE_SCHEMA)
    return change.put("type", kind).put("id", model.id.quoted).put("table", table)


class RecordFactory:
    """Builds the connector's records; one per task (it caches schemas per table version)."""

    def __init__(self, settings: Settings, connector: str) -> None:
        self.s = settings
        self.connector = connector
        """``mysql`` or ``mariadb``: names the source and schema change schemas."""
        self.partition: Final[dict[str, Any]] = {"server": settings.topic_prefix}
        self.source_schema = source_schema(connector)
        self.change_key_schema = (
            SchemaBuilder.struct()
            .name(f"io.debezium.connector.{connector}.SchemaChangeKey")
            .version(1)
            .field("databaseName", Schema.STRING_SCHEMA)
            .build()
        )
        self.change_value_schema = (
            SchemaBuilder.struct()
            .name(f"io.debezium.connector.{connector}.SchemaChangeValue")
            .version(1)
            .field("source", self.source_schema)
            .field("ts_ms", Schema.INT64_SCHEMA)
            .field("databaseName", Schema.OPTIONAL_STRING_SCHEMA)
            .field("schemaName", Schema.OPTIONAL_STRING_SCHEMA)
            .field("ddl", Schema.OPTIONAL_STRING_SCHEMA)
            .field("tableChanges", SchemaBuilder.array(HISTORY_CHANGE_SCHEMA).build())
            .build()
        )

    # -- pieces -----------------------------------------------------------------------------------
    def source(self, pos: SourcePosition, db: str, table: str | None) -> Struct:
        now = time.time_ns()
        ts_ns = pos.ts_ms * 1_000_000 if pos.ts_ms else now
        st = Struct(self.source_schema)
        st.put("version", DEBEZIUM_VERSION).put("connector", self.connector)
        st.put("name", self.s.topic_prefix).put("ts_ms", ts_ns // 1_000_000)
        st.put("ts_us", ts_ns // 1000).put("ts_ns", ts_ns)
        if pos.snapshot is not None:
            st.put("snapshot", pos.snapshot)
        st.put("db", db).put("table", table).put("server_id", pos.server_id)
        st.put("gtid", pos.gtid).put("file", pos.file).put("pos", pos.pos).put("row", pos.row)
        st.put("thread", pos.thread)
        return st

    def envelope_schema(self, model: TableModel) -> Schema:
        cached = model._schemas.get("envelope")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        _, value_schema = model.schemas(self.s)
        base = f"{self.s.topic_prefix}.{model.id.db}.{model.id.table}"
        schema = (
            SchemaBuilder.struct()
            .name(f"{base}.Envelope")
            .version(2)
            .field("before", value_schema)
            .field("after", value_schema)
            .field("source", self.source_schema)
            .field("transaction", TRANSACTION_SCHEMA)
            .field("op", Schema.STRING_SCHEMA)
            .field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA)
            .field("ts_us", Schema.OPTIONAL_INT64_SCHEMA)
            .field("ts_ns", Schema.OPTIONAL_INT64_SCHEMA)
            .build()
        )
        model._schemas["envelope"] = schema
        return schema

    def topic(self, model: TableModel) -> str:
        return f"{self.s.topic_prefix}.{model.id.db}.{model.id.table}"

    def _row_struct(self, model: TableModel, row: Mapping[str, Any], read: bool) -> Struct:
        _, value_schema = model.schemas(self.s)
        by_name = {c.name: c for c in model.columns}
        values = [
            convert(by_name[f.name], row.get(f.name), self.s, read) for f in value_schema.fields
        ]
        st = Struct(value_schema)
        for f, v in zip(value_schema.fields, values, strict=True):
            st.put(f, v)
        return st

    def _key_struct(
        self, model: TableModel, row: Mapping[str, Any], read: bool = False
    ) -> Struct | None:
        key_schema, _ = model.schemas(self.s)
        if key_schema is None:
            return None
        by_name = {c.name: c for c in model.columns}
        st = Struct(key_schema)
        for f in key_schema.fields:
            st.put(f, convert(by_name[f.name], row.get(f.name), self.s, read))
        return st

    def key(self, model: TableModel, row: Mapping[str, Any]) -> Struct | None:
        """The record key of ``row`` (``None`` without a primary key), with its values as the
        binlog gives them (the incremental snapshot matches read rows to streamed changes)."""
        return self._key_struct(model, row)

    # -- records ----------------------------------------------------------------------------------
    def change(
        self,
        op: str,
        model: TableModel,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
        pos: SourcePosition,
        offset: Mapping[str, Any],
    ) -> list[SourceRecord]:
        """The change event for one row (and its tombstone after a delete); ``op`` ``r``: a row
        a snapshot's query read."""
        read = op == "r"
        envelope = self.envelope_schema(model)
        key_schema, _ = model.schemas(self.s)
        now = time.time_ns()
        value = Struct(envelope)
        if before is not None:
            value.put("before", self._row_struct(model, before, read))
        if after is not None:
            value.put("after", self._row_struct(model, after, read))
        value.put("source", self.source(pos, model.id.db, model.id.table))
        value.put("op", op).put("ts_ms", now // 1_000_000).put("ts_us", now // 1000)
        value.put("ts_ns", now)
        key = self._key_struct(model, after if after is not None else before or {}, read)
        topic = self.topic(model)
        out = [
            SourceRecord(
                self.partition,
                dict(offset),
                topic,
                None,
                key_schema,
                key,
                envelope,
                value,
                pos.ts_ms or now // 1_000_000,
            )
        ]
        if op == "d" and self.s.tombstones:
            out.append(
                SourceRecord(
                    self.partition,
                    dict(offset),
                    topic,
                    None,
                    key_schema,
                    key,
                    None,
                    None,
                    pos.ts_ms or now // 1_000_000,
                )
            )
        return out

    def schema_change(
        self,
        db: str,
        ddl: str,
        changes: list[tuple[str, TableModel]],
        pos: SourcePosition,
        offset: Mapping[str, Any],
        table: str | None,
        with_tables: bool = True,
    ) -> SourceRecord:
        """A record on the schema change topic (``topic.prefix``), keyed by database name;
        ``ts_ms`` is when it was made, as Debezium's."""
        key = Struct(self.change_key_schema).put("databaseName", db)
        value = Struct(self.change_value_schema)
        value.put("source", self.source(pos, db, table))
        value.put("ts_ms", time.time_ns() // 1_000_000)
        value.put("databaseName", db).put("ddl", ddl)
        value.put("tableChanges", [_table_change_struct(k, m, with_tables) for k, m in changes])
        return SourceRecord(
            self.partition,
            dict(offset),
            self.s.topic_prefix,
            0,
            self.change_key_schema,
            key,
            self.change_value_schema,
            value,
            pos.ts_ms or None,
        )

    def heartbeat(self, offset: Mapping[str, Any]) -> SourceRecord:
        return heartbeat_record(
            self.partition, dict(offset), self.s.heartbeat_topic, self.s.topic_prefix, stamped=True
        )
