"""Connect values to the JSON Kafka's JsonConverter writes: schema trees and payload trees.

A :class:`_Writer` compiles, once per schema, a function from a value to a tree msgspec encodes in
C. Numbers that need Java's formatting travel as ``msgspec.Raw`` text, and :func:`_dump` fixes
the two places where msgspec's output differs from Jackson's: upper-case hex in ``\\u00XX``
escapes, and characters beyond U+FFFF, which Jackson writes as escaped surrogate pairs.
"""

from __future__ import annotations

import base64
import datetime as _dt
import decimal
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

import msgspec

from sluice.api.errors import DataError
from sluice.api.logical import Date, Decimal, Time, Timestamp
from sluice.api.schema import DATE_NAME, DECIMAL_NAME, TIME_NAME, TIMESTAMP_NAME, Schema, Type
from sluice.api.struct import Struct
from sluice.jdk.jackson import as_jackson_writes
from sluice.jdk.numbers import bigdecimal_to_string, double_to_string, float_to_string

_TYPE_NAMES: Final[dict[Type, str]] = {
    Type.BOOLEAN: "boolean",
    Type.INT8: "int8",
    Type.INT16: "int16",
    Type.INT32: "int32",
    Type.INT64: "int64",
    Type.FLOAT32: "float",
    Type.FLOAT64: "double",
    Type.BYTES: "bytes",
    Type.STRING: "string",
    Type.ARRAY: "array",
    Type.MAP: "map",
    Type.STRUCT: "struct",
}
_INT_BITS: Final = {Type.INT8: 8, Type.INT16: 16, Type.INT32: 32, Type.INT64: 64}
_LOGICAL: Final = frozenset((DECIMAL_NAME, DATE_NAME, TIME_NAME, TIMESTAMP_NAME))

_ENCODE = msgspec.json.encode
# Field names msgspec's rename refuses (it would have to escape them); such structs use dicts.
_UNRENAMABLE: Final = re.compile(r'[\\"\x00-\x1f]')
_Raw = msgspec.Raw


def _dump(tree: Any) -> bytes:
    try:
        out = _ENCODE(tree)
    except UnicodeEncodeError as e:
        raise DataError(f"Cannot serialize a string that is not valid Unicode: {e}") from e
    return as_jackson_writes(out)


def _double(value: float) -> float | msgspec.Raw:
    if type(value) is float and 1e-3 <= abs(value) < 1e7:
        # Here Double.toString prints the shortest round-trip digits in plain notation, as
        # msgspec does (tests/unit/converters compare the two); elsewhere the digits differ.
        return value
    if value - value == 0:  # finite
        return _Raw(double_to_string(value).encode())
    return _Raw(b'"' + double_to_string(value).encode() + b'"')  # Jackson quotes NaN/Infinity


def _float(value: float) -> msgspec.Raw:
    text = float_to_string(value).encode()
    if text[-1] in b"0123456789":
        return _Raw(text)
    return _Raw(b'"' + text + b'"')  # NaN and values beyond float range, as Jackson quotes them


def _decimal_bytes(schema: Schema) -> Callable[[decimal.Decimal], bytes | None]:
    """``Decimal.from_logical`` for finite values already at the schema's scale, the usual
    case, with the scale read once; None for anything else, which the full path checks and
    reports (a scale the schema lacks or cannot parse, a value at another scale)."""
    try:
        scale = Decimal.scale_of(schema)
    except DataError:
        return lambda v: None
    quantum = decimal.Decimal(1).scaleb(-scale)
    unscaled_bytes = Decimal.unscaled_bytes

    def bytes_of(v: decimal.Decimal) -> bytes | None:
        if not (v.is_finite() and v.same_quantum(quantum)):
            return None
        return unscaled_bytes(v, scale)

    return bytes_of


def _b64(value: bytes | bytearray | memoryview) -> msgspec.Raw:
    return _Raw(b'"' + base64.b64encode(value) + b'"')


