"""Rows to Connect structs: the value schema of a table or query, and per-column converters.

The schema is named after the table (``customers``), fields in column order, optional exactly when
the column is nullable, as the Confluent connector builds it, so the JSON users already parse comes
out the same. Converters are chosen once per column, not per value: a row costs one call per
column that needs converting and nothing for the rest.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import logging
import uuid
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sluice.api import (
    DataError,
    Date,
    Decimal,
    Schema,
    SchemaBuilder,
    Struct,
    Time,
    Timestamp,
)
from sluice.connectors.jdbc.columns import ColumnInfo, ColumnKind

__all__ = ["NumericMapping", "RowMapper", "build_row_mapper"]

log = logging.getLogger(__name__)

PRECISION_PARAMETER: Final = "connect.decimal.precision"
_DECIMAL_CONTEXT: Final = decimal.Context(prec=1000)
UTC: Final = dt.UTC

Converter = Callable[[Any], Any]

_INLINE_ATTR: Final = "_sluice_inline"
"""A converter's in-line form for :func:`compile_rows_reader` (its commonest input handled in the
generated code, without a call): ``("utc", None)``, a naive ``datetime`` read as UTC, or
``("quantize", exponent)``, a ``Decimal`` quantized to ``exponent``."""


def _mark(converter: Converter, form: tuple[str, Any]) -> Converter:
    converter.__dict__[_INLINE_ATTR] = form
    return converter


def _inline_form(converter: Converter) -> tuple[str, Any] | None:
    form: tuple[str, Any] | None = getattr(converter, "__dict__", {}).get(_INLINE_ATTR)
    return form


class NumericMapping(enum.Enum):
    NONE = "none"
    PRECISION_ONLY = "precision_only"
    BEST_FIT = "best_fit"
    BEST_FIT_EAGER_DOUBLE = "best_fit_eager_double"


@dataclass
class RowMapper:
    """Turns driver rows into structs of ``schema``; ``columns`` are the fields kept."""

    schema: Schema
    columns: list[ColumnInfo]
    indexes: list[int]
    """Positions in the driver row of the kept columns (unsupported ones are dropped)."""
    converters: list[Converter | None]
    checked: bool = False
    identity: bool = False
    """Every column is kept and needs no conversion: rows are copied as they are."""
    values_many: Callable[[Sequence[Sequence[Any]]], list[list[Any]]] = field(
        init=False, repr=False
    )
    """Every row's converted field values at once (see :func:`compile_rows_reader`)."""

    def __post_init__(self) -> None:
        self.identity = all(c is None for c in self.converters) and self.indexes == list(
            range(len(self.indexes))
        )
        self.values_many = compile_rows_reader(self.indexes, self.converters)

    def values(self, row: Sequence[Any]) -> list[Any]:
        """The row's converted field values, in field order."""
        if self.identity:
            return list(row)
        return [
            row[i] if conv is None or row[i] is None else conv(row[i])
            for i, conv in zip(self.indexes, self.converters, strict=True)
        ]

    def to_struct(self, row: Sequence[Any]) -> Struct:
        return self.struct(self.values(row))

    def struct(self, values: list[Any]) -> Struct:
        if not self.checked:
            # The first row goes through the validating path: a mapping mistake shows up here,
            # naming the field, instead of deep in a converter.
            struct = Struct(self.schema)
            for field_, value in zip(self.schema.fields, values, strict=True):
                struct.put(field_, value)
            self.checked = True
            return struct
        # Converters guarantee the types; skip per-field validation.
        return Struct.trusted(self.schema, values)


def compile_rows_reader(
    indexes: Sequence[int],
    converters: Sequence[Converter | None],
) -> Callable[[Sequence[Sequence[Any]]], list[list[Any]]]:
    """One function turning a fetched batch of rows into lists of field values.

    The per-column decisions (which position, which converter, whether NULL can occur) are
    compiled into a single list comprehension, so a row costs one list display plus one call per
    converting column that holds a value: no loop over columns, no ``zip``, no branch for columns
    without a converter. The generated source names only row positions and the converters passed
    in, never text from the database (column names stay out of it).
    """
    scope: dict[str, Any] = {
        "datetime": dt.datetime,
        "UTC": UTC,
        "Decimal": decimal.Decimal,
        "CONTEXT": _DECIMAL_CONTEXT,
    }
    items = []
    for n, (index, conv) in enumerate(zip(indexes, converters, strict=True)):
        if conv is None:
            items.append(f"r[{int(index)}]")
            continue
        scope[f"c{n}"] = conv
        raw = f"r[{int(index)}]"
        form = _inline_form(conv)
        if form is not None and form[0] == "utc":
            # The driver's naive datetime, read as UTC: the converter's first case, in line.
            items.append(
                f"(v.replace(tzinfo=UTC) if type(v := {raw}) is datetime and v.tzinfo is None "
                f"else (None if v is None else c{n}(v)))"
            )
        elif form is not None and form[0] == "quantize":
            # A Decimal quantized to the column's scale, finite: the converter's work, in line.
            scope[f"e{n}"] = form[1]
            items.append(
                f"(q if type(v := {raw}) is Decimal and (q := v.quantize(e{n}, context=CONTEXT))"
                f".is_finite() else (None if v is None else c{n}(v)))"
            )
        else:
            items.append(f"(None if (v := {raw}) is None else c{n}(v))")
    source = "def read(rows):\n    return [[" + ", ".join(items) + "] for r in rows]\n"
    exec(compile(source, "<sluice.jdbc.rows_reader>", "exec"), scope)
    reader: Callable[[Sequence[Sequence[Any]]], list[list[Any]]] = scope["read"]
    return reader


