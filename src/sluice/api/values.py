"""Kafka's ``Values``: Connect values to and from their plain-text form, with type inference.

Kafka keeps ``Values`` in connect-api, and so does sluice: converters, transforms and connectors
share this one port. ``convert_to_string`` is how ``SimpleHeaderConverter`` writes header values
(strings as they are, nested strings quoted, bytes in Base64, lists ``[a,b]``, maps and structs
``{"k":v}``, dates in ISO 8601 UTC); ``parse_string`` reads such text back and infers a schema:
``true``/``false`` are booleans, integers take the smallest of INT8..INT64, other numbers FLOAT32
(or FLOAT64 or Decimal when they do not fit), ``[..]``/``{..}`` arrays and maps whose elements
share a type, ISO dates, times and timestamps their logical types, and anything else stays a
string. The parser follows Kafka's tokenizer and quirks exactly, so header values mean the same
thing on both runtimes.

The ``convert_to_*`` functions coerce a value of any known type to one type, as transforms such as
``MaskField`` need. Dates are handled in UTC throughout, as on a JVM running with ``TZ=UTC``, and
formatted and parsed with the ``SimpleDateFormat`` port (hybrid Julian/Gregorian calendar).
Connector authors reach all of it through :class:`Values`.
"""

from __future__ import annotations

import base64
import datetime as _dt
import decimal
import math
from collections.abc import Mapping
from typing import Any, Final

from sluice.api._values_parse import (
    DATE_FORMAT,
    MILLIS_PER_DAY,
    TIME_FORMAT,
    TIMESTAMP_FORMAT,
    big_decimal,
    parse_string,
)
from sluice.api.errors import DataError
from sluice.api.logical import Date, Decimal, Time, Timestamp, to_epoch_millis
from sluice.api.schema import (
    DATE_NAME,
    DECIMAL_NAME,
    TIME_NAME,
    TIMESTAMP_NAME,
    Schema,
    SchemaBuilder,
    Type,
)
from sluice.api.struct import Struct
from sluice.api.value_text import java_class_name, value_to_string
from sluice.jdk.date_format import JavaDateFormat
from sluice.jdk.dates import millis_of
from sluice.jdk.numbers import (
    bigdecimal_to_string,
    double_to_string,
    float_to_int,
    float_to_string,
    to_float32,
    truncate_wrapped,
    wrap,
)

__all__ = [
    "Values",
    "convert_to",
    "convert_to_boolean",
    "convert_to_byte",
    "convert_to_date",
    "convert_to_decimal",
    "convert_to_double",
    "convert_to_float",
    "convert_to_integer",
    "convert_to_list",
    "convert_to_long",
    "convert_to_map",
    "convert_to_short",
    "convert_to_string",
    "convert_to_struct",
    "convert_to_time",
    "convert_to_timestamp",
    "date_format_for",
    "infer_schema",
    "parse_big_decimal",
    "parse_string",
]

_NULL: Final = "null"
_ARRAY_SELECTOR: Final = SchemaBuilder.array(Schema.STRING_SCHEMA).build()
_MAP_SELECTOR: Final = SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.STRING_SCHEMA).build()
_STRUCT_SELECTOR: Final = SchemaBuilder.struct().build()
_NULL_INPUT: Final = "Unable to convert a null value to a schema that requires a value"


def _cannot(value: Any, target: object) -> DataError:
    text = value_to_string(value)
    return DataError(f"Unable to convert {text} (class {java_class_name(value)}) to {target}")


def parse_big_decimal(text: str) -> decimal.Decimal:
    """``new BigDecimal(text)``; raises ``ValueError`` (Java's ``NumberFormatException``)."""
    number = big_decimal(text)
    if number is None:
        raise ValueError(f"Not a decimal number: {text!r}")
    return number


