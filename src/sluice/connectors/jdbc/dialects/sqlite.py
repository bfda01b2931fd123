"""SQLite through the standard ``sqlite3`` module.

SQLite keeps dates as text; comparisons go through ``strftime`` so stored values written with or
without fractional seconds, or with a ``T``, compare correctly against the connector's bounds.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.pool import StaticPool

from sluice.api import Schema, Type
from sluice.connectors.jdbc.columns import ColumnInfo, ColumnKind
from sluice.connectors.jdbc.dialects.base import (
    DATE_NAME,
    DECIMAL_NAME,
    TIME_NAME,
    TIMESTAMP_NAME,
    Dialect,
    like_to_regex,
    sorted_tables,
)
from sluice.connectors.jdbc.identifiers import TableId
from sluice.connectors.jdbc.urls import DatabaseKind

__all__ = ["SqliteDialect"]

TEXT_FORMAT = "%Y-%m-%d %H:%M:%f"


class SqliteDialect(Dialect):
    column_family = "SQLite"
    logical_ddl: ClassVar[dict[str, str]] = {
        DECIMAL_NAME: "NUMERIC",
        DATE_NAME: "DATE",
        TIME_NAME: "TIME",
        TIMESTAMP_NAME: "DATETIME",
    }
    type_ddl: ClassVar[dict[Type, str]] = {
        Type.INT8: "INTEGER",
        Type.INT16: "INTEGER",
        Type.INT32: "INTEGER",
        Type.INT64: "INTEGER",
        Type.FLOAT32: "REAL",
        Type.FLOAT64: "REAL",
        Type.BOOLEAN: "INTEGER",
        Type.STRING: "TEXT",
        Type.BYTES: "BLOB",
    }
    kind: ClassVar[DatabaseKind] = DatabaseKind.SQLITE
    quote_char: ClassVar[str] = '"'
    placeholder: ClassVar[str] = "?"
    naive_datetimes: ClassVar[bool] = True
    text_temporals: ClassVar[bool] = True
    text_decimals: ClassVar[bool] = True

    def __init__(
        self,
        quote_identifiers: bool = True,
        default_catalog: str | None = None,
        memory: bool = False,
    ) -> None:
        super().__init__(quote_identifiers, default_catalog)
        self.memory = memory

    def parse_table(self, name: str) -> TableId:
        parts = self._parts(name)
        if len(parts) == 1:
            return TableId(None, None, parts[0])
        return TableId(None, parts[-2], parts[-1])

    def engine_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if self.memory:
            options["poolclass"] = StaticPool  # one in-memory database, shared
        return options

    def list_tables(
        self,
        conn: Connection,
        catalog_pattern: str | None,
        schema_pattern: str | None,
        table_types: Sequence[str],
        all_catalogs: bool,
    ) -> list[TableId]:
        kinds = [t for t in ("table", "view") if t.upper() in {x.upper() for x in table_types}]
        if not kinds:
            return []
        rows = conn.execute(
            text(
                "SELECT name, type FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            )
        ).fetchall()
        tables = [TableId(None, None, r[0]) for r in rows if r[1] in kinds]
        if schema_pattern and not like_to_regex(schema_pattern).fullmatch("main"):
            return []
        return sorted_tables(tables)

    def description_columns(self, cursor: Any) -> list[ColumnInfo]:
        # The description has names only; the querier refines kinds from the first rows.
        return [
            ColumnInfo(name=d[0], kind=ColumnKind.OTHER, nullable=True)
            for d in cursor.description or []
        ]

    def refine_columns(
        self, columns: list[ColumnInfo], rows: Sequence[Sequence[Any]]
    ) -> list[ColumnInfo]:
        """Kinds of a query's columns, guessed from the first non-null value of each."""
        out = []
        for index, col in enumerate(columns):
            if col.kind is not ColumnKind.OTHER:
                out.append(col)
                continue
            sample = next((r[index] for r in rows if r[index] is not None), None)
            kind = ColumnKind.STRING
            if isinstance(sample, bool):
                kind = ColumnKind.BOOLEAN
            elif isinstance(sample, int):
                kind = ColumnKind.INT64
            elif isinstance(sample, float):
                kind = ColumnKind.FLOAT64
            elif isinstance(sample, bytes):
                kind = ColumnKind.BYTES
            out.append(ColumnInfo(name=col.name, kind=kind, nullable=True))
        return out

    def current_time_sql(self) -> str:
        return f"SELECT strftime('{TEXT_FORMAT}', 'now')"

    def timestamp_expression(self, column_sql: str) -> str:
        return f"strftime('{TEXT_FORMAT}', {column_sql})"

    def timestamp_param(self, value: dt.datetime, utc_column: bool, zone: dt.tzinfo) -> Any:
        local = value.astimezone(zone).replace(tzinfo=None)
        return local.strftime("%Y-%m-%d %H:%M:%S.") + f"{local.microsecond // 1000:03d}"

    def open_stream(self, dbapi_connection: Any, sql: str, params: Sequence[Any]) -> Any:
        cursor = dbapi_connection.cursor()  # sqlite3 steps lazily: rows are read as fetched
        cursor.execute(sql, tuple(params))
        return cursor

    # -- DDL ----------------------------------------------------------------------------------

    def default_literal(self, schema: Schema, value: Any) -> str | None:
        if isinstance(value, bool):
            return "1" if value else "0"
        return super().default_literal(schema, value)

    def upsert_sql(self, table: TableId, keys: Sequence[str], others: Sequence[str]) -> str:
        cols = [*keys, *others]
        conflict = ", ".join(self.quote(k) for k in keys)
        base = (
            f"INSERT INTO {self.table_sql(table)} ({', '.join(self.quote(c) for c in cols)}) "
            f"VALUES {self._placeholders(len(cols))} ON CONFLICT ({conflict}) "
        )
        if not others:
            return base + "DO NOTHING"
        return (
            base
            + "DO UPDATE SET "
            + ", ".join(f"{self.quote(c)} = excluded.{self.quote(c)}" for c in others)
        )

    def is_transient(self, error: BaseException) -> bool:
        orig = getattr(error, "orig", None) or error
        if isinstance(orig, sqlite3.OperationalError):
            message = str(orig).lower()
            return "locked" in message or "busy" in message or "unable to open" in message
        return False

    def is_missing_table(self, error: BaseException) -> bool:
        orig = getattr(error, "orig", None) or error
        return isinstance(orig, sqlite3.OperationalError) and "no such table" in str(orig)
