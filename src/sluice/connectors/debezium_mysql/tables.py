"""Table models: read from ``information_schema``, checked against the binlog's table maps.

Debezium keeps its table models by parsing every DDL statement. sluice reads them from
``information_schema`` instead (at the snapshot, and again after each DDL statement that touches
a table), and checks each binlog TABLE_MAP event against the model before decoding rows with it:
with ``binlog_row_metadata=FULL`` the table map names every column, so a model that no longer
matches (the reader is behind a later ``ALTER TABLE``) is detected and replaced by one built from
the table map itself, which describes exactly the rows that follow it. The record schemas are
therefore always those of the rows' own table version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import pymysql  # type: ignore[import-untyped]
import pymysql.cursors  # type: ignore[import-untyped]
from pymysqlreplication.constants import FIELD_TYPE  # type: ignore[import-untyped]

from sluice.api import Schema, SchemaBuilder
from sluice.connectors.debezium_mysql.columns import (
    Column,
    column_from_information_schema,
    field_schema,
)
from sluice.connectors.debezium_mysql.config import Filters, Settings

__all__ = [
    "TableId",
    "TableModel",
    "all_tables",
    "list_tables",
    "matches_table_map",
    "model_from_table_map",
    "read_table",
]


@dataclass(frozen=True, order=True)
class TableId:
    db: str
    table: str

    def __str__(self) -> str:
        return f"{self.db}.{self.table}"

    @property
    def quoted(self) -> str:
        """Debezium's table id in history records: ``"db"."table"``."""
        return f'"{self.db}"."{self.table}"'


@dataclass
class TableModel:
    """One table version: its columns, primary key and (once built) record schemas."""

    id: TableId
    columns: list[Column]
    primary_key: list[str]
    default_charset: str | None = None
    comment: str | None = None
    from_binlog: bool = False
    """Built from a table map (no defaults or comments)."""
    _schemas: dict[str, Any] = field(default_factory=dict, repr=False)

    def captured(self, filters: Filters) -> list[Column]:
        return [
            c
            for c in self.columns
            if c.name in self.primary_key or filters.column(self.id.db, self.id.table, c.name)
        ]

    def schemas(self, s: Settings) -> tuple[Schema | None, Schema]:
        """(key schema, value schema) named as Debezium names them; no key without a PK."""
        cached = self._schemas.get("kv")
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        base = f"{s.topic_prefix}.{self.id.db}.{self.id.table}"
        where = str(self.id)
        value = SchemaBuilder.struct().name(f"{base}.Value").optional()
        for c in self.captured(s.filters):
            value.field(c.name, field_schema(c, s, where))
        key: Schema | None = None
        if self.primary_key:
            kb = SchemaBuilder.struct().name(f"{base}.Key")
            by_name = {c.name: c for c in self.columns}
            for name in self.primary_key:
                kb.field(name, field_schema(by_name[name], s, where))
            key = kb.build()
        result = (key, value.build())
        self._schemas["kv"] = result
        return result


def _dict_cursor(conn: pymysql.Connection) -> pymysql.cursors.DictCursor:
    return conn.cursor(pymysql.cursors.DictCursor)


def all_tables(conn: pymysql.Connection) -> list[TableId]:
    """Every base table of the server, sorted by database and name."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES "
            "WHERE TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, TABLE_NAME"
        )
        rows = cur.fetchall()
    return [TableId(str(db), str(t)) for db, t in rows]


def list_tables(conn: pymysql.Connection, filters: Filters) -> list[TableId]:
    """Base tables the filters capture, sorted by database and name."""
    return [t for t in all_tables(conn) if filters.table(t.db, t.table)]


def read_table(conn: pymysql.Connection, tid: TableId) -> TableModel | None:
    """The table's current model, or ``None`` when it does not exist (any more)."""
    with _dict_cursor(conn) as cur:
        cur.execute(
            "SELECT * FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s "
            "ORDER BY ORDINAL_POSITION",
            (tid.db, tid.table),
        )
        rows = cur.fetchall()
        if not rows:
            return None
        cur.execute(
            "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = %s "
            "AND TABLE_NAME = %s AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION",
            (tid.db, tid.table),
        )
        pk = [str(r["COLUMN_NAME"]) for r in cur.fetchall()]
        cur.execute(
            "SELECT CCSA.CHARACTER_SET_NAME AS cs, T.TABLE_COMMENT AS cm FROM "
            "information_schema.TABLES T LEFT JOIN "
            "information_schema.COLLATION_CHARACTER_SET_APPLICABILITY CCSA "
            "ON CCSA.COLLATION_NAME = T.TABLE_COLLATION "
            "WHERE T.TABLE_SCHEMA = %s AND T.TABLE_NAME = %s",
            (tid.db, tid.table),
        )
        meta = cur.fetchone() or {}
    columns = [column_from_information_schema(r) for r in rows]
    return TableModel(tid, columns, pk, meta.get("cs"), meta.get("cm") or None)


