"""Schemas as JSON in both spellings: connect-utils (Java connector docs) and Kafka's envelope."""

from __future__ import annotations

import datetime as dt
import decimal
import json

import pytest

from sluice.api import ConfigError, Decimal, Schema, SchemaBuilder, Timestamp, Type
from sluice.connectors.spooldir.schema_json import schema_from_json, schema_to_json

JAVA_EXAMPLE = (
    '{"name":"com.example.users.User","type":"STRUCT","isOptional":false,"fieldSchemas":{'
    '"id":{"type":"INT64","isOptional":false},'
    '"first_name":{"type":"STRING","isOptional":true},'
    '"last_login":{"name":"org.apache.kafka.connect.data.Timestamp","type":"INT64","version":1,'
    '"isOptional":true},'
    '"account_balance":{"name":"org.apache.kafka.connect.data.Decimal","type":"BYTES",'
    '"version":1,"parameters":{"scale":"2"},"isOptional":true}}}'
)


def test_reads_the_java_connector_example() -> None:
    s = schema_from_json(JAVA_EXAMPLE, "value.schema")
    assert s.name == "com.example.users.User" and s.type is Type.STRUCT and not s.optional
    assert [f.name for f in s.fields] == ["id", "first_name", "last_login", "account_balance"]
    assert s.fields[0].schema == Schema.INT64_SCHEMA
    assert s.fields[2].schema == Timestamp.builder().optional().build()
    assert s.fields[3].schema == Decimal.builder(2).optional().build()


def test_writes_what_it_reads_in_java_order() -> None:
    assert schema_to_json(schema_from_json(JAVA_EXAMPLE, "k")) == JAVA_EXAMPLE


def test_reads_kafka_envelope_schemas() -> None:
    text = json.dumps(
        {
            "type": "struct",
            "name": "V",
            "optional": False,
            "fields": [
                {"type": "string", "optional": True, "field": "a"},
                {"type": "array", "items": {"type": "int32"}, "optional": True, "field": "b"},
                {
                    "type": "map",
                    "keys": {"type": "string"},
                    "values": {"type": "float64"},
                    "optional": False,
                    "field": "c",
                },
            ],
        }
    )
    s = schema_from_json(text, "value.schema")
    assert [f.name for f in s.fields] == ["a", "b", "c"]
    assert s.fields[1].schema == SchemaBuilder.array(Schema.INT32_SCHEMA).optional().build()
    assert s.fields[2].schema.value_schema == Schema.FLOAT64_SCHEMA


def test_defaults_become_python_values() -> None:
    s = schema_from_json(
        '{"type":"STRUCT","isOptional":false,"fieldSchemas":{'
        '"n":{"type":"INT32","isOptional":false,"defaultValue":7},'
        '"t":{"name":"org.apache.kafka.connect.data.Timestamp","type":"INT64","version":1,'
        '"isOptional":false,"defaultValue":0},'
        '"d":{"name":"org.apache.kafka.connect.data.Decimal","type":"BYTES","version":1,'
        '"parameters":{"scale":"1"},"isOptional":false,"defaultValue":2.5}}}',
        "k",
    )
    assert s.fields[0].schema.default == 7
    assert s.fields[1].schema.default == dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    assert s.fields[2].schema.default == decimal.Decimal("2.5")
    assert json.loads(schema_to_json(s))["fieldSchemas"]["n"]["defaultValue"] == 7


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not json", "Could not read schema"),
        ("[]", "not a JSON object"),
        ('{"type":"STRUCTURE"}', "unknown type"),
        ('{"name":"x"}', "has no type"),
        ('{"type":"struct","fields":[{"type":"string"}]}', "field without a name"),
    ],
)
def test_errors_name_the_key(text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as e:
        schema_from_json(text, "key.schema")
    assert e.value.key == "key.schema" and problem in str(e.value)
