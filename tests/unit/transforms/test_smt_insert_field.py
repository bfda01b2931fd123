import datetime as dt
from collections.abc import Callable

import pytest

from sluice.api import (
    ConfigError,
    DataError,
    Schema,
    SchemaBuilder,
    SchemaBuilderError,
    SinkRecord,
    SourceRecord,
    Struct,
    Timestamp,
)
from sluice.transforms.insert_field import InsertFieldKey, InsertFieldValue

SinkFactory = Callable[..., SinkRecord]


SCHEMA = SchemaBuilder.struct().name("com.acme.Row").field("id", Schema.INT64_SCHEMA).build()


def insert(key: bool = False, **config: str) -> InsertFieldValue[SinkRecord]:
    t = InsertFieldKey() if key else InsertFieldValue()
    t.configure({k.replace("_", "."): v for k, v in config.items()})
    return t  # type: ignore[return-value]


ALL = {
    "topic_field": "t",
    "partition_field": "p!",
    "offset_field": "o?",
    "timestamp_field": "ts",
    "static_field": "s!",
    "static_value": "hello",
}


def test_all_fields_with_schema(sink: SinkFactory) -> None:
    out = insert(**ALL).apply(sink(SCHEMA, Struct(SCHEMA).put("id", 1)))
    assert out is not None and out.value_schema is not None
    schema = out.value_schema
    assert [f.name for f in schema.fields] == ["id", "t", "p", "o", "ts", "s"]
    assert schema.name == "com.acme.Row"
    assert schema.field("t").schema == Schema.OPTIONAL_STRING_SCHEMA  # type: ignore[union-attr]
    assert schema.field("p").schema == Schema.INT32_SCHEMA  # type: ignore[union-attr]
    assert schema.field("o").schema == Schema.OPTIONAL_INT64_SCHEMA  # type: ignore[union-attr]
    assert schema.field("ts").schema == Timestamp.builder().optional().build()  # type: ignore[union-attr]
    assert schema.field("s").schema == Schema.STRING_SCHEMA  # type: ignore[union-attr]
    v = out.value
    assert (v.get("t"), v.get("p"), v.get("o"), v.get("s")) == ("orders", 3, 42, "hello")
    assert v.get("ts") == dt.datetime(2023, 11, 14, 22, 15, 23, 456000, tzinfo=dt.UTC)


def test_schemaless_gets_raw_timestamp(sink: SinkFactory) -> None:
    out = insert(**ALL).apply(sink(None, {"id": 1}))
    assert out is not None
    assert out.value == {
        "id": 1,
        "t": "orders",
        "p": 3,
        "o": 42,
        "ts": 1_700_000_123_456,
        "s": "hello",
    }


def test_missing_timestamp_and_partition_are_skipped(source: object) -> None:
    t = insert(partition_field="p", timestamp_field="ts")
    record = SourceRecord(None, None, "orders", None, None, None, None, {"a": 1})
    out = t.apply(record)  # type: ignore[arg-type]
    assert out is not None and out.value == {"a": 1}


def test_offset_needs_a_sink_record() -> None:
    record = SourceRecord({"f": 1}, {"o": 1}, "orders", 0, None, None, None, {"a": 1})
    with pytest.raises(
        DataError,
        match=r"Only SinkRecord supported for \[field insertion\], found: org.apache.kafka.connect"
        r".source.SourceRecord",
    ):
        insert(offset_field="o").apply(record)  # type: ignore[arg-type]


def test_tombstones_pass_through(sink: SinkFactory) -> None:
    record = sink(None, None)
    assert insert(topic_field="t").apply(record) is record


def test_source_records_keep_their_offsets() -> None:
    record = SourceRecord({"f": 1}, {"o": 9}, "orders", 0, None, None, None, {"a": 1})
    out = insert(topic_field="t").apply(record)  # type: ignore[arg-type]
    assert isinstance(out, SourceRecord) and out.source_offset == {"o": 9}


def test_key_variant(sink: SinkFactory) -> None:
    out = insert(key=True, static_field="s", static_value="v").apply(
        sink(None, "value", None, {"k": 1})
    )
    assert out is not None and out.key == {"k": 1, "s": "v"} and out.value == "value"


def test_existing_field_name_clashes(sink: SinkFactory) -> None:
    with pytest.raises(SchemaBuilderError, match="field name duplication id"):
        insert(topic_field="id").apply(sink(SCHEMA, Struct(SCHEMA).put("id", 1)))


def test_config_errors() -> None:
    with pytest.raises(ConfigError, match="No field insertion configured"):
        insert()
    with pytest.raises(
        ConfigError,
        match="Invalid value null for configuration static.value: "
        "No value specified for static field: s",
    ):
        insert(static_field="s")
