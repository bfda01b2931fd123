"""Kafka's ``Values.parseString``: its tokenizer, recursive parser and type inference.

The parser is a faithful port, quirks included (``1,2`` parses as the INT8 ``1``, ``[1,null,2]``
stays a string because a null does not fit the common INT8 element type, dates are parsed
leniently so ``2024-13-45`` is a date in 2025), because header values must mean the same thing
to sluice and to Kafka. Dates are read with the ``SimpleDateFormat`` port (hybrid Julian and
Gregorian calendar, in UTC), so they land on the same instant as in Java.
"""

from __future__ import annotations

import decimal
import math
import re
from typing import Any, Final

from sluice.api.converter import SchemaAndValue
from sluice.api.errors import DataError
from sluice.api.logical import Date, Decimal, Time, Timestamp, datetime_from_millis
from sluice.api.map_keys import as_map_key
from sluice.api.schema import Schema, SchemaBuilder, Type
from sluice.jdk.date_format import JavaDateFormat
from sluice.jdk.dates import MILLIS_PER_DAY
from sluice.jdk.numbers import exact_to_float32

__all__ = [
    "DATE_FORMAT",
    "MILLIS_PER_DAY",
    "TIMESTAMP_FORMAT",
    "TIME_FORMAT",
    "big_decimal",
    "parse_string",
]

_DATE_PATTERN: Final = "yyyy-MM-dd"
_TIME_PATTERN: Final = "HH:mm:ss.SSS'Z'"
_TIMESTAMP_PATTERN: Final = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"
DATE_FORMAT: Final = JavaDateFormat(_DATE_PATTERN)
TIME_FORMAT: Final = JavaDateFormat(_TIME_PATTERN)
TIMESTAMP_FORMAT: Final = JavaDateFormat(_TIMESTAMP_PATTERN)
_NULL: Final = "null"
# java.math.BigDecimal(String) grammar (Character.isDigit digits, as Python's \d).
_BIG_DECIMAL: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def big_decimal(text: str) -> decimal.Decimal | None:
    """``new BigDecimal(text)``, or ``None`` where Java throws ``NumberFormatException``."""
    if _BIG_DECIMAL.fullmatch(text) is None:
        return None
    number = decimal.Decimal(text)
    exponent = number.as_tuple().exponent
    if not isinstance(exponent, int) or not -(2**31) < exponent < 2**31:
        return None  # the scale must fit in an int
    return number


def _convert_to(to_schema: Schema, value: Any) -> Any:
    from sluice.api.values import convert_to  # values imports this module

    return convert_to(to_schema, None, value)


def _jtrim(text: str) -> str:
    """Java's ``String.trim()``: strips code points up to U+0020, nothing else."""
    start, end = 0, len(text)
    while start < end and text[start] <= " ":
        start += 1
    while end > start and text[end - 1] <= " ":
        end -= 1
    return text[start:end]


def _is_blank(text: str | None) -> bool:
    return text is None or not _jtrim(text)


_DELIMITERS: Final = frozenset(':,{}[]"')


class _Tokenizer:
    """Kafka's ``Values.Parser``: delimiters are single tokens, backslash escapes one char."""

    def __init__(self, original: str) -> None:
        self.original = original
        self.pos = 0
        self.next_token: str | None = None
        self.previous: str | None = None

    def mark(self) -> int:
        return self.pos - (len(self.next_token) if self.next_token is not None else 0)

    def rewind_to(self, position: int) -> None:
        self.pos = position
        self.next_token = None
        self.previous = None

    def has_next(self) -> bool:
        return self.next_token is not None or self.pos < len(self.original)

    def next(self) -> str:
        if self.next_token is not None:
            self.previous = self.next_token
            self.next_token = None
        else:
            self.previous = self._consume()
        return self.previous

    def next_n(self, n: int) -> str | None:
        start = self.mark()
        for _ in range(n):
            if not self.has_next():
                self.rewind_to(start)
                return None
            self.next()
        return self.original[start : self.pos]

    def _consume(self) -> str:
        text = self.original
        escaped = False
        start = self.pos
        while self.pos < len(text):
            c = text[self.pos]
            if c == "\\":
                escaped = not escaped
            elif c in _DELIMITERS:
                if not escaped:
                    if start < self.pos:
                        return text[start : self.pos]
                    self.pos += 1
                    return text[start : start + 1]
                escaped = False
            else:
                escaped = False
            self.pos += 1
        return text[start : self.pos]

    def can_consume(self, expected: str) -> bool:
        if self._is_next(expected):
            self.next_token = None
            return True
        return False

    def _is_next(self, expected: str) -> bool:
        if self.next_token is None:
            if not self.has_next():
                return False
            self.next_token = self._consume()
        while _is_blank(self.next_token) and self.pos < len(self.original):
            self.next_token = self._consume()
        return _jtrim(self.next_token) == expected