def matches_table_map(model: TableModel, names: Sequence[str | None]) -> bool:
    """Whether a table map's column names are the model's, in order."""
    return [c.name for c in model.columns] == list(names)


_BINLOG_TYPES: Final[dict[int, str]] = {
    FIELD_TYPE.TINY: "TINYINT",
    FIELD_TYPE.SHORT: "SMALLINT",
    FIELD_TYPE.INT24: "MEDIUMINT",
    FIELD_TYPE.LONG: "INT",
    FIELD_TYPE.LONGLONG: "BIGINT",
    FIELD_TYPE.FLOAT: "FLOAT",
    FIELD_TYPE.DOUBLE: "DOUBLE",
    FIELD_TYPE.NEWDECIMAL: "DECIMAL",
    FIELD_TYPE.DATE: "DATE",
    FIELD_TYPE.NEWDATE: "DATE",
    FIELD_TYPE.TIME: "TIME",
    FIELD_TYPE.TIME2: "TIME",
    FIELD_TYPE.DATETIME: "DATETIME",
    FIELD_TYPE.DATETIME2: "DATETIME",
    FIELD_TYPE.TIMESTAMP: "TIMESTAMP",
    FIELD_TYPE.TIMESTAMP2: "TIMESTAMP",
    FIELD_TYPE.YEAR: "YEAR",
    FIELD_TYPE.BIT: "BIT",
    FIELD_TYPE.ENUM: "ENUM",
    FIELD_TYPE.SET: "SET",
    FIELD_TYPE.JSON: "JSON",
}


def _binlog_column(position: int, col: Any, nullable: bool) -> Column:
    t = col.type
    binary = getattr(col, "character_set_name", None) == "binary"
    length: int | None = None
    scale: int | None = None
    enum_values: tuple[str, ...] = ()
    if t in (FIELD_TYPE.VARCHAR, FIELD_TYPE.VAR_STRING):
        base = "VARBINARY" if binary else "VARCHAR"
    elif t == FIELD_TYPE.STRING:
        base = "BINARY" if binary else "CHAR"
    elif t == FIELD_TYPE.BLOB:
        base = "BLOB" if binary else "TEXT"
    else:
        base = _BINLOG_TYPES.get(t, f"TYPE#{t}")
    if base == "DECIMAL":
        length, scale = col.precision, col.decimals
    elif base in ("DATETIME", "TIMESTAMP", "TIME"):
        length = getattr(col, "fsp", 0) or None
    elif base == "BIT":
        length = col.bits
    elif base == "FLOAT":
        length = None
    if base == "ENUM":
        enum_values = tuple(v for v in (col.enum_values or [])[1:])
    elif base == "SET":
        enum_values = tuple(col.set_values or ())
    return Column(
        name=col.name,
        position=position,
        base_type=base,
        unsigned=bool(getattr(col, "unsigned", False)),
        length=length,
        scale=scale,
        optional=nullable,
        enum_values=enum_values,
        charset=getattr(col, "character_set_name", None),
    )


def model_from_table_map(tid: TableId, columns: Sequence[Any], null_bitmask: bytes) -> TableModel:
    """A model from a TABLE_MAP event (``binlog_row_metadata=FULL``): exact for the rows that
    follow it, without defaults or comments (those need the catalogue)."""
    cols = [
        _binlog_column(i + 1, c, bool(null_bitmask[i // 8] & (1 << (i % 8))))
        for i, c in enumerate(columns)
    ]
    pk = [c.name for c in columns if getattr(c, "is_primary", False)]
    return TableModel(tid, cols, pk, from_binlog=True)
