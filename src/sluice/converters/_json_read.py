"""JSON Kafka's JsonConverter wrote, back to Connect schemas and values.

Decoding is msgspec's; what turns the decoded tree into Connect values follows Kafka's
``JsonConverter.convertToConnect`` (and Jackson's lenient number accessors) rule for rule:
integers wrap to their width, wrong JSON types read as zero/false/null, decimals come from
numbers or Base64, and so on. Payloads go through a float decoder unless their schema needs the
exact decimal text (decimals, 32-bit floats), in which case floats arrive as ``Decimal``.
"""

from __future__ import annotations

import base64
import binascii
import decimal
import json as _stdjson
import re
from collections.abc import Callable, Sequence
from functools import partial
from typing import Annotated, Any, Final

import msgspec

from sluice.api.errors import DataError, SchemaBuilderError
from sluice.api.logical import Date, Decimal, Time, Timestamp, from_epoch_millis, to_epoch_millis
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
from sluice.converters._common import as_map_key
from sluice.converters._json_write import _INT_BITS, _LOGICAL, _TYPE_NAMES
from sluice.jdk.dates import MILLIS_PER_DAY
from sluice.jdk.hashing import (
    as_hash_map,
    as_hash_maps,
    double_hash,
    float_hash,
    hash_set_order,
    long_hash,
)
from sluice.jdk.numbers import exact_to_float32, truncate_wrapped, wrap

_SERIALIZATION_ERROR: Final = (
    "Converting byte[] to Kafka Connect data failed due to serialization error: "
)
_TYPES_BY_NAME: Final = {v: k for k, v in _TYPE_NAMES.items()}


class _Envelope(msgspec.Struct, forbid_unknown_fields=True):
    schema: msgspec.Raw
    payload: msgspec.Raw


_ENVELOPE_DECODER: Final = msgspec.json.Decoder(_Envelope)
_FLOAT_DECODER: Final = msgspec.json.Decoder()
_EXACT_DECODER: Final = msgspec.json.Decoder(float_hook=decimal.Decimal)
# Schemaless data needs a second pass only for huge integers (Java wraps them to 64 bits) and
# negative zeros (BigDecimal has none). A regex over every value costs several times the JSON
# decoding, so the test runs in C: digits become NULs and a run of 19 is searched for, and the
# negative-zero regex runs only where a "-" occurs. False positives (a long digit run inside a
# string, "-0.5") only cost the exact second pass.
_DIGITS_TO_NUL: Final = bytes.maketrans(b"0123456789", b"\0" * 10)
_NINETEEN_DIGITS: Final = b"\0" * 19
_NEGATIVE_ZERO: Final = re.compile(rb"-0[.eE]")


def _may_hold_negative_zero(value: bytes) -> bool:
    return b"-" in value and _NEGATIVE_ZERO.search(value) is not None  # one memchr, usually


def _needs_fixup(value: bytes) -> bool:
    """Whether ``value`` may hold an integer beyond 64 bits or a negative zero."""
    if _may_hold_negative_zero(value):
        return True
    return len(value) >= 19 and _NINETEEN_DIGITS in value.translate(_DIGITS_TO_NUL)


def decode_schemaless_batch(values: Sequence[bytes | None]) -> list[Any] | None:
    """Schemaless JSON values decoded in one tight loop, or None when one of them needs the
    value-by-value path (a null, bad JSON, an integer beyond 64 bits, a negative zero)."""
    try:
        trees = [_FLAT_OBJECT_DECODER.decode(v) for v in values]  # type: ignore[arg-type]
        flat = True
    except msgspec.ValidationError:  # not all objects of scalars in range: decode them as JSON
        try:
            trees = [_FLOAT_DECODER.decode(v) for v in values]  # type: ignore[arg-type]
        except (msgspec.DecodeError, TypeError):
            return None
        flat = False
    except (msgspec.DecodeError, TypeError):  # TypeError: a null value
        return None
    joined = b"\n".join(values)  # type: ignore[arg-type]
    if _may_hold_negative_zero(joined) if flat else _needs_fixup(joined):
        return None
    if flat:
        return as_hash_maps(trees)
    return [java_maps(tree) for tree in trees]


