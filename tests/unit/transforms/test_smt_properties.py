"""Property tests for Flatten, Cast and ReplaceField on generated schemas and values."""

from __future__ import annotations

import struct as pystruct
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sluice.api import Schema, SchemaBuilder, SinkRecord, Struct, TimestampType, Type
from sluice.transforms.cast import CastValue, cast_value
from sluice.transforms.flatten import FlattenValue
from sluice.transforms.replace_field import ReplaceFieldValue

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAMES = st.text(alphabet="abcdefgh", min_size=1, max_size=4)
PRIMITIVES = {
    Type.INT8: st.integers(-(2**7), 2**7 - 1),
    Type.INT16: st.integers(-(2**15), 2**15 - 1),
    Type.INT32: st.integers(-(2**31), 2**31 - 1),
    Type.INT64: st.integers(-(2**63), 2**63 - 1),
    Type.FLOAT64: st.floats(allow_nan=False, allow_infinity=False),
    Type.BOOLEAN: st.booleans(),
    Type.STRING: st.text(max_size=5),
}


def record(schema: Schema | None, value: Any) -> SinkRecord:
    return SinkRecord("t", 0, None, None, schema, value, 1, 5, TimestampType.CREATE_TIME)


@st.composite
def struct_schemas(draw: st.DrawFn, depth: int = 0) -> Schema:
    builder = SchemaBuilder.struct()
    if draw(st.booleans()):
        builder.optional()
    for name in draw(st.lists(NAMES, min_size=1, max_size=4, unique=True)):
        if depth < 2 and draw(st.integers(0, 3)) == 0:
            builder.field(name, draw(struct_schemas(depth + 1)))
        else:
            t = draw(st.sampled_from(sorted(PRIMITIVES, key=lambda t: t.value)))
            field = SchemaBuilder(t)
            if draw(st.booleans()):
                field.optional()
            builder.field(name, field.build())
    return builder.build()


@st.composite
def struct_values(draw: st.DrawFn, schema: Schema) -> Struct:
    value = Struct(schema)
    for field in schema.fields:
        if field.schema.optional and draw(st.booleans()):
            continue
        if field.schema.type is Type.STRUCT:
            value.put(field, draw(struct_values(field.schema)))
        else:
            value.put(field, draw(PRIMITIVES[field.schema.type]))
    return value


@st.composite
def schema_and_value(draw: st.DrawFn) -> tuple[Schema, Struct]:
    schema = draw(struct_schemas())
    return schema, draw(struct_values(schema))


def leaves(
    schema: Schema, value: Struct | None, prefix: str, optional: bool
) -> list[tuple[str, bool, Any]]:
    out = []
    for field in schema.fields:
        name = f"{prefix}.{field.name}" if prefix else field.name
        child = None if value is None else value.get(field)
        field_optional = optional or field.schema.optional
        if field.schema.type is Type.STRUCT:
            out += leaves(field.schema, child, name, field_optional)
        else:
            out.append((name, field_optional, child))
    return out


@SETTINGS
@given(schema_and_value())
def test_flatten_lifts_every_leaf(data: tuple[Schema, Struct]) -> None:
    schema, value = data
    t: FlattenValue[SinkRecord] = FlattenValue()
    t.configure({})
    out = t.apply(record(schema, value))
    assert out is not None and out.value_schema is not None
    expected = leaves(schema, value, "", schema.optional)  # as Kafka: top-level optional counts
    assert [(f.name, f.schema.optional) for f in out.value_schema.fields] == [
        (name, optional) for name, optional, _ in expected
    ]
    assert [out.value.get(name) for name, _, _ in expected] == [v for _, _, v in expected]
    again = t.apply(record(schema, value))
    assert again is not None and again.value_schema is out.value_schema


@SETTINGS
@given(schema_and_value())
def test_flatten_schemaless_agrees_with_schema_flatten(data: tuple[Schema, Struct]) -> None:
    schema, value = data
    t: FlattenValue[SinkRecord] = FlattenValue()
    t.configure({"delimiter": "_"})
    with_schema = t.apply(record(schema, value))
    without = t.apply(record(None, value.to_dict()))
    assert with_schema is not None and without is not None
    flat = {k: v for k, v in without.value.items()}
    for field in with_schema.value_schema.fields:  # type: ignore[union-attr]
        assert flat.get(field.name) == with_schema.value.get(field)


