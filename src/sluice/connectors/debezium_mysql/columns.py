"""Columns as Debezium models them, their Kafka Connect schemas, and value conversion.

A :class:`Column` is what Debezium's MySQL DDL parser keeps of a column (type name such as
``INT UNSIGNED``, JDBC type, length, scale, optionality, enum values), read here from
``information_schema`` rather than parsed from DDL text. :func:`field_schema` maps it to the
schema Debezium's ``BinlogValueConverters`` gives it, honouring ``decimal.handling.mode``,
``time.precision.mode`` and ``bigint.unsigned.handling.mode``; :func:`convert` turns a value, as
either PyMySQL (snapshot) or the binlog reader (streaming) delivers it, into that schema's value.
Both readers are accepted because their values differ for the same column (a SET is a ``str`` to
PyMySQL and a ``set`` to the binlog reader, a BIT big-endian bytes versus a string of bits).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sluice.api import DataError, Schema, SchemaBuilder
from sluice.api import Date as ConnectDate
from sluice.api import Decimal as ConnectDecimal
from sluice.api import Time as ConnectTime
from sluice.api import Timestamp as ConnectTimestamp
from sluice.connectors.debezium_mysql.config import (
    BigIntUnsignedMode,
    DecimalMode,
    Settings,
    TimePrecisionMode,
)

__all__ = [
    "Column",
    "UnsupportedTypeError",
    "column_from_information_schema",
    "convert",
    "field_schema",
]

EPOCH_DATE: Final = dt.date(1970, 1, 1)
EPOCH: Final = dt.datetime(1970, 1, 1)

# java.sql.Types, as Debezium's history records carry them.
JDBC_TYPES: Final = {
    "BIT": -7,
    "TINYINT": 5,  # Debezium's MySQL parser maps TINYINT to SMALLINT
    "SMALLINT": 5,
    "MEDIUMINT": 4,
    "INT": 4,
    "INTEGER": 4,
    "BIGINT": -5,
    "FLOAT": 6,
    "DOUBLE": 8,
    "REAL": 7,
    "DECIMAL": 3,
    "NUMERIC": 2,
    "CHAR": 1,
    "VARCHAR": 12,
    "TINYTEXT": 12,
    "TEXT": 12,
    "MEDIUMTEXT": 12,
    "LONGTEXT": 12,
    "ENUM": 1,
    "SET": 1,
    "BINARY": -2,
    "VARBINARY": -3,
    "TINYBLOB": 2004,
    "BLOB": 2004,
    "MEDIUMBLOB": 2004,
    "LONGBLOB": 2004,
    "DATE": 91,
    "TIME": 92,
    "DATETIME": 93,
    "TIMESTAMP": 2014,
    "YEAR": 4,
    "JSON": 1111,
    "BOOLEAN": 16,
}
_INTEGERS: Final = {"TINYINT", "SMALLINT", "MEDIUMINT", "INT", "INTEGER", "BIGINT", "YEAR"}
_STRINGS: Final = {"CHAR", "VARCHAR", "TINYTEXT", "TEXT", "MEDIUMTEXT", "LONGTEXT"}
_BINARIES: Final = {"BINARY", "VARBINARY", "TINYBLOB", "BLOB", "MEDIUMBLOB", "LONGBLOB"}


class UnsupportedTypeError(DataError):
    """A column type the connector cannot represent; the message names the table and column."""


@dataclass(frozen=True)
class Column:
    """One column as Debezium's table model holds it."""

    name: str
    position: int
    """1-based, as in ``information_schema``."""
    base_type: str
    """The type without modifiers, upper case: ``INT``, ``VARCHAR``, ``JSON``..."""
    unsigned: bool = False
    length: int | None = None
    """Characters, digits (DECIMAL precision, integer display width), bits or the fractional
    seconds precision of temporal types; ``None`` when the type has none."""
    scale: int | None = None
    optional: bool = True
    has_default: bool = False
    """The column has a default (``DEFAULT NULL`` included), as ``hasDefaultValue`` says."""
    default: Any = None
    """The default value as Debezium puts it into the schema (already converted), or None."""
    default_expression: str | None = None
    enum_values: tuple[str, ...] = ()
    charset: str | None = None
    auto_increment: bool = False
    generated: bool = False
    comment: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def type_name(self) -> str:
        """Debezium's ``typeName``: ``INT UNSIGNED``, ``VARCHAR``, ``ENUM``..."""
        return f"{self.base_type} UNSIGNED" if self.unsigned else self.base_type

    @property
    def jdbc_type(self) -> int:
        if self.base_type == "BIT" and self.length == 1:
            return -7
        return JDBC_TYPES.get(self.base_type, 1111)

    @property
    def type_expression(self) -> str:
        """Debezium's ``typeExpression``: the type name (ENUM/SET options are kept apart)."""
        return self.type_name

    @property
    def quoted_enum_values(self) -> list[str]:
        """The ENUM/SET options as Debezium's DDL parser keeps them: SQL literals, quoted."""
        return ["'" + v.replace("'", "''") + "'" for v in self.enum_values]


