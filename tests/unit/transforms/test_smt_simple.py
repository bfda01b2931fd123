"""ValueToKey, DropHeaders, Filter and Confluent's Drop."""

from collections.abc import Callable

import pytest

from sluice.api import ConfigError, DataError, Headers, Schema, SchemaBuilder, SinkRecord, Struct
from sluice.transforms.drop import DropKey, DropValue
from sluice.transforms.drop_headers import DropHeaders
from sluice.transforms.filter import Filter
from sluice.transforms.value_to_key import ValueToKey

SCHEMA = (
    SchemaBuilder.struct()
    .field("id", Schema.INT64_SCHEMA)
    .field("name", Schema.STRING_SCHEMA)
    .field("tier", SchemaBuilder.string().optional().default_value("basic").build())
    .build()
)

SinkFactory = Callable[..., SinkRecord]


def value() -> Struct:
    return Struct(SCHEMA).put("id", 1).put("name", "kari")


def value_to_key(fields: str, **extra: str) -> ValueToKey[SinkRecord]:
    t: ValueToKey[SinkRecord] = ValueToKey()
    t.configure({"fields": fields, **{k.replace("_", "."): v for k, v in extra.items()}})
    return t


def test_value_to_key_with_schema(sink: SinkFactory) -> None:
    out = value_to_key("id,tier").apply(sink(SCHEMA, value(), Schema.STRING_SCHEMA, "old"))
    assert out is not None and out.key_schema is not None
    assert (
        out.key_schema
        == SchemaBuilder.struct()
        .field("id", Schema.INT64_SCHEMA)
        .field(
            "tier",
            SCHEMA.field("tier").schema,  # type: ignore[union-attr]
        )
        .build()
    )
    assert out.key.get("id") == 1 and out.key.get_without_default("tier") == "basic"
    assert out.value == value()


def test_value_to_key_keeps_nulls_on_request(sink: SinkFactory) -> None:
    out = value_to_key("tier", replace_null_with_default="false").apply(sink(SCHEMA, value()))
    assert out is not None and out.key.get_without_default("tier") is None


def test_value_to_key_schemaless(sink: SinkFactory) -> None:
    out = value_to_key("a,b").apply(sink(None, {"a": 1, "c": 3}))
    assert out is not None and out.key == {"a": 1, "b": None} and out.key_schema is None


def test_value_to_key_errors(sink: SinkFactory) -> None:
    with pytest.raises(DataError, match="Field does not exist: nope"):
        value_to_key("id,nope").apply(sink(SCHEMA, value()))
    with pytest.raises(DataError, match="found: null"):
        value_to_key("a").apply(sink(None, None))
    with pytest.raises(ConfigError, match="Empty list"):
        value_to_key("")


def test_drop_headers_removes_every_header_with_the_key(sink: SinkFactory) -> None:
    t: DropHeaders[SinkRecord] = DropHeaders()
    t.configure({"headers": "a,z"})
    headers = Headers().add("a", 1).add("b", 2).add("a", 3)
    out = t.apply(sink(None, "v", headers=headers))
    assert out is not None and [h.key for h in out.headers] == ["b"]
    assert len(headers) == 3


def test_filter_drops_everything(sink: SinkFactory) -> None:
    t: Filter[SinkRecord] = Filter()
    t.configure({})
    assert t.apply(sink(None, "v")) is None


@pytest.mark.parametrize(
    ("behavior", "expected_schema"),
    [
        ("nullify", None),
        ("retain", SCHEMA),
        (
            "FORCE_OPTIONAL",
            SchemaBuilder.struct()
            .optional()
            .field("id", Schema.INT64_SCHEMA)
            .field("name", Schema.STRING_SCHEMA)
            .field("tier", SCHEMA.field("tier").schema)
            .build(),
        ),  # type: ignore[union-attr]
    ],
)
def test_drop_value_schema_behaviors(
    sink: SinkFactory, behavior: str, expected_schema: Schema | None
) -> None:
    t: DropValue[SinkRecord] = DropValue()
    t.configure({"schema.behavior": behavior})
    out = t.apply(sink(SCHEMA, value(), Schema.STRING_SCHEMA, "k"))
    assert out is not None and out.value is None and out.value_schema == expected_schema
    assert out.key == "k" and out.kafka_offset == 42


def test_drop_key_validate(sink: SinkFactory) -> None:
    t: DropKey[SinkRecord] = DropKey()
    t.configure({"schema.behavior": "validate"})
    ok = t.apply(sink(None, "v", Schema.OPTIONAL_STRING_SCHEMA, "k"))
    assert ok is not None and ok.key is None and ok.key_schema == Schema.OPTIONAL_STRING_SCHEMA
    with pytest.raises(DataError, match="not optional"):
        t.apply(sink(None, "v", Schema.STRING_SCHEMA, "k"))
    schemaless = t.apply(sink(None, "v", None, "k"))
    assert schemaless is not None and schemaless.key is None and schemaless.key_schema is None


def test_drop_default_and_bad_behavior(sink: SinkFactory) -> None:
    t: DropKey[SinkRecord] = DropKey()
    t.configure({})
    out = t.apply(sink(None, "v", Schema.STRING_SCHEMA, "k"))
    assert out is not None and out.key is None and out.key_schema is None
    with pytest.raises(ConfigError, match="schema.behavior"):
        DropKey().configure({"schema.behavior": "explode"})
