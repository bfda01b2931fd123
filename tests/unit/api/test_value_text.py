"""Connect values printed as the JVM prints the objects Connect holds (``toString()``)."""

from __future__ import annotations

import datetime as dt
import decimal

from sluice.api import Schema, SchemaBuilder, Struct
from sluice.api.value_text import value_to_string, values_to_strings


def test_value_to_string_is_javas_to_string() -> None:
    schema = (
        SchemaBuilder.struct()
        .field("a", Schema.INT32_SCHEMA)
        .field("b", Schema.OPTIONAL_STRING_SCHEMA)
        .field("c", Schema.OPTIONAL_FLOAT32_SCHEMA)
        .build()
    )
    assert value_to_string(Struct(schema).put("a", 1).put("c", 0.1)) == "Struct{a=1,c=0.1}"
    assert value_to_string([1, "x", None, True]) == "[1, x, null, true]"
    assert value_to_string({"a": 1.0, "b": [2]}) == "{a=1.0, b=[2]}"
    assert value_to_string(1e10) == "1.0E10"
    assert value_to_string(0.1, Schema.FLOAT32_SCHEMA) == "0.1"
    assert value_to_string(dt.date(1970, 1, 1)) == "Thu Jan 01 00:00:00 UTC 1970"
    moment = dt.datetime(2024, 2, 29, 13, 5, 9, tzinfo=dt.UTC)
    assert value_to_string(moment) == "Thu Feb 29 13:05:09 UTC 2024"
    assert value_to_string(dt.time(1, 2, 3)) == "Thu Jan 01 01:02:03 UTC 1970"
    assert value_to_string(decimal.Decimal("-0.0")) == "0.0"


def test_struct_to_string_with_and_without_nulls() -> None:
    schema = (
        SchemaBuilder.struct()
        .field("100%", Schema.INT64_SCHEMA)
        .field("s", Schema.OPTIONAL_STRING_SCHEMA)
        .field("d", Schema.FLOAT64_SCHEMA)
        .field("b", Schema.BOOLEAN_SCHEMA)
        .field("f", Schema.OPTIONAL_FLOAT32_SCHEMA)
        .build()
    )
    full = Struct(schema).put("100%", 7).put("s", "%s x").put("d", 1e20).put("b", True)
    full.put("f", 0.1)
    assert value_to_string(full) == "Struct{100%=7,s=%s x,d=1.0E20,b=true,f=0.1}"
    sparse = Struct(schema).put("100%", -1).put("d", 0.5).put("b", False)
    assert value_to_string(sparse) == "Struct{100%=-1,d=0.5,b=false}"


def test_schemaless_maps_print_as_java_maps() -> None:
    value = {"a": True, "b": None, "c": 1e10, "d": [1, "x"], "e": {"f": 2.5}, 3: "k", "g": 2**40}
    assert (
        value_to_string(value)
        == "{a=true, b=null, c=1.0E10, d=[1, x], e={f=2.5}, 3=k, g=1099511627776}"
    )
    assert value_to_string(False) == "false"
    assert value_to_string(0.1) == "0.1"


def test_a_batch_prints_as_each_value_alone() -> None:
    """Structs of alternating schemas, maps with and without a schema, and other values."""
    one = SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).build()
    two = SchemaBuilder.struct().field("a", Schema.OPTIONAL_FLOAT64_SCHEMA).build()
    map_schema = SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.FLOAT32_SCHEMA).build()
    values = [
        Struct(one).put("a", 1),
        Struct(two).put("a", 1e10),
        Struct(one).put("a", 2),
        Struct(two),
        {"k": 0.1, "n": None, "t": True},
        {"k": 0.1},
        "text",
        None,
        [1.0],
        b"\x00",
    ]
    schemas = [one, two, one, two, None, map_schema, None, None, None, None]
    expected = [value_to_string(v, s) for v, s in zip(values, schemas, strict=True)]
    assert values_to_strings(values, schemas) == expected
    assert expected[:6] == [
        "Struct{a=1}",
        "Struct{a=1.0E10}",
        "Struct{a=2}",
        "Struct{}",
        "{k=0.1, n=null, t=true}",
        "{k=0.1}",
    ]
    # What is neither a string, a struct nor a schemaless map goes to ``other``.
    printed = values_to_strings(values, schemas, lambda v, s: f"<{type(v).__name__}>")
    assert printed[:5] == expected[:5]
    assert printed[5:] == ["<dict>", "text", "<NoneType>", "<list>", "<bytes>"]
