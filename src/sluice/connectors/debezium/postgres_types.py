"""PostgreSQL column types to Kafka Connect schemas and values, as Debezium maps them.

Values arrive as PostgreSQL's text output: from ``pgoutput`` tuples while streaming and from
``::text`` casts during the snapshot, so one converter per column serves both phases and they
cannot disagree. Schemas follow Debezium's ``PostgresValueConverter``: ``io.debezium.time.*``
logical names chosen by ``time.precision.mode`` and the column's precision, ``Decimal`` with a
``connect.decimal.precision`` parameter (or ``VariableScaleDecimal`` for an unconstrained
``numeric``) by ``decimal.handling.mode``, ``io.debezium.data.Json``/``Uuid``, ``bit(1)`` as a
boolean and longer bit strings as ``io.debezium.data.Bits``, ``point`` as
``io.debezium.data.geometry.Point``, arrays of optional elements. A type with no mapping yields
``None``: Debezium leaves such a column out (with a warning) unless ``include.unknown.datatypes``
asks for its bytes.

A ``NULL`` in a ``NOT NULL`` column (a delete's old row carries only the key columns) becomes the
type's zero value, as Debezium's converters fall back to, so the value still fits its schema.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from sluice.api import DataError, Date, Decimal, Schema, SchemaBuilder, Struct, Time, Timestamp
from sluice.connectors.debezium.pgoutput import UNCHANGED_TOAST

__all__ = [
    "ColumnInfo",
    "ColumnMapping",
    "TypeSettings",
    "map_column",
    "parse_array",
]

UNAVAILABLE_PLACEHOLDER: Final = "__debezium_unavailable_value"
"""Debezium's default ``unavailable.value.placeholder`` for an unchanged TOAST value."""

EPOCH_DATE: Final = dt.date(1970, 1, 1)
EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
EPOCH_NAIVE: Final = dt.datetime(1970, 1, 1)

# Type OIDs (pg_type.oid), fixed for the built-in types.
BOOL, BYTEA, CHAR, NAME, INT8, INT2, INT4, TEXT, OID = 16, 17, 18, 19, 20, 21, 23, 25, 26
JSON, XML, FLOAT4, FLOAT8, MONEY, BPCHAR, VARCHAR = 114, 142, 700, 701, 790, 1042, 1043
DATE, TIME, TIMESTAMP, TIMESTAMPTZ, INTERVAL, TIMETZ = 1082, 1083, 1114, 1184, 1186, 1266
NUMERIC, UUID, JSONB = 1700, 2950, 3802
INET, CIDR, MACADDR, MACADDR8 = 869, 650, 829, 774
INT4RANGE, NUMRANGE, TSRANGE, TSTZRANGE, DATERANGE, INT8RANGE = 3904, 3906, 3908, 3910, 3912, 3926
BOOL_ARRAY, BYTEA_ARRAY, INT2_ARRAY, INT4_ARRAY, TEXT_ARRAY = 1000, 1001, 1005, 1007, 1009
BPCHAR_ARRAY, VARCHAR_ARRAY, INT8_ARRAY, FLOAT4_ARRAY, FLOAT8_ARRAY = 1014, 1015, 1016, 1021, 1022
CHAR_ARRAY, DATE_ARRAY, NUMERIC_ARRAY, UUID_ARRAY = 1002, 1182, 1231, 2951
JSON_ARRAY, JSONB_ARRAY, OID_ARRAY = 199, 3807, 1028
TIMESTAMP_ARRAY, TIMESTAMPTZ_ARRAY = 1115, 1185
BIT, VARBIT, POINT = 1560, 1562, 600
BIT_ARRAY, VARBIT_ARRAY, POINT_ARRAY = 1561, 1563, 1017

