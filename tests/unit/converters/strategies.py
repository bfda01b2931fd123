"""Hypothesis strategies for Connect schemas and values of every type, shared by the converter
unit tests and the Java compatibility test.

Values are generated the way a Java runtime could hold them after reading JSON back, so that a
round trip through Kafka's JsonConverter is byte-stable: no NaN/infinity or negative zero (Java
reads those back as other numbers), times at millisecond precision, and map entries already in
the iteration order of the ``java.util.HashMap`` Kafka reads maps into (see
:func:`java_hashmap_order`; key types whose Java hash is an identity hash get one entry at most).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable
from typing import Any

from hypothesis import strategies as st

from sluice.api import (
    Date,
    Decimal,
    Field,
    Schema,
    SchemaBuilder,
    Struct,
    Time,
    Timestamp,
    Type,
)
from sluice.api.logical import to_epoch_millis
from sluice.jdk.hashing import double_hash, float_hash, hash_set_order, long_hash, string_hash

INT_RANGES = {
    Type.INT8: (-(2**7), 2**7 - 1),
    Type.INT16: (-(2**15), 2**15 - 1),
    Type.INT32: (-(2**31), 2**31 - 1),
    Type.INT64: (-(2**63), 2**63 - 1),
}
PRIMITIVES = [
    Type.INT8,
    Type.INT16,
    Type.INT32,
    Type.INT64,
    Type.FLOAT32,
    Type.FLOAT64,
    Type.BOOLEAN,
    Type.STRING,
    Type.BYTES,
]
LOGICAL = ["decimal", "date", "time", "timestamp"]

texts = st.text(max_size=12)
names = st.text(min_size=1, max_size=8)


# -- Java's HashMap iteration order ----------------------------------------------------------------
def java_hash(key: Any, schema: Schema | None) -> int | None:
    """``key.hashCode()`` of the Java object Kafka reads a map key into, or ``None`` when Java
    uses an identity hash (byte arrays, ...) or the hash is not worth reproducing."""
    if key is None:
        return 0
    t = schema.type if schema is not None else None
    name = schema.name if schema is not None else None
    if name in (Date.LOGICAL_NAME, Time.LOGICAL_NAME, Timestamp.LOGICAL_NAME):
        if isinstance(key, dt.datetime):
            millis = to_epoch_millis(key)
        elif isinstance(key, dt.date):
            millis = Date.from_logical(Date.SCHEMA, key) * 86_400_000
        else:
            millis = Time.from_logical(Time.SCHEMA, key)
        return long_hash(millis)
    if name is not None and name == Decimal.LOGICAL_NAME:
        return None
    if isinstance(key, str):
        return string_hash(key)
    if isinstance(key, bool):
        return 1231 if key else 1237
    if isinstance(key, int):
        return long_hash(key) if t in (Type.INT64, None) else key
    if isinstance(key, float):
        return float_hash(key) if t is Type.FLOAT32 else double_hash(key)
    return None


def java_hashmap_order(keys: Iterable[Any], schema: Schema | None) -> list[Any]:
    """``keys`` in the order a ``new HashMap<>()`` filled with them in this order iterates."""

    def code(k: Any) -> int:
        h = java_hash(k, schema)
        assert h is not None
        return h & 0xFFFFFFFF

    return hash_set_order(keys, code)


def hashable_in_java(schema: Schema | None) -> bool:
    """Whether Java hashes keys of ``schema`` by value in a way :func:`java_hash` reproduces."""
    if schema is None:
        return True
    return schema.name != Decimal.LOGICAL_NAME and schema.type not in (Type.BYTES, Type.STRUCT)


# -- schemas ---------------------------------------------------------------------------------------
@st.composite
def _decorated(draw: st.DrawFn, builder: SchemaBuilder, logical: bool) -> SchemaBuilder:
    if draw(st.booleans()):
        builder.optional()
    if not logical:
        if draw(st.integers(0, 4)) == 0:
            builder.name(draw(texts))
        if draw(st.integers(0, 4)) == 0:
            builder.version(draw(st.integers(-(2**31), 2**31 - 1)))
    if draw(st.integers(0, 4)) == 0:
        builder.doc(draw(texts))
    if not logical and draw(st.integers(0, 5)) == 0:
        builder.parameters(draw(st.dictionaries(texts, texts, max_size=3)))
    return builder


def _logical_builder(kind: str, scale: int) -> SchemaBuilder:
    if kind == "decimal":
        return Decimal.builder(scale)
    builders = {"date": Date.builder, "time": Time.builder, "timestamp": Timestamp.builder}
    return builders[kind]()


@st.composite
def leaf_schemas(draw: st.DrawFn, keys: bool = False) -> Schema:
    """A primitive or logical schema, maybe optional, named, documented, with a default."""
    kind = draw(st.sampled_from(PRIMITIVES + LOGICAL))
    if isinstance(kind, Type):
        builder = draw(_decorated(SchemaBuilder(kind), False))
    else:
        builder = draw(_decorated(_logical_builder(kind, draw(st.integers(-3, 12))), True))
    return draw(_with_default(builder, keys))


@st.composite
def _with_default(draw: st.DrawFn, builder: SchemaBuilder, keys: bool = False) -> Schema:
    schema = builder.build()
    if keys or schema.type is Type.STRUCT or draw(st.integers(0, 3)) != 0:
        return schema
    default = draw(values(schema, allow_none=False, small=True))
    builder.default_value(default)
    return builder.build()


@st.composite
def schemas(draw: st.DrawFn, depth: int = 2) -> Schema:
    """A schema of any type, nested up to ``depth`` levels of arrays, maps and structs."""
    if depth <= 0:
        return draw(leaf_schemas())
    kind = draw(st.sampled_from(["leaf", "leaf", "array", "map", "struct", "struct"]))
    if kind == "leaf":
        return draw(leaf_schemas())
    if kind == "array":
        builder = SchemaBuilder.array(draw(schemas(depth - 1)))
    elif kind == "map":
        builder = SchemaBuilder.map(draw(leaf_schemas(keys=True)), draw(schemas(depth - 1)))
    else:
        builder = SchemaBuilder.struct()
        for fname in draw(st.lists(names, max_size=4, unique=True)):
            builder.field(fname, draw(schemas(depth - 1)))
    return draw(_with_default(draw(_decorated(builder, False)), False))


# -- values ----------------------------------------------------------------------------------------
def _no_negative_zero(f: float) -> float:
    return f + 0.0


def _decimals(scale: int) -> st.SearchStrategy[decimal.Decimal]:
    def build(unscaled: int) -> decimal.Decimal:
        digits = tuple(int(c) for c in str(abs(unscaled)))
        return decimal.Decimal((1 if unscaled < 0 else 0, digits, -scale))

    return st.integers(-(10**30), 10**30).map(build)


# Millisecond precision, UTC, and fold=0: what reading a Kafka value gives back.
_times = st.times().map(
    lambda t: t.replace(microsecond=t.microsecond // 1000 * 1000, tzinfo=dt.UTC, fold=0)
)
_timestamps = st.datetimes(timezones=st.just(dt.UTC)).map(
    lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000, fold=0)
)


def values(
    schema: Schema | None, allow_none: bool = True, small: bool = False
) -> st.SearchStrategy[Any]:
    """Values of ``schema`` (``None`` for schemaless data), with ``None`` for optional schemas
    without a default (a null would be written as the default, which reads back differently)."""
    if schema is None:
        return schemaless_values()
    inner = _non_null(schema, small)
    if allow_none and schema.optional and schema.default is None:
        return st.none() | inner
    return inner


def _non_null(schema: Schema, small: bool) -> st.SearchStrategy[Any]:
    name, t = schema.name, schema.type
    size = 2 if small else 4
    if name == Decimal.LOGICAL_NAME:
        return _decimals(Decimal.scale_of(schema))
    if name == Date.LOGICAL_NAME:
        return st.dates()
    if name == Time.LOGICAL_NAME:
        return _times
    if name == Timestamp.LOGICAL_NAME:
        return _timestamps
    if t in INT_RANGES:
        lo, hi = INT_RANGES[t]
        return st.integers(lo, hi)
    if t is Type.FLOAT32:
        return st.floats(width=32, allow_nan=False, allow_infinity=False).map(_no_negative_zero)
    if t is Type.FLOAT64:
        return st.floats(allow_nan=False, allow_infinity=False).map(_no_negative_zero)
    if t is Type.BOOLEAN:
        return st.booleans()
    if t is Type.STRING:
        return texts
    if t is Type.BYTES:
        return st.binary(max_size=12)
    if t is Type.ARRAY:
        assert schema.value_schema is not None
        return st.lists(values(schema.value_schema, small=small), max_size=size)
    if t is Type.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        return _maps(schema.key_schema, schema.value_schema, size if not small else 2)
    return _structs(schema, small)


def _maps(ks: Schema, vs: Schema, size: int) -> st.SearchStrategy[dict[Any, Any]]:
    keys = values(ks, small=True)
    if ks.type is Type.STRING:  # a null key would be written as the text "null"
        keys = keys.filter(lambda k: k is not None)
    max_size = size if hashable_in_java(ks) else 1

    def ordered(d: dict[Any, Any]) -> dict[Any, Any]:
        if len(d) < 2:
            return d
        return {k: d[k] for k in java_hashmap_order(d, ks)}

    return st.dictionaries(keys, values(vs, small=True), max_size=max_size).map(ordered)


def _structs(schema: Schema, small: bool) -> st.SearchStrategy[Struct]:
    """Structs; fields with a default may be left unset, except inside defaults (Kafka writes
    the field's default there, which would make the schema read back differ)."""

    def may_be_unset(f: Field) -> bool:
        if f.schema.default is None:
            return f.schema.optional
        return not small

    fields = {
        f.name: (st.none() | values(f.schema, allow_none=False))
        if may_be_unset(f)
        else values(f.schema, allow_none=False, small=small)
        for f in schema.fields
    }

    def build(parts: dict[str, Any]) -> Struct:
        s = Struct(schema)
        for fname, v in parts.items():
            if v is not None:
                s.put(fname, v)
        return s

    return st.fixed_dictionaries(fields).map(build)


def schemaless_values() -> st.SearchStrategy[Any]:
    """What schemaless JSON holds: null, booleans, longs, doubles, strings, lists, string maps."""
    leaves = (
        st.none()
        | st.booleans()
        | st.integers(-(2**63), 2**63 - 1)
        | st.floats(allow_nan=False, allow_infinity=False).map(_no_negative_zero)
        | texts
    )

    def string_map(d: dict[str, Any]) -> dict[str, Any]:
        return {k: d[k] for k in java_hashmap_order(d, Schema.STRING_SCHEMA)}

    return st.recursive(
        leaves,
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(texts, children, max_size=3).map(string_map)
        ),
        max_leaves=8,
    )


