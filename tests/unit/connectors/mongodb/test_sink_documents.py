"""Record keys and values to BSON documents, as the official MongoDB sink converts them."""

from __future__ import annotations

import datetime as dt
import decimal

import bson
import pytest
from bson import Binary, Decimal128, Int64, ObjectId

from sluice.api import DataError, Date, Decimal, Schema, SchemaBuilder, Struct, Time, Timestamp
from sluice.connectors.mongodb.sink_documents import SinkDocument, to_document
from tests.unit.connectors.mongodb.sink_support import record

UTC = dt.UTC


def _types(document: dict[str, object]) -> dict[str, str]:
    return {k: type(v).__name__ for k, v in document.items()}


def test_struct_fields_take_the_bson_types_of_their_schemas() -> None:
    schema = (
        SchemaBuilder.struct()
        .field("i8", Schema.INT8_SCHEMA)
        .field("i16", Schema.INT16_SCHEMA)
        .field("i32", Schema.INT32_SCHEMA)
        .field("i64", Schema.INT64_SCHEMA)
        .field("f32", Schema.FLOAT32_SCHEMA)
        .field("f64", Schema.FLOAT64_SCHEMA)
        .field("flag", Schema.BOOLEAN_SCHEMA)
        .field("text", Schema.STRING_SCHEMA)
        .field("raw", Schema.BYTES_SCHEMA)
        .field("price", Decimal.schema(2))
        .field("day", Date.SCHEMA)
        .field("clock", Time.SCHEMA)
        .field("at", Timestamp.SCHEMA)
        .build()
    )
    value = (
        Struct(schema)
        .put("i8", 1)
        .put("i16", 2)
        .put("i32", 3)
        .put("i64", 4)
        .put("f32", 1.5)
        .put("f64", 2.5)
        .put("flag", True)
        .put("text", "héllo")
        .put("raw", b"\x00\x01")
        .put("price", decimal.Decimal("12.30"))
        .put("day", dt.date(2024, 2, 29))
        .put("clock", dt.time(13, 14, 15, 678000, tzinfo=UTC))
        .put("at", dt.datetime(2024, 3, 1, 10, 0, 0, 123000, tzinfo=UTC))
    )
    document = to_document(schema, value)
    assert document == {
        "i8": 1,
        "i16": 2,
        "i32": 3,
        "i64": 4,
        "f32": 1.5,
        "f64": 2.5,
        "flag": True,
        "text": "héllo",
        "raw": b"\x00\x01",
        "price": Decimal128("12.30"),
        "day": dt.datetime(2024, 2, 29, tzinfo=UTC),
        "clock": dt.datetime(1970, 1, 1, 13, 14, 15, 678000, tzinfo=UTC),
        "at": dt.datetime(2024, 3, 1, 10, 0, 0, 123000, tzinfo=UTC),
    }
    assert isinstance(document["i64"], Int64) and not isinstance(document["i32"], Int64)
    # The encoded BSON has the official connector's types: int32 for small ints, int64 for INT64.
    raw = bson.BSON.encode(document)
    decoded = bson.decode(raw, codec_options=bson.CodecOptions(tz_aware=True))
    assert decoded["i64"] == 4 and isinstance(decoded["i64"], Int64)
    assert not isinstance(decoded["i8"], Int64)


def test_nested_structs_arrays_maps_and_optional_fields() -> None:
    address = SchemaBuilder.struct().field("city", Schema.STRING_SCHEMA).optional().build()
    schema = (
        SchemaBuilder.struct()
        .field("address", address)
        .field("tags", SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).build())
        .field("people", SchemaBuilder.array(address).build())
        .field("scores", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT64_SCHEMA).build())
        .field("note", Schema.OPTIONAL_STRING_SCHEMA)
        .field("level", SchemaBuilder.int32().optional().default_value(5).build())
        .build()
    )
    value = (
        Struct(schema)
        .put("address", Struct(address).put("city", "Lyon"))
        .put("tags", ["a", None])
        .put("people", [Struct(address).put("city", "Nice")])
        .put("scores", {"x": 1})
    )
    assert to_document(schema, value) == {
        "address": {"city": "Lyon"},
        "tags": ["a", None],
        "people": [{"city": "Nice"}],
        "scores": {"x": 1},
        "note": None,
        "level": 5,  # an optional field without a value takes its default
    }


def test_a_map_value_missing_where_its_schema_requires_one_is_an_error() -> None:
    schema = (
        SchemaBuilder.struct()
        .field("m", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build())
        .build()
    )
    with pytest.raises(DataError, match="field m: schema not optional but data was null"):
        to_document(schema, Struct.trusted(schema, [{"a": None}]))  # as a lenient converter


def test_schemaless_maps_encode_integers_as_int64_like_the_java_driver() -> None:
    document = to_document(None, {"n": 1, "f": 1.5, "b": True, "l": [1, {"x": 2}], "z": None})
    assert document == {"n": 1, "f": 1.5, "b": True, "l": [1, {"x": 2}], "z": None}
    assert isinstance(document["n"], Int64) and isinstance(document["l"][1]["x"], Int64)
    assert type(document["b"]) is bool


def test_strings_are_extended_json() -> None:
    text = (
        '{"_id": {"$oid": "6b164abb97e5c32ed2870444"}, "n": 1, "big": 3000000000, '
        '"l": {"$numberLong": "5"}, "d": {"$numberDecimal": "1.10"}, '
        '"at": {"$date": "2024-01-01T00:00:00Z"}, '
        '"u": {"$binary": {"base64": "wVdNNz5hSyaTHbv9WWMWHA==", "subType": "04"}}}'
    )
    document = to_document(None, text)
    assert document["_id"] == ObjectId("6b164abb97e5c32ed2870444")
    assert not isinstance(document["n"], Int64) and document["big"] == 3000000000
    assert isinstance(document["l"], Int64) and document["d"] == Decimal128("1.10")
    assert document["at"] == dt.datetime(2024, 1, 1, tzinfo=UTC)
    assert isinstance(document["u"], Binary) and document["u"].subtype == 4


def test_bytes_are_bson() -> None:
    raw = bson.encode({"a": Int64(1), "b": "x"})
    document = to_document(None, raw)
    assert document == {"a": 1, "b": "x"} and isinstance(document["a"], Int64)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "JSON list is not a document"),
        (b"\x01\x02", "not a valid BSON document"),
        (42, "No converter present due to unexpected object type: int"),
    ],
)
def test_values_that_are_not_documents_name_what_failed(value: object, reason: str) -> None:
    doc = SinkDocument(record(value))
    with pytest.raises(DataError, match="Could not convert value") as caught:
        _ = doc.value_doc
    assert reason in str(caught.value)


def test_the_key_is_converted_only_when_something_reads_it() -> None:
    doc = SinkDocument(record('{"a": 1}', key="plain string key"))
    assert doc.value_doc == {"a": 1}
    assert doc.has_key()
    with pytest.raises(DataError, match="Could not convert key 'plain string key'"):
        _ = doc.key_doc


def test_tombstones_have_no_value_document() -> None:
    doc = SinkDocument(record(None, key='{"_id": 1}'))
    assert doc.value_doc is None and not doc.has_value()
    assert doc.key_doc == {"_id": 1}


def test_clones_are_independent() -> None:
    doc = SinkDocument(record('{"a": {"b": 1}}', key='{"k": 1}'))
    _ = doc.value_doc
    clone = doc.clone()
    assert clone.value_doc is not None and clone.key_doc == {"k": 1}
    clone.value_doc["a"]["b"] = 2
    assert doc.value_doc == {"a": {"b": 1}}
