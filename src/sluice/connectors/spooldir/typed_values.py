"""Typed parsing: text (CSV fields) and JSON values into the Python values a schema takes.

A conversion function is built once per schema field and then applied to every row, so the per
value cost is one call. Failures raise :class:`ValueError` with a message naming the input and the
expected type; the readers turn that into a bad-row report naming the field and the line.

Rules follow jcustenborder's connect-utils parser: integers and floats as Java parses them, decimals
must fit the schema's scale exactly, dates and timestamps are tried against each configured
``SimpleDateFormat`` pattern in turn (JSON numbers are epoch milliseconds). Empty text is *not*
null for non-string types; ``csv.null.field.indicator`` decides which empty fields are null.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import json
import math
import re
from collections.abc import Callable, Sequence
from typing import Any, Final

from sluice.api import Date, Decimal, Schema, Struct, Time, Timestamp, Type
from sluice.connectors.spooldir.date_formats import JavaDateFormat

__all__ = ["ValueParser"]

Convert = Callable[[Any], Any]

_INT_BOUNDS: Final = {
    Type.INT8: (-(2**7), 2**7 - 1),
    Type.INT16: (-(2**15), 2**15 - 1),
    Type.INT32: (-(2**31), 2**31 - 1),
    Type.INT64: (-(2**63), 2**63 - 1),
}
_JAVA_INT: Final = re.compile(r"[+-]?[0-9]+")
_JAVA_FLOAT: Final = re.compile(
    r"\s*[+-]?(NaN|Infinity|([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?)[fFdD]?\s*"
)
_JAVA_NAMES: Final = {
    Type.INT8: "Byte",
    Type.INT16: "Short",
    Type.INT32: "Integer",
    Type.INT64: "Long",
    Type.FLOAT32: "Float",
    Type.FLOAT64: "Double",
    Type.BOOLEAN: "Boolean",
    Type.STRING: "String",
    Type.BYTES: "byte[]",
}


def _fail(value: Any, expected: str) -> ValueError:
    shown = value if isinstance(value, str) else json.dumps(value, default=str)
    return ValueError(f"Could not parse '{shown}' to '{expected}'")


class ValueParser:
    """Builds per-schema conversion functions with the configured zone and date patterns."""

    def __init__(self, zone: dt.tzinfo, date_formats: Sequence[str]) -> None:
        self.zone = zone
        self.formats = [JavaDateFormat(p) for p in date_formats]

    # -- text ---------------------------------------------------------------------------------
    def from_text(self, schema: Schema) -> Convert:
        """A function from a non-null string to ``schema``'s value type."""
        name = schema.name
        if name == Timestamp.LOGICAL_NAME:
            return self._instant
        if name == Date.LOGICAL_NAME:
            return self._date
        if name == Time.LOGICAL_NAME:
            return self._time
        if name == Decimal.LOGICAL_NAME:
            return _decimal_parser(Decimal.scale_of(schema))
        t = schema.type
        if t is Type.STRING:
            return _identity
        if t in _INT_BOUNDS:
            return _int_parser(t)
        if t in (Type.FLOAT32, Type.FLOAT64):
            return _float_text
        if t is Type.BOOLEAN:
            return _bool_text
        if t is Type.BYTES:
            return _bytes_text
        raise ValueError(f"Schema {t.name}({name}) is not supported for text input")

    def _instant(self, text: str) -> dt.datetime:
        for f in self.formats:
            parsed = f.parse(text, self.zone)
            if parsed is not None:
                return parsed
        raise ValueError(
            f"Could not parse '{text}' to 'Date' with any of the formats "
            + ", ".join(f.pattern for f in self.formats)
        )

    def _date(self, text: str) -> dt.date:
        # The calendar date as written: a Connect Date is a day, not an instant.
        return self._instant(text).astimezone(self.zone).date()

    def _time(self, text: str) -> dt.time:
        local = self._instant(text).astimezone(self.zone)
        return local.time().replace(tzinfo=dt.UTC)

    # -- JSON ---------------------------------------------------------------------------------
    def from_json(self, schema: Schema) -> Convert:
        """A function from a non-null decoded JSON value to ``schema``'s value type."""
        name = schema.name
        t = schema.type
        if name in (Timestamp.LOGICAL_NAME, Date.LOGICAL_NAME, Time.LOGICAL_NAME):
            text = self.from_text(schema)

            def instant(value: Any) -> Any:
                if isinstance(value, (int, decimal.Decimal)) and not isinstance(value, bool):
                    moment = Timestamp.to_logical(Timestamp.SCHEMA, int(value))
                    if name == Date.LOGICAL_NAME:
                        return moment.date()
                    if name == Time.LOGICAL_NAME:
                        return moment.time().replace(tzinfo=dt.UTC)
                    return moment
                if isinstance(value, str):
                    return text(value)
                raise _fail(value, "Date")

            return instant
        if name == Decimal.LOGICAL_NAME:
            scaled = _decimal_parser(Decimal.scale_of(schema))
            return lambda v: scaled(_json_text(v, "BigDecimal"))
        if t is Type.STRUCT:
            return self.struct_from_json(schema)
        if t is Type.ARRAY:
            assert schema.value_schema is not None
            item = self._nullable_json(schema.value_schema)

            def array(value: Any) -> list[Any]:
                if not isinstance(value, list):
                    raise _fail(value, "List")
                return [item(v) for v in value]

            return array
        if t is Type.MAP:
            assert schema.key_schema is not None and schema.value_schema is not None
            key = self.from_text(schema.key_schema)
            val = self._nullable_json(schema.value_schema)

            def mapping(value: Any) -> dict[Any, Any]:
                if not isinstance(value, dict):
                    raise _fail(value, "Map")
                return {key(k): val(v) for k, v in value.items()}

            return mapping
        if t is Type.STRING:
            return _string_json
        if t in _INT_BOUNDS:
            ints = _int_parser(t)
            return lambda v: ints(_json_text(v, _JAVA_NAMES[t]))
        if t in (Type.FLOAT32, Type.FLOAT64):
            return _float_json
        if t is Type.BOOLEAN:
            return _bool_json
        if t is Type.BYTES:
            return lambda v: _bytes_text(_json_text(v, "byte[]"))
        raise ValueError(f"Schema {t.name}({name}) is not supported for JSON input")

    def _nullable_json(self, schema: Schema) -> Convert:
        inner = self.from_json(schema)

        def convert(value: Any) -> Any:
            if value is None:
                if not schema.optional and schema.default is None:
                    raise ValueError("null is not allowed: the schema is not optional")
                return None
            return inner(value)

        return convert

    def struct_from_json(self, schema: Schema) -> Callable[[Any], Struct]:
        """A JSON object to a :class:`Struct`; absent keys are null, unknown keys are ignored."""
        plan = [(f, self._nullable_json(f.schema)) for f in schema.fields]

        def struct(value: Any) -> Struct:
            if not isinstance(value, dict):
                raise _fail(value, "Struct")
            out = Struct(schema)
            for field, convert in plan:
                try:
                    v = convert(value.get(field.name))
                except ValueError as e:
                    raise ValueError(f"field '{field.name}': {e}") from None
                if v is not None:
                    out.put(field, v)
            return out

        return struct