def _cls(value: object) -> str:
    return f"class {type(value).__module__}.{type(value).__qualname__}"


Encoder = Callable[[Any], Any]


class _Writer:
    """Turns Connect values into msgspec-encodable trees for one converter configuration."""

    __slots__ = ("_encoders", "numeric_decimals", "replace_null")

    def __init__(self, numeric_decimals: bool, replace_null: bool) -> None:
        self.numeric_decimals = numeric_decimals
        self.replace_null = replace_null
        self._encoders: dict[Schema, Encoder] = {}

    # -- schemas --------------------------------------------------------------------------------
    def schema_tree(self, schema: Schema) -> dict[str, Any]:
        """The schema as Kafka's ``asJsonSchema`` lays it out, keys in Jackson's order."""
        tree: dict[str, Any] = {"type": _TYPE_NAMES[schema.type]}
        t = schema.type
        if t is Type.ARRAY:
            tree["items"] = self._child_schema(schema.value_schema)
        elif t is Type.MAP:
            tree["keys"] = self._child_schema(schema.key_schema)
            tree["values"] = self._child_schema(schema.value_schema)
        elif t is Type.STRUCT:
            fields = []
            for f in schema.fields:
                ft = self.schema_tree(f.schema)
                ft["field"] = f.name
                fields.append(ft)
            tree["fields"] = fields
        tree["optional"] = schema.optional
        if schema.name is not None:
            tree["name"] = schema.name
        if schema.version is not None:
            tree["version"] = schema.version
        if schema.doc is not None:
            tree["doc"] = schema.doc
        if schema.parameters is not None:
            tree["parameters"] = dict(schema.parameters)
        if schema.default is not None:
            tree["default"] = self.encoder(schema)(schema.default)
        return tree

    def _child_schema(self, schema: Schema | None) -> dict[str, Any] | None:
        return None if schema is None else self.schema_tree(schema)

    # -- values ---------------------------------------------------------------------------------
    def encoder(self, schema: Schema | None) -> Encoder:
        """A function from a value of ``schema`` (``None`` included) to its JSON tree."""
        if schema is None:
            return self.any
        enc = self._encoders.get(schema)
        if enc is None:
            enc = self._compile(schema)
            if len(self._encoders) >= 10_000:
                self._encoders.clear()
            self._encoders[schema] = enc
        return enc

    def _compile(self, schema: Schema) -> Encoder:
        convert = self._non_null(schema)
        default = schema.default
        replace = self.replace_null and default is not None
        optional = schema.optional
        default_tree: list[Any] = []  # filled on first use: the default may be costly to build

        def encode(value: Any) -> Any:
            if value is not None:
                return convert(value)
            if replace:
                if not default_tree:
                    default_tree.append(convert(default))
                return default_tree[0]
            if optional:
                return None
            raise DataError(
                "Conversion error: null value for field that is required and has no default value"
            )

        return encode

    def _non_null(self, schema: Schema) -> Encoder:
        name = schema.name
        if name in _LOGICAL:
            return self._logical(schema)
        t = schema.type
        label = t.name
        if t in _INT_BITS:
            lo = -(1 << (_INT_BITS[t] - 1))
            hi = -lo - 1

            def enc_int(v: Any) -> Any:
                if type(v) is int and lo <= v <= hi:
                    return v
                if isinstance(v, int) and not isinstance(v, bool):
                    if lo <= v <= hi:
                        return int(v)
                    raise DataError(f"Invalid value {v}: out of range for schema type {label}")
                raise DataError(f"Invalid type for {label}: {_cls(v)}")

            return enc_int
        if t is Type.FLOAT64:

            def enc_double(v: Any) -> Any:
                if isinstance(v, float):
                    return _double(v)
                raise DataError(f"Invalid type for {label}: {_cls(v)}")

            return enc_double
        if t is Type.FLOAT32:

            def enc_float(v: Any) -> Any:
                if isinstance(v, float):
                    return _float(v)
                raise DataError(f"Invalid type for {label}: {_cls(v)}")

            return enc_float
        if t is Type.BOOLEAN:

            def enc_bool(v: Any) -> Any:
                if isinstance(v, bool):
                    return v
                raise DataError(f"Invalid type for {label}: {_cls(v)}")

            return enc_bool
        if t is Type.STRING:

            def enc_str(v: Any) -> Any:
                if isinstance(v, str):
                    return v
                raise DataError(f"Invalid type for {label}: {_cls(v)}")

            return enc_str
        if t is Type.BYTES:

            def enc_bytes(v: Any) -> Any:
                if isinstance(v, (bytes, bytearray, memoryview)):
                    return _b64(v)
                raise DataError(f"Invalid type for bytes type: {_cls(v)}")

            return enc_bytes
        if t is Type.ARRAY:
            return self._array(schema)
        if t is Type.MAP:
            return self._map(schema)
        return self._struct(schema)

    def _array(self, schema: Schema) -> Encoder:
        vs = schema.value_schema
        elems: list[Encoder] = []

        def enc_array(v: Any) -> Any:
            if not isinstance(v, (list, tuple)):
                raise DataError(f"Invalid type for ARRAY: {_cls(v)}")
            if not elems:
                elems.append(self.encoder(vs))
            e = elems[0]
            return [e(x) for x in v]

        return enc_array

    def _map(self, schema: Schema) -> Encoder:
        ks, vs = schema.key_schema, schema.value_schema
        object_mode = ks is not None and ks.type is Type.STRING
        encs: list[Encoder] = []

        def enc_map(v: Any) -> Any:
            if not isinstance(v, Mapping):
                raise DataError(f"Invalid type for MAP: {_cls(v)}")
            if not encs:
                encs.extend((self.encoder(ks), self.encoder(vs)))
            ke, ve = encs
            if object_mode:
                return {_as_text(ke(k)): ve(x) for k, x in v.items()}
            return [[ke(k), ve(x)] for k, x in v.items()]

        return enc_map

    def _struct(self, schema: Schema) -> Encoder:
        names = [f.name for f in schema.fields]
        plan: list[Encoder] = []
        trusted: list[bool] = []
        # Struct.put validated the values' types already, so plain values go as they are; when
        # every field is plain and none is null the payload is just the field values.
        all_trusted = all(
            f.schema.name not in _LOGICAL
            and f.schema.type in (*_INT_BITS, Type.BOOLEAN, Type.STRING)
            for f in schema.fields
        )

        untrusted: list[int] = []

        def prepare() -> None:
            for f in schema.fields:
                fs = f.schema
                trusted.append(
                    fs.name not in _LOGICAL and fs.type in (*_INT_BITS, Type.BOOLEAN, Type.STRING)
                )
                plan.append(self.encoder(fs))
            untrusted.extend(i for i, ok in enumerate(trusted) if not ok)

        # A msgspec Struct type per schema encodes as the same JSON object as a dict of the
        # fields, for a fraction of a dict's cost; names msgspec cannot rename to use a dict.
        row: Callable[..., Any] | None = None
        if names and not any(_UNRENAMABLE.search(n) for n in names):
            row = msgspec.defstruct(
                "Row",
                [(f"f{i}", object) for i in range(len(names))],
                rename={f"f{i}": n for i, n in enumerate(names)},
            )

        # The last schema object found equal to ``schema``: encoders are cached by equality, so
        # structs of an equal but distinct schema object come here too, and would otherwise
        # pay a deep comparison each.
        equal = [schema]

        def enc_struct(v: Any) -> Any:
            if not isinstance(v, Struct):
                raise DataError(f"Invalid type for STRUCT: {_cls(v)}")
            if v.schema is not schema and v.schema is not equal[0]:
                if v.schema != schema:
                    raise DataError("Mismatching schema.")
                equal[0] = v.schema
            values = v.stored_values
            if not (all_trusted and None not in values):
                if not plan:
                    prepare()
                # Encode only what needs it: typed fields (decimals, dates, floats...) and
                # nulls (defaults, required-field checks); plain values go as they are.
                values = list(values)
                for i in untrusted:
                    values[i] = plan[i](values[i])
                if None in values:
                    for i, x in enumerate(values):
                        if x is None and trusted[i]:
                            values[i] = plan[i](None)
            if row is not None:
                return row(*values)
            return dict(zip(names, values, strict=True))

        return enc_struct

    def _logical(self, schema: Schema) -> Encoder:
        name = schema.name
        if name == DECIMAL_NAME:
            numeric = self.numeric_decimals
            bytes_of = _decimal_bytes(schema)

            def enc_decimal(v: Any) -> Any:
                if not numeric and type(v) is decimal.Decimal:
                    raw = bytes_of(v)
                    if raw is not None:
                        return _Raw(b'"' + base64.b64encode(raw) + b'"')
                if not isinstance(v, decimal.Decimal):
                    raise DataError(
                        f"Invalid type for Decimal, expected BigDecimal but was {_cls(v)}"
                    )
                if not v.is_finite():
                    raise DataError(f"Invalid value for Decimal: {v} is not a finite number")
                if numeric:
                    return _Raw(bigdecimal_to_string(v).encode())
                return _b64(Decimal.from_logical(schema, v))

            return enc_decimal
        if name == DATE_NAME:

            def enc_date(v: Any) -> Any:
                if not isinstance(v, _dt.date):
                    raise DataError(f"Invalid type for Date, expected Date but was {_cls(v)}")
                return Date.from_logical(schema, v)

            return enc_date
        if name == TIME_NAME:

            def enc_time(v: Any) -> Any:
                if not isinstance(v, _dt.time):
                    raise DataError(f"Invalid type for Time, expected Date but was {_cls(v)}")
                return Time.from_logical(schema, v)

            return enc_time

        def enc_timestamp(v: Any) -> Any:
            if not isinstance(v, _dt.datetime):
                raise DataError(f"Invalid type for Timestamp, expected Date but was {_cls(v)}")
            return Timestamp.from_logical(schema, v)

        return enc_timestamp

    # -- schemaless -----------------------------------------------------------------------------
    def any(self, value: Any) -> Any:
        """A schemaless value: its Python type chooses the JSON form, as Java's class does."""
        if value is None or isinstance(value, (str, bool)):
            return value
        if isinstance(value, int):
            if -(2**63) <= value < 2**63:
                return value
            raise DataError(f"Invalid value {value}: out of range for schema type INT64")
        if isinstance(value, float):
            return _double(value)
        if isinstance(value, (bytes, bytearray, memoryview)):
            return _b64(value)
        if isinstance(value, (list, tuple)):
            return [self.any(x) for x in value]
        if isinstance(value, Mapping):
            if all(isinstance(k, str) for k in value):
                return {k: self.any(x) for k, x in value.items()}
            return [[self.any(k), self.any(x)] for k, x in value.items()]
        if isinstance(value, Struct):
            raise DataError("Mismatching schema.")
        raise DataError(f"Python class {_cls(value)[6:]} does not have corresponding schema type.")


def _as_text(tree: Any) -> str:
    """Jackson's ``asText()`` of a map key's JSON node (keys of STRING maps are strings)."""
    if isinstance(tree, str):
        return tree
    if tree is None:
        return "null"
    if isinstance(tree, bool):
        return "true" if tree else "false"
    if isinstance(tree, msgspec.Raw):
        raw = bytes(tree)
        return raw[1:-1].decode() if raw.startswith(b'"') else raw.decode()
    return str(tree)