_TRUE: Final = SchemaAndValue(Schema.BOOLEAN_SCHEMA, True)
_FALSE: Final = SchemaAndValue(Schema.BOOLEAN_SCHEMA, False)
_TIME_LEN: Final = len("HH:mm:ss.SSSZ")
_TIMESTAMP_LEN: Final = len("yyyy-MM-ddTHH:mm:ss.SSSZ")
_DATE_LEN: Final = len("yyyy-MM-dd")


def _parse_temporal(token: str) -> SchemaAndValue | None:
    """Kafka's lenient ``SimpleDateFormat`` parse of the three ISO layouts, picked by length
    (trailing text is ignored, fields may overflow into the next)."""
    token = token.replace("\\:", ":")
    n = len(token)
    if n == _TIME_LEN:
        parsed = TIME_FORMAT.parse_at(token, 0)
        if parsed is not None:
            millis = parsed[0] % MILLIS_PER_DAY
            return SchemaAndValue(Time.SCHEMA, Time.to_logical(Time.SCHEMA, millis))
    elif n == _TIMESTAMP_LEN:
        parsed = TIMESTAMP_FORMAT.parse_at(token, 0)
        if parsed is not None:
            return SchemaAndValue(Timestamp.SCHEMA, datetime_from_millis(parsed[0]))
    elif n == _DATE_LEN:
        parsed = DATE_FORMAT.parse_at(token, 0)
        if parsed is not None:
            days = parsed[0] // MILLIS_PER_DAY
            try:
                return SchemaAndValue(Date.SCHEMA, Date.to_logical(Date.SCHEMA, days))
            except OverflowError:
                raise DataError(f"Date {token} is outside the range Python can hold") from None
    return None


def _parse_number(token: str) -> SchemaAndValue | None:
    number = big_decimal(token)
    if number is None:
        return None
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    integral = exponent >= 0 or number == number.to_integral_value()
    # Integers beyond 64 bits are not "exact" (Kafka falls through to floats and decimals).
    if integral and (number.is_zero() or number.adjusted() < 19):
        value = int(number)
        if -(2**63) <= value < 2**63:
            for bits, schema in (
                (8, Schema.INT8_SCHEMA),
                (16, Schema.INT16_SCHEMA),
                (32, Schema.INT32_SCHEMA),
            ):
                if -(1 << (bits - 1)) <= value < 1 << (bits - 1):
                    return SchemaAndValue(schema, value)
            return SchemaAndValue(Schema.INT64_SCHEMA, value)
    scale = -exponent
    if scale != 0:
        f = exact_to_float32(number)
        if not math.isinf(f):
            return SchemaAndValue(Schema.FLOAT32_SCHEMA, f if f != 0 else 0.0)
        d = float(number)
        if not math.isinf(d):
            return SchemaAndValue(Schema.FLOAT64_SCHEMA, d)
    if number.is_zero():
        number = number.copy_abs()
    return SchemaAndValue(Decimal.schema(scale), number)


class _SchemaMerger:
    """The common schema of parsed elements: numeric types widen, anything else must agree."""

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


_WIDENING: Final[dict[Type, tuple[set[Type], set[Type]]]] = {
    # type: (types it absorbs, types it gives way to)
    Type.INT8: (set(), {Type.INT16, Type.INT32, Type.INT64, Type.FLOAT32, Type.FLOAT64}),
    Type.INT16: ({Type.INT8}, {Type.INT32, Type.INT64, Type.FLOAT32, Type.FLOAT64}),
    Type.INT32: ({Type.INT8, Type.INT16}, {Type.INT64, Type.FLOAT32, Type.FLOAT64}),
    Type.INT64: ({Type.INT8, Type.INT16, Type.INT32}, {Type.FLOAT32, Type.FLOAT64}),
    Type.FLOAT32: ({Type.INT8, Type.INT16, Type.INT32, Type.INT64}, {Type.FLOAT64}),
    Type.FLOAT64: ({Type.INT8, Type.INT16, Type.INT32, Type.INT64, Type.FLOAT32}, set()),
}


def _merge_schemas(previous: Schema, new: Schema) -> Schema | None:
    if previous.type is not new.type:
        rule = _WIDENING.get(previous.type)
        if rule is None:
            return None
        absorbs, yields = rule
        if new.type in absorbs:
            return previous
        if new.type in yields:
            return new
        return None
    if previous.optional == new.optional:
        return previous if previous.optional else new
    return None


