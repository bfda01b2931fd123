"""The PostgreSQL side of incremental snapshots: chunk queries, watermarks, read events.

The shared algorithm is in :mod:`sluice.connectors.debezium.incremental_snapshot`; this reads the
chunks on the task's catalogue connection (autocommit, so the watermark inserts are committed
around each chunk query as Debezium commits them) with the columns cast to text as the initial
snapshot reads them, so that read events and streamed changes go through the same converters.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from sluice.api import SourceRecord, Struct
from sluice.connectors.debezium.incremental_snapshot import (
    SIGNAL_DATA_COLLECTION,
    chunk_query,
    max_key_query,
)
from sluice.connectors.debezium.postgres_catalog import (
    list_tables,
    quote_ident,
    table_columns,
    table_oid,
)
from sluice.connectors.debezium.postgres_config import PostgresSettings
from sluice.connectors.debezium.postgres_records import (
    SourcePosition,
    TableSchema,
    build_table_schema,
    source_struct,
)
from sluice.connectors.debezium.postgres_snapshot import as_text

__all__ = ["PostgresChunkSource"]

log = logging.getLogger(__name__)


def _split(table: str) -> tuple[str, str]:
    schema, _, name = table.partition(".")
    return schema, name


def _qualified(table: str) -> str:
    schema, name = _split(table)
    return f"{quote_ident(schema)}.{quote_ident(name)}"


class PostgresChunkSource:
    """:class:`~sluice.connectors.debezium.incremental_snapshot.ChunkSource` for PostgreSQL."""

    def __init__(
        self,
        settings: PostgresSettings,
        connection: Callable[[], Any],
        partition: Mapping[str, Any],
    ) -> None:
        self._s = settings
        self._connection = connection
        """The task's current catalogue connection (it is replaced after a reconnect)."""
        self._partition = partition
        self._schemas: dict[str, TableSchema] = {}

    def _cursor(self) -> Any:
        conn = self._connection()
        if conn is None:
            raise ConnectionError("not connected to PostgreSQL")
        return conn.cursor()

    def captured_tables(self) -> list[str]:
        cur = self._cursor()
        try:
            return [f"{t.schema}.{t.table}" for t in list_tables(cur, self._s)]
        finally:
            cur.close()

    def primary_key(self, table: str) -> list[str] | None:
        schema, name = _split(table)
        if not name or not self._s.captures_table(schema, name):
            return None
        cur = self._cursor()
        try:
            oid = table_oid(cur, schema, name)
            if oid is None:
                return None
            columns, key = table_columns(cur, oid)
        finally:
            cur.close()
        # Read again for every chunk: an ALTER TABLE between chunks changes the rows' shape.
        self._schemas[table] = build_table_schema(
            self._s.topic_prefix, schema, name, columns, key, self._s
        )
        return key

    def max_key(self, table: str, key: list[str], condition: str) -> list[Any] | None:
        cur = self._cursor()
        try:
            cur.execute(max_key_query(quote_ident, _qualified(table), key, condition))
            row = cur.fetchone()
        finally:
            cur.close()
        return None if row is None else list(row)

    def chunk(
        self,
        table: str,
        key: list[str],
        after: list[Any] | None,
        maximum: list[Any],
        limit: int,
        condition: str,
    ) -> list[tuple[list[Any], Any]]:
        schema = self._schemas[table]
        keys = ", ".join(quote_ident(k) for k in key)
        # the key columns come first (as values, then again within the row's text)
        columns = f"{keys}, " + (", ".join(as_text(c) for c in schema.columns) or "NULL")
        sql, params = chunk_query(
            quote_ident, _qualified(table), columns, key, after, maximum, limit, condition
        )
        cur = self._cursor()
        try:
            cur.execute(sql, params)
            rows = cur.fetchall()
        finally:
            cur.close()
        n = len(key)
        return [(list(r[:n]), tuple(r[n:])) for r in rows]

    def row_key(self, table: str, row: Any) -> Struct | None:
        return self._schemas[table].key(row)

    def read_record(self, table: str, row: Any, at: SourceRecord) -> SourceRecord:
        schema = self._schemas[table]
        source = at.value.get("source")
        commit: int | None = None
        try:
            first = json.loads(source.get("sequence") or "[]")[0]
            commit = None if first is None else int(first)
        except (ValueError, IndexError, TypeError):
            commit = None
        pos = SourcePosition(
            schema.schema,
            schema.table,
            dt.datetime.now(dt.UTC),
            "incremental",
            source.get("txId"),
            source.get("lsn"),
            commit,
        )
        record: SourceRecord = schema.record(
            self._partition,
            dict(at.source_offset or {}),
            "r",
            None,
            row,
            source_struct(self._s.topic_prefix, self._s.dbname, pos),
        )
        return record

    def insert_signal(self, signal_id: str, signal_type: str, data: str) -> None:
        table = self._s.signal_data_collection
        if table is None:
            raise ValueError(f"{SIGNAL_DATA_COLLECTION} is not set")
        cur = self._cursor()
        try:
            cur.execute(
                f"INSERT INTO {_qualified(table)} VALUES (%s, %s, %s)",
                (signal_id, signal_type, data),
            )
        finally:
            cur.close()
