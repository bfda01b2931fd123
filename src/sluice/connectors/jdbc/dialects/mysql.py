"""MySQL and MariaDB through PyMySQL: unbuffered cursors to read, multi-row INSERTs to write.

Sessions run in UTC (``time_zone = '+00:00'``) so ``TIMESTAMP`` columns, which MySQL stores as
instants, come back as UTC wall-clock values; ``DATETIME`` columns hold wall-clock values and are
read in ``db.timezone``.

Inserts and upserts are sent as multi-row ``INSERT ... VALUES (...), (...)`` statements (with
``ON DUPLICATE KEY UPDATE`` for upserts) as large as the server's ``max_allowed_packet`` allows,
up to 16 MiB. The rows are rendered here rather than by PyMySQL's ``executemany``: PyMySQL
escapes every value through several layers of generic dispatch, which cost more than the server's
own work; here a value costs one lookup by its exact type and one small function, and anything
unusual still goes through PyMySQL's own escaping.
"""

from __future__ import annotations

import datetime as dt
import decimal
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar, Final

import pymysql  # type: ignore[import-untyped]
import pymysql.cursors  # type: ignore[import-untyped]
from pymysql.connections import MAX_PACKET_LEN, MysqlPacket  # type: ignore[import-untyped]
from pymysql.constants import CR, FIELD_TYPE, SERVER_STATUS  # type: ignore[import-untyped]
from pymysql.converters import (  # type: ignore[import-untyped]
    convert_datetime,
    escape_float,
)
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

__all__ = [
    "MySqlDialect",
    "install_row_parser",
    "literal_renderers",
    "parse_row",
    "row_renderer",
    "statement_chunks",
]

MAX_STATEMENT: Final = 16 << 20
"""Largest multi-row statement sent, whatever ``max_allowed_packet`` allows."""
MIN_STATEMENT: Final = 64 << 10

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
        install_row_parser(cursor)
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
        # VALUES(col) works on MariaDB and MySQL alike (MySQL 8.0.20+ only warns).
        return (
            f"INSERT INTO {self.table_sql(table)} ({', '.join(self.quote(c) for c in cols)}) "
            f"VALUES {self._placeholders(len(cols))}" + self._upsert_suffix(keys, others)
        )

    def _upsert_suffix(self, keys: Sequence[str], others: Sequence[str]) -> str:
        updated = others or keys[:1]
        return " ON DUPLICATE KEY UPDATE " + ", ".join(
            f"{self.quote(c)} = VALUES({self.quote(c)})" for c in updated
        )

    # -- fast paths ---------------------------------------------------------------------------
    _statement_limit: int | None = None

    def _limit(self, dbapi_connection: Any) -> int:
        """Bytes per statement: the server's ``max_allowed_packet`` less room, at most 16 MiB."""
        if self._statement_limit is None:
            cur = dbapi_connection.cursor()
            try:
                cur.execute("SELECT @@max_allowed_packet")
                packet = int(cur.fetchone()[0])
            finally:
                cur.close()
            self._statement_limit = max(MIN_STATEMENT, min(packet - 4096, MAX_STATEMENT))
        return self._statement_limit

    def _write_rows(
        self, dbapi_connection: Any, prefix: str, suffix: str, rows: list[tuple[Any, ...]]
    ) -> None:
        encoding = dbapi_connection.encoding
        escape = dbapi_connection.escape
        no_backslash = (
            dbapi_connection.server_status & SERVER_STATUS.SERVER_STATUS_NO_BACKSLASH_ESCAPES
        )
        literals = literal_renderers(escape, bool(no_backslash))
        limit = self._limit(dbapi_connection)
        head, tail = prefix.encode(encoding), suffix.encode(encoding)
        render = row_renderer(rows, literals, encoding)
        cur = dbapi_connection.cursor()
        try:
            room = limit - len(head) - len(tail)
            for chunk in statement_chunks(rows, literals, escape, encoding, room, render):
                cur.execute(head + b",".join(chunk) + tail)
        finally:
            cur.close()

    def write_inserts(
        self,
        dbapi_connection: Any,
        table: TableId,
        columns: Sequence[str],
        rows: list[tuple[Any, ...]],
    ) -> None:
        cols = ", ".join(self.quote(c) for c in columns)
        self._write_rows(
            dbapi_connection, f"INSERT INTO {self.table_sql(table)} ({cols}) VALUES ", "", rows
        )

    def write_upserts(
        self,
        dbapi_connection: Any,
        table: TableId,
        keys: Sequence[str],
        others: Sequence[str],
        rows: list[tuple[Any, ...]],
    ) -> None:
        cols = ", ".join(self.quote(c) for c in [*keys, *others])
        self._write_rows(
            dbapi_connection,
            f"INSERT INTO {self.table_sql(table)} ({cols}) VALUES ",
            self._upsert_suffix(keys, others),
            rows,
        )

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