def _identity(text: str) -> str:
    return text


def _int_parser(t: Type) -> Callable[[str], int]:
    lo, hi = _INT_BOUNDS[t]
    java = _JAVA_NAMES[t]

    def parse(text: str) -> int:
        if not _JAVA_INT.fullmatch(text):
            raise _fail(text, java)
        value = int(text)
        if not lo <= value <= hi:
            raise ValueError(f"Could not parse '{text}' to '{java}': out of range")
        return value

    return parse


def _float_text(text: str) -> float:
    if not _JAVA_FLOAT.fullmatch(text):
        raise _fail(text, "Double")
    core = text.strip().rstrip("fFdD")
    return float(core.replace("Infinity", "inf"))


def _bool_text(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise _fail(text, "Boolean")


def _bytes_text(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise _fail(text, "byte[]") from None


def _decimal_parser(scale: int) -> Callable[[str], decimal.Decimal]:
    quantum = decimal.Decimal(1).scaleb(-scale)
    ctx = decimal.Context(prec=1000, traps=[decimal.Inexact, decimal.InvalidOperation])

    def parse(text: str) -> decimal.Decimal:
        try:
            value = decimal.Decimal(text.strip())
        except decimal.InvalidOperation:
            raise _fail(text, "BigDecimal") from None
        if not value.is_finite():
            raise _fail(text, "BigDecimal")
        try:
            return value.quantize(quantum, context=ctx)
        except (decimal.Inexact, decimal.InvalidOperation):
            raise ValueError(
                f"Could not parse '{text}' to 'BigDecimal': it has more than {scale} decimal "
                "places (rounding necessary)"
            ) from None

    return parse


def _json_text(value: Any, expected: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal, str)):
        raise _fail(value, expected)
    return str(value)


def _string_json(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, decimal.Decimal)):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _float_json(value: Any) -> float:
    if isinstance(value, bool):
        raise _fail(value, "Double")
    if isinstance(value, (int, float, decimal.Decimal)):
        result = float(value)
        if math.isinf(result) and not isinstance(value, float):
            raise _fail(value, "Double")
        return result
    if isinstance(value, str):
        return _float_text(value)
    raise _fail(value, "Double")


def _bool_json(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return _bool_text(value)
    raise _fail(value, "Boolean")