NO_TYPE_MODIFIER: Final = -1
POINT_NAME: Final = "io.debezium.data.geometry.Point"
VARIABLE_SCALE_NAME: Final = "io.debezium.data.VariableScaleDecimal"
UNKNOWN_LENGTH: Final = 2**31 - 1
"""pgjdbc's ``unknownLength`` (``Integer.MAX_VALUE``): the length it gives a ``varbit`` without
one, which Debezium puts in the ``Bits`` schema's ``length``."""

NEVER_MAPPED: Final = frozenset((VARBIT_ARRAY, POINT_ARRAY))
"""Types whose schema Debezium's ``PostgresValueConverter`` declines outright (``return null``,
"still need to be implemented"): the column is left out even with ``include.unknown.datatypes``."""


@dataclass(frozen=True)
class TypeSettings:
    """The connector settings that shape schemas and values."""

    decimal_mode: str = "precise"
    """``decimal.handling.mode``: precise, double or string."""
    time_precision_mode: str = "adaptive"
    """``time.precision.mode``: adaptive, adaptive_time_microseconds or connect."""
    include_unknown: bool = False
    """``include.unknown.datatypes``."""
    money_fraction_digits: int = 2


@dataclass(frozen=True)
class ColumnInfo:
    """What the catalog says about one column."""

    name: str
    type_oid: int
    type_modifier: int
    optional: bool
    type_name: str = ""
    enum_values: tuple[str, ...] | None = None
    """Labels of an enum type, in their order, for ``io.debezium.data.Enum``."""
    udt_name: str = ""
    """``pg_type.typname`` (``int4``, ``varchar``...): what Debezium's default parsers key on."""
    default_expr: str | None = None
    """The column default as ``pg_get_expr`` prints it (``7``, ``'x'::character varying``)."""


Converter = Callable[[Any], Any]


@dataclass(frozen=True)
class ColumnMapping:
    column: ColumnInfo
    schema: Schema
    convert: Converter
    """Text (or ``None``, or the unchanged-TOAST marker) to the Connect value."""


def _temporal_precision(column: ColumnInfo) -> int:
    """Fractional digits of a time/timestamp column (6 when unconstrained), as pgjdbc says."""
    return 6 if column.type_modifier < 0 else column.type_modifier


def _numeric_precision_scale(column: ColumnInfo) -> tuple[int, int] | None:
    if column.type_modifier < 4:
        return None
    mod = column.type_modifier - 4
    return (mod >> 16) & 0xFFFF, mod & 0xFFFF


def _named(builder: SchemaBuilder, name: str, version: int = 1) -> SchemaBuilder:
    return builder.name(name).version(version)


# -- text parsers -----------------------------------------------------------------------------


def _parse_bool(text: str) -> bool:
    return text in ("t", "true")  # pgoutput sends boolout's t, ::text casts say true


def _parse_float(text: str) -> float:
    lowered = text.lower()
    if lowered == "nan":
        return math.nan
    if lowered in ("infinity", "-infinity"):
        return math.inf if lowered[0] != "-" else -math.inf
    return float(text)


def _parse_bytea(text: str) -> bytes:
    if text.startswith("\\x"):
        return bytes.fromhex(text[2:])
    # bytea_output=escape: backslash octal escapes
    out = bytearray()
    i = 0
    raw = text.encode("utf-8")
    while i < len(raw):
        if raw[i] == 0x5C:  # backslash
            if raw[i + 1] == 0x5C:
                out.append(0x5C)
                i += 2
            else:
                out.append(int(raw[i + 1 : i + 4], 8))
                i += 4
        else:
            out.append(raw[i])
            i += 1
    return bytes(out)


def _parse_bit(text: str) -> bool:
    """``bit(1)`` (or ``varbit(1)``): Debezium's ``Integer.valueOf(text, 2) != 0``."""
    return "1" in text