# -- rendering rows as SQL literals -----------------------------------------------------------

Literal = Callable[[Any], str]

_BACKSLASH_ESCAPES: Final = str.maketrans(
    {"\0": "\\0", "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\x1a": "\\Z", "'": "\\'", '"': '\\"'}
)
_ESCAPED: Final = tuple(chr(c) for c in _BACKSLASH_ESCAPES)


def _needs_escape_source(name: str) -> str:
    """Source testing whether string ``name`` holds a character to escape. Most text holds
    none; seven C-level substring scans find that about three times as fast as one regular
    expression character class on text of a hundred characters."""
    return "(" + " or ".join(f"{c!r} in {name}" for c in _ESCAPED) + ")"


def _quoted_backslash(value: str) -> str:
    if not any(map(value.__contains__, _ESCAPED)):
        return "'" + value + "'"
    return "'" + value.translate(_BACKSLASH_ESCAPES) + "'"


def _quoted_doubling(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _hex(value: bytes) -> str:
    return "X'" + value.hex() + "'"


def _datetime_literal(fallback: Literal) -> Literal:
    def render(value: dt.datetime) -> str:
        if value.tzinfo is not None:
            return fallback(value)
        return "'" + value.isoformat(" ") + "'"

    return render


def _date(value: dt.date) -> str:
    return "'" + value.isoformat() + "'"


def _decimal(value: decimal.Decimal) -> str:
    return format(value, "f")


def _bool(value: bool) -> str:
    return "1" if value else "0"


def _null(value: None) -> str:
    return "NULL"


def literal_renderers(fallback: Literal, no_backslash_escapes: bool) -> dict[type, Literal]:
    """SQL literal renderers by exact value type; other types go to ``fallback``.

    ``fallback`` is PyMySQL's ``Connection.escape``; the renderers here write what it writes for
    the common types (backslash escapes unless the session's ``sql_mode`` has
    ``NO_BACKSLASH_ESCAPES``, bytes as hex literals, ``format(d, "f")`` for decimals).
    """
    return {
        str: _quoted_doubling if no_backslash_escapes else _quoted_backslash,
        int: int.__repr__,
        float: escape_float,
        bool: _bool,
        type(None): _null,
        decimal.Decimal: _decimal,
        dt.datetime: _datetime_literal(fallback),
        dt.date: _date,
        bytes: _hex,
        bytearray: _hex,
    }


RowRenderer = Callable[[Sequence[Any]], bytes]

_NONE: Final = type(None)


def row_renderer(
    rows: Sequence[Sequence[Any]], literals: dict[type, Literal], encoding: str
) -> RowRenderer | None:
    """A function rendering a row of ``rows`` as ``(v1,v2,...)`` bytes exactly as
    :func:`statement_chunks` renders it through ``literals``, generated for this batch when every
    column holds values of one type that ``literals`` renders (besides NULLs; datetimes all
    naive): no lookup by type per value, and strings, dates and decimals rendered in line.
    None when a column is mixed or of another type.

    The generated source names only positions and the renderers passed in, never row values.
    """
    if not rows:
        return None
    scope: dict[str, Any] = {"ESCAPES": _BACKSLASH_ESCAPES}
    parts: list[str] = []
    for n, column in enumerate(zip(*rows, strict=True)):
        found = set(map(type, column))
        nullable = _NONE in found
        found.discard(_NONE)
        if not found:
            parts.append('"NULL"')
            continue
        if len(found) > 1:
            return None
        (kind,) = found
        if kind not in literals:
            return None
        x = f"x{n}"
        if kind is str and literals[str] in (_quoted_backslash, _quoted_doubling):
            if literals[str] is _quoted_doubling:
                expr = f"""("'" + {x}.replace("'", "''") + "'")"""
            else:
                expr = (
                    f"""("'" + {x} + "'" if not {_needs_escape_source(x)} """
                    f"""else "'" + {x}.translate(ESCAPES) + "'")"""
                )
        elif kind is dt.datetime:
            if any(v is not None and v.tzinfo is not None for v in column):
                return None
            expr = f"""("'" + {x}.isoformat(" ") + "'")"""
        elif kind is dt.date:
            expr = f"""("'" + {x}.isoformat() + "'")"""
        elif kind is decimal.Decimal:
            expr = f'format({x}, "f")'
        else:
            scope[f"r{n}"] = literals[kind]
            expr = f"r{n}({x})"
        parts.append(f'("NULL" if {x} is None else {expr})' if nullable else expr)
    names = ", ".join(f"x{n}" for n in range(len(parts)))
    values = "".join(p + ", " for p in parts)
    source = (
        f"def render(row):\n    {names}, = row\n"
        f"    return ('(' + ','.join(({values})) + ')').encode(ENCODING)\n"
    )
    scope["ENCODING"] = encoding
    exec(compile(source, "<sluice.jdbc.mysql_rows>", "exec"), scope)
    render: RowRenderer = scope["render"]
    return render


def statement_chunks(
    rows: Sequence[Sequence[Any]],
    literals: dict[type, Literal],
    fallback: Literal,
    encoding: str,
    limit: int,
    render: RowRenderer | None = None,
) -> Iterator[list[bytes]]:
    """Rows rendered as ``(v1,v2,...)`` byte strings, in chunks whose joined size (commas
    included) stays within ``limit``; a single row larger than that is a chunk of its own.
    ``render``, from :func:`row_renderer`, renders rows the same way, faster."""
    chunk: list[bytes] = []
    size = 0
    get = literals.get
    for row in rows:
        if render is not None:
            rendered = render(row)
        else:
            rendered = ("(" + ",".join([get(type(v), fallback)(v) for v in row]) + ")").encode(
                encoding
            )
        if chunk and size + len(rendered) + 1 > limit:
            yield chunk
            chunk, size = [], 0
        chunk.append(rendered)
        size += len(rendered) + 1
    if chunk:
        yield chunk


# -- reading rows -------------------------------------------------------------------------------

Decoder = tuple[str | None, Callable[[Any], Any] | None]


def _datetime_text(text: str) -> Any:
    """PyMySQL's ``convert_datetime``, through the C parser for the text MySQL sends
    (``YYYY-MM-DD HH:MM:SS[.f]``); zero dates and anything else take PyMySQL's own path."""
    if len(text) >= 19 and text[10] == " " and not text.startswith("0000"):
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            pass
    return convert_datetime(text)


def parse_row(data: bytes, position: int, decoders: Sequence[Decoder]) -> tuple[Any, ...]:
    """One text-protocol row packet's values (``data`` from ``position``), as PyMySQL's
    ``MySQLResult._read_row_from_packet`` reads them, in one loop without a call per byte run."""
    row: list[Any] = []
    append = row.append
    end_of_data = len(data)
    for encoding, convert in decoders:
        if position >= end_of_data:
            break  # fewer values than columns: PyMySQL stops there too
        size = data[position]
        position += 1
        if size == 251:
            append(None)
            continue
        if size == 252:
            size = data[position] | data[position + 1] << 8
            position += 2
        elif size == 253:
            size = int.from_bytes(data[position : position + 3], "little")
            position += 3
        elif size == 254:
            size = int.from_bytes(data[position : position + 8], "little")
            position += 8
        end = position + size
        value: Any = data[position:end]
        position = end
        if encoding is not None:
            value = value.decode(encoding)
        if convert is not None:
            value = convert(value)
        append(value)
    return tuple(row)


def install_row_parser(cursor: Any) -> bool:
    """Have an unbuffered PyMySQL cursor read its rows with :func:`parse_row`.

    PyMySQL parses each value through several small method calls, which is most of the cost of
    reading a table; the result object's row reader is replaced on this one result (its packets,
    end-of-data and errors are still PyMySQL's). Returns False, changing nothing, when the result
    does not look as expected (another PyMySQL version).
    """
    result = getattr(cursor, "_result", None)
    decoders = getattr(result, "converters", None)
    if (
        result is None
        or not isinstance(decoders, list)
        or not callable(getattr(result, "_read_row_from_packet", None))
        or not all(isinstance(d, tuple) and len(d) == 2 for d in decoders)
    ):
        return False
    fast: list[Decoder] = [
        (encoding, _datetime_text if convert is convert_datetime else convert)
        for encoding, convert in decoders
    ]

    original = result._read_row_from_packet

    def read_row(packet: Any) -> tuple[Any, ...]:
        try:
            data, position = packet._data, packet._position
        except AttributeError:  # a packet of another shape: PyMySQL reads it
            return original(packet)  # type: ignore[no-any-return]
        return parse_row(data, position, fast)

    result._read_row_from_packet = read_row
    _install_fetchmany(cursor, result, fast)
    return True


def _install_fetchmany(cursor: Any, result: Any, decoders: list[Decoder]) -> None:
    """Give ``cursor`` (an unbuffered PyMySQL cursor whose rows are tuples) a ``fetchmany``
    reading row packets in one loop: PyMySQL's goes through five method calls and a packet
    object per row. Data rows are parsed here; any other packet (end of data, an error, a row
    split over several packets) is handed to PyMySQL's own handling, so results, warnings and
    errors stay PyMySQL's. Nothing changes when the cursor or connection is of another shape."""
    conn = getattr(result, "connection", None)
    if (
        type(cursor) is not pymysql.cursors.SSCursor  # tuples as they are read: no _conv_row
        or conn is None
        or not callable(getattr(conn, "_read_bytes", None))
        or not isinstance(getattr(conn, "_next_seq_id", None), int)
        or not hasattr(conn, "_current_timeout")
        or not hasattr(result, "unbuffered_active")
    ):
        return
    # The cursor holds this function: a strong reference back would make a cycle, and keep the
    # cursor (and its unread result) alive past the connection it drains when it is closed.
    owner = weakref.ref(cursor)
    original = pymysql.cursors.SSCursor.fetchmany

    def fetchmany(size: int | None = None) -> Any:
        cursor = owner()
        if cursor is None:
            raise pymysql.err.ProgrammingError("Cursor closed")
        if result.connection is not conn or not result.unbuffered_active:
            return original(cursor, size)
        cursor._check_executed()
        if size is None:
            size = cursor.arraysize
        if conn._current_timeout != conn._read_timeout:
            conn._sock.settimeout(conn._read_timeout)
            conn._current_timeout = conn._read_timeout
        read = conn._read_bytes
        rows: list[tuple[Any, ...]] = []
        append = rows.append
        ended = False
        while len(rows) < size:
            data = _read_payload(conn, read)
            first = data[0] if data else 0xFE
            if first < 0xFE and len(data) < MAX_PACKET_LEN:
                append(parse_row(data, 0, decoders))
                continue
            if len(data) >= MAX_PACKET_LEN:  # a row longer than one packet: read the rest
                parts = [data]
                while len(parts[-1]) >= MAX_PACKET_LEN:
                    parts.append(_read_payload(conn, read))
                data = b"".join(parts)
            packet = MysqlPacket(data, conn.encoding)
            if packet.is_error_packet():
                result.unbuffered_active = False
                packet.raise_for_error()
            if result._check_packet_is_eof(packet):
                result.unbuffered_active = False
                result.connection = None
                result.rows = None
                ended = True
                break
            append(result._read_row_from_packet(packet))
        if rows:
            cursor.rownumber += len(rows)
            if not ended:
                result.affected_rows = 1
                result.rows = (rows[-1],)
        if ended or not rows:
            cursor.warning_count = result.warning_count
        return rows if rows else ()

    cursor.fetchmany = fetchmany


def _read_payload(conn: Any, read: Callable[[int], bytes]) -> bytes:
    """One packet's payload, its sequence number checked as PyMySQL's ``_read_packet`` does."""
    header = read(4)
    length = header[0] | header[1] << 8 | header[2] << 16
    number = header[3]
    if number != conn._next_seq_id:
        conn._force_close()
        if number == 0:  # MariaDB sends its error packet with number 0 when shutting down
            raise pymysql.err.OperationalError(
                CR.CR_SERVER_LOST, "Lost connection to MySQL server during query"
            )
        raise pymysql.err.InternalError(
            f"Packet sequence number wrong - got {number} expected {conn._next_seq_id}"
        )
    conn._next_seq_id = (number + 1) % 256
    return read(length)