# -- converting to one type -----------------------------------------------------------------------
def convert_to_boolean(schema: Schema | None, value: Any) -> bool | None:
    """A boolean: ``true``/``false`` text, or any number (non-zero is true)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        parsed = parse_string(value)
        if isinstance(parsed.value, bool):
            return parsed.value
    return _as_long(value, schema) != 0


def convert_to_byte(schema: Schema | None, value: Any) -> int | None:
    """An INT8 value; wider numbers are narrowed as Java's ``(byte)`` cast does."""
    return None if value is None else wrap(_as_long(value, schema), 8)


def convert_to_short(schema: Schema | None, value: Any) -> int | None:
    """An INT16 value; wider numbers are narrowed as Java's ``(short)`` cast does."""
    return None if value is None else wrap(_as_long(value, schema), 16)


def convert_to_integer(schema: Schema | None, value: Any) -> int | None:
    """An INT32 value; wider numbers are narrowed as Java's ``(int)`` cast does."""
    return None if value is None else wrap(_as_long(value, schema), 32)


def convert_to_long(schema: Schema | None, value: Any) -> int | None:
    """An INT64 value; fractions are truncated toward zero."""
    return None if value is None else _as_long(value, schema)


def convert_to_float(schema: Schema | None, value: Any) -> float | None:
    """A FLOAT32 value (a Python float holding a 32-bit float's value)."""
    if value is None:
        return None
    if isinstance(value, float) and schema is not None and schema.type is Type.FLOAT32:
        return value
    return to_float32(_as_double(value, schema))


def convert_to_double(schema: Schema | None, value: Any) -> float | None:
    """A FLOAT64 value."""
    return None if value is None else _as_double(value, schema)


def convert_to_string(schema: Schema | None, value: Any) -> str | None:
    """The text form ``parse_string`` reads back (the schema marks 32-bit floats)."""
    if value is None:
        return None
    out: list[str] = []
    _append(out, value, False, schema)
    return "".join(out)


def convert_to_list(schema: Schema | None, value: Any) -> list[Any]:
    """A list, parsing text such as ``[1,2]``."""
    return _convert_to_array(_ARRAY_SELECTOR, value)


def convert_to_map(schema: Schema | None, value: Any) -> dict[Any, Any]:
    """A dict, parsing text such as ``{"a":1}``."""
    return _convert_to_map(_MAP_SELECTOR, value)


def convert_to_struct(schema: Schema | None, value: Any) -> Struct:
    """The value itself when it is a :class:`Struct` (nothing else converts to one)."""
    return _convert_to_struct(_STRUCT_SELECTOR, value)


def convert_to_time(schema: Schema | None, value: Any) -> _dt.time:
    """A Time: ISO text, a number of milliseconds, or the time of day of a Timestamp."""
    if value is None:
        raise DataError(_NULL_INPUT)
    result: _dt.time = _to_time(Time.SCHEMA, schema, value)
    return result


def convert_to_date(schema: Schema | None, value: Any) -> _dt.date:
    """A Date: ISO text, a number of days, or the day of a Timestamp."""
    if value is None:
        raise DataError(_NULL_INPUT)
    result: _dt.date = _to_date(Date.SCHEMA, schema, value)
    return result


def convert_to_timestamp(schema: Schema | None, value: Any) -> _dt.datetime:
    """A Timestamp: ISO text, epoch milliseconds, or a Date or Time read as an instant."""
    if value is None:
        raise DataError(_NULL_INPUT)
    result: _dt.datetime = _to_timestamp(Timestamp.SCHEMA, schema, value)
    return result


def convert_to_decimal(schema: Schema | None, value: Any, scale: int) -> decimal.Decimal:
    """A Decimal: from its bytes, a number (via its double value, as Kafka does) or text."""
    if value is None:
        raise DataError(_NULL_INPUT)
    return _to_decimal(Decimal.schema(scale), value)