def _int_schema(precision: int) -> SchemaBuilder:
    if precision > 9:
        return SchemaBuilder.int64()
    if precision > 4:
        return SchemaBuilder.int32()
    if precision > 2:
        return SchemaBuilder.int16()
    return SchemaBuilder.int8()


def _decimal_builder(
    col: ColumnInfo, mapping: NumericMapping
) -> tuple[SchemaBuilder, Converter | None]:
    precision, scale = col.precision, col.scale
    if precision is None or precision <= 0 or scale is None:
        # Unbounded NUMERIC: no fixed scale to put in a Decimal schema.
        if mapping in (NumericMapping.BEST_FIT, NumericMapping.BEST_FIT_EAGER_DOUBLE):
            return SchemaBuilder.float64(), _to_float
        return SchemaBuilder.string(), _decimal_text
    if mapping is not NumericMapping.NONE and scale <= 0 and precision <= 18:
        return _int_schema(precision), _to_int
    if mapping is NumericMapping.BEST_FIT and scale > 0 and precision <= 18:
        return SchemaBuilder.float64(), _to_float
    if mapping is NumericMapping.BEST_FIT_EAGER_DOUBLE and scale > 0:
        return SchemaBuilder.float64(), _to_float
    builder = Decimal.builder(max(scale, 0)).parameter(PRECISION_PARAMETER, str(precision))
    return builder, _quantizer(max(scale, 0))


def _quantizer(scale: int) -> Converter:
    exponent = decimal.Decimal(1).scaleb(-scale)
    decimal_type = decimal.Decimal
    context = _DECIMAL_CONTEXT

    def convert(value: Any) -> decimal.Decimal:
        if type(value) is not decimal_type:
            value = decimal_type(str(value)) if isinstance(value, float) else decimal_type(value)
        # quantize is cheaper than inspecting the exponent, and a no-op at the right scale.
        result: decimal.Decimal = value.quantize(exponent, context=context)
        if not result.is_finite():
            raise DataError(f"Cannot represent {value} as a Decimal with scale {scale}")
        return result

    return _mark(convert, ("quantize", exponent))


def _decimal_text(value: Any) -> str:
    if isinstance(value, decimal.Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    return str(value)


def _to_float(value: Any) -> float:
    return float(value)


def _to_int(value: Any) -> int:
    return int(value)


def _uint64(value: Any) -> decimal.Decimal:
    return decimal.Decimal(int(value))


def _text(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def _bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    return bytes(value)


def _bit_to_int(value: Any) -> int:
    if isinstance(value, bytes | bytearray):
        return int.from_bytes(value, "big")
    if isinstance(value, str):  # PostgreSQL bit strings: '1', '0101'
        return int(value, 2)
    return int(value)


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "t", "true", "y", "yes", "on")
    return bool(value)


def _time(value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, dt.timedelta):  # MySQL TIME comes back as a duration
        seconds = int(value.total_seconds()) % 86400
        return dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60, value.microseconds)
    if isinstance(value, str):
        return dt.time.fromisoformat(value.strip())
    raise DataError(f"Cannot read {value!r} as a time")


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("0000-00-00"):
            return None  # MySQL's zero date: no such day
        return dt.date.fromisoformat(text[:10])
    if isinstance(value, int):
        return dt.date(1970, 1, 1) + dt.timedelta(days=value)
    raise DataError(f"Cannot read {value!r} as a date")


def _year(value: Any) -> dt.date:
    return dt.date(int(value), 1, 1)


def parse_timestamp_text(text: str) -> dt.datetime | None:
    """ISO-ish text (``2024-01-02 03:04:05.678``, ``T`` separator, offsets) as a datetime."""
    text = text.strip()
    if text.startswith("0000-00-00"):
        return None
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return dt.datetime.fromisoformat(text)