def _parse_bits(text: str) -> bytes:
    """A bit string as Debezium's ``convertBits`` gives it: the bits read as one binary number
    (the last character is bit 0), as ``BitSet.toByteArray`` writes it: little-endian, as few
    bytes as the highest set bit needs (none when no bit is set)."""
    number = int(text, 2) if text else 0
    return number.to_bytes((number.bit_length() + 7) // 8, "little")


def _parse_point(text: str) -> tuple[float, float]:
    """``(x,y)``, as pgjdbc's ``PGpoint`` reads it; :func:`map_column` makes the struct."""
    x, _, y = text.strip().strip("()").partition(",")
    return _parse_float(x.strip()), _parse_float(y.strip())


def point_wkb(x: float, y: float) -> bytes:
    """Debezium's ``Point.buildWKBPoint``: little-endian WKB of a 2D point."""
    return struct.pack("<BIdd", 1, 1, x, y)


def _parse_date(text: str) -> dt.date:
    if text.endswith(" BC"):
        raise DataError(f"date {text} is before year 1, which Python cannot represent")
    return dt.date.fromisoformat(text)


def _parse_time(text: str) -> int:
    """Microseconds of the day (``24:00:00`` is allowed by PostgreSQL)."""
    hh, mm, *more = text.split(":")
    rest = more[0] if more else "0"
    seconds, _, fraction = rest.partition(".")
    micros = int((fraction + "000000")[:6]) if fraction else 0
    return ((int(hh) * 60 + int(mm)) * 60 + int(seconds)) * 1_000_000 + micros


_TZ_RE = re.compile(r"([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?$")


def _split_offset(text: str) -> tuple[str, int]:
    """The local part and the UTC offset in seconds of ``...+05:30``-style text."""
    m = _TZ_RE.search(text)
    if m is None:
        raise DataError(f"no time zone offset in {text!r}")
    sign = -1 if m.group(1) == "-" else 1
    seconds = int(m.group(2)) * 3600 + int(m.group(3) or 0) * 60 + int(m.group(4) or 0)
    return text[: m.start()], sign * seconds


INFINITY_MICROS: Final = 9_223_372_036_825_200_000
"""pgjdbc's ``PGStatement.DATE_POSITIVE_INFINITY``, which Debezium sends for ``infinity``."""
NEGATIVE_INFINITY_MICROS: Final = -9_223_372_036_832_400_000


def _timestamp_micros(text: str) -> int:
    if text == "infinity":
        return INFINITY_MICROS
    if text == "-infinity":
        return NEGATIVE_INFINITY_MICROS
    return _epoch_micros(_parse_timestamp(text))


def _parse_timestamp(text: str) -> dt.datetime:
    """A ``timestamp`` (without time zone) as a naive datetime."""
    if text.endswith(" BC"):
        raise DataError(f"timestamp {text} is before year 1, which Python cannot represent")
    date_part, _, time_part = text.partition(" ")
    micros = _parse_time(time_part) if time_part else 0
    day = dt.date.fromisoformat(date_part)
    return dt.datetime(day.year, day.month, day.day) + dt.timedelta(microseconds=micros)


def _parse_timestamptz(text: str) -> dt.datetime:
    if " " not in text and len(text) == 10:  # a bare date (a default's placeholder): UTC
        return _parse_timestamp(text).replace(tzinfo=dt.UTC)
    local, offset = _split_offset(text)
    naive = _parse_timestamp(local)
    return (naive - dt.timedelta(seconds=offset)).replace(tzinfo=dt.UTC)


def _epoch_micros(value: dt.datetime) -> int:
    delta = value - (EPOCH if value.tzinfo is not None else EPOCH_NAIVE)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _fraction(micros: int, width: int | None) -> str:
    """Java's ISO formatting of the fraction: ``width`` digits, or as few as needed (none for
    zero) when ``width`` is ``None``."""
    if width is not None:
        return "." + f"{micros:06d}{'0' * 3}"[:width]
    if micros == 0:
        return ""
    return "." + f"{micros:06d}".rstrip("0")


def zoned_timestamp(text: str, width: int) -> str:
    """``io.debezium.time.ZonedTimestamp``: UTC, ISO-8601, ``width`` fractional digits."""
    if text in ("infinity", "-infinity"):
        return text
    value = _parse_timestamptz(text)
    base = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.year > 9999:
        base = "+" + base
    frac = _fraction(value.microsecond, width if 0 < width <= 9 else None)
    return f"{base}{frac}Z"


def zoned_time(text: str) -> str:
    """``io.debezium.time.ZonedTime``: the time moved to UTC, Java's ``ISO_OFFSET_TIME``."""
    local, offset = _split_offset(text)
    micros = (_parse_time(local) - offset * 1_000_000) % (86_400 * 1_000_000)
    seconds, frac = divmod(micros, 1_000_000)
    hh, rest = divmod(seconds, 3600)
    mm, ss = divmod(rest, 60)
    return f"{hh:02d}:{mm:02d}:{ss:02d}{_fraction(frac, None)}Z"


_INTERVAL_PART = re.compile(r"([+-]?\d+) (year|mon|day)s?")
_INTERVAL_TIME = re.compile(r"([+-])?(\d+):(\d+):(\d+(?:\.\d+)?)")
DAYS_PER_MONTH_AVG: Final = 365.25 / 12.0


def interval_micros(text: str) -> int:
    """``io.debezium.time.MicroDuration`` of PostgreSQL's interval output (IntervalStyle
    postgres): Debezium's ``durationMicros`` with months of 365.25/12 days, in the same double
    arithmetic so the values agree to the microsecond."""
    years = months = days = hours = minutes = 0
    seconds = 0.0
    for amount, unit in _INTERVAL_PART.findall(text):
        if unit == "year":
            years = int(amount)
        elif unit == "mon":
            months = int(amount)
        else:
            days = int(amount)
    m = _INTERVAL_TIME.search(text)
    if m is not None:
        sign = -1 if m.group(1) == "-" else 1
        hours, minutes = sign * int(m.group(2)), sign * int(m.group(3))
        seconds = sign * float(m.group(4))
    number_of_days = ((years * 12) + months) * DAYS_PER_MONTH_AVG + days
    number_of_seconds = (((number_of_days * 24 + hours) * 60) + minutes) * 60 + seconds
    return int(number_of_seconds * 1e6)


def parse_array(text: str) -> list[str | None]:
    """The elements of a one-dimensional PostgreSQL array literal (``{1,2,NULL,"a b"}``), as
    text; ``None`` for ``NULL``. A lower-bound prefix (``[0:1]={...}``) is skipped."""
    if text.startswith("["):
        text = text[text.index("=") + 1 :]
    if not (text.startswith("{") and text.endswith("}")):
        raise DataError(f"not an array literal: {text[:60]!r}")
    body = text[1:-1]
    if not body:
        return []
    if body.startswith("{"):
        raise DataError("multi-dimensional arrays are not supported")
    out: list[str | None] = []
    i = 0
    n = len(body)
    while i <= n:
        if i < n and body[i] == '"':
            i += 1
            buf = []
            while body[i] != '"':
                if body[i] == "\\":
                    i += 1
                buf.append(body[i])
                i += 1
            i += 1  # closing quote
            out.append("".join(buf))
        else:
            end = body.find(",", i)
            end = n if end < 0 else end
            item = body[i:end].strip()
            out.append(None if item.upper() == "NULL" else item)
            i = end
        i += 1  # the comma
    return out


# -- decimals ---------------------------------------------------------------------------------


def _variable_scale_schema() -> SchemaBuilder:
    return (
        SchemaBuilder.struct()
        .name(VARIABLE_SCALE_NAME)
        .version(1)
        .doc("Variable scaled decimal")
        .field("scale", SchemaBuilder.int32().build())
        .field("value", SchemaBuilder.bytes().build())
    )


def _unscaled_bytes(value: decimal.Decimal) -> tuple[int, bytes]:
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    unscaled = int("".join(map(str, digits)) or "0")
    if sign:
        unscaled = -unscaled
    length = max(1, (unscaled + (unscaled < 0)).bit_length() // 8 + 1)
    return -exponent, unscaled.to_bytes(length, "big", signed=True)


def _decimal_mapping(
    column: ColumnInfo, settings: TypeSettings, money: bool = False
) -> tuple[SchemaBuilder, Converter]:
    ps = None if money else _numeric_precision_scale(column)
    mode = settings.decimal_mode

    def parse(text: str) -> decimal.Decimal:
        if money:
            text = text.replace("$", "").replace(",", "")
            if text.startswith("(") and text.endswith(")"):
                text = "-" + text[1:-1]
        return decimal.Decimal(text)

    if mode == "double":
        return SchemaBuilder.float64(), lambda t: float(parse(t))
    if mode == "string":
        return SchemaBuilder.string(), lambda t: _plain(parse(t))
    if money:
        scale = settings.money_fraction_digits
        return Decimal.builder(scale), lambda t: parse(t).quantize(
            decimal.Decimal(1).scaleb(-scale)
        )
    if ps is None:

        def variable(text: str) -> tuple[int, bytes] | None:
            """``(scale, unscaled bytes)``; :func:`map_column` wraps it in the final schema."""
            value = parse(text)
            if not value.is_finite():
                return None
            scale, unscaled = _unscaled_bytes(value)
            if scale < 0:
                value = value.quantize(decimal.Decimal(1))
                scale, unscaled = _unscaled_bytes(value)
            return scale, unscaled

        return _variable_scale_schema(), variable
    precision, scale = ps
    quantum = decimal.Decimal(1).scaleb(-scale)

    def fixed(text: str) -> decimal.Decimal | None:
        value = parse(text)
        if not value.is_finite():
            return None  # NaN has no Decimal form (Debezium sends null too)
        return value.quantize(quantum)

    return Decimal.builder(scale).parameter("connect.decimal.precision", str(precision)), fixed


def _plain(value: decimal.Decimal) -> str:
    if not value.is_finite():
        return "NaN" if value.is_nan() else ("Infinity" if value > 0 else "-Infinity")
    return format(value, "f")


# -- the mapping ------------------------------------------------------------------------------


def _point_schema() -> SchemaBuilder:
    """Debezium's ``Point.builder()``."""
    return (
        SchemaBuilder.struct()
        .name(POINT_NAME)
        .version(1)
        .doc("Geometry (POINT)")
        .field("x", SchemaBuilder.float64().build())
        .field("y", SchemaBuilder.float64().build())
        .field("wkb", SchemaBuilder.bytes().optional().build())
        .field("srid", SchemaBuilder.int32().optional().build())
    )


def _point_struct(schema: Schema, x: float, y: float) -> Struct:
    """Debezium's ``Point.createValue``: no ``srid``."""
    return Struct(schema).put("x", x).put("y", y).put("wkb", point_wkb(x, y))


def _bits_mapping(column: ColumnInfo) -> tuple[SchemaBuilder, Converter]:
    """``bit(n)``/``varbit(n)`` by the length pgjdbc reports (the type modifier; ``varbit``
    without one: :data:`UNKNOWN_LENGTH`): a boolean for one bit, else ``io.debezium.data.Bits``
    with the length as a parameter."""
    length = column.type_modifier
    if column.type_oid == VARBIT and length == NO_TYPE_MODIFIER:
        length = UNKNOWN_LENGTH
    if length > 1:
        builder = _named(SchemaBuilder.bytes(), "io.debezium.data.Bits").parameter(
            "length", str(length)
        )
        return builder, _parse_bits
    return SchemaBuilder.bool(), _parse_bit


def _temporal(column: ColumnInfo, settings: TypeSettings) -> tuple[SchemaBuilder, Converter] | None:
    oid = column.type_oid
    mode = settings.time_precision_mode
    precision = _temporal_precision(column)
    if oid == DATE:
        if mode == "connect":
            return Date.builder(), _parse_date
        return _named(
            SchemaBuilder.int32(), "io.debezium.time.Date"
        ), lambda t: (_parse_date(t) - EPOCH_DATE).days
    if oid == TIME:
        if mode == "connect":
            return Time.builder(), lambda t: (
                dt.datetime.min + dt.timedelta(microseconds=_parse_time(t) // 1000 * 1000)
            ).time()
        if mode == "adaptive" and precision <= 3:
            return _named(
                SchemaBuilder.int32(), "io.debezium.time.Time"
            ), lambda t: _parse_time(t) // 1000
        return _named(SchemaBuilder.int64(), "io.debezium.time.MicroTime"), _parse_time
    if oid == TIMESTAMP:
        if mode == "connect":
            return Timestamp.builder(), lambda t: _parse_timestamp(t).replace(
                microsecond=_parse_timestamp(t).microsecond // 1000 * 1000, tzinfo=dt.UTC
            )
        if precision <= 3:
            millis = _named(SchemaBuilder.int64(), "io.debezium.time.Timestamp")
            return millis, lambda t: _timestamp_micros(t) // 1000
        return _named(SchemaBuilder.int64(), "io.debezium.time.MicroTimestamp"), _timestamp_micros
    if oid == TIMESTAMPTZ:
        return _named(
            SchemaBuilder.string(), "io.debezium.time.ZonedTimestamp"
        ), lambda t: zoned_timestamp(t, precision)
    if oid == TIMETZ:
        return _named(SchemaBuilder.string(), "io.debezium.time.ZonedTime"), zoned_time
    if oid == INTERVAL:
        return _named(SchemaBuilder.int64(), "io.debezium.time.MicroDuration"), interval_micros
    return None


_STRINGS: Final = {
    CHAR,
    NAME,
    TEXT,
    BPCHAR,
    VARCHAR,
    INET,
    CIDR,
    MACADDR,
    MACADDR8,
    INT4RANGE,
    NUMRANGE,
    TSRANGE,
    TSTZRANGE,
    DATERANGE,
    INT8RANGE,
}

_SIMPLE: Final[dict[int, tuple[Callable[[], SchemaBuilder], Converter]]] = {
    BOOL: (SchemaBuilder.bool, _parse_bool),
    INT2: (SchemaBuilder.int16, int),
    INT4: (SchemaBuilder.int32, int),
    INT8: (SchemaBuilder.int64, int),
    OID: (SchemaBuilder.int64, int),
    FLOAT4: (SchemaBuilder.float32, _parse_float),
    FLOAT8: (SchemaBuilder.float64, _parse_float),
    BYTEA: (SchemaBuilder.bytes, _parse_bytea),
    JSON: (lambda: _named(SchemaBuilder.string(), "io.debezium.data.Json"), str),
    JSONB: (lambda: _named(SchemaBuilder.string(), "io.debezium.data.Json"), str),
    XML: (lambda: _named(SchemaBuilder.string(), "io.debezium.data.Xml"), str),
    UUID: (lambda: _named(SchemaBuilder.string(), "io.debezium.data.Uuid"), str),
}

_ARRAY_ELEMENTS: Final[dict[int, int]] = {
    BOOL_ARRAY: BOOL,
    BYTEA_ARRAY: BYTEA,
    INT2_ARRAY: INT2,
    INT4_ARRAY: INT4,
    INT8_ARRAY: INT8,
    OID_ARRAY: OID,
    TEXT_ARRAY: TEXT,
    CHAR_ARRAY: CHAR,
    BPCHAR_ARRAY: BPCHAR,
    VARCHAR_ARRAY: VARCHAR,
    FLOAT4_ARRAY: FLOAT4,
    FLOAT8_ARRAY: FLOAT8,
    NUMERIC_ARRAY: NUMERIC,
    UUID_ARRAY: UUID,
    DATE_ARRAY: DATE,
    JSON_ARRAY: JSON,
    JSONB_ARRAY: JSONB,
    TIMESTAMP_ARRAY: TIMESTAMP,
    TIMESTAMPTZ_ARRAY: TIMESTAMPTZ,
}


def _element_mapping(
    column: ColumnInfo, settings: TypeSettings
) -> tuple[SchemaBuilder, Converter] | None:
    oid = column.type_oid
    if column.enum_values is not None:
        builder = _named(SchemaBuilder.string(), "io.debezium.data.Enum").parameter(
            "allowed", ",".join(column.enum_values)
        )
        return builder, str
    if oid in _STRINGS:
        return SchemaBuilder.string(), str
    if oid in _SIMPLE:
        make, conv = _SIMPLE[oid]
        return make(), conv
    if oid == NUMERIC:
        return _decimal_mapping(column, settings)
    if oid == MONEY:
        return _decimal_mapping(column, settings, money=True)
    if oid in (BIT, VARBIT):
        return _bits_mapping(column)
    if oid == POINT:
        return _point_schema(), _parse_point
    return _temporal(column, settings)


_DEFAULT_PLACEHOLDERS: Final = {
    "bit": "00",
    "varbit": "0",
    "bool": "false",
    "bpchar": "",
    "varchar": "",
    "text": "",
    "numeric": "0.0",
    "float4": "0.0",
    "float8": "0.0",
    "int2": "0",
    "int4": "0",
    "int8": "0",
    "json": "{}",
    "jsonb": "{}",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "date": "1970-01-01",
    "time": "00:00",
    "timestamp": "1970-01-01",
    "timestamptz": "1970-01-01",
    "interval": "00:00:00",
}
"""Debezium's ``PostgresDefaultValueConverter``: the types whose defaults it reads, and the value
it puts in the schema when the default is computed (``now()``, ``nextval(...)``)."""
_FUNCTION_DEFAULT = re.compile(r"^[(]?[A-Za-z0-9_.]+\((?:.+(?:, ?.+)*)?\)")
_LITERAL_DEFAULT = re.compile(r"'([^']*(?:''[^']*)*)'")
_CURRENT = frozenset(
    ("current_timestamp", "current_time", "current_date", "localtime", "localtimestamp")
)


def default_text(column: ColumnInfo) -> str | None:
    """The text of the column's default as Debezium reads it, or ``None`` for no default."""
    expr = column.default_expr
    if expr is None:
        return None
    placeholder = _DEFAULT_PLACEHOLDERS.get(column.udt_name)
    if placeholder is None and column.enum_values is None:
        return None
    if column.udt_name not in ("bpchar", "varchar", "text", "json", "jsonb"):
        expr = expr.strip()
    if placeholder is not None and (_FUNCTION_DEFAULT.search(expr) or expr.lower() in _CURRENT):
        return placeholder
    if "'" not in expr:
        return None if expr.startswith("NULL::") else expr
    m = _LITERAL_DEFAULT.search(expr)
    return None if m is None else m.group(1).replace("''", "'")


def _zero(schema: Schema) -> Any:
    """The value Debezium's converters fall back to for a NULL in a required column."""
    from sluice.api import Type

    name = schema.name
    if name == POINT_NAME:  # Debezium's convertPoint falls back to Point.createValue(0, 0)
        return _point_struct(schema, 0.0, 0.0)
    if name == Decimal.LOGICAL_NAME:
        return decimal.Decimal(0).scaleb(-Decimal.scale_of(schema))
    if name == Date.LOGICAL_NAME:
        return EPOCH_DATE
    if name == Time.LOGICAL_NAME:
        return dt.time(0)
    if name == Timestamp.LOGICAL_NAME:
        return EPOCH
    if name == "io.debezium.time.ZonedTimestamp":
        return "1970-01-01T00:00:00Z"
    if name == "io.debezium.time.ZonedTime":
        return "00:00:00Z"
    t = schema.type
    if t in (Type.INT8, Type.INT16, Type.INT32, Type.INT64):
        return 0
    if t in (Type.FLOAT32, Type.FLOAT64):
        return 0.0
    if t is Type.BOOLEAN:
        return False
    if t is Type.STRING:
        return ""
    if t is Type.BYTES:
        return b""
    if t is Type.ARRAY:
        return []
    if t is Type.STRUCT:
        s = Struct(schema)
        for f in schema.fields or ():
            s.put(f, _zero(f.schema))
        return s
    return None


def _default_value(column: ColumnInfo, builder: SchemaBuilder, convert: Converter) -> Any:
    """The schema default Debezium derives from the column default (none for what it cannot
    parse, and none for a struct: Kafka cannot carry struct defaults, KAFKA-12694)."""
    text = default_text(column)
    if text is None:
        return None
    try:
        value = convert(text)
    except (ValueError, ArithmeticError, DataError, IndexError):
        return None
    if isinstance(value, tuple | Struct):
        return None
    return value


def _wrap_struct(schema: Schema, convert: Converter) -> Converter:
    """For ``VariableScaleDecimal`` and ``Point``: build the struct with the schema the field
    really has (optional or not), which is only known once the field's schema is built."""
    if schema.name == POINT_NAME:

        def to_point(text: Any) -> Struct:
            x, y = convert(text)
            return _point_struct(schema, x, y)

        return to_point
    if schema.name != VARIABLE_SCALE_NAME:
        return convert

    def to_struct(text: Any) -> Struct | None:
        parts = convert(text)
        if parts is None:
            return None
        return Struct(schema).put("scale", parts[0]).put("value", parts[1])

    return to_struct


def map_column(column: ColumnInfo, settings: TypeSettings) -> ColumnMapping | None:
    """The schema and converter of one column, or ``None`` when Debezium has no mapping for its
    type (and ``include.unknown.datatypes`` is off)."""
    found: tuple[SchemaBuilder, Converter] | None
    element_oid = _ARRAY_ELEMENTS.get(column.type_oid)
    if element_oid is not None:
        element = ColumnInfo(column.name, element_oid, column.type_modifier, True)
        inner = _element_mapping(element, settings)
        assert inner is not None
        element_schema = inner[0].optional().build()
        element_convert = _wrap_struct(element_schema, inner[1])

        def array(text: str) -> list[Any]:
            return [None if e is None else element_convert(e) for e in parse_array(text)]

        found = SchemaBuilder.array(element_schema), array
    else:
        found = _element_mapping(column, settings)
    if found is None:
        if not settings.include_unknown or column.type_oid in NEVER_MAPPED:
            return None
        found = SchemaBuilder.bytes(), lambda t: str(t).encode("utf-8")
    builder, convert = found
    if column.optional:
        builder.optional()
    default = _default_value(column, builder, convert)
    if default is not None:
        builder.default_value(default)
    schema = builder.build()
    convert = _wrap_struct(schema, convert)
    fallback = None
    if not column.optional:  # Debezium's convertValue: the schema default, else a zero value
        fallback = schema.default if schema.default is not None else _zero(schema)
    placeholder: Any = None
    if schema.type.name == "STRING":
        placeholder = UNAVAILABLE_PLACEHOLDER
    elif schema.type.name == "BYTES" and schema.name is None:
        placeholder = UNAVAILABLE_PLACEHOLDER.encode()
    elif schema.value_schema is not None and schema.value_schema.type.name == "STRING":
        placeholder = [UNAVAILABLE_PLACEHOLDER]

    def value_of(text: Any) -> Any:
        if text is None:
            return fallback
        if text is UNCHANGED_TOAST:
            return placeholder if placeholder is not None else fallback
        value = convert(text)
        return fallback if value is None else value

    return ColumnMapping(column, schema, value_of)
