from collections.abc import Callable

import pytest

from sluice.api import ConfigError, DataError, Schema, SchemaBuilder, SinkRecord, Struct
from sluice.transforms.extract_field import ExtractField, ExtractFieldKey, ExtractFieldValue

ADDRESS = SchemaBuilder.struct().optional().field("city", Schema.STRING_SCHEMA).build()
USER = (
    SchemaBuilder.struct()
    .field("name", Schema.STRING_SCHEMA)
    .field("address", ADDRESS)
    .field("tier", SchemaBuilder.string().optional().default_value("basic").build())
    .build()
)

SinkFactory = Callable[..., SinkRecord]


def user(city: str | None = "Oslo", tier: str | None = None) -> Struct:
    s = Struct(USER).put("name", "Kari").put("tier", tier)
    if city is not None:
        s.put("address", Struct(ADDRESS).put("city", city))
    return s


def extract(field: str, key: bool = False, **extra: str) -> ExtractField[SinkRecord]:
    t: ExtractField[SinkRecord] = ExtractFieldKey() if key else ExtractFieldValue()
    t.configure({"field": field, **{k.replace("_", "."): v for k, v in extra.items()}})
    return t


def test_struct_field_becomes_the_value(sink: SinkFactory) -> None:
    out = extract("name").apply(sink(USER, user()))
    assert out is not None
    assert out.value == "Kari" and out.value_schema == Schema.STRING_SCHEMA
    assert out.kafka_offset == 42


def test_key_variant(sink: SinkFactory) -> None:
    out = extract("id", key=True).apply(sink(None, "v", None, {"id": 5}))
    assert out is not None and out.key == 5 and out.value == "v"


def test_null_value_keeps_the_field_schema(sink: SinkFactory) -> None:
    optional_user = SchemaBuilder.struct().optional().field("name", Schema.STRING_SCHEMA).build()
    out = extract("name").apply(sink(optional_user, None))
    assert out is not None and out.value is None and out.value_schema == Schema.STRING_SCHEMA


def test_schemaless_missing_or_null(sink: SinkFactory) -> None:
    t = extract("a")
    assert t.apply(sink(None, {"b": 1})).value is None  # type: ignore[union-attr]
    assert t.apply(sink(None, None)).value is None  # type: ignore[union-attr]


def test_unknown_struct_field_is_an_error(sink: SinkFactory) -> None:
    with pytest.raises(DataError, match="Unknown field: nope"):
        extract("nope").apply(sink(USER, user()))


def test_wrong_shape_errors(sink: SinkFactory) -> None:
    with pytest.raises(DataError, match=r"Only Map objects supported .* found: java.lang.String"):
        extract("a").apply(sink(None, "text"))
    with pytest.raises(DataError, match="Only Struct objects supported for \\[field extraction\\]"):
        extract("a").apply(sink(USER, {"a": 1}))


def test_defaults_are_applied_unless_disabled(sink: SinkFactory) -> None:
    assert extract("tier").apply(sink(USER, user())).value == "basic"  # type: ignore[union-attr]
    raw = extract("tier", replace_null_with_default="false").apply(sink(USER, user()))
    assert raw is not None and raw.value is None


def test_v2_paths_reach_nested_fields(sink: SinkFactory) -> None:
    t = extract("address.city", field_syntax_version="v2")
    out = t.apply(sink(USER, user()))
    assert out is not None and out.value == "Oslo" and out.value_schema == Schema.STRING_SCHEMA
    missing_parent = t.apply(sink(USER, user(city=None)))
    assert missing_parent is not None and missing_parent.value is None
    assert t.apply(sink(None, {"address": {"city": "Bergen"}})).value == "Bergen"  # type: ignore[union-attr]


def test_v1_treats_dots_as_part_of_the_name(sink: SinkFactory) -> None:
    out = extract("a.b").apply(sink(None, {"a.b": 1, "a": {"b": 2}}))
    assert out is not None and out.value == 1


def test_v2_backticks_quote_dots(sink: SinkFactory) -> None:
    out = extract("`a.b`.c", field_syntax_version="V2").apply(
        sink(None, {"a.b": {"c": 1}, "a": {"b": {"c": 2}}})
    )
    assert out is not None and out.value == 1


def test_v2_through_non_map_is_an_error(sink: SinkFactory) -> None:
    with pytest.raises(DataError, match="nested field access"):
        extract("a.b", field_syntax_version="V2").apply(sink(None, {"a": 5}))


def test_config_errors() -> None:
    with pytest.raises(ConfigError, match='Missing required configuration "field"'):
        ExtractFieldValue().configure({})
    with pytest.raises(ConfigError, match="String must be one of \\(case insensitive\\): V1, V2"):
        extract("a", field_syntax_version="V3")
    with pytest.raises(ConfigError, match="Incomplete backtick pair in path: \\[`a.b\\]"):
        extract("`a.b", field_syntax_version="V2")
