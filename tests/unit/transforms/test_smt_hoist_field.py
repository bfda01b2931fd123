from collections.abc import Callable

from sluice.api import Schema, SchemaBuilder, SinkRecord, Struct
from sluice.transforms.hoist_field import HoistFieldKey, HoistFieldValue

SinkFactory = Callable[..., SinkRecord]


def test_schema_value_is_wrapped_in_a_struct(sink: SinkFactory) -> None:
    t: HoistFieldValue[SinkRecord] = HoistFieldValue()
    t.configure({"field": "line"})
    out = t.apply(sink(Schema.STRING_SCHEMA, "hello"))
    assert out is not None
    assert out.value_schema == SchemaBuilder.struct().field("line", Schema.STRING_SCHEMA).build()
    assert out.value == Struct(out.value_schema).put("line", "hello")


def test_schemaless_and_null_values_are_wrapped(sink: SinkFactory) -> None:
    t: HoistFieldKey[SinkRecord] = HoistFieldKey()
    t.configure({"field": "id"})
    assert t.apply(sink(None, "v", None, 5)).key == {"id": 5}  # type: ignore[union-attr]
    assert t.apply(sink(None, "v", None, None)).key == {"id": None}  # type: ignore[union-attr]
    optional = t.apply(sink(None, "v", Schema.OPTIONAL_INT64_SCHEMA, None))
    assert optional is not None and optional.key.get("id") is None


def test_wrapper_schema_is_cached_per_input_schema(sink: SinkFactory) -> None:
    t: HoistFieldValue[SinkRecord] = HoistFieldValue()
    t.configure({"field": "x"})
    a = t.apply(sink(Schema.INT32_SCHEMA, 1))
    b = t.apply(sink(Schema.INT32_SCHEMA, 2))
    assert a is not None and b is not None and a.value_schema is b.value_schema
