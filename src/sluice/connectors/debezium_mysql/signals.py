"""The MySQL/MariaDB side of incremental snapshots: chunk queries, watermarks, read events.

The shared algorithm is in :mod:`sluice.connectors.debezium.incremental_snapshot`. Chunks are read
on a connection of their own (autocommit: each watermark insert is committed before, and after,
the chunk query, so the binlog orders them around it), and rows come as PyMySQL returns them, as
in the initial snapshot, so read events and streamed changes share the converters.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

import pymysql  # type: ignore[import-untyped]

from sluice.api import SourceRecord, Struct
from sluice.connectors.debezium.incremental_snapshot import (
    SIGNAL_DATA_COLLECTION,
    chunk_query,
    max_key_query,
)
from sluice.connectors.debezium_mysql.records import RecordFactory, SourcePosition
from sluice.connectors.debezium_mysql.snapshot import quote
from sluice.connectors.debezium_mysql.tables import TableId, TableModel, list_tables, read_table

__all__ = ["MySqlChunkSource"]

log = logging.getLogger(__name__)


def _table_id(table: str) -> TableId:
    db, _, name = table.partition(".")
    return TableId(db, name)


def _qualified(tid: TableId) -> str:
    return f"{quote(tid.db)}.{quote(tid.table)}"


class MySqlChunkSource:
    """:class:`~sluice.connectors.debezium.incremental_snapshot.ChunkSource` for MySQL and
    MariaDB."""

    def __init__(self, records: RecordFactory, connect: Callable[[], pymysql.Connection]) -> None:
        self._records = records
        self._connect = connect
        self._conn: pymysql.Connection | None = None
        self._models: dict[str, TableModel] = {}

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # already broken: nothing to release
                self._conn.close()
            self._conn = None

    def _connection(self) -> pymysql.Connection:
        if self._conn is None or not self._conn.open:
            self.close()
            self._conn = self._connect()
        return self._conn

    def _run(self, sql: str, params: Any = None) -> list[tuple[Any, ...]]:
        """One statement; a failed connection is dropped so that the next chunk reconnects."""
        conn = self._connection()
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return list(cur.fetchall() or [])
        except (pymysql.err.OperationalError, pymysql.err.InterfaceError):
            self.close()
            raise

    def captured_tables(self) -> list[str]:
        return [str(t) for t in list_tables(self._connection(), self._records.s.filters)]

    def primary_key(self, table: str) -> list[str] | None:
        tid = _table_id(table)
        if not tid.table or not self._records.s.filters.table(tid.db, tid.table):
            return None
        model = read_table(self._connection(), tid)  # again per chunk: it may have changed
        if model is None:
            return None
        self._models[table] = model
        return list(model.primary_key)

    def max_key(self, table: str, key: list[str], condition: str) -> list[Any] | None:
        query = max_key_query(quote, _qualified(_table_id(table)), key, condition)
        rows = self._run(query)
        return list(rows[0]) if rows else None

    def chunk(
        self,
        table: str,
        key: list[str],
        after: list[Any] | None,
        maximum: list[Any],
        limit: int,
        condition: str,
    ) -> list[tuple[list[Any], Any]]:
        model = self._models[table]
        names = [c.name for c in model.columns]
        # the key columns come first (ordered by position), then the whole row
        columns = ", ".join(quote(n) for n in [*key, *names])
        sql, params = chunk_query(
            quote, _qualified(model.id), columns, key, after, maximum, limit, condition
        )
        n = len(key)
        return [(list(r[:n]), dict(zip(names, r[n:], strict=True))) for r in self._run(sql, params)]

    def row_key(self, table: str, row: Any) -> Struct | None:
        return self._records.key(self._models[table], row)

    def read_record(self, table: str, row: Any, at: SourceRecord) -> SourceRecord:
        source = at.value.get("source")
        pos = SourcePosition(
            file=str(source.get("file")),
            pos=int(source.get("pos")),
            row=int(source.get("row") or 0),
            server_id=int(source.get("server_id") or 0),
            gtid=source.get("gtid"),
            thread=source.get("thread"),
            snapshot="incremental",
        )
        offset = dict(at.source_offset or {})
        return self._records.change("r", self._models[table], None, row, pos, offset)[0]

    def insert_signal(self, signal_id: str, signal_type: str, data: str) -> None:
        table = self._records.s.signal_data_collection
        if table is None:
            raise ValueError(f"{SIGNAL_DATA_COLLECTION} is not set")
        self._run(
            f"INSERT INTO {_qualified(TableId(*table))} VALUES (%s, %s, %s)",
            (signal_id, signal_type, data),
        )
