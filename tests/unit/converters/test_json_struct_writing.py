"""The JsonConverter's fast struct and double writing agrees with the general path."""

from __future__ import annotations

import json

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sluice.api import DataError, Schema, SchemaBuilder, Struct
from sluice.converters.json import JsonConverter
from sluice.jdk.numbers import double_to_string


@given(
    st.floats(min_value=1e-3, max_value=1e7, exclude_max=True, allow_nan=False)
    | st.floats(min_value=-1e7, max_value=-1e-3, exclude_min=True, allow_nan=False)
)
def test_msgspec_prints_doubles_in_the_plain_range_as_java_does(value: float) -> None:
    assert msgspec.json.encode(value).decode() == double_to_string(value)


def _converter() -> JsonConverter:
    conv = JsonConverter()
    conv.configure({"schemas.enable": "false"}, False)
    return conv


def test_struct_field_names_msgspec_cannot_rename_fall_back_to_a_dict() -> None:
    schema = (
        SchemaBuilder.struct()
        .field('quote"d', Schema.STRING_SCHEMA)
        .field("back\\slash", Schema.OPTIONAL_FLOAT64_SCHEMA)
        .field("ctrl\u0001", Schema.OPTIONAL_INT32_SCHEMA)
        .build()
    )
    value = Struct(schema).put('quote"d', "x").put("back\\slash", 2.5)
    out = _converter().from_connect_data("t", schema, value)
    assert out == b'{"quote\\"d":"x","back\\\\slash":2.5,"ctrl\\u0001":null}'
    assert json.loads(out) == {'quote"d': "x", "back\\slash": 2.5, "ctrl\u0001": None}


def test_struct_fields_keep_schema_order_with_typed_and_null_fields() -> None:
    schema = (
        SchemaBuilder.struct()
        .field("z", Schema.INT64_SCHEMA)
        .field("big", Schema.FLOAT64_SCHEMA)
        .field("small", Schema.FLOAT64_SCHEMA)
        .field("dflt", SchemaBuilder.string().optional().default_value("d").build())
        .field("a", Schema.OPTIONAL_STRING_SCHEMA)
        .build()
    )
    value = Struct(schema).put("z", 1).put("big", 1e20).put("small", 0.5)
    out = _converter().from_connect_data("t", schema, value)
    assert out == b'{"z":1,"big":1.0E20,"small":0.5,"dflt":"d","a":null}'


def test_structs_of_equal_schema_objects_share_an_encoder_and_others_still_fail() -> None:
    def order(name: str = "id") -> Schema:
        return SchemaBuilder.struct().name("Order").field(name, Schema.INT64_SCHEMA).build()

    first, equal, other = order(), order(), order("key")
    conv = _converter()
    assert conv.from_connect_data("t", first, Struct(first).put("id", 1)) == b'{"id":1}'
    # ``equal`` finds ``first``'s encoder (cached by equality), then is known by identity.
    for n in (2, 3):
        assert conv.from_connect_data("t", equal, Struct(equal).put("id", n)) == b'{"id":%d}' % n
    with pytest.raises(DataError, match="Mismatching schema."):
        conv.from_connect_data("t", first, Struct(other).put("key", 4))