_ENUM_VALUES: Final = re.compile(r"'((?:[^']|'')*)'")


def _enum_values(column_type: str) -> tuple[str, ...]:
    inner = column_type[column_type.index("(") + 1 : column_type.rindex(")")]
    return tuple(m.group(1).replace("''", "'") for m in _ENUM_VALUES.finditer(inner))


def _default_literal(raw: str | None) -> tuple[str | None, str | None]:
    """(literal text, expression) from ``COLUMN_DEFAULT``: MariaDB quotes string literals and
    spells a null default ``NULL``; anything else unquoted is a number or an expression."""
    if raw is None or raw == "NULL":
        return None, None
    if len(raw) >= 2 and raw[0] == "'" and raw[-1] == "'":
        text = raw[1:-1].replace("''", "'").replace("\\\\", "\\")
        return text, text
    return raw, raw


def column_from_information_schema(row: dict[str, Any]) -> Column:
    """A :class:`Column` from one ``information_schema.COLUMNS`` row (dict cursor, upper-case
    keys).

    MariaDB's ``JSON`` is an alias of ``LONGTEXT`` (with a ``json_valid`` check), and its
    catalogue says ``longtext``: the column is a plain string, as Debezium's MariaDB connector
    reports it for every table its snapshot reads (checked side by side). MySQL's ``JSON`` is a
    type of its own and becomes ``io.debezium.data.Json``."""
    name = str(row["COLUMN_NAME"])
    data_type = str(row["DATA_TYPE"]).upper()
    column_type = str(row["COLUMN_TYPE"]).lower()
    base = data_type
    unsigned = " unsigned" in column_type
    length: int | None = None
    scale: int | None = None
    m = re.match(r"[a-z]+\((\d+)(?:,(\d+))?\)", column_type)
    if base in ("CHAR", "VARCHAR", "BINARY", "VARBINARY"):  # TEXT and BLOB have no length
        length = _int(row.get("CHARACTER_MAXIMUM_LENGTH"))
    elif base in ("DECIMAL", "NUMERIC"):
        length, scale = _int(row.get("NUMERIC_PRECISION")), _int(row.get("NUMERIC_SCALE"))
    elif base in ("DATETIME", "TIMESTAMP", "TIME"):
        fsp = _int(row.get("DATETIME_PRECISION"))
        length = fsp if fsp else None
    elif base in ("FLOAT", "DOUBLE") and m:
        length = int(m.group(1))
        scale = int(m.group(2)) if m.group(2) is not None else None
    elif m:
        length = int(m.group(1))  # integer display width, BIT(n), YEAR(4)
    enum_values = _enum_values(column_type) if base in ("ENUM", "SET") else ()
    if base == "ENUM":
        length = 1  # as Debezium's DDL parser records it
    elif base == "SET":
        length = max(0, len(enum_values) * 2 - 1)  # the options and the commas between them
    text, expression = _default_literal(row.get("COLUMN_DEFAULT"))
    extra = str(row.get("EXTRA") or "").lower()
    col = Column(
        name=name,
        position=int(row["ORDINAL_POSITION"]),
        base_type=base,
        unsigned=unsigned,
        length=length,
        scale=scale,
        optional=str(row["IS_NULLABLE"]).upper() == "YES",
        has_default=row.get("COLUMN_DEFAULT") is not None,
        default_expression=expression,
        enum_values=enum_values,
        charset=row.get("CHARACTER_SET_NAME"),
        auto_increment="auto_increment" in extra,
        generated="generated" in extra,
        comment=row.get("COLUMN_COMMENT") or None,
    )
    return _with_default(col, text)