def convert_to(to_schema: Schema, from_schema: Schema | None, value: Any) -> Any:
    """``value`` converted to ``to_schema``'s type (and logical type)."""
    if value is None:
        if to_schema.optional:
            return None
        raise DataError(_NULL_INPUT)
    t = to_schema.type
    name = to_schema.name
    if t is Type.BYTES:
        if name == DECIMAL_NAME:
            return _to_decimal(to_schema, value)
        return _to_bytes(to_schema, value)
    if t is Type.STRING:
        return convert_to_string(from_schema, value)
    if t is Type.BOOLEAN:
        return convert_to_boolean(from_schema, value)
    if t is Type.INT8:
        return convert_to_byte(from_schema, value)
    if t is Type.INT16:
        return convert_to_short(from_schema, value)
    if t is Type.INT32:
        if name == DATE_NAME:
            return _to_date(to_schema, from_schema, value)
        if name == TIME_NAME:
            return _to_time(to_schema, from_schema, value)
        return convert_to_integer(from_schema, value)
    if t is Type.INT64:
        if name == TIMESTAMP_NAME:
            return _to_timestamp(to_schema, from_schema, value)
        return convert_to_long(from_schema, value)
    if t is Type.FLOAT32:
        return convert_to_float(from_schema, value)
    if t is Type.FLOAT64:
        return convert_to_double(from_schema, value)
    if t is Type.ARRAY:
        return _convert_to_array(to_schema, value)
    if t is Type.MAP:
        return _convert_to_map(to_schema, value)
    return _convert_to_struct(to_schema, value)


def _to_decimal(to_schema: Schema, value: Any) -> decimal.Decimal:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return Decimal.to_logical(to_schema, bytes(value))
    if isinstance(value, decimal.Decimal):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # Kafka goes through the double value (BigDecimal.valueOf(double)).
        d = float(value)
        if not math.isfinite(d):
            raise DataError(f"Unable to convert {value!r} to a decimal: not a finite number")
        return decimal.Decimal(double_to_string(d))
    if isinstance(value, str):
        number = big_decimal(value)
        if number is None:
            raise _cannot(value, to_schema)
        return number
    raise _cannot(value, to_schema)


def _to_bytes(to_schema: Schema, value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, decimal.Decimal):
        return Decimal.from_logical(to_schema, value)
    raise _cannot(value, to_schema)


def _to_date(to_schema: Schema, from_schema: Schema | None, value: Any) -> Any:
    if isinstance(value, str):
        value = parse_string(value).value
    if isinstance(value, (_dt.date, _dt.time)):
        from_name = from_schema.name if from_schema is not None else None
        if from_schema is None or from_name == DATE_NAME:
            return value
        if from_name == TIMESTAMP_NAME and isinstance(value, _dt.datetime):
            millis = to_epoch_millis(value)
            days = abs(millis) // MILLIS_PER_DAY  # Java's long division truncates toward zero
            return Date.to_logical(to_schema, wrap(-days if millis < 0 else days, 32))
    return Date.to_logical(to_schema, wrap(_as_long(value, from_schema), 32))


def _to_time(to_schema: Schema, from_schema: Schema | None, value: Any) -> Any:
    if isinstance(value, str):
        value = parse_string(value).value
    if isinstance(value, (_dt.date, _dt.time)):
        from_name = from_schema.name if from_schema is not None else None
        if from_schema is None or from_name == TIME_NAME:
            return value
        if from_name == TIMESTAMP_NAME and isinstance(value, _dt.datetime):
            millis = to_epoch_millis(value) % MILLIS_PER_DAY
            return Time.to_logical(to_schema, millis)
    return Time.to_logical(to_schema, wrap(_as_long(value, from_schema), 32))


def _to_timestamp(to_schema: Schema, from_schema: Schema | None, value: Any) -> Any:
    if isinstance(value, str):
        value = parse_string(value).value
    if isinstance(value, (_dt.date, _dt.time)):
        if from_schema is None:
            return value
        from_name = from_schema.name
        if from_name == DATE_NAME and isinstance(value, _dt.date):
            days = Date.from_logical(from_schema, value)
            return Timestamp.to_logical(to_schema, days * MILLIS_PER_DAY)
        if from_name == TIME_NAME and isinstance(value, _dt.time):
            return Timestamp.to_logical(to_schema, Time.from_logical(from_schema, value))
        if from_name == TIMESTAMP_NAME:
            return value
    return Timestamp.to_logical(to_schema, _as_long(value, from_schema))


