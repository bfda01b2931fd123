"""PostgreSQL through psycopg 3: named (server-side) cursors to read, COPY to write."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
from collections.abc import Sequence
from typing import Any, ClassVar, Final

import psycopg
from psycopg.types.string import TextLoader
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from sluice.api import Type
from sluice.connectors.jdbc.columns import ColumnInfo, ColumnKind
from sluice.connectors.jdbc.dialects.base import (
    DATE_NAME,
    DECIMAL_NAME,
    TIME_NAME,
    TIMESTAMP_NAME,
    Dialect,
    sorted_tables,
)
from sluice.connectors.jdbc.identifiers import TableId
from sluice.connectors.jdbc.urls import DatabaseKind

__all__ = ["PostgresDialect", "copy_types"]

FETCH_SIZE: Final = 5000

_COPY_TYPES: Final[dict[type, str]] = {
    int: "int8",
    str: "text",
    decimal.Decimal: "numeric",
    float: "float8",
    bool: "bool",
    dt.date: "date",
    bytes: "bytea",
}
"""Text-format COPY dumpers by a value's exact type: each writes what psycopg's own choice for
that type writes (the server parses the text by the target column's type either way)."""
_NONE: Final = type(None)


def copy_types(rows: Sequence[Sequence[Any]]) -> list[str] | None:
    """The type names for ``Copy.set_types`` when every column of ``rows`` holds values of one
    exact type from :data:`_COPY_TYPES` (or datetimes all naive or all aware) besides NULLs;
    None when any column is mixed or of another type (psycopg then picks a dumper per value).

    Fixed dumpers spare psycopg the lookup of a dumper for every value, a third of its work.
    """
    if not rows:
        return None
    names: list[str] = []
    for column in zip(*rows, strict=True):
        found = set(map(type, column))
        found.discard(_NONE)
        if not found:
            names.append("text")  # only NULLs: the dumper is never called
            continue
        if len(found) > 1:
            return None
        (kind,) = found
        name = _COPY_TYPES.get(kind)
        if name is None:
            if kind is not dt.datetime:
                return None
            naive = {v.tzinfo is None for v in column if v is not None}
            if len(naive) != 1:
                return None
            name = "timestamp" if naive.pop() else "timestamptz"
        names.append(name)
    return names


_OIDS: Final[dict[int, ColumnKind]] = {
    16: ColumnKind.BOOLEAN,
    20: ColumnKind.INT64,
    21: ColumnKind.INT16,
    23: ColumnKind.INT32,
    26: ColumnKind.INT64,
    700: ColumnKind.FLOAT32,
    701: ColumnKind.FLOAT64,
    1700: ColumnKind.DECIMAL,
    790: ColumnKind.DECIMAL,
    25: ColumnKind.STRING,
    1043: ColumnKind.STRING,
    1042: ColumnKind.STRING,
    18: ColumnKind.STRING,
    19: ColumnKind.STRING,
    17: ColumnKind.BYTES,
    1082: ColumnKind.DATE,
    1083: ColumnKind.TIME,
    1266: ColumnKind.TIME,
    1114: ColumnKind.TIMESTAMP,
    1184: ColumnKind.TIMESTAMP,
    2950: ColumnKind.UUID,
    114: ColumnKind.JSON,
    3802: ColumnKind.JSON,
}

_TRANSIENT_CLASSES: Final = ("08", "40", "53", "57", "58")

_TABLE_TYPES: Final = {
    "TABLE": ("BASE TABLE",),
    "VIEW": ("VIEW",),
    "FOREIGN TABLE": ("FOREIGN",),
    "PARTITIONED TABLE": ("BASE TABLE",),
}


class PostgresDialect(Dialect):
    column_family = "PostgreSQL"
    logical_ddl: ClassVar[dict[str, str]] = {
        DECIMAL_NAME: "DECIMAL",
        DATE_NAME: "DATE",
        TIME_NAME: "TIME",
        TIMESTAMP_NAME: "TIMESTAMP",
    }
    type_ddl: ClassVar[dict[Type, str]] = {
        Type.INT8: "SMALLINT",
        Type.INT16: "SMALLINT",
        Type.INT32: "INT",
        Type.INT64: "BIGINT",
        Type.FLOAT32: "REAL",
        Type.FLOAT64: "DOUBLE PRECISION",
        Type.BOOLEAN: "BOOLEAN",
        Type.STRING: "TEXT",
        Type.BYTES: "BYTEA",
    }
    kind: ClassVar[DatabaseKind] = DatabaseKind.POSTGRESQL
    quote_char: ClassVar[str] = '"'
    placeholder: ClassVar[str] = "%s"
    system_schemas: ClassVar[frozenset[str]] = frozenset({"pg_catalog", "information_schema"})

    def parse_table(self, name: str) -> TableId:
        parts = self._parts(name)
        if len(parts) == 1:
            return TableId(None, None, parts[0])
        if len(parts) == 2:
            return TableId(None, parts[0], parts[1])
        return TableId(parts[-3], parts[-2], parts[-1])

    def table_sql(self, table: TableId) -> str:
        # The database is fixed by the connection; a catalog part would be rejected by the server.
        parts = [p for p in (table.schema, table.table) if p]
        return ".".join(self.quote(p) for p in parts)

    def prepare_connection(self, dbapi_connection: Any) -> None:
        # JSON must reach records as the text the database holds, not as parsed Python objects.
        for name in ("json", "jsonb"):
            dbapi_connection.adapters.register_loader(name, TextLoader)
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        try:
            dbapi_connection.execute("SET TIME ZONE 'UTC'")
        finally:
            dbapi_connection.autocommit = autocommit

    def list_tables(
        self,
        conn: Connection,
        catalog_pattern: str | None,
        schema_pattern: str | None,
        table_types: Sequence[str],
        all_catalogs: bool,
    ) -> list[TableId]:
        wanted = sorted({t for tt in table_types for t in _TABLE_TYPES.get(tt.upper(), ())})
        if not wanted:
            return []
        sql = (
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type IN :types AND table_schema NOT IN ('pg_catalog', "
            "'information_schema') AND table_schema NOT LIKE 'pg\\_temp\\_%' "
            "AND table_schema NOT LIKE 'pg\\_toast%'"
        )
        params: dict[str, Any] = {"types": tuple(wanted)}
        if schema_pattern:
            sql += " AND table_schema LIKE :schema"
            params["schema"] = schema_pattern
        if catalog_pattern:
            sql += " AND table_catalog LIKE :catalog"
            params["catalog"] = catalog_pattern
        stmt = text(sql).bindparams(bindparam("types", expanding=True))
        rows = conn.execute(stmt, params).fetchall()
        return sorted_tables(TableId(None, r[0], r[1]) for r in rows)

    def description_columns(self, cursor: Any) -> list[ColumnInfo]:
        out = []
        for col in cursor.description or []:
            kind = _OIDS.get(col.type_code, ColumnKind.OTHER)
            precision = scale = None
            if kind is ColumnKind.DECIMAL:
                precision, scale = col.precision, col.scale
                if col.type_code == 790:  # money
                    precision, scale = 19, 2
            out.append(
                ColumnInfo(
                    name=col.name,
                    kind=kind,
                    nullable=True,
                    precision=precision,
                    scale=scale,
                    utc=col.type_code == 1184,
                    type_name=str(col.type_code),
                )
            )
        return out

    def current_time_sql(self) -> str:
        return "SELECT CURRENT_TIMESTAMP"

    def open_stream(self, dbapi_connection: Any, sql: str, params: Sequence[Any]) -> Any:
        cursor = dbapi_connection.cursor(name="sluice_stream")
        cursor.itersize = FETCH_SIZE
        cursor.execute(sql, list(params) or None)
        return cursor

    # -- DDL ----------------------------------------------------------------------------------

    def upsert_sql(self, table: TableId, keys: Sequence[str], others: Sequence[str]) -> str:
        cols = [*keys, *others]
        conflict = ", ".join(self.quote(k) for k in keys)
        base = (
            f"INSERT INTO {self.table_sql(table)} ({', '.join(self.quote(c) for c in cols)}) "
            f"VALUES {self._placeholders(len(cols))} ON CONFLICT ({conflict}) "
        )
        if not others:
            return base + "DO NOTHING"
        sets = ", ".join(f"{self.quote(c)} = EXCLUDED.{self.quote(c)}" for c in others)
        return base + f"DO UPDATE SET {sets}"

    # -- fast paths ---------------------------------------------------------------------------
    def _copy(
        self, cursor: Any, target: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        cols = ", ".join(self.quote(c) for c in columns)
        types = copy_types(rows)
        with cursor.copy(f"COPY {target} ({cols}) FROM STDIN") as copy:
            if types is not None:
                copy.set_types(types)
            write = copy.write_row
            for row in rows:
                write(row)

    def write_inserts(
        self,
        dbapi_connection: Any,
        table: TableId,
        columns: Sequence[str],
        rows: list[tuple[Any, ...]],
    ) -> None:
        with dbapi_connection.cursor() as cur:
            self._copy(cur, self.table_sql(table), columns, rows)

    def write_upserts(
        self,
        dbapi_connection: Any,
        table: TableId,
        keys: Sequence[str],
        others: Sequence[str],
        rows: list[tuple[Any, ...]],
    ) -> None:
        """COPY into a session-temporary staging table, then one INSERT ... ON CONFLICT."""
        cols = [*keys, *others]
        target = self.table_sql(table)
        digest = hashlib.sha1((target + "|" + "|".join(cols)).encode()).hexdigest()[:16]
        stage = f"sluice_stage_{digest}"
        col_list = ", ".join(self.quote(c) for c in cols)
        with dbapi_connection.cursor() as cur:
            cur.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
                f"SELECT {col_list} FROM {target} WITH NO DATA"
            )
            self._copy(cur, stage, cols, rows)
            conflict = ", ".join(self.quote(k) for k in keys)
            sql = (
                f"INSERT INTO {target} ({col_list}) SELECT {col_list} FROM {stage} "
                f"ON CONFLICT ({conflict}) "
            )
            if others:
                sql += "DO UPDATE SET " + ", ".join(
                    f"{self.quote(c)} = EXCLUDED.{self.quote(c)}" for c in others
                )
            else:
                sql += "DO NOTHING"
            cur.execute(sql)
            cur.execute(f"TRUNCATE {stage}")

    # -- errors -------------------------------------------------------------------------------
    def is_transient(self, error: BaseException) -> bool:
        orig = getattr(error, "orig", None) or error
        if isinstance(orig, psycopg.errors.UndefinedTable):
            return False
        state = getattr(orig, "sqlstate", None)
        if state:
            return str(state)[:2] in _TRANSIENT_CLASSES
        return isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError)

    def is_missing_table(self, error: BaseException) -> bool:
        orig = getattr(error, "orig", None) or error
        return getattr(orig, "sqlstate", None) == "42P01"