def _int(v: Any) -> int | None:
    return None if v is None else int(v)


def _with_default(col: Column, text: str | None) -> Column:
    """Debezium puts literal defaults into the field schema; expressions
    (``current_timestamp()``) and temporal defaults are left out here."""
    if text is None:
        return col
    value: Any = None
    try:
        if col.base_type in _STRINGS or col.base_type == "ENUM":
            value = text
        elif col.base_type in _INTEGERS and col.base_type != "YEAR":
            value = int(text)
        elif col.base_type in ("FLOAT", "DOUBLE", "REAL"):
            value = float(text)
    except ValueError:
        return col
    if value is None:
        return col
    return Column(**{**col.__dict__, "default": value})


# -- schemas ------------------------------------------------------------------------------------


def _bits(length: int) -> SchemaBuilder:
    return (
        SchemaBuilder.bytes()
        .name("io.debezium.data.Bits")
        .version(1)
        .parameter("length", str(length))
    )


def _decimal(mode: DecimalMode, precision: int | None, scale: int) -> SchemaBuilder:
    if mode is DecimalMode.DOUBLE:
        return SchemaBuilder.float64()
    if mode is DecimalMode.STRING:
        return SchemaBuilder.string()
    b = ConnectDecimal.builder(scale)
    if precision is not None:
        b.parameter("connect.decimal.precision", str(precision))
    return b


def _base_schema(col: Column, s: Settings, where: str) -> SchemaBuilder:
    t = col.base_type
    adaptive = s.time_precision is TimePrecisionMode.ADAPTIVE_TIME_MICROSECONDS
    if t == "JSON":
        return SchemaBuilder.string().name("io.debezium.data.Json").version(1)
    if t == "YEAR":
        return SchemaBuilder.int32().name("io.debezium.time.Year").version(1)
    if t == "ENUM":
        return (
            SchemaBuilder.string()
            .name("io.debezium.data.Enum")
            .version(1)
            .parameter("allowed", ",".join(col.enum_values))
        )
    if t == "SET":
        return (
            SchemaBuilder.string()
            .name("io.debezium.data.EnumSet")
            .version(1)
            .parameter("allowed", ",".join(col.enum_values))
        )
    if t in ("TINYINT", "SMALLINT"):
        return SchemaBuilder.int32() if t == "SMALLINT" and col.unsigned else SchemaBuilder.int16()
    if t in ("MEDIUMINT", "INT", "INTEGER"):
        return SchemaBuilder.int64() if col.unsigned else SchemaBuilder.int32()
    if t == "BIGINT":
        if col.unsigned and s.bigint_unsigned is BigIntUnsignedMode.PRECISE:
            return _decimal(DecimalMode.PRECISE, 20, 0)
        return SchemaBuilder.int64()
    if t == "FLOAT" and col.scale is None and (col.length or 0) <= 24:
        return SchemaBuilder.float32()
    if t in ("FLOAT", "DOUBLE", "REAL"):
        return SchemaBuilder.float64()
    if t in ("DECIMAL", "NUMERIC"):
        return _decimal(s.decimal_mode, col.length, col.scale or 0)
    if t == "BOOLEAN" or (t == "BIT" and (col.length or 1) == 1):
        return SchemaBuilder.bool()
    if t == "BIT":
        return _bits(col.length or 1)
    if t in _STRINGS:
        return SchemaBuilder.string()
    if t in _BINARIES:
        return SchemaBuilder.bytes()
    if t == "DATE":
        if adaptive:
            return SchemaBuilder.int32().name("io.debezium.time.Date").version(1)
        return ConnectDate.builder()
    if t == "TIME":
        if adaptive:
            return SchemaBuilder.int64().name("io.debezium.time.MicroTime").version(1)
        return ConnectTime.builder()
    if t == "DATETIME":
        if not adaptive:
            return ConnectTimestamp.builder()
        if (col.length or 0) <= 3:
            return SchemaBuilder.int64().name("io.debezium.time.Timestamp").version(1)
        return SchemaBuilder.int64().name("io.debezium.time.MicroTimestamp").version(1)
    if t == "TIMESTAMP":
        return SchemaBuilder.string().name("io.debezium.time.ZonedTimestamp").version(1)
    raise UnsupportedTypeError(
        f"Column {where}.{col.name} has type {col.type_name}, which the connector does not "
        "support; leave it out with column.exclude.list"
    )