def _convert_to_array(to_schema: Schema, value: Any) -> list[Any]:
    if value is None:
        raise DataError(_NULL_INPUT)
    if isinstance(value, str):
        value = parse_string(value).value
    if isinstance(value, list):
        return value
    raise _cannot(value, to_schema)


def _convert_to_map(to_schema: Schema, value: Any) -> dict[Any, Any]:
    if value is None:
        raise DataError(_NULL_INPUT)
    if isinstance(value, str):
        value = parse_string(value).value
    if isinstance(value, dict):
        return value
    raise _cannot(value, to_schema)


def _convert_to_struct(to_schema: Schema, value: Any) -> Struct:
    if value is None:
        raise DataError(_NULL_INPUT)
    if isinstance(value, Struct):
        return value
    raise _cannot(value, to_schema)


def _as_long(value: Any, from_schema: Schema | None) -> int:
    """Java's ``Number.longValue()`` of ``value``, or of the number its text spells."""
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        return wrap(value, 64)
    elif isinstance(value, float):
        return float_to_int(value, 64)
    elif isinstance(value, decimal.Decimal):
        if value.is_finite():
            return truncate_wrapped(value)
    elif isinstance(value, str):
        number = big_decimal(value)
        if number is not None:
            return truncate_wrapped(number)
    if from_schema is not None:
        name = from_schema.name
        if isinstance(value, (_dt.date, _dt.time)):
            if name == DATE_NAME and isinstance(value, _dt.date):
                return Date.from_logical(from_schema, value)
            if name == TIME_NAME and isinstance(value, _dt.time):
                return Time.from_logical(from_schema, value)
            if name == TIMESTAMP_NAME and isinstance(value, _dt.datetime):
                return Timestamp.from_logical(from_schema, value)
        raise _cannot(value, from_schema)
    raise _cannot(value, "a number")


def _as_double(value: Any, schema: Schema | None) -> float:
    if isinstance(value, float):
        return value
    if isinstance(value, bool):
        pass
    elif isinstance(value, (int, decimal.Decimal)):
        try:
            return float(value)
        except OverflowError:
            return -math.inf if value < 0 else math.inf
    elif isinstance(value, str):
        number = big_decimal(value)
        if number is not None:
            return float(number)
    return float(_as_long(value, schema))


# -- to text --------------------------------------------------------------------------------------
def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _append(out: list[str], value: Any, embedded: bool, schema: Schema | None) -> None:
    if value is None:
        out.append(_NULL)
    elif isinstance(value, str):
        out.append('"' + _escape(value) + '"' if embedded else value)
    elif isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        if schema is not None and schema.type is Type.FLOAT32:
            out.append(float_to_string(value))
        else:
            out.append(double_to_string(value))
    elif isinstance(value, decimal.Decimal):
        out.append(bigdecimal_to_string(value))
    elif isinstance(value, (bytes, bytearray, memoryview)):
        encoded = base64.b64encode(value).decode("ascii")
        out.append('"' + encoded + '"' if embedded else encoded)
    elif isinstance(value, (list, tuple)):
        elem = schema.value_schema if schema is not None and schema.type is Type.ARRAY else None
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _append(out, item, True, elem)
        out.append("]")
    elif isinstance(value, Mapping):
        is_map = schema is not None and schema.type is Type.MAP
        ks = schema.key_schema if is_map and schema is not None else None
        vs = schema.value_schema if is_map and schema is not None else None
        out.append("{")
        for i, (k, v) in enumerate(value.items()):
            if i:
                out.append(",")
            _append(out, k, True, ks)
            out.append(":")
            _append(out, v, True, vs)
        out.append("}")
    elif isinstance(value, Struct):
        out.append("{")
        for i, f in enumerate(value.schema.fields):
            if i:
                out.append(",")
            _append(out, f.name, True, None)
            out.append(":")
            _append(out, value.get(f), True, f.schema)
        out.append("}")
    elif isinstance(value, (_dt.date, _dt.time)):
        out.append(_format_date(value))
    else:
        raise DataError(
            f"Failed to serialize unexpected value type {java_class_name(value)}: {value!r}"
        )