_PACK = {Type.INT8: "b", Type.INT16: "h", Type.INT32: "i", Type.INT64: "q"}
_INT_TYPES = list(_PACK)


@SETTINGS
@given(st.integers(-(2**63), 2**63 - 1), st.sampled_from(_INT_TYPES))
def test_cast_integers_narrow_as_twos_complement(value: int, target: Type) -> None:
    fmt = _PACK[target]
    size = pystruct.calcsize(fmt)
    expected = pystruct.unpack("<" + fmt, pystruct.pack("<q", value)[:size])[0]
    assert cast_value(Schema.INT64_SCHEMA, value, target) == expected
    assert cast_value(Schema.INT64_SCHEMA, value, Type.BOOLEAN) is (value != 0)
    assert cast_value(Schema.STRING_SCHEMA, str(value), Type.INT64) == value


@SETTINGS
@given(st.floats(allow_nan=False, allow_infinity=False, width=32))
def test_cast_float32_roundtrips_through_string(value: float) -> None:
    text = cast_value(Schema.FLOAT32_SCHEMA, value, Type.STRING)
    assert cast_value(Schema.STRING_SCHEMA, text, Type.FLOAT32) == value
    assert cast_value(Schema.FLOAT64_SCHEMA, value, Type.FLOAT32) == value


@SETTINGS
@given(schema_and_value(), st.data())
def test_cast_changes_only_the_named_fields(
    data: tuple[Schema, Struct], draw: st.DataObject
) -> None:
    schema, value = data
    primitive = [f for f in schema.fields if f.schema.type is not Type.STRUCT]
    chosen = (
        draw.draw(st.lists(st.sampled_from(primitive), unique_by=lambda f: f.name))
        if primitive
        else []
    )
    t: CastValue[SinkRecord] = CastValue()
    spec = ",".join(f"{f.name}:string" for f in chosen) or "nope:string"
    t.configure({"spec": spec})
    out = t.apply(record(schema, value))
    assert out is not None and out.value_schema is not None
    names = {f.name for f in chosen}
    for field in schema.fields:
        new = out.value_schema.field(field.name)
        assert new is not None and new.index == field.index
        if field.name in names:
            assert new.schema.type is Type.STRING and new.schema.optional == field.schema.optional
            original = value.get(field)
            assert out.value.get(field.name) == (
                None if original is None else cast_value(field.schema, original, Type.STRING)
            )
        else:
            assert new.schema == field.schema and out.value.get(field.name) == value.get(field)


@SETTINGS
@given(schema_and_value(), st.data())
def test_replace_field_keeps_renames_and_drops(
    data: tuple[Schema, Struct], draw: st.DataObject
) -> None:
    schema, value = data
    names = [f.name for f in schema.fields]
    exclude = draw.draw(st.lists(st.sampled_from(names), unique=True))
    include = draw.draw(st.lists(st.sampled_from(names), unique=True))
    renamed = draw.draw(st.lists(st.sampled_from(names), unique=True))
    renames = {old: old.upper() + "_" for old in renamed}
    t: ReplaceFieldValue[SinkRecord] = ReplaceFieldValue()
    t.configure(
        {
            "exclude": ",".join(exclude),
            "include": ",".join(include),
            "renames": ",".join(f"{k}:{v}" for k, v in renames.items()),
        }
    )
    kept = [n for n in names if n not in exclude and (not include or n in include)]
    out = t.apply(record(schema, value))
    assert out is not None and out.value_schema is not None
    assert [f.name for f in out.value_schema.fields] == [renames.get(n, n) for n in kept]
    for n in kept:
        assert out.value.get(renames.get(n, n)) == value.get(n)
    schemaless = t.apply(record(None, value.to_dict()))
    assert schemaless is not None
    assert schemaless.value == {renames.get(n, n): value.to_dict()[n] for n in kept}