def java_maps(node: Any) -> Any:
    """A decoded JSON tree with every object's entries in the order of the ``HashMap`` Kafka's
    JsonConverter reads it into, which is the order Kafka Connect prints and writes it in."""
    if type(node) is dict:
        if any(type(x) is dict or type(x) is list for x in node.values()):
            node = {k: java_maps(x) for k, x in node.items()}
        return as_hash_map(node)
    if type(node) is list and any(type(x) is dict or type(x) is list for x in node):
        return [java_maps(x) for x in node]
    return node


def _java_key_hash(schema: Schema | None) -> Callable[[Any], int] | None:
    """``hashCode`` of the Java object Kafka reads a map key of ``schema`` into, for keys whose
    hash Java takes from their value alone; None for decimals, bytes, structs, arrays and maps
    (BigDecimal's hash, identity hashes...), whose maps keep the order they were read in."""
    if schema is None or schema.name == DECIMAL_NAME:
        return None
    millis: Callable[[Any], int] | None = None  # java.util.Date hashes its milliseconds
    if schema.name == TIMESTAMP_NAME:
        millis = to_epoch_millis
    elif schema.name == DATE_NAME:
        millis = partial(_date_millis, schema)
    elif schema.name == TIME_NAME:
        millis = partial(Time.from_logical, schema)
    code = _KEY_HASHES.get(schema.type) if millis is None else _composed(long_hash, millis)
    if code is None:
        return None
    return partial(_null_or, code)


def _date_millis(schema: Schema, day: Any) -> int:
    return Date.from_logical(schema, day) * MILLIS_PER_DAY


def _composed(outer: Callable[[int], int], inner: Callable[[Any], int]) -> Callable[[Any], int]:
    return lambda k: outer(inner(k))


def _null_or(code: Callable[[Any], int], key: Any) -> int:
    return 0 if key is None else code(key)  # HashMap hashes a null key as 0


def _int_hash(key: int) -> int:
    return key & 0xFFFFFFFF  # Byte, Short and Integer hash as their int value


def _boolean_hash(key: bool) -> int:
    return 1231 if key else 1237


_KEY_HASHES: Final[dict[Type, Callable[[Any], int]]] = {
    Type.INT8: _int_hash,
    Type.INT16: _int_hash,
    Type.INT32: _int_hash,
    Type.INT64: long_hash,
    Type.BOOLEAN: _boolean_hash,
    Type.FLOAT32: float_hash,
    Type.FLOAT64: double_hash,
}


class _NeedExactError(Exception):
    """A float payload reached a decoder that needs its exact decimal text; decode again."""


def _node_type(node: Any) -> str:
    """Jackson's ``JsonNodeType`` name of a decoded JSON value, for error messages."""
    if node is None:
        return "NULL"
    if isinstance(node, bool):
        return "BOOLEAN"
    if isinstance(node, (int, float, decimal.Decimal)):
        return "NUMBER"
    if isinstance(node, str):
        return "STRING"
    if isinstance(node, list):
        return "ARRAY"
    return "OBJECT"


_STRING_OR_LEADING_ZEROS: Final = re.compile(rb'"(?:[^"\\]|\\.)*"|(?<![\w.+-])(-?)0+(?=\d)')


def _drop_leading_zeros(m: re.Match[bytes]) -> bytes:
    return m.group(0) if m.group(0).startswith(b'"') else m.group(1)


def _decode_lenient(
    data: bytes, error: msgspec.DecodeError, decoder: msgspec.json.Decoder[Any]
) -> Any:
    """What Jackson accepts and msgspec rejects: numbers with leading zeros (Kafka turns that
    Jackson feature on) and anything after the first JSON value (Jackson ignores it)."""
    if "invalid number" in str(error):
        fixed = _STRING_OR_LEADING_ZEROS.sub(_drop_leading_zeros, data)
        if fixed != data:
            try:
                return decoder.decode(fixed)
            except msgspec.DecodeError as e:
                return _decode_lenient(fixed, e, decoder)
    if "trailing characters" not in str(error):
        raise DataError(f"{_SERIALIZATION_ERROR}{error}") from error
    text = data.decode("utf-8", "replace")
    stdlib = _stdjson.JSONDecoder(parse_float=decimal.Decimal, parse_constant=_reject_constant)
    start = len(text) - len(text.lstrip())
    try:
        tree, end = stdlib.raw_decode(text, start)
    except ValueError as e:
        raise DataError(f"{_SERIALIZATION_ERROR}{e}") from e
    if text[end : end + 1].isdigit():
        raise DataError(f"{_SERIALIZATION_ERROR}{error}") from error
    return tree


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Non-standard token '{name}'")


