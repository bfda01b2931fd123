"""Kafka Connect's ``Values``: inferring a typed value from text, and rendering values as text.

``InsertHeader`` turns its ``value.literal`` into a typed header with ``parse_string`` (so ``42``
becomes an INT8, ``[1,2]`` an array, ``2024-01-31`` a Date), and ``MaskField`` converts its
``replacement`` to the masked field's number type with the ``convert_to_*`` functions. The rules,
including their surprises (``1.5`` is a FLOAT32; ``true}`` is a string), are Kafka's.

Temporal literals are read in UTC, as Kafka Connect workers usually run.
"""

from __future__ import annotations

import base64
import datetime as _dt
import decimal
import re
from collections.abc import Iterable
from typing import Any, Final

from sluice.api.converter import SchemaAndValue
from sluice.api.errors import DataError
from sluice.api.logical import Date, Decimal, Time, Timestamp
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
from sluice.transforms import java_dates
from sluice.transforms.java_date_format import JavaDateFormat
from sluice.transforms.java_numbers import (
    decimal_to_float32,
    float_to_int,
    java_class_name,
    java_double_to_string,
    java_string_of,
    to_float32,
    wrap_int,
)

__all__ = [
    "convert_to_byte",
    "convert_to_double",
    "convert_to_float",
    "convert_to_integer",
    "convert_to_long",
    "convert_to_short",
    "convert_to_string",
    "date_format_for",
    "parse_big_decimal",
    "parse_string",
]

_MILLIS_PER_DAY: Final = java_dates.MILLIS_PER_DAY
_DATE_PATTERN: Final = "yyyy-MM-dd"
_TIME_PATTERN: Final = "HH:mm:ss.SSS'Z'"
_TIMESTAMP_PATTERN: Final = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
_DATE_FORMAT: Final = JavaDateFormat(_DATE_PATTERN)
_TIME_FORMAT: Final = JavaDateFormat(_TIME_PATTERN)
_TIMESTAMP_FORMAT: Final = JavaDateFormat(_TIMESTAMP_PATTERN)
_NULL: Final = SchemaAndValue(None, None)
_BIG_DECIMAL: Final = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_JAVA_BLANK: Final = "".join(chr(c) for c in range(0x21))


def _trim(text: str) -> str:
    """``String.trim()``: strips every character up to U+0020."""
    return text.strip(_JAVA_BLANK)


def parse_big_decimal(text: str) -> decimal.Decimal:
    """``new BigDecimal(text)``; raises ``ValueError`` for text Java rejects."""
    if not _BIG_DECIMAL.fullmatch(text):
        raise ValueError(f"Character array is missing \"exponent\" mark 'e' or 'E'.: {text}")
    return decimal.Decimal(text)


# -- conversions to numbers --------------------------------------------------------------------
def _as_long(value: Any, schema: Schema | None) -> int:
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        return wrap_int(value, 64)
    elif isinstance(value, float):
        return float_to_int(value, 64)
    elif isinstance(value, decimal.Decimal):
        return wrap_int(int(value), 64)
    elif isinstance(value, str):
        try:
            return wrap_int(int(parse_big_decimal(value)), 64)
        except ValueError:
            pass
    if schema is not None:
        if isinstance(value, (_dt.date, _dt.time)) and schema.name in (
            DATE_NAME,
            TIME_NAME,
            TIMESTAMP_NAME,
        ):
            millis = java_dates.millis_of(value)
            return millis // _MILLIS_PER_DAY if schema.name == DATE_NAME else millis
        raise DataError(
            f"Unable to convert {java_string_of(value)} (class {java_class_name(value)}) "
            f"to {schema!r}"
        )
    raise DataError(
        f"Unable to convert {java_string_of(value)} (class {java_class_name(value)}) to a number"
    )


def _as_double(value: Any, schema: Schema | None) -> float:
    if isinstance(value, float):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, str):
        try:
            return float(parse_big_decimal(value))
        except ValueError:
            pass
    return float(_as_long(value, schema))


def convert_to_byte(schema: Schema | None, value: Any) -> int | None:
    """``Values.convertToByte``: ``(byte)`` of the value read as a long."""
    return None if value is None else wrap_int(_as_long(value, schema), 8)


def convert_to_short(schema: Schema | None, value: Any) -> int | None:
    return None if value is None else wrap_int(_as_long(value, schema), 16)