class _ValueParser:
    def __init__(self, original: str) -> None:
        self.p = _Tokenizer(original)

    def _single_literal(self, embedded: bool, literal: str) -> bool:
        start = self.p.mark()
        if self.p.can_consume(literal) and (embedded or not self.p.has_next()):
            return True
        self.p.rewind_to(start)
        return False

    def parse(self, embedded: bool) -> SchemaAndValue | None:
        p = self.p
        if not p.has_next():
            return None
        if embedded and p.can_consume('"'):
            return self._quoted()
        if self._single_literal(embedded, _NULL):
            return None
        if self._single_literal(embedded, "true"):
            return _TRUE
        if self._single_literal(embedded, "false"):
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
        if _is_blank(token):
            return SchemaAndValue(Schema.STRING_SCHEMA, token)
        return self._token(embedded, _jtrim(token))

    def _token(self, embedded: bool, token: str) -> SchemaAndValue:
        first = token[0]
        is_digit = first.isdecimal()
        if is_digit:
            temporal = self._multi_token_temporal(token)
            if temporal is not None:
                return temporal
        if is_digit or first in "+-":
            number = _parse_number(token)
            if number is not None:
                return number
        if embedded:
            raise DataError("Failed to parse embedded value")
        return SchemaAndValue(Schema.STRING_SCHEMA, self.p.original)

    def _multi_token_temporal(self, token: str) -> SchemaAndValue | None:
        # Times contain colons, which are delimiters: a time is the token plus the next four.
        position = self.p.mark()
        remainder = self.p.next_n(4)
        if remainder is not None:
            temporal = _parse_temporal(token + remainder)
            if temporal is not None:
                return temporal
        self.p.rewind_to(position)
        return _parse_temporal(token)

    def _quoted(self) -> SchemaAndValue:
        parts: list[str] = []
        while self.p.has_next():
            if self.p.can_consume('"'):
                break
            parts.append(self.p.next())
        content = "".join(parts)
        temporal = _parse_temporal(content)
        if temporal is not None:
            return temporal
        return SchemaAndValue(Schema.STRING_SCHEMA, content)

    def _array(self) -> SchemaAndValue:
        p = self.p
        result: list[Any] = []
        merger = _SchemaMerger()
        while p.has_next():
            if p.can_consume("]"):
                if merger.common is not None:
                    schema = SchemaBuilder.array(merger.common).build()
                    result = [_convert_to(merger.common, v) for v in result]
                else:
                    schema = SchemaBuilder(Type.ARRAY).build()
                return SchemaAndValue(schema, result)
            if p.can_consume(","):
                raise DataError("Unable to parse an empty array element: " + p.original)
            element = self.parse(True)
            merger.merge(element)
            result.append(element.value if element is not None else None)
            current = p.mark()
            if p.can_consume("]"):
                p.rewind_to(current)
            elif not p.can_consume(","):
                raise DataError("Array elements missing ',' delimiter")
        if p.previous == ",":
            raise DataError("Array is missing element after ',': " + p.original)
        raise DataError("Array is missing terminating ']': " + p.original)

    def _map(self) -> SchemaAndValue:
        p = self.p
        result: dict[Any, Any] = {}
        keys, values = _SchemaMerger(), _SchemaMerger()
        while p.has_next():
            if p.can_consume("}"):
                ks, vs = keys.common, values.common
                if ks is not None and vs is not None:
                    schema = SchemaBuilder.map(ks, vs).build()
                    result = {
                        as_map_key(_convert_to(ks, k)): _convert_to(vs, v)
                        for k, v in result.items()
                    }
                elif ks is not None:
                    schema = Schema(Type.MAP, key_schema=ks)
                    result = {as_map_key(_convert_to(ks, k)): v for k, v in result.items()}
                else:
                    schema = SchemaBuilder(Type.MAP).build()
                return SchemaAndValue(schema, result)
            if p.can_consume(","):
                raise DataError("Unable to parse a map entry with no key or value: " + p.original)
            key = self.parse(True)
            if key is None or key.value is None:
                raise DataError("Map entry may not have a null key: " + p.original)
            if not p.can_consume(":"):
                raise DataError(f"Map entry is missing ':' at {p.pos} in {p.original}")
            value = self.parse(True)
            result[as_map_key(key.value)] = value.value if value is not None else None
            p.can_consume(",")
            keys.merge(key)
            values.merge(value)
        if p.previous == ",":
            raise DataError("Map is missing element after ',': " + p.original)
        raise DataError("Map is missing terminating '}': " + p.original)


def parse_string(value: str | None) -> SchemaAndValue:
    """Parse text written by :func:`convert_to_string` (or by a person) into schema and value.

    Text that is nothing more specific comes back as a STRING holding the whole input.
    """
    if value is None:
        return SchemaAndValue(None, None)
    if not value:
        return SchemaAndValue(Schema.STRING_SCHEMA, value)
    parsed = _ValueParser(value).parse(False)
    return parsed if parsed is not None else SchemaAndValue(None, None)