@st.composite
def schema_and_value(draw: st.DrawFn, depth: int = 2) -> tuple[Schema | None, Any]:
    """A (schema, value) pair; one in ten is schemaless."""
    if draw(st.integers(0, 9)) == 0:
        return None, draw(schemaless_values().filter(lambda v: v is not None))
    schema = draw(schemas(depth))
    if schema.default is not None and draw(st.integers(0, 4)) == 0:
        return schema, None  # Kafka writes the default in its place
    return schema, draw(values(schema))


def normalize(value: Any, schema: Schema | None, fill_defaults: bool = True) -> Any:
    """A comparable form of a value: structs as dicts (with defaults applied, as Kafka writes
    them), times as milliseconds, bytes as ``bytes``."""
    if value is None:
        if fill_defaults and schema is not None and schema.default is not None:
            return normalize(schema.default, schema, fill_defaults)
        return None
    if isinstance(value, Struct):
        return {
            f.name: normalize(value.get_without_default(f), f.schema, fill_defaults)
            for f in value.schema.fields
        }
    if isinstance(value, dt.datetime):
        return ("ts", to_epoch_millis(value))
    if isinstance(value, dt.date):
        return ("date", value.toordinal())
    if isinstance(value, dt.time):
        return ("time", Time.from_logical(Time.SCHEMA, value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    ks = schema.key_schema if schema is not None else None
    vs = schema.value_schema if schema is not None else None
    if isinstance(value, list):
        return [normalize(v, vs, fill_defaults) for v in value]
    if isinstance(value, dict):
        return [
            (normalize(k, ks, fill_defaults), normalize(v, vs, fill_defaults))
            for k, v in value.items()
        ]
    return value