def _plain(node: Any) -> Any:
    """A decoded schemaless tree with Java's number semantics: 64-bit longs, no negative zero."""
    if isinstance(node, bool) or node is None or isinstance(node, str):
        return node
    if isinstance(node, int):
        return node if -(2**63) <= node < 2**63 else wrap(node, 64)
    if isinstance(node, float):
        return node if node != 0 else 0.0
    if isinstance(node, decimal.Decimal):
        f = float(node)
        return f if f != 0 else 0.0
    if isinstance(node, list):
        return [_plain(x) for x in node]
    return as_hash_map({k: _plain(x) for k, x in node.items()})


Decoder = Callable[[Any], Any]


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


class _Reader:
    """Builds Connect values from decoded JSON trees for one converter configuration."""

    __slots__ = ("_decoders", "replace_null")

    def __init__(self, replace_null: bool) -> None:
        self.replace_null = replace_null
        self._decoders: dict[Schema, Decoder] = {}

    def decoder(self, schema: Schema | None) -> Decoder:
        if schema is None:
            return _plain
        dec = self._decoders.get(schema)
        if dec is None:
            dec = self._compile(schema)
            if len(self._decoders) >= 10_000:
                self._decoders.clear()
            self._decoders[schema] = dec
        return dec

    def _compile(self, schema: Schema) -> Decoder:
        convert = self._non_null(schema)
        replace = self.replace_null and schema.default is not None
        default = schema.default
        optional = schema.optional
        label = schema.type.name

        def decode(node: Any) -> Any:
            if node is not None:
                return convert(node)
            if replace:
                return default
            if optional:
                return None
            raise DataError(f"Invalid null value for required {label} field")

        return decode

    def _non_null(self, schema: Schema) -> Decoder:
        if schema.name in _LOGICAL:
            return _logical_decoder(schema)
        t = schema.type
        if t in _INT_BITS:
            bits = _INT_BITS[t]
            lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1

            def dec_int(node: Any) -> Any:
                if type(node) is int:
                    return node if lo <= node <= hi else wrap(node, bits)
                if isinstance(node, decimal.Decimal):
                    return truncate_wrapped(node, bits)
                if isinstance(node, float):
                    raise _NeedExactError
                return 0

            return dec_int
        if t is Type.FLOAT64:

            def dec_double(node: Any) -> Any:
                if type(node) is float:
                    return node if node != 0 else 0.0
                if isinstance(node, (bool, str, list, dict)):
                    return 0.0
                try:
                    f = float(node)
                except OverflowError:
                    return float("-inf") if node < 0 else float("inf")
                return f if f != 0 else 0.0

            return dec_double
        if t is Type.FLOAT32:

            def dec_float(node: Any) -> Any:
                if isinstance(node, (bool, str, list, dict)):
                    return 0.0
                if isinstance(node, float):
                    raise _NeedExactError
                f = exact_to_float32(node)
                return f if f != 0 else 0.0

            return dec_float
        if t is Type.BOOLEAN:
            return lambda node: node is True
        if t is Type.STRING:
            return lambda node: node if isinstance(node, str) else None
        if t is Type.BYTES:

            def dec_bytes(node: Any) -> Any:
                if not isinstance(node, str):
                    return None
                try:
                    return _b64decode(node)
                except (binascii.Error, UnicodeEncodeError) as e:
                    raise DataError(f"Invalid bytes field: {e}") from e

            return dec_bytes
        if t is Type.ARRAY:
            return self._array(schema)
        if t is Type.MAP:
            return self._map(schema)
        return self._struct(schema)

    def _array(self, schema: Schema) -> Decoder:
        vs = schema.value_schema
        elems: list[Decoder] = []

        def dec_array(node: Any) -> Any:
            if not elems:
                elems.append(self.decoder(vs))
            e = elems[0]
            if isinstance(node, list):
                return [e(x) for x in node]
            if isinstance(node, dict):  # Jackson iterates an object's values
                return [e(x) for x in node.values()]
            return []

        return dec_array

    def _map(self, schema: Schema) -> Decoder:
        ks, vs = schema.key_schema, schema.value_schema
        object_mode = ks is None or ks.type is Type.STRING
        key_hash = None if object_mode else _java_key_hash(ks)
        decs: list[Decoder] = []

        def dec_map(node: Any) -> Any:
            if not decs:
                decs.extend((self.decoder(ks), self.decoder(vs)))
            kd, vd = decs
            if object_mode:
                if not isinstance(node, dict):
                    raise DataError(
                        "Maps with string fields should be encoded as JSON objects, but found "
                        + _node_type(node)
                    )
                return as_hash_map({k: vd(x) for k, x in node.items()})
            if not isinstance(node, list):
                raise DataError(
                    "Maps with non-string fields should be encoded as JSON array of tuples, but "
                    "found " + _node_type(node)
                )
            result: dict[Any, Any] = {}
            for entry in node:
                if not isinstance(entry, list):
                    raise DataError(
                        "Found invalid map entry instead of array tuple: " + _node_type(entry)
                    )
                if len(entry) != 2:
                    raise DataError(
                        f"Found invalid map entry, expected length 2 but found :{len(entry)}"
                    )
                result[as_map_key(kd(entry[0]))] = vd(entry[1])
            if key_hash is not None and len(result) > 1:  # Kafka's new HashMap<>(), filled
                return {k: result[k] for k in hash_set_order(result, key_hash)}
            return result

        return dec_map

    def _struct(self, schema: Schema) -> Decoder:
        fields = schema.fields
        names = [f.name for f in fields]
        plan: list[Decoder] = []
        required = [
            (i, f.name, f.schema.type.name) for i, f in enumerate(fields) if not f.schema.optional
        ]

        def dec_struct(node: Any) -> Any:
            if not isinstance(node, dict):
                raise DataError(
                    "Structs should be encoded as JSON objects, but found " + _node_type(node)
                )
            if not plan:
                plan.extend(self.decoder(f.schema) for f in fields)
            get = node.get
            values = [d(get(n)) for n, d in zip(names, plan, strict=True)]
            for i, fname, tname in required:
                if values[i] is None:
                    raise DataError(
                        f'Invalid value: null used for required field: "{fname}", '
                        f"schema type: {tname}"
                    )
            # Each value was produced for its field's schema, which is what Struct.put checks.
            return Struct.trusted(schema, values)

        return dec_struct


