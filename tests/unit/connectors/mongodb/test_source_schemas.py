"""Schema'd output: the default Avro schemas, Struct conversion and schema inference."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from bson import Decimal128, Int64, ObjectId, Timestamp

from sluice.api import DataError, Schema, SchemaBuilder, Struct, Type
from sluice.connectors.mongodb.json_formatters import DEFAULT_JSON, SIMPLIFIED_JSON
from sluice.connectors.mongodb.output_formats import producer_for
from sluice.connectors.mongodb.source_schemas import (
    DEFAULT_KEY_SCHEMA,
    DEFAULT_VALUE_SCHEMA,
    AvroSchemaError,
    infer_document_schema,
    parse_avro_schema,
    to_connect,
)

OID = ObjectId("5f0000000000000000000001")
EVENT = {
    "_id": {"_data": "8263"},
    "operationType": "update",
    "clusterTime": Timestamp(1700000000, 3),
    "wallTime": dt.datetime(2023, 11, 14, 22, 13, 20),
    "ns": {"db": "jee", "coll": "patients"},
    "documentKey": {"_id": OID},
    "updateDescription": {
        "updatedFields": {"n": 2},
        "removedFields": ["old"],
        "truncatedArrays": [{"field": "arr", "newSize": 1}],
    },
    "fullDocument": {"_id": OID, "n": 2},
}


def test_default_value_schema_shapes_a_change_event() -> None:
    schema = parse_avro_schema(DEFAULT_VALUE_SCHEMA)
    assert schema.name == "ChangeStream"
    value = to_connect(schema, EVENT, DEFAULT_JSON)
    assert isinstance(value, Struct)
    assert value.get("_id") == '{"_data": "8263"}'
    assert value.get("operationType") == "update"
    assert value.get("fullDocument") == '{"_id": {"$oid": "5f0000000000000000000001"}, "n": 2}'
    assert value.get("documentKey") == '{"_id": {"$oid": "5f0000000000000000000001"}}'
    assert value.get("clusterTime") == '{"$timestamp": {"t": 1700000000, "i": 3}}'
    assert value.get("wallTime") == 1700000000000
    assert value.get("fullDocumentBeforeChange") is None
    ns = value.get("ns")
    assert (ns.get("db"), ns.get("coll")) == ("jee", "patients")
    update = value.get("updateDescription")
    assert update.get("updatedFields") == '{"n": 2}'
    assert update.get("removedFields") == ["old"]
    assert update.get("truncatedArrays")[0].get("newSize") == 1
    assert value.get("lsid") is None


def test_default_key_schema_holds_the_resume_token() -> None:
    key = to_connect(parse_avro_schema(DEFAULT_KEY_SCHEMA), EVENT, DEFAULT_JSON)
    assert key.schema.name == "keySchema"
    assert key.get("_id") == '{"_data": "8263"}'


def test_missing_required_field_is_a_data_error() -> None:
    with pytest.raises(DataError, match="Missing field '_id' in: '{\"operationType\": \"x\"}'"):
        to_connect(parse_avro_schema(DEFAULT_VALUE_SCHEMA), {"operationType": "x"}, DEFAULT_JSON)
    with pytest.raises(DataError, match="Schema type of int32 but value was of type: string"):
        to_connect(Schema.INT32_SCHEMA, "five", DEFAULT_JSON)


def test_avro_schema_checks() -> None:
    with pytest.raises(AvroSchemaError, match="top-level"):
        parse_avro_schema('{"type": "array", "items": "string"}')
    with pytest.raises(AvroSchemaError, match="Field 'a' is invalid. Union"):
        parse_avro_schema(
            '{"type": "record", "name": "r", "fields": [{"name": "a", "type": ["int", "string"]}]}'
        )
    with pytest.raises(AvroSchemaError, match="Unsupported Avro schema type: 'ENUM'"):
        parse_avro_schema(
            '{"type": "record", "name": "r", "fields": [{"name": "e", '
            '"type": {"type": "enum", "name": "E", "symbols": ["A"]}}]}'
        )
    schema = parse_avro_schema(
        '{"type": "record", "name": "r", "namespace": "n", "fields": ['
        '{"name": "m", "type": {"type": "map", "values": "long"}},'
        '{"name": "d", "type": "double", "default": 1}]}'
    )
    assert schema.name == "n.r"
    assert schema.field("m").schema.type is Type.MAP
    assert schema.field("d").schema.default == 1.0


def test_inferred_schema_orders_fields_and_names_structs_by_path() -> None:
    document = {
        "zeta": "z",
        "_id": OID,
        "n": 1,
        "big": Int64(2),
        "f": 1.5,
        "when": dt.datetime(2020, 1, 1),
        "dec": Decimal128("1.25"),
        "address": {"city": "Seoul", "geo": {"lat": 1.0}},
        "tags": ["a", None, "b"],
        "mixed": [1, "x"],
        "empty": [],
        "nothing": None,
        "blob": b"x",
    }
    schema = infer_document_schema(document)
    assert schema.name == "default" and not schema.optional
    assert [f.name for f in schema.fields] == [
        "_id", "address", "big", "blob", "dec", "empty", "f", "mixed", "n", "nothing", "tags",
        "when", "zeta",
    ]  # fmt: skip
    types = {f.name: f.schema for f in schema.fields}
    assert types["_id"] == Schema.OPTIONAL_STRING_SCHEMA
    assert types["address"].name == "address"
    assert types["address"].field("geo").schema.name == "address_geo"
    assert types["big"] == Schema.OPTIONAL_INT64_SCHEMA
    assert types["n"] == Schema.OPTIONAL_INT32_SCHEMA
    assert types["dec"].parameters == {"scale": "2"}
    assert types["when"].name == "org.apache.kafka.connect.data.Timestamp"
    assert types["tags"].value_schema.type is Type.STRING and types["tags"].name == "tags"
    assert types["mixed"].value_schema == Schema.OPTIONAL_STRING_SCHEMA  # incompatible types
    value = to_connect(schema, document, SIMPLIFIED_JSON)
    assert value.get("_id") == "5f0000000000000000000001"
    assert value.get("dec") == decimal.Decimal("1.25")
    assert value.get("when") == dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    assert value.get("mixed") == ["1", "x"]
    assert value.get("address").get("geo").get("lat") == 1.0


def test_array_of_documents_combines_their_fields() -> None:
    schema = infer_document_schema({"items": [{"a": 1}, {"b": "x", "a": None}]})
    element = schema.field("items").schema.value_schema
    assert [f.name for f in element.fields] == ["a", "b"]
    assert element.field("a").schema == Schema.OPTIONAL_INT32_SCHEMA


def test_producers() -> None:
    doc = {"_id": OID}
    assert producer_for("json", DEFAULT_JSON, "", False)(doc) == (
        Schema.STRING_SCHEMA,
        '{"_id": {"$oid": "5f0000000000000000000001"}}',
    )
    schema, raw = producer_for("bson", DEFAULT_JSON, "", False)(doc)
    assert schema == Schema.BYTES_SCHEMA and raw[4] == 0x07  # an ObjectId element
    schema, value = producer_for("schema", DEFAULT_JSON, "", True)(doc)
    assert (
        schema
        == SchemaBuilder.struct()
        .name("default")
        .field("_id", Schema.OPTIONAL_STRING_SCHEMA)
        .build()
    )
    assert value.get("_id") == '{"$oid": "5f0000000000000000000001"}'