def timestamp_reader(zone: dt.tzinfo, utc_column: bool) -> Converter:
    """Driver value → aware UTC datetime; wall-clock values are read in ``zone``."""
    naive_zone = UTC if utc_column else zone
    fast_utc = naive_zone is UTC
    datetime_type = dt.datetime

    def convert(value: Any) -> dt.datetime | None:
        if type(value) is datetime_type:
            if value.tzinfo is None:
                if fast_utc:
                    return value.replace(tzinfo=UTC)
                value = value.replace(tzinfo=naive_zone)
            elif value.tzinfo is UTC:
                return value
            result_: dt.datetime = value.astimezone(UTC)
            return result_
        if isinstance(value, str):
            parsed = parse_timestamp_text(value)
            if parsed is None:
                return None
            value = parsed
        elif isinstance(value, int | float) and not isinstance(value, bool):
            return dt.datetime.fromtimestamp(value / 1000.0, UTC)
        elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        if not isinstance(value, dt.datetime):
            raise DataError(f"Cannot read {value!r} as a timestamp")
        if value.tzinfo is None:
            value = value.replace(tzinfo=naive_zone)
        result: dt.datetime = value.astimezone(UTC)
        return result

    return _mark(convert, ("utc", None)) if fast_utc else convert


def _column_schema(
    col: ColumnInfo, mapping: NumericMapping, zone: dt.tzinfo
) -> tuple[SchemaBuilder, Converter | None] | None:
    kind = col.kind
    if kind is ColumnKind.BOOLEAN:
        return SchemaBuilder.bool(), _bool
    if kind is ColumnKind.INT8:
        return SchemaBuilder.int8(), None
    if kind is ColumnKind.INT16:
        return SchemaBuilder.int16(), None
    if kind is ColumnKind.INT32:
        return SchemaBuilder.int32(), None
    if kind is ColumnKind.INT64:
        return SchemaBuilder.int64(), None
    if kind is ColumnKind.UINT64:
        return Decimal.builder(0).parameter(PRECISION_PARAMETER, "20"), _uint64
    if kind is ColumnKind.FLOAT32:
        return SchemaBuilder.float32(), _to_float
    if kind is ColumnKind.FLOAT64:
        return SchemaBuilder.float64(), _to_float
    if kind is ColumnKind.DECIMAL:
        return _decimal_builder(col, mapping)
    if kind is ColumnKind.STRING:
        return SchemaBuilder.string(), None  # drivers hand out str for character columns
    if kind in (ColumnKind.JSON, ColumnKind.UUID, ColumnKind.OTHER):
        return SchemaBuilder.string(), _text
    if kind is ColumnKind.BYTES:
        return SchemaBuilder.bytes(), _bytes
    if kind is ColumnKind.BIT:
        if (col.length or 1) == 1:
            return SchemaBuilder.int8(), _bit_to_int
        return SchemaBuilder.bytes(), _bytes_of_bits
    if kind is ColumnKind.DATE:
        return Date.builder(), _date
    if kind is ColumnKind.YEAR:
        return Date.builder(), _year
    if kind is ColumnKind.TIME:
        return Time.builder(), _time
    if kind is ColumnKind.TIMESTAMP:
        return Timestamp.builder(), timestamp_reader(zone, col.utc)
    return None


def _bytes_of_bits(value: Any) -> bytes:
    if isinstance(value, str):
        number = int(value, 2) if value else 0
        return number.to_bytes(max(1, (len(value) + 7) // 8), "big")
    return bytes(value)


def build_row_mapper(
    schema_name: str | None,
    columns: Sequence[ColumnInfo],
    mapping: NumericMapping,
    zone: dt.tzinfo,
) -> RowMapper:
    """The struct schema and converters for ``columns`` (in result-set order)."""
    builder = SchemaBuilder.struct()
    if schema_name:
        builder.name(schema_name)
    kept: list[ColumnInfo] = []
    indexes: list[int] = []
    converters: list[Converter | None] = []
    seen: set[str] = set()
    for index, col in enumerate(columns):
        found = _column_schema(col, mapping, zone)
        if found is None:
            log.warning("Column %s of type %s is not supported; skipped", col.name, col.type_name)
            continue
        if col.name in seen:
            log.warning(
                "Duplicate column name %s in the result; the later one is skipped", col.name
            )
            continue
        seen.add(col.name)
        field_builder, converter = found
        if col.nullable:
            field_builder.optional()
        builder.field(col.name, field_builder.build())
        kept.append(col)
        indexes.append(index)
        if converter is not None and col.kind in (ColumnKind.DATE, ColumnKind.TIMESTAMP):
            converter = _null_safe(converter, col)  # zero dates read as None
        converters.append(converter)
    return RowMapper(builder.build(), kept, indexes, converters)


def _null_safe(converter: Converter, col: ColumnInfo) -> Converter:
    """Converters may answer None (MySQL zero dates); a required column cannot take that."""
    if col.nullable:
        return converter

    def convert(value: Any) -> Any:
        out = converter(value)
        if out is None:
            raise DataError(f"Column {col.name} is NOT NULL but holds {value!r}")
        return out

    form = _inline_form(converter)
    return convert if form is None else _mark(convert, form)  # the in-line case is never None


def zone_of(name: str) -> dt.tzinfo:
    """``db.timezone`` as a tzinfo (IANA names and UTC)."""
    if name.upper() in ("UTC", "Z", "GMT"):
        return UTC
    return zoneinfo.ZoneInfo(name)


def uuid_text(value: Any) -> str:
    return str(value) if isinstance(value, uuid.UUID) else _text(value)
