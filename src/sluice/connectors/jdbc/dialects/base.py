"""What differs between databases, behind one interface: SQL text, metadata, fast paths, errors.

A :class:`Dialect` renders identifiers and statements (``INSERT``, each database's own upsert,
``CREATE TABLE`` with type names chosen per Connect schema), lists and reflects tables, opens
streaming cursors and writes batches the fastest way the database offers. Connectors hold one
dialect and never branch on the database themselves.
"""

from __future__ import annotations

import abc
import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, ClassVar

import sqlalchemy
from sqlalchemy.engine import Connection

from sluice.api import ConnectError, Schema, Type
from sluice.connectors.jdbc.columns import ColumnInfo, kind_of_sqlalchemy_type
from sluice.connectors.jdbc.identifiers import TableId, quote_identifier, split_identifier
from sluice.connectors.jdbc.urls import DatabaseKind

__all__ = ["DELETE_CHUNK", "Dialect", "like_to_regex"]

DELETE_CHUNK = 500
"""Keys per ``DELETE ... WHERE key IN (...)`` statement."""

DECIMAL_NAME = "org.apache.kafka.connect.data.Decimal"
DATE_NAME = "org.apache.kafka.connect.data.Date"
TIME_NAME = "org.apache.kafka.connect.data.Time"
TIMESTAMP_NAME = "org.apache.kafka.connect.data.Timestamp"


def like_to_regex(pattern: str) -> re.Pattern[str]:
    """A JDBC metadata pattern (SQL ``LIKE``: ``%`` any run, ``_`` one char) as a regex."""
    out = []
    for ch in pattern:
        if ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.DOTALL)