def field_schema(col: Column, s: Settings, where: str) -> Schema:
    """The field schema of ``col`` in the Value/Key structs (``where`` names the table)."""
    b = _base_schema(col, s, where)
    if col.optional:
        b.optional()
    if col.default is not None:
        # A default the schema cannot hold is left out, as Debezium logs and skips it.
        with contextlib.suppress(DataError, ValueError, TypeError):
            b.default_value(convert(col, col.default, s))
    return b.build()


# -- values -------------------------------------------------------------------------------------

_TWO_64: Final = 1 << 64


def _micros(td: dt.timedelta) -> int:
    return (td.days * 86_400 + td.seconds) * 1_000_000 + td.microseconds


def _epoch_micros(value: dt.datetime) -> int:
    return _micros(value.replace(tzinfo=None) - EPOCH)


def _zoned(value: dt.datetime, fsp: int | None) -> str:
    """``ZonedTimestamp.toIsoString``: UTC with ``Z``; exactly ``fsp`` fraction digits when
    given, otherwise ISO_OFFSET_DATE_TIME's form (no trailing zeros)."""
    base = value.strftime("%Y-%m-%dT%H:%M:%S")
    if fsp:
        frac = f"{value.microsecond:06d}{'0' * 3}"[:fsp]
        return f"{base}.{frac}Z"
    if value.microsecond:
        return f"{base}.{f'{value.microsecond:06d}'.rstrip('0')}Z"
    return base + "Z"


def _set_text(col: Column, value: Any) -> str:
    if isinstance(value, str):
        return value
    members = set(value)
    return ",".join(v for v in col.enum_values if v in members)


def _bit_int(value: Any) -> int:
    if isinstance(value, str):  # the binlog reader: "1010"
        return int(value, 2) if value else 0
    if isinstance(value, bytes | bytearray):  # PyMySQL: big-endian bytes
        return int.from_bytes(value, "big")
    return int(value)


def _json_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, str):
        return value
    return json.dumps(_json_plain(value), separators=(", ", ": "), ensure_ascii=False)