def _logical_decoder(schema: Schema) -> Decoder:
    name = schema.name
    if name == DECIMAL_NAME:

        def dec_decimal(node: Any) -> Any:
            if isinstance(node, bool):
                pass
            elif isinstance(node, decimal.Decimal):
                return node.copy_abs() if node.is_zero() else node
            elif isinstance(node, int):
                return decimal.Decimal(node)
            elif isinstance(node, float):
                raise _NeedExactError
            elif isinstance(node, str):
                try:
                    return Decimal.to_logical(schema, _b64decode(node))
                except Exception as e:
                    raise DataError(f"Invalid bytes for Decimal field: {e}") from e
            raise DataError(
                "Invalid type for Decimal, underlying representation should be numeric or bytes "
                "but was " + _node_type(node)
            )

        return dec_decimal
    if name in (DATE_NAME, TIME_NAME):
        logical = Date if name == DATE_NAME else Time
        label = "Date" if name == DATE_NAME else "Time"

        def dec_days_or_millis(node: Any) -> Any:
            if type(node) is not int or not -(2**31) <= node < 2**31:
                raise DataError(
                    f"Invalid type for {label}, underlying representation should be integer but "
                    f"was {_node_type(node)}"
                )
            try:
                return logical.to_logical(schema, node)
            except OverflowError as e:
                raise DataError(f"{label} value {node} is out of Python's date range") from e

        return dec_days_or_millis

    def dec_timestamp(node: Any) -> Any:
        if type(node) is not int:
            raise DataError(
                "Invalid type for Timestamp, underlying representation should be integral but "
                "was " + _node_type(node)
            )
        try:
            return Timestamp.to_logical(schema, wrap(node, 64))
        except OverflowError as e:
            raise DataError(f"Timestamp value {node} is out of Python's date range") from e

    return dec_timestamp


