from collections.abc import Callable

import pytest

from sluice.api import DataError, Schema, SchemaBuilder, SinkRecord, Struct
from sluice.transforms.flatten import Flatten, FlattenKey, FlattenValue

INNER = (
    SchemaBuilder.struct()
    .field("x", Schema.INT32_SCHEMA)
    .field("y", Schema.OPTIONAL_STRING_SCHEMA)
    .build()
)
OPT_INNER = SchemaBuilder.struct().optional().field("x", Schema.INT32_SCHEMA).build()
OUTER = (
    SchemaBuilder.struct()
    .name("com.acme.Outer")
    .field("id", Schema.INT64_SCHEMA)
    .field("inner", INNER)
    .field("maybe", OPT_INNER)
    .field("list", SchemaBuilder.array(INNER).build())
    .build()
)

SinkFactory = Callable[..., SinkRecord]


def flatten(key: bool = False, **config: str) -> Flatten[SinkRecord]:
    t: Flatten[SinkRecord] = FlattenKey() if key else FlattenValue()
    t.configure(config)
    return t


def outer() -> Struct:
    return (
        Struct(OUTER)
        .put("id", 1)
        .put("inner", Struct(INNER).put("x", 2).put("y", "why"))
        .put("list", [Struct(INNER).put("x", 3)])
    )


def test_nested_structs_are_lifted(sink: SinkFactory) -> None:
    out = flatten().apply(sink(OUTER, outer()))
    assert out is not None and out.value_schema is not None
    schema = out.value_schema
    assert [f.name for f in schema.fields] == ["id", "inner.x", "inner.y", "maybe.x", "list"]
    assert schema.name == "com.acme.Outer"
    # maybe.x is required in its struct, but the struct is optional: so is the flattened field.
    assert schema.field("maybe.x").schema.optional  # type: ignore[union-attr]
    assert not schema.field("inner.x").schema.optional  # type: ignore[union-attr]
    assert out.value.get("inner.x") == 2 and out.value.get("maybe.x") is None
    assert out.value.get("list") == [Struct(INNER).put("x", 3)]  # arrays are kept as they are


def test_delimiter_and_key_variant(sink: SinkFactory) -> None:
    out = flatten(key=True, delimiter="__").apply(sink(None, "v", OUTER, outer()))
    assert out is not None and out.key.get("inner__y") == "why" and out.value == "v"


def test_parent_default_supplies_child_defaults(sink: SinkFactory) -> None:
    child = SchemaBuilder.struct().field("y", Schema.STRING_SCHEMA).build()
    with_default = (
        SchemaBuilder.struct()
        .field("y", Schema.STRING_SCHEMA)
        .default_value(Struct(child).put("y", "dflt"))
        .build()
    )
    schema = SchemaBuilder.struct().field("c", with_default).build()
    out = flatten().apply(sink(schema, Struct(schema).put("c", Struct(with_default).put("y", "v"))))
    assert out is not None and out.value_schema is not None
    assert out.value_schema.field("c.y").schema.default == "dflt"  # type: ignore[union-attr]
    assert out.value.get("c.y") == "v"


def test_schemaless_maps_flatten_in_order(sink: SinkFactory) -> None:
    value = {"a": 1, "b": {"c": None, "d": {"e": [1, {"f": 2}]}}, "g": b"x"}
    out = flatten(delimiter="/").apply(sink(None, value))
    assert out is not None
    assert list(out.value.items()) == [
        ("a", 1),
        ("b/c", None),
        ("b/d/e", [1, {"f": 2}]),
        ("g", b"x"),
    ]


def test_tombstones_pass_through(sink: SinkFactory) -> None:
    record = sink(None, None)
    assert flatten().apply(record) is record


def test_maps_are_not_supported_with_schemas(sink: SinkFactory) -> None:
    schema = (
        SchemaBuilder.struct()
        .field("m", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.STRING_SCHEMA).build())
        .build()
    )
    with pytest.raises(
        DataError, match=r"does not support MAP for record with schemas \(for field m\)"
    ):
        flatten().apply(sink(schema, Struct(schema).put("m", {})))


def test_unsupported_schemaless_values(sink: SinkFactory) -> None:
    with pytest.raises(DataError, match="Only Map objects supported in absence of schema"):
        flatten().apply(sink(None, [1]))
    with pytest.raises(DataError, match="not supported by Connect's data API"):
        flatten().apply(sink(None, {"a": object()}))


def test_schema_cache_reuses_the_flattened_schema(sink: SinkFactory) -> None:
    t = flatten()
    a = t.apply(sink(OUTER, outer()))
    b = t.apply(sink(OUTER, outer()))
    assert a is not None and b is not None and a.value_schema is b.value_schema