def _json_plain(value: Any) -> Any:
    """MySQL's binary JSON comes back with bytes keys and strings from the binlog reader."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, dict):
        return {_json_plain(k): _json_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_plain(v) for v in value]
    return value


def _decimal_value(mode: DecimalMode, value: Any, scale: int) -> Any:
    d = value if isinstance(value, decimal.Decimal) else decimal.Decimal(str(value))
    if mode is DecimalMode.DOUBLE:
        return float(d)
    if mode is DecimalMode.STRING:
        return format(d, "f")
    return d.quantize(decimal.Decimal(1).scaleb(-scale)) if d.as_tuple().exponent != -scale else d


def convert(col: Column, value: Any, s: Settings, read: bool = False) -> Any:
    """``value`` of ``col`` as its field schema holds it (``None`` stays ``None``). ``read``:
    the value comes from a snapshot's query, where Debezium has JDBC's ``java.sql.Timestamp``
    for a TIMESTAMP, which it formats without padding the fraction to the column's precision
    (the binlog's ``ZonedDateTime`` gets exactly that many digits)."""
    if value is None:
        return None
    t = col.base_type
    adaptive = s.time_precision is TimePrecisionMode.ADAPTIVE_TIME_MICROSECONDS
    if t in ("TINYINT", "SMALLINT", "MEDIUMINT", "INT", "INTEGER", "YEAR"):
        return int(value)
    if t == "BIGINT":
        v = int(value)
        if col.unsigned:
            if s.bigint_unsigned is BigIntUnsignedMode.PRECISE:
                return decimal.Decimal(v)
            if v >= 1 << 63:
                v -= _TWO_64  # Java's long overflow, as Debezium's long mode gives
        return v
    if t == "FLOAT" and col.scale is None and (col.length or 0) <= 24:
        return float(value)
    if t in ("FLOAT", "DOUBLE", "REAL"):
        return float(value)
    if t in ("DECIMAL", "NUMERIC"):
        return _decimal_value(s.decimal_mode, value, col.scale or 0)
    if t == "BOOLEAN" or (t == "BIT" and (col.length or 1) == 1):
        return _bit_int(value) != 0
    if t == "BIT":
        n = ((col.length or 1) + 7) // 8
        return _bit_int(value).to_bytes(n, "little")
    if t == "JSON":
        return _json_text(value)
    if t == "ENUM":
        return value if isinstance(value, str) else str(value)
    if t == "SET":
        return _set_text(col, value)
    if t in _STRINGS:
        return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
    if t in _BINARIES:
        raw = value.encode("latin-1") if isinstance(value, str) else bytes(value)
        if t == "BINARY" and col.length and len(raw) < col.length:
            raw = raw.ljust(col.length, b"\0")
        return raw
    if t == "DATE":
        if not isinstance(value, dt.date):
            return None  # zero dates
        days = (value - EPOCH_DATE).days
        return days if adaptive else value
    if t == "TIME":
        td = value if isinstance(value, dt.timedelta) else None
        if td is None:
            return None
        if adaptive:
            return _micros(td)
        return (dt.datetime.min + td).time() if dt.timedelta(0) <= td < dt.timedelta(1) else None
    if t == "DATETIME":
        if not isinstance(value, dt.datetime):
            return None
        if not adaptive:
            return value.replace(tzinfo=dt.UTC)
        micros = _epoch_micros(value)
        return micros // 1000 if (col.length or 0) <= 3 else micros
    if t == "TIMESTAMP":
        if not isinstance(value, dt.datetime):
            return None
        return _zoned(value, None if read else col.length)
    raise UnsupportedTypeError(f"Column {col.name} has type {col.type_name}, not supported")


def binlog_time(value: Any) -> Any:
    """A TIME value as it really is, from the binlog reader's ``timedelta``.

    ``mysql-replication`` 1.0.x decodes a negative TIME with a fraction wrongly: for
    ``-12:34:56.78`` it gives ``-(12:34:56 + 0.22)``, the fraction's complement (MySQL stores a
    negative value's fraction complemented, borrowing one second). Checked against the server for
    TIME(2), (3) and (6); values without a fraction, and positive ones, are right as they are.
    """
    if not isinstance(value, dt.timedelta) or value >= dt.timedelta(0):
        return value
    magnitude = -_micros(value)
    seconds, fraction = divmod(magnitude, 1_000_000)
    if not fraction:
        return value
    return -dt.timedelta(seconds=seconds, microseconds=1_000_000 - fraction)


def convert_row(columns: Sequence[Column], values: Sequence[Any], s: Settings) -> list[Any]:
    return [convert(c, v, s) for c, v in zip(columns, values, strict=True)]


Converter = Callable[[Any], Any]