def convert_to_integer(schema: Schema | None, value: Any) -> int | None:
    return None if value is None else wrap_int(_as_long(value, schema), 32)


def convert_to_long(schema: Schema | None, value: Any) -> int | None:
    return None if value is None else _as_long(value, schema)


def convert_to_float(schema: Schema | None, value: Any) -> float | None:
    return None if value is None else to_float32(_as_double(value, schema))


def convert_to_double(schema: Schema | None, value: Any) -> float | None:
    return None if value is None else _as_double(value, schema)


def _convert_to_boolean(schema: Schema | None, value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        parsed = parse_string(value)
        if isinstance(parsed.value, bool):
            return parsed.value
    return _as_long(value, schema) != 0


# -- rendering as text -------------------------------------------------------------------------
def date_format_for(millis: int) -> JavaDateFormat:
    """``Values.dateFormatFor``: time-of-day, date or full timestamp, judged from the instant."""
    if millis < _MILLIS_PER_DAY:
        return _TIME_FORMAT
    if millis % _MILLIS_PER_DAY == 0:
        return _DATE_FORMAT
    return _TIMESTAMP_FORMAT


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _append(out: list[str], value: Any, embedded: bool, schema: Schema | None = None) -> None:
    if value is None:
        out.append("null")
    elif isinstance(value, (bool, int, float)):
        out.append(java_string_of(value, schema))
    elif isinstance(value, decimal.Decimal):
        out.append(str(value))
    elif isinstance(value, str):
        out.append('"' + _escape(value) + '"' if embedded else value)
    elif isinstance(value, (bytes, bytearray, memoryview)):
        encoded = base64.b64encode(bytes(value)).decode("ascii")
        out.append('"' + encoded + '"' if embedded else encoded)
    elif isinstance(value, list):
        out.append("[")
        _append_all(out, value, schema.value_schema if schema is not None else None)
        out.append("]")
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for k, v in value.items():
            if not first:
                out.append(",")
            first = False
            _append(out, k, True, schema.key_schema if schema is not None else None)
            out.append(":")
            _append(out, v, True, schema.value_schema if schema is not None else None)
        out.append("}")
    elif isinstance(value, Struct):
        out.append("{")
        for i, field in enumerate(value.schema.fields):
            if i:
                out.append(",")
            _append(out, field.name, True)
            out.append(":")
            _append(out, value.get(field), True, field.schema)
        out.append("}")
    elif isinstance(value, (_dt.date, _dt.time)):
        millis = java_dates.millis_of(value)
        out.append(date_format_for(millis).format(millis))
    else:
        raise DataError(
            f"Failed to serialize unexpected value type {java_class_name(value)}: {value!r}"
        )


def _append_all(out: list[str], items: Iterable[Any], schema: Schema | None) -> None:
    for i, item in enumerate(items):
        if i:
            out.append(",")
        _append(out, item, True, schema)


def convert_to_string(schema: Schema | None, value: Any) -> str | None:
    """``Values.convertToString``: the text SimpleHeaderConverter writes for a value."""
    if value is None:
        return None
    out: list[str] = []
    _append(out, value, False, schema)
    return "".join(out)


# -- converting parsed values onto a common schema ---------------------------------------------
def _convert_to(to_schema: Schema, value: Any) -> Any:
    if value is None:
        if to_schema.optional:
            return None
        raise DataError("Unable to convert a null value to a schema that requires a value")
    t = to_schema.type
    if t is Type.BYTES:
        if to_schema.name == DECIMAL_NAME:
            if isinstance(value, (bytes, bytearray)):
                return Decimal.to_logical(to_schema, bytes(value))
            if isinstance(value, decimal.Decimal):
                return value
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return decimal.Decimal(java_double_to_string(float(value)))
            if isinstance(value, str):
                return parse_big_decimal(value)
        elif isinstance(value, (bytes, bytearray)):
            return bytes(value)
        raise DataError(f"Unable to convert {value!r} ({java_class_name(value)}) to {to_schema!r}")
    if t is Type.STRING:
        return convert_to_string(None, value)
    if t is Type.BOOLEAN:
        return _convert_to_boolean(None, value)
    if t is Type.INT8:
        return convert_to_byte(None, value)
    if t is Type.INT16:
        return convert_to_short(None, value)
    if t is Type.INT32:
        if to_schema.name in (DATE_NAME, TIME_NAME):
            if isinstance(value, (_dt.date, _dt.time)):
                return value
            numeric = wrap_int(_as_long(value, None), 32)
            if to_schema.name == DATE_NAME:
                return Date.to_logical(Date.SCHEMA, numeric)
            return Time.to_logical(Time.SCHEMA, numeric)
        return convert_to_integer(None, value)
    if t is Type.INT64:
        if to_schema.name == TIMESTAMP_NAME:
            if isinstance(value, (_dt.date, _dt.time)):
                return value
            return Timestamp.to_logical(Timestamp.SCHEMA, _as_long(value, None))
        return convert_to_long(None, value)
    if t is Type.FLOAT32:
        return convert_to_float(None, value)
    if t is Type.FLOAT64:
        return convert_to_double(None, value)
    if t is Type.ARRAY and isinstance(value, list):
        return value
    if t is Type.MAP and isinstance(value, dict):
        return value
    if t is Type.STRUCT and isinstance(value, Struct):
        return value
    raise DataError(f"Unable to convert {value!r} ({java_class_name(value)}) to {to_schema!r}")


_WIDENING: Final[dict[Type, tuple[frozenset[Type], frozenset[Type]]]] = {
    # previous type: (types it absorbs, types that absorb it)
    Type.INT8: (
        frozenset(),
        frozenset({Type.INT16, Type.INT32, Type.INT64, Type.FLOAT32, Type.FLOAT64}),
    ),
    Type.INT16: (
        frozenset({Type.INT8}),
        frozenset({Type.INT32, Type.INT64, Type.FLOAT32, Type.FLOAT64}),
    ),
    Type.INT32: (
        frozenset({Type.INT8, Type.INT16}),
        frozenset({Type.INT64, Type.FLOAT32, Type.FLOAT64}),
    ),
    Type.INT64: (
        frozenset({Type.INT8, Type.INT16, Type.INT32}),
        frozenset({Type.FLOAT32, Type.FLOAT64}),
    ),
    Type.FLOAT32: (
        frozenset({Type.INT8, Type.INT16, Type.INT32, Type.INT64}),
        frozenset({Type.FLOAT64}),
    ),
    Type.FLOAT64: (
        frozenset({Type.INT8, Type.INT16, Type.INT32, Type.INT64, Type.FLOAT32}),
        frozenset(),
    ),
}


def _merge_schemas(previous: Schema, new: Schema) -> Schema | None:
    if previous.type is not new.type:
        rule = _WIDENING.get(previous.type)
        if rule is None:
            return None
        if new.type in rule[0]:
            return previous
        if new.type in rule[1]:
            return new
        return None
    if previous.optional == new.optional:
        return previous if previous.optional else new
    return previous if previous == new else None


class _SchemaMerger:
    __slots__ = ("common", "compatible")

    def __init__(self) -> None:
        self.common: Schema | None = None
        self.compatible = True

    def merge(self, latest: SchemaAndValue | None) -> None:
        if latest is not None and latest.schema is not None and self.compatible:
            if self.common is None:
                self.common = latest.schema
            else:
                self.common = _merge_schemas(self.common, latest.schema)
                self.compatible = self.common is not None


# -- the tokenizer and parser ------------------------------------------------------------------
class _Parser:
    """Splits text into tokens at unescaped ``: , { } [ ] "`` (Values.Parser)."""

    __slots__ = ("_index", "_next", "_previous", "original")

    _DELIMITERS: Final = frozenset(':,{}[]"')

    def __init__(self, original: str) -> None:
        self.original = original
        self._index = 0
        self._next: str | None = None
        self._previous: str | None = None

    def position(self) -> int:
        return self._index

    def mark(self) -> int:
        return self._index - (len(self._next) if self._next is not None else 0)

    def rewind_to(self, position: int) -> None:
        self._index = position
        self._next = None
        self._previous = None

    def has_next(self) -> bool:
        return self._next is not None or self._index < len(self.original)

    def next(self) -> str:
        if self._next is not None:
            self._previous = self._next
            self._next = None
        else:
            self._previous = self._consume()
        return self._previous

    def next_n(self, n: int) -> str | None:
        start = self.mark()
        for _ in range(n):
            if not self.has_next():
                self.rewind_to(start)
                return None
            self.next()
        return self.original[start : self.position()]

    def _consume(self) -> str:
        text = self.original
        start = self._index
        escaped = False
        i = start
        while i < len(text):
            c = text[i]
            if c == "\\":
                escaped = not escaped
            elif c in self._DELIMITERS:
                if not escaped:
                    if start < i:
                        self._index = i
                        return text[start:i]
                    self._index = i + 1
                    return text[start : start + 1]
                escaped = False
            else:
                escaped = False
            i += 1
        self._index = i
        return text[start:i]

    def previous(self) -> str | None:
        return self._previous

    def can_consume(self, expected: str) -> bool:
        if self._next is None:
            if not self.has_next():
                return False
            self._next = self._consume()
        while not _trim(self._next) and self._index < len(self.original):
            self._next = self._consume()
        if _trim(self._next) == expected:
            self._next = None
            return True
        return False


_TRUE: Final = SchemaAndValue(Schema.BOOLEAN_SCHEMA, True)
_FALSE: Final = SchemaAndValue(Schema.BOOLEAN_SCHEMA, False)


class _ValueParser:
    __slots__ = ("parser",)

    def __init__(self, parser: _Parser) -> None:
        self.parser = parser

    def _single_token_literal(self, embedded: bool, literal: str) -> bool:
        start = self.parser.mark()
        if self.parser.can_consume(literal) and (embedded or not self.parser.has_next()):
            return True
        self.parser.rewind_to(start)
        return False

    def parse(self, embedded: bool) -> SchemaAndValue | None:
        p = self.parser
        if not p.has_next():
            return None
        if embedded and p.can_consume('"'):
            return self._quoted_string()
        if self._single_token_literal(embedded, "null"):
            return None
        if self._single_token_literal(embedded, "true"):
            return _TRUE
        if self._single_token_literal(embedded, "false"):
            return _FALSE
        start = p.mark()
        try:
            if p.can_consume("["):
                return self._array()
            if p.can_consume("{"):
                return self._map()
        except DataError:
            p.rewind_to(start)
        token = p.next()
        if not _trim(token):
            return SchemaAndValue(Schema.STRING_SCHEMA, token)
        return self._next_token(embedded, _trim(token))

    def _next_token(self, embedded: bool, token: str) -> SchemaAndValue:
        first = token[0]
        first_is_digit = first.isdecimal()
        if first_is_digit:
            temporal = self._multi_token_temporal(token)
            if temporal is not None:
                return temporal
        if first_is_digit or first in "+-":
            try:
                return _parse_as_number(token)
            except ValueError:
                pass
        if embedded:
            raise DataError("Failed to parse embedded value")
        return SchemaAndValue(Schema.STRING_SCHEMA, self.parser.original)

    def _quoted_string(self) -> SchemaAndValue:
        p = self.parser
        parts: list[str] = []
        while p.has_next():
            if p.can_consume('"'):
                break
            parts.append(p.next())
        content = "".join(parts)
        temporal = _parse_as_temporal(content)
        return temporal if temporal is not None else SchemaAndValue(Schema.STRING_SCHEMA, content)

    def _array(self) -> SchemaAndValue:
        p = self.parser
        result: list[Any] = []
        element_schema = _SchemaMerger()
        while p.has_next():
            if p.can_consume("]"):
                if element_schema.common is not None:
                    list_schema = SchemaBuilder.array(element_schema.common).build()
                    result = [_convert_to(element_schema.common, v) for v in result]
                else:
                    list_schema = Schema(Type.ARRAY)
                return SchemaAndValue(list_schema, result)
            if p.can_consume(","):
                raise DataError("Unable to parse an empty array element: " + p.original)
            element = self.parse(True)
            element_schema.merge(element)
            result.append(element.value if element is not None else None)
            position = p.mark()
            if p.can_consume("]"):
                p.rewind_to(position)
            elif not p.can_consume(","):
                raise DataError("Array elements missing ',' delimiter")
        if p.previous() == ",":
            raise DataError("Array is missing element after ',': " + p.original)
        raise DataError("Array is missing terminating ']': " + p.original)

    def _map(self) -> SchemaAndValue:
        p = self.parser
        result: dict[Any, Any] = {}
        key_schema = _SchemaMerger()
        value_schema = _SchemaMerger()
        while p.has_next():
            if p.can_consume("}"):
                ks, vs = key_schema.common, value_schema.common
                if ks is not None and vs is not None:
                    map_schema = SchemaBuilder.map(ks, vs).build()
                    result = {_convert_to(ks, k): _convert_to(vs, v) for k, v in result.items()}
                elif ks is not None:
                    map_schema = Schema(Type.MAP, key_schema=ks)
                    result = {_convert_to(ks, k): v for k, v in result.items()}
                else:
                    map_schema = Schema(Type.MAP)
                return SchemaAndValue(map_schema, result)
            if p.can_consume(","):
                raise DataError("Unable to parse a map entry with no key or value: " + p.original)
            key = self.parse(True)
            if key is None or key.value is None:
                raise DataError("Map entry may not have a null key: " + p.original)
            if not p.can_consume(":"):
                raise DataError(f"Map entry is missing ':' at {p.position()} in {p.original}")
            value = self.parse(True)
            result[key.value] = value.value if value is not None else None
            p.can_consume(",")
            key_schema.merge(key)
            value_schema.merge(value)
        if p.previous() == ",":
            raise DataError("Map is missing element after ',': " + p.original)
        raise DataError("Map is missing terminating '}': " + p.original)

    def _multi_token_temporal(self, token: str) -> SchemaAndValue | None:
        p = self.parser
        position = p.mark()
        remainder = p.next_n(4)
        if remainder is not None:
            temporal = _parse_as_temporal(token + remainder)
            if temporal is not None:
                return temporal
        p.rewind_to(position)
        return _parse_as_temporal(token)


def _parse_as_number(token: str) -> SchemaAndValue:
    number = parse_big_decimal(token)
    exact = _parse_as_exact_integer(number)
    if exact is not None:
        return exact
    _, _, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    scale = -exponent
    f32 = decimal_to_float32(number)
    if f32 not in (float("inf"), float("-inf")) and scale != 0:
        return SchemaAndValue(Schema.FLOAT32_SCHEMA, f32)
    f64 = float(number)
    if f64 not in (float("inf"), float("-inf")) and scale != 0:
        return SchemaAndValue(Schema.FLOAT64_SCHEMA, f64)
    return SchemaAndValue(Decimal.schema(scale), number)


def _parse_as_exact_integer(number: decimal.Decimal) -> SchemaAndValue | None:
    whole = int(number)
    if number != whole:
        return None
    if not -(2**63) <= whole < 2**63:
        return None
    for schema, bits in (
        (Schema.INT8_SCHEMA, 8),
        (Schema.INT16_SCHEMA, 16),
        (Schema.INT32_SCHEMA, 32),
    ):
        if -(2 ** (bits - 1)) <= whole < 2 ** (bits - 1):
            return SchemaAndValue(schema, whole)
    return SchemaAndValue(Schema.INT64_SCHEMA, whole)


def _parse_as_temporal(token: str | None) -> SchemaAndValue | None:
    if token is None:
        return None
    token = token.replace("\\:", ":")
    n = len(token)
    if n == len(_TIME_PATTERN) - 2:
        parsed = _TIME_FORMAT.parse_at(token, 0)
        if parsed is not None:
            millis = parsed[0] % _MILLIS_PER_DAY
            return SchemaAndValue(Time.SCHEMA, Time.to_logical(Time.SCHEMA, millis))
    elif n == len(_TIMESTAMP_PATTERN) - 4:
        parsed = _TIMESTAMP_FORMAT.parse_at(token, 0)
        if parsed is not None:
            return SchemaAndValue(Timestamp.SCHEMA, java_dates.datetime_from_millis(parsed[0]))
    elif n == len(_DATE_PATTERN):
        parsed = _DATE_FORMAT.parse_at(token, 0)
        if parsed is not None:
            days = parsed[0] // _MILLIS_PER_DAY
            try:
                return SchemaAndValue(Date.SCHEMA, Date.to_logical(Date.SCHEMA, days))
            except OverflowError:
                raise DataError(f"Date {token} is outside the range Python can hold") from None
    return None


def parse_string(value: str | None) -> SchemaAndValue:
    """``Values.parseString``: the schema and value a string literal denotes.

    Unquoted text that is not a number, boolean, null, temporal, array or map stays a string.
    """
    if value is None:
        return _NULL
    if not value:
        return SchemaAndValue(Schema.STRING_SCHEMA, value)
    parsed = _ValueParser(_Parser(value)).parse(False)
    return parsed if parsed is not None else _NULL