def date_format_for(millis: int) -> JavaDateFormat:
    """``Values.dateFormatFor``: which ISO 8601 layout Kafka prints an instant with.

    As in Kafka the choice depends on the instant alone: anything before the end of the first day
    of 1970 prints as a time of day, exact midnights as a date, the rest as a full timestamp.
    """
    if millis < MILLIS_PER_DAY:
        return TIME_FORMAT
    if millis % MILLIS_PER_DAY == 0:
        return DATE_FORMAT
    return TIMESTAMP_FORMAT


def _format_date(value: _dt.date | _dt.time) -> str:
    millis = millis_of(value)
    return date_format_for(millis).format(millis)


# -- schema inference -----------------------------------------------------------------------------
def infer_schema(value: Any) -> Schema | None:
    """A schema for ``value`` when its Python type implies one (ints are INT64, floats FLOAT64)."""
    if isinstance(value, str):
        return Schema.STRING_SCHEMA
    if isinstance(value, bool):
        return Schema.BOOLEAN_SCHEMA
    if isinstance(value, int):
        return Schema.INT64_SCHEMA
    if isinstance(value, float):
        return Schema.FLOAT64_SCHEMA
    if isinstance(value, (bytes, bytearray, memoryview)):
        return Schema.BYTES_SCHEMA
    if isinstance(value, list):
        return _infer_list_schema(value)
    if isinstance(value, dict):
        return _infer_map_schema(value)
    if isinstance(value, Struct):
        return value.schema
    return None


class _SchemaDetector:
    def __init__(self) -> None:
        self.known: Type | None = None
        self.optional = False

    def can_detect(self, value: Any) -> bool:
        if value is None:
            self.optional = True
            return True
        schema = infer_schema(value)
        if schema is None:
            return False
        if self.known is None:
            self.known = schema.type
        elif self.known is not schema.type:
            return False
        return True

    def schema(self) -> Schema:
        builder = SchemaBuilder(self.known if self.known is not None else Type.STRING)
        if self.optional:
            builder.optional()
        return builder.build()


def _infer_list_schema(values: list[Any]) -> Schema | None:
    if not values:
        return None
    detector = _SchemaDetector()
    for v in values:
        if not detector.can_detect(v):
            return None
    return SchemaBuilder.array(detector.schema()).build()


def _infer_map_schema(values: dict[Any, Any]) -> Schema | None:
    if not values:
        return None
    keys, vals = _SchemaDetector(), _SchemaDetector()
    for k, v in values.items():
        if not keys.can_detect(k) or not vals.can_detect(v):
            return None
    return SchemaBuilder.map(keys.schema(), vals.schema()).build()


class Values:
    """Kafka's ``org.apache.kafka.connect.data.Values`` as one namespace for connector authors.

    The functions are also importable one by one from :mod:`sluice.api.values`; this class keeps
    code ported from Java (``Values.convertToString(schema, value)``) recognisable.
    """

    convert_to = staticmethod(convert_to)
    convert_to_boolean = staticmethod(convert_to_boolean)
    convert_to_byte = staticmethod(convert_to_byte)
    convert_to_short = staticmethod(convert_to_short)
    convert_to_integer = staticmethod(convert_to_integer)
    convert_to_long = staticmethod(convert_to_long)
    convert_to_float = staticmethod(convert_to_float)
    convert_to_double = staticmethod(convert_to_double)
    convert_to_string = staticmethod(convert_to_string)
    convert_to_list = staticmethod(convert_to_list)
    convert_to_map = staticmethod(convert_to_map)
    convert_to_struct = staticmethod(convert_to_struct)
    convert_to_date = staticmethod(convert_to_date)
    convert_to_time = staticmethod(convert_to_time)
    convert_to_timestamp = staticmethod(convert_to_timestamp)
    convert_to_decimal = staticmethod(convert_to_decimal)
    infer_schema = staticmethod(infer_schema)
    parse_string = staticmethod(parse_string)
    date_format_for = staticmethod(date_format_for)
