from collections.abc import Callable

import pytest

from sluice.api import ConfigError, DataError, Schema, SchemaBuilder, SinkRecord, Struct
from sluice.transforms.set_schema_metadata import SetSchemaMetadataKey, SetSchemaMetadataValue

SCHEMA = (
    SchemaBuilder.struct()
    .name("old.Name")
    .version(1)
    .doc("kept")
    .field("a", Schema.INT32_SCHEMA)
    .field("b", SchemaBuilder.string().optional().default_value("d").build())
    .build()
)

SinkFactory = Callable[..., SinkRecord]


def metadata(key: bool = False, **config: str) -> SetSchemaMetadataValue[SinkRecord]:
    t = SetSchemaMetadataKey() if key else SetSchemaMetadataValue()
    t.configure({k.replace("_", "."): v for k, v in config.items()})
    return t  # type: ignore[return-value]


def test_name_and_version_are_replaced_and_struct_follows(sink: SinkFactory) -> None:
    out = metadata(schema_name="new.Name", schema_version="7").apply(
        sink(SCHEMA, Struct(SCHEMA).put("a", 1))
    )
    assert out is not None and out.value_schema is not None
    s = out.value_schema
    assert (s.name, s.version, s.doc, s.fields) == ("new.Name", 7, "kept", SCHEMA.fields)
    assert out.value.schema is s and out.value.get("a") == 1
    assert out.value.get_without_default("b") == "d"


def test_only_version_on_key(sink: SinkFactory) -> None:
    out = metadata(key=True, schema_version="3").apply(
        sink(None, "v", SCHEMA, Struct(SCHEMA).put("a", 1))
    )
    assert out is not None and out.key_schema is not None
    assert (out.key_schema.name, out.key_schema.version) == ("old.Name", 3)


def test_null_without_schema_passes_and_schemaless_fails(sink: SinkFactory) -> None:
    record = sink(None, None)
    assert metadata(schema_name="x").apply(record) is record
    with pytest.raises(DataError, match=r"Schema required for \[updating schema metadata\]"):
        metadata(schema_name="x").apply(sink(None, {"a": 1}))


def test_non_struct_schemas_fail_as_in_kafka(sink: SinkFactory) -> None:
    with pytest.raises(DataError, match="Cannot list fields on non-struct type"):
        metadata(schema_name="x").apply(sink(Schema.STRING_SCHEMA, "v"))


def test_needs_name_or_version() -> None:
    with pytest.raises(ConfigError, match="Neither schema name nor version configured"):
        metadata()
    with pytest.raises(ConfigError, match="Not a number of type INT"):
        metadata(schema_version="x")