class _SchemaParser:
    """JSON schema trees to :class:`Schema`, as Kafka's ``asConnectSchema``."""

    def __init__(self, reader: _Reader) -> None:
        self.reader = reader

    def parse(self, tree: Any) -> Schema | None:
        if tree is None:
            return None
        type_name = tree.get("type") if isinstance(tree, dict) else None
        if not isinstance(type_name, str):
            raise DataError("Schema must contain 'type' field")
        t = _TYPES_BY_NAME.get(type_name)
        if t is None:
            raise DataError("Unknown schema type: " + type_name)
        if t is Type.ARRAY:
            items = tree.get("items")
            if items is None:
                raise DataError("Array schema did not specify the element type")
            builder = SchemaBuilder.array(self._required_child(items, "valueSchema"))
        elif t is Type.MAP:
            if "keys" not in tree:
                raise DataError("Map schema did not specify the key type")
            if "values" not in tree:
                raise DataError("Map schema did not specify the value type")
            builder = SchemaBuilder.map(
                self._required_child(tree["keys"], "keySchema"),
                self._required_child(tree["values"], "valueSchema"),
            )
        elif t is Type.STRUCT:
            builder = SchemaBuilder.struct()
            fields = tree.get("fields")
            if not isinstance(fields, list):
                raise DataError('Struct schema\'s "fields" argument is not an array.')
            for field in fields:
                fname = field.get("field") if isinstance(field, dict) else None
                if not isinstance(fname, str):
                    raise DataError("Struct schema's field name not specified properly")
                builder.field(fname, self._required_child(field, "field schema"))
        else:
            builder = SchemaBuilder(t)
        if tree.get("optional") is True:
            builder.optional()
        else:
            builder.required()
        name = tree.get("name")
        if isinstance(name, str):
            builder.name(name)
        version = tree.get("version")
        if isinstance(version, int) and not isinstance(version, bool):
            builder.version(wrap(version, 32))
        doc = tree.get("doc")
        if isinstance(doc, str):
            builder.doc(doc)
        params = tree.get("parameters")
        if isinstance(params, dict):
            for k, v in params.items():
                if not isinstance(v, str):
                    raise DataError("Schema parameters must have string values.")
                builder.parameter(k, v)
        if "default" in tree:
            without_default = builder.build()
            value = self.reader.decoder(without_default)(tree["default"])
            if value is not None:
                builder.default_value(value)
        return builder.build()

    def _required_child(self, tree: Any, what: str) -> Schema:
        child = self.parse(tree)
        if child is None:
            raise SchemaBuilderError(f"{what} cannot be null.")
        return child


def _uses_exact_numbers(schema: Schema | None) -> bool:
    """Whether decoding ``schema``'s payloads needs floats as exact decimal text."""
    if schema is None:
        return False
    if schema.name == DECIMAL_NAME or schema.type is Type.FLOAT32:
        return True
    children = [f.schema for f in schema.fields]
    children += [s for s in (schema.key_schema, schema.value_schema) if s is not None]
    return any(_uses_exact_numbers(c) for c in children)


_FLAT_TYPES: Final = {
    **{t: int for t in _INT_BITS},
    Type.BOOLEAN: bool,
    Type.STRING: str,
    Type.FLOAT64: float,
    Type.BYTES: bytes,
}