class Dialect(abc.ABC):
    """One database family's SQL. ``quote_identifiers`` follows ``quote.sql.identifiers``."""

    kind: ClassVar[DatabaseKind]
    quote_char: ClassVar[str] = '"'
    placeholder: ClassVar[str] = "%s"
    system_schemas: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, quote_identifiers: bool = True, default_catalog: str | None = None) -> None:
        self.quote_identifiers = quote_identifiers
        self.default_catalog = default_catalog

    @property
    def name(self) -> str:
        return self.kind.value

    # -- identifiers --------------------------------------------------------------------------
    def quote(self, identifier: str) -> str:
        if not self.quote_identifiers:
            return identifier
        return quote_identifier(identifier, self.quote_char)

    def always_quote(self, identifier: str) -> str:
        return quote_identifier(identifier, self.quote_char)

    def table_sql(self, table: TableId) -> str:
        return ".".join(self.quote(p) for p in table.parts())

    def quoted_fqn(self, table: TableId) -> str:
        """The always-quoted dotted name: whitelists may name tables that way."""
        return ".".join(self.always_quote(p) for p in table.parts())

    @abc.abstractmethod
    def parse_table(self, name: str) -> TableId:
        """A user's table name (``db.t``, ``schema.t``, ``t``) as a :class:`TableId`."""

    def _parts(self, name: str) -> list[str]:
        return split_identifier(name)

    # -- connections --------------------------------------------------------------------------
    def engine_options(self) -> dict[str, Any]:
        """Extra ``create_engine`` keywords (``connect_args``, pool settings)."""
        return {}

    def prepare_connection(self, dbapi_connection: Any) -> None:
        """Session set-up on every new connection (time zone, loaders)."""

    # -- metadata -----------------------------------------------------------------------------
    @abc.abstractmethod
    def list_tables(
        self,
        conn: Connection,
        catalog_pattern: str | None,
        schema_pattern: str | None,
        table_types: Sequence[str],
        all_catalogs: bool,
    ) -> list[TableId]:
        """Tables (and views, per ``table.types``) visible to the connection, sorted."""

    def reflect_schema_arg(self, table: TableId) -> str | None:
        """The ``schema=`` SQLAlchemy's inspector wants for ``table``."""
        return table.schema

    def reflect_columns(self, conn: Connection, table: TableId) -> list[ColumnInfo]:
        """The table's columns in order; empty when the table does not exist."""
        inspector = sqlalchemy.inspect(conn)
        schema = self.reflect_schema_arg(table)
        if not inspector.has_table(table.table, schema=schema):
            return []
        pk = set(
            inspector.get_pk_constraint(table.table, schema=schema).get("constrained_columns") or []
        )
        out = []
        for col in inspector.get_columns(table.table, schema=schema):
            kind, extras = kind_of_sqlalchemy_type(col["type"], self.name)
            nullable = bool(col.get("nullable", True)) and not (
                self.kind is DatabaseKind.SQLITE and col["name"] in pk
            )
            out.append(
                ColumnInfo(
                    name=col["name"],
                    kind=kind,
                    nullable=nullable,
                    autoincrement=col.get("autoincrement") is True,
                    type_name=str(col["type"]),
                    **extras,
                )
            )
        return out

    def primary_key(self, conn: Connection, table: TableId) -> list[str]:
        inspector = sqlalchemy.inspect(conn)
        found = inspector.get_pk_constraint(table.table, schema=self.reflect_schema_arg(table))
        return list(found.get("constrained_columns") or [])

    @abc.abstractmethod
    def description_columns(self, cursor: Any) -> list[ColumnInfo]:
        """Columns of a custom query's result, from the driver's cursor description."""

    def refine_columns(
        self, columns: list[ColumnInfo], rows: Sequence[Sequence[Any]]
    ) -> list[ColumnInfo]:
        """Improve description-based columns from the first rows (drivers without types)."""
        return columns

    # -- source queries -----------------------------------------------------------------------
    @abc.abstractmethod
    def current_time_sql(self) -> str:
        """A statement answering the database's current time (one row, one column)."""

    def current_time(self, dbapi_connection: Any) -> dt.datetime:
        """The database's clock as an aware UTC datetime (timestamp modes bound reads by it)."""
        cur = dbapi_connection.cursor()
        try:
            cur.execute(self.current_time_sql())
            value = cur.fetchone()[0]
        finally:
            cur.close()
        return self._as_utc(value)

    def _as_utc(self, value: Any) -> dt.datetime:
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value.strip())
        if value.tzinfo is None:
            naive: dt.datetime = value.replace(tzinfo=dt.UTC)
            return naive
        result: dt.datetime = value.astimezone(dt.UTC)
        return result

    def timestamp_expression(self, column_sql: str) -> str:
        """How a timestamp column is compared (SQLite normalizes its text dates)."""
        return column_sql

    def timestamp_param(self, value: dt.datetime, utc_column: bool, zone: dt.tzinfo) -> Any:
        """An aware instant as the parameter a comparison with the column needs."""
        if utc_column:
            return value.astimezone(dt.UTC)
        return value.astimezone(zone).replace(tzinfo=None)

    @abc.abstractmethod
    def open_stream(self, dbapi_connection: Any, sql: str, params: Sequence[Any]) -> Any:
        """Execute ``sql`` on a cursor that streams (server-side); returns the cursor."""

    def limit_zero(self, sql: str) -> str:
        return f"SELECT * FROM ({sql}) sluice_q WHERE 1 = 0"

    # -- sink DDL -----------------------------------------------------------------------------
    column_family: ClassVar[str]
    """The database's name in messages (``PostgreSQL``)."""
    logical_ddl: ClassVar[dict[str, str]]
    """Column types of the logical types, by logical name."""
    type_ddl: ClassVar[dict[Type, str]]
    """Column types of the physical types."""

    def ddl_type(self, schema: Schema, is_key: bool) -> str:
        """The column type ``auto.create``/``auto.evolve`` uses for a Connect schema."""
        logical = self._logical(schema)
        if logical is not None:
            return self.logical_ddl[logical]
        found = self.type_ddl.get(schema.type)
        if found is None:
            raise ConnectError(
                f"Cannot create a {self.column_family} column for schema type {schema.type}"
            )
        return found

    def _logical(self, schema: Schema) -> str | None:
        return (
            schema.name
            if schema.name in (DECIMAL_NAME, DATE_NAME, TIME_NAME, TIMESTAMP_NAME)
            else None
        )

    def default_literal(self, schema: Schema, value: Any) -> str | None:
        """A DEFAULT clause literal for a schema default, or None when it cannot be written."""
        if value is None:
            return None
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int | float):
            return repr(value) if isinstance(value, float) else str(value)
        if isinstance(value, str):
            return "'" + value.replace("'", "''") + "'"
        return None

    def create_table_sql(
        self, table: TableId, fields: Sequence[tuple[str, Schema, bool]], keys: Sequence[str]
    ) -> str:
        cols = []
        for name, schema, is_key in fields:
            cols.append(self._column_definition(name, schema, is_key, for_create=True))
        if keys:
            cols.append("PRIMARY KEY(" + ", ".join(self.quote(k) for k in keys) + ")")
        return f"CREATE TABLE {self.table_sql(table)} (\n" + ",\n".join(cols) + ")"

    def _column_definition(self, name: str, schema: Schema, is_key: bool, for_create: bool) -> str:
        text = f"{self.quote(name)} {self.ddl_type(schema, is_key)}"
        default = self.default_literal(schema, schema.default)
        if default is not None:
            text += f" DEFAULT {default}"
        if for_create and (is_key or not schema.optional):
            text += " NOT NULL"
        else:
            text += " NULL"
        return text

    def add_columns_sql(self, table: TableId, fields: Sequence[tuple[str, Schema]]) -> list[str]:
        """``ALTER TABLE`` statements adding ``fields`` as nullable columns."""
        return [
            f"ALTER TABLE {self.table_sql(table)} ADD "
            + self._column_definition(name, schema, False, for_create=False)
            for name, schema in fields
        ]

    # -- sink DML -----------------------------------------------------------------------------
    def _placeholders(self, count: int) -> str:
        return "(" + ", ".join([self.placeholder] * count) + ")"

    def insert_sql(self, table: TableId, columns: Sequence[str]) -> str:
        cols = ", ".join(self.quote(c) for c in columns)
        values = self._placeholders(len(columns))
        return f"INSERT INTO {self.table_sql(table)} ({cols}) VALUES {values}"

    @abc.abstractmethod
    def upsert_sql(self, table: TableId, keys: Sequence[str], others: Sequence[str]) -> str:
        """This database's insert-or-update by primary key; parameters are keys then others."""

    def update_sql(self, table: TableId, keys: Sequence[str], others: Sequence[str]) -> str:
        """Parameters: ``others`` then ``keys``."""
        sets = ", ".join(f"{self.quote(c)} = {self.placeholder}" for c in others)
        where = " AND ".join(f"{self.quote(k)} = {self.placeholder}" for k in keys)
        return f"UPDATE {self.table_sql(table)} SET {sets} WHERE {where}"

    def delete_sql(self, table: TableId, keys: Sequence[str], count: int) -> str:
        """Delete ``count`` rows by key in one statement (flat parameters, key by key)."""
        if len(keys) == 1:
            where = f"{self.quote(keys[0])} IN (" + ", ".join([self.placeholder] * count) + ")"
        else:
            row = self._placeholders(len(keys))
            cols = "(" + ", ".join(self.quote(k) for k in keys) + ")"
            where = f"{cols} IN (" + ", ".join([row] * count) + ")"
        return f"DELETE FROM {self.table_sql(table)} WHERE {where}"

    def write_inserts(
        self,
        dbapi_connection: Any,
        table: TableId,
        columns: Sequence[str],
        rows: list[tuple[Any, ...]],
    ) -> None:
        """Insert ``rows``; the default is a batched ``executemany``."""
        cur = dbapi_connection.cursor()
        try:
            cur.executemany(self.insert_sql(table, columns), rows)
        finally:
            cur.close()

    def write_upserts(
        self,
        dbapi_connection: Any,
        table: TableId,
        keys: Sequence[str],
        others: Sequence[str],
        rows: list[tuple[Any, ...]],
    ) -> None:
        """Upsert ``rows`` (keys then others, one row per key)."""
        cur = dbapi_connection.cursor()
        try:
            cur.executemany(self.upsert_sql(table, keys, others), rows)
        finally:
            cur.close()

    def write_updates(
        self,
        dbapi_connection: Any,
        table: TableId,
        keys: Sequence[str],
        others: Sequence[str],
        rows: list[tuple[Any, ...]],
    ) -> None:
        """Update by key; ``rows`` hold keys then others, reordered here for the statement."""
        if not others:
            return
        n = len(keys)
        cur = dbapi_connection.cursor()
        try:
            cur.executemany(
                self.update_sql(table, keys, others), [tuple(r[n:]) + tuple(r[:n]) for r in rows]
            )
        finally:
            cur.close()

    def write_deletes(
        self,
        dbapi_connection: Any,
        table: TableId,
        keys: Sequence[str],
        rows: list[tuple[Any, ...]],
    ) -> None:
        cur = dbapi_connection.cursor()
        try:
            for chunk in _chunks(rows, DELETE_CHUNK):
                params = [v for row in chunk for v in row]
                cur.execute(self.delete_sql(table, keys, len(chunk)), params)
        finally:
            cur.close()

    # -- values -------------------------------------------------------------------------------
    naive_datetimes: ClassVar[bool] = False
    """The driver wants naive datetimes (in db.timezone) for every timestamp column."""
    text_temporals: ClassVar[bool] = False
    """The driver wants dates and times as ISO text (SQLite)."""
    text_decimals: ClassVar[bool] = False

    # -- errors -------------------------------------------------------------------------------
    @abc.abstractmethod
    def is_transient(self, error: BaseException) -> bool:
        """Whether trying the same work again (on a new connection) may succeed."""

    def is_missing_table(self, error: BaseException) -> bool:
        return False


def _chunks(rows: list[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def sorted_tables(tables: Iterable[TableId]) -> list[TableId]:
    return sorted(set(tables), key=lambda t: (t.catalog or "", t.schema or "", t.table))


def is_struct(schema: Schema | None) -> bool:
    return schema is not None and schema.type is Type.STRUCT
