"""MySQL and MariaDB through PyMySQL: unbuffered cursors to read, multi-row INSERTs to write.

Sessions run in UTC (``time_zone = '+00:00'``) so ``TIMESTAMP`` columns, which MySQL stores as
instants, come back as UTC wall-clock values; ``DATETIME`` columns hold wall-clock values and are
read in ``db.timezone``. PyMySQL turns ``executemany`` of an ``INSERT ... VALUES (...)`` (with or
without ``ON DUPLICATE KEY UPDATE``) into multi-row statements of up to 1 MB.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Final

import pymysql  # type: ignore[import-untyped]
import pymysql.cursors  # type: ignore[import-untyped]
from pymysql.constants import FIELD_TYPE  # type: ignore[import-untyped]
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from sluice.api import Schema, Type
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
from sluice.connectors.jdbc.source_schema import PRECISION_PARAMETER
from sluice.connectors.jdbc.urls import DatabaseKind

__all__ = ["MySqlDialect"]

_UNSIGNED_FLAG: Final = 32
_BINARY_CHARSET: Final = 63

_TRANSIENT_CODES: Final = frozenset(
    {
        1040,
        1053,
        1205,
        1213,
        1317,
        1927,
        2002,
        2003,
        2006,
        2013,
        2014,
        2045,
        2055,
        1158,
        1159,
        1160,
        1161,
        4031,
    }
)

_SYSTEM_DATABASES: Final = ("mysql", "information_schema", "performance_schema", "sys")

_TABLE_TYPES: Final = {
    "TABLE": ("BASE TABLE", "SYSTEM VERSIONED"),
    "VIEW": ("VIEW",),
}


class MySqlDialect(Dialect):
    column_family = "MySQL"
    logical_ddl: ClassVar[dict[str, str]] = {
        DATE_NAME: "DATE",
        TIME_NAME: "TIME(3)",
        TIMESTAMP_NAME: "DATETIME(3)",
    }
    type_ddl: ClassVar[dict[Type, str]] = {
        Type.INT8: "TINYINT",
        Type.INT16: "SMALLINT",
        Type.INT32: "INT",
        Type.INT64: "BIGINT",
        Type.FLOAT32: "FLOAT",
        Type.FLOAT64: "DOUBLE",
        Type.BOOLEAN: "TINYINT",
    }
    kind: ClassVar[DatabaseKind] = DatabaseKind.MYSQL
    quote_char: ClassVar[str] = "`"
    placeholder: ClassVar[str] = "%s"
    naive_datetimes: ClassVar[bool] = True

    def parse_table(self, name: str) -> TableId:
        parts = self._parts(name)
        if len(parts) == 1:
            return TableId(None, None, parts[0])
        # MySQL databases are JDBC catalogs; a middle "schema" part has no meaning there.
        return TableId(parts[0], None, parts[-1])

    def reflect_schema_arg(self, table: TableId) -> str | None:
        return table.catalog

    def engine_options(self) -> dict[str, Any]:
        return {
            "connect_args": {
                "charset": "utf8mb4",
                # UTC sessions; long net timeouts so a slow consumer of a streaming read is not
                # cut off by the server while Kafka catches up.
                "init_command": (
                    "SET time_zone = '+00:00', SESSION net_write_timeout = 3600, "
                    "SESSION net_read_timeout = 3600"
                ),
            }
        }

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
            "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES "
            "WHERE TABLE_TYPE IN :types AND TABLE_SCHEMA NOT IN :system"
        )
        params: dict[str, Any] = {"types": tuple(wanted), "system": _SYSTEM_DATABASES}
        if catalog_pattern:
            sql += " AND TABLE_SCHEMA LIKE :catalog"
            params["catalog"] = catalog_pattern
        elif not all_catalogs:
            sql += " AND TABLE_SCHEMA = DATABASE()"
        stmt = text(sql).bindparams(
            bindparam("types", expanding=True), bindparam("system", expanding=True)
        )
        rows = conn.execute(stmt, params).fetchall()
        return sorted_tables(TableId(r[0], None, r[1]) for r in rows)

    def description_columns(self, cursor: Any) -> list[ColumnInfo]:
        result = getattr(cursor, "_result", None)
        fields = getattr(result, "fields", None) or []
        out = []
        for index, desc in enumerate(cursor.description or []):
            name, type_code = desc[0], desc[1]
            field = fields[index] if index < len(fields) else None
            flags = getattr(field, "flags", 0)
            unsigned = bool(flags & _UNSIGNED_FLAG)
            binary = getattr(field, "charsetnr", 0) == _BINARY_CHARSET
            kind, precision, scale = _kind_of_field(type_code, unsigned, binary, desc)
            out.append(
                ColumnInfo(
                    name=name,
                    kind=kind,
                    nullable=bool(desc[6]),
                    precision=precision,
                    scale=scale,
                    utc=type_code == FIELD_TYPE.TIMESTAMP,
                    type_name=str(type_code),
                    length=desc[3] if kind is ColumnKind.BIT else None,
                )
            )
        return out

    def current_time_sql(self) -> str:
        return "SELECT UTC_TIMESTAMP(6)"

    def timestamp_param(self, value: Any, utc_column: bool, zone: Any) -> Any:
        param = super().timestamp_param(value, utc_column, zone)
        return param.replace(tzinfo=None)  # the session is UTC; PyMySQL wants naive values

    def open_stream(self, dbapi_connection: Any, sql: str, params: Sequence[Any]) -> Any:
        cursor = dbapi_connection.cursor(pymysql.cursors.SSCursor)
        cursor.execute(sql, tuple(params) or None)
        return cursor

    # -- DDL ----------------------------------------------------------------------------------
    def ddl_type(self, schema: Schema, is_key: bool) -> str:
        if self._logical(schema) == DECIMAL_NAME:
            scale = int((schema.parameters or {}).get("scale", "0"))
            precision = int((schema.parameters or {}).get(PRECISION_PARAMETER, "65"))
            precision = max(min(precision, 65), scale, 1)
            return f"DECIMAL({precision},{min(scale, 30)})"
        if schema.type is Type.STRING:
            return "VARCHAR(256)" if is_key else "LONGTEXT"
        if schema.type is Type.BYTES:
            return "VARBINARY(767)" if is_key else "LONGBLOB"
        return super().ddl_type(schema, is_key)

    def default_literal(self, schema: Schema, value: Any) -> str | None:
        if isinstance(value, str) and schema.type is Type.STRING:
            return None  # TEXT columns take no DEFAULT before MySQL 8.0.13 / MariaDB 10.2
        if isinstance(value, bool):
            return "1" if value else "0"
        return super().default_literal(schema, value)

    def upsert_sql(self, table: TableId, keys: Sequence[str], others: Sequence[str]) -> str:
        cols = [*keys, *others]
        base = (
            f"INSERT INTO {self.table_sql(table)} ({', '.join(self.quote(c) for c in cols)}) "
            f"VALUES {self._placeholders(len(cols))} ON DUPLICATE KEY UPDATE "
        )
        updated = others or keys[:1]
        # VALUES(col) works on MariaDB and MySQL alike (MySQL 8.0.20+ only warns).
        return base + ", ".join(f"{self.quote(c)} = VALUES({self.quote(c)})" for c in updated)

    # -- errors -------------------------------------------------------------------------------
    def is_transient(self, error: BaseException) -> bool:
        orig = getattr(error, "orig", None) or error
        if isinstance(orig, pymysql.err.InterfaceError):
            return True
        if isinstance(orig, pymysql.err.MySQLError) and orig.args:
            code = orig.args[0]
            return isinstance(code, int) and code in _TRANSIENT_CODES
        return isinstance(orig, ConnectionError | TimeoutError)

    def is_missing_table(self, error: BaseException) -> bool:
        orig = getattr(error, "orig", None) or error
        return bool(isinstance(orig, pymysql.err.MySQLError) and orig.args and orig.args[0] == 1146)


def _kind_of_field(
    type_code: int, unsigned: bool, binary: bool, desc: Sequence[Any]
) -> tuple[ColumnKind, int | None, int | None]:
    if type_code == FIELD_TYPE.TINY:
        return (ColumnKind.INT16 if unsigned else ColumnKind.INT8), None, None
    if type_code == FIELD_TYPE.SHORT:
        return (ColumnKind.INT32 if unsigned else ColumnKind.INT16), None, None
    if type_code in (FIELD_TYPE.LONG, FIELD_TYPE.INT24):
        return (ColumnKind.INT64 if unsigned else ColumnKind.INT32), None, None
    if type_code == FIELD_TYPE.LONGLONG:
        return (ColumnKind.UINT64 if unsigned else ColumnKind.INT64), None, None
    if type_code == FIELD_TYPE.FLOAT:
        return ColumnKind.FLOAT32, None, None
    if type_code == FIELD_TYPE.DOUBLE:
        return ColumnKind.FLOAT64, None, None
    if type_code in (FIELD_TYPE.DECIMAL, FIELD_TYPE.NEWDECIMAL):
        scale = int(desc[5] or 0)
        length = int(desc[3] or 0)
        precision = max(length - (1 if scale else 0) - (0 if unsigned else 1), 1)
        return ColumnKind.DECIMAL, precision, scale
    if type_code == FIELD_TYPE.DATE:
        return ColumnKind.DATE, None, None
    if type_code == FIELD_TYPE.TIME:
        return ColumnKind.TIME, None, None
    if type_code in (FIELD_TYPE.DATETIME, FIELD_TYPE.TIMESTAMP):
        return ColumnKind.TIMESTAMP, None, None
    if type_code == FIELD_TYPE.YEAR:
        return ColumnKind.YEAR, None, None
    if type_code == FIELD_TYPE.BIT:
        return ColumnKind.BIT, None, None
    if type_code == FIELD_TYPE.JSON:
        return ColumnKind.JSON, None, None
    if type_code in (
        FIELD_TYPE.TINY_BLOB,
        FIELD_TYPE.MEDIUM_BLOB,
        FIELD_TYPE.LONG_BLOB,
        FIELD_TYPE.BLOB,
        FIELD_TYPE.VAR_STRING,
        FIELD_TYPE.STRING,
        FIELD_TYPE.VARCHAR,
    ):
        return (ColumnKind.BYTES if binary else ColumnKind.STRING), None, None
    if type_code in (FIELD_TYPE.ENUM, FIELD_TYPE.SET):
        return ColumnKind.STRING, None, None
    return ColumnKind.OTHER, None, None