def _flat_struct_reader(schema: Schema | None) -> Callable[[bytes], Struct] | None:
    """A reader decoding a flat struct's payload straight into typed values in C.

    Only for structs whose fields are plain integers, booleans, strings, doubles and bytes
    without defaults: then msgspec's own checks (type, integer range, Base64, required fields)
    accept exactly the payloads the generic path would read without converting anything.
    Whatever it rejects goes to the generic path, which applies Kafka's conversions or raises
    Kafka's errors.
    """
    if schema is None or schema.type is not Type.STRUCT or schema.name in _LOGICAL:
        return None
    fields: list[tuple[str, Any, Any] | tuple[str, Any]] = []
    rename = {}
    doubles = []
    logical: list[tuple[int, Callable[[Any], Any]]] = []
    for i, f in enumerate(schema.fields):
        fs = f.schema
        if fs.default is not None:
            return None
        if fs.name in _LOGICAL:
            flat = _flat_logical(fs)
            if flat is None:
                return None
            typ: Any = flat[0]
            logical.append((i, flat[1]))
        elif fs.type not in _FLAT_TYPES:
            return None
        elif fs.type in _INT_BITS:
            typ = _int_of(_INT_BITS[fs.type])
        else:
            typ = _FLAT_TYPES[fs.type]
            if typ is float:
                doubles.append(i)
        attr = f"f{i}"
        rename[attr] = f.name
        fields.append((attr, typ | None, None) if fs.optional else (attr, typ))
    try:
        cls = msgspec.defstruct("FlatPayload", fields, rename=rename, kw_only=True)
    except ValueError:  # msgspec refuses some field names (quotes, control characters)
        return None
    decoder = msgspec.json.Decoder(cls)
    astuple = msgspec.structs.astuple

    def read(payload: bytes) -> Struct:
        values = list(astuple(decoder.decode(payload)))
        for i in doubles:
            if values[i] == 0:  # BigDecimal has no negative zero
                values[i] = 0.0
        try:
            for i, convert in logical:
                if values[i] is not None:
                    values[i] = convert(values[i])
        except (ArithmeticError, ValueError) as e:  # the full path raises Kafka's error
            raise msgspec.ValidationError(str(e)) from e
        return Struct.trusted(schema, values)

    return read


def _int_of(bits: int) -> Any:
    return Annotated[int, msgspec.Meta(ge=-(1 << (bits - 1)), le=(1 << (bits - 1)) - 1)]


# Most schemaless values are objects of scalars. Decoded as such, msgspec checks that their
# integers fit in a Java long as it reads them (for 4% more than untyped decoding), so that
# decode_schemaless_batch skips the digit scan, which costs almost as much as the decoding.
_FLAT_OBJECT_DECODER: Final = msgspec.json.Decoder(
    dict[str, bool | _int_of(64) | float | str | None]  # type: ignore[misc]
)


def _flat_logical(schema: Schema) -> tuple[Any, Callable[[Any], Any]] | None:
    """The type msgspec decodes a logical field's JSON as (Base64 bytes for a Decimal, an
    integer in range for the others) and the conversion :func:`_logical_decoder` applies to it;
    None for a logical name on another underlying type (the full path reports it)."""
    name, t = schema.name, schema.type
    if name == DECIMAL_NAME and t is Type.BYTES:
        try:
            exponent = -Decimal.scale_of(schema)
        except DataError:
            return None  # the full path reports the broken schema for each value
        from_unscaled, from_bytes = Decimal.from_unscaled, int.from_bytes
        return bytes, lambda raw: from_unscaled(from_bytes(raw, "big", signed=True), exponent)
    if name == DATE_NAME and t is Type.INT32:
        return _int_of(32), partial(Date.to_logical, schema)
    if name == TIME_NAME and t is Type.INT32:
        return _int_of(32), partial(Time.to_logical, schema)
    if name == TIMESTAMP_NAME and t is Type.INT64:
        return _int_of(64), from_epoch_millis  # the name is checked: Timestamp's conversion
    return None


class _ReadPlan:
    __slots__ = ("decode", "exact", "fast", "prefix", "schema")

    def __init__(self, schema: Schema | None, decode: Decoder, schema_json: bytes) -> None:
        self.schema = schema
        self.decode = decode
        self.exact = _uses_exact_numbers(schema)
        self.fast = _flat_struct_reader(schema)
        # Envelopes written compactly (by Kafka or sluice) start with exactly this.
        self.prefix = b'{"schema":' + schema_json + b',"payload":'
