from collections.abc import Callable

import pytest

from sluice.api import ConfigError, DataError, Headers, Schema, SchemaBuilder, SinkRecord, Struct
from sluice.transforms.header_from import HeaderFrom, HeaderFromKey, HeaderFromValue

SinkFactory = Callable[..., SinkRecord]


SCHEMA = (
    SchemaBuilder.struct()
    .name("com.acme.Event")
    .field("id", Schema.INT64_SCHEMA)
    .field("user", Schema.OPTIONAL_STRING_SCHEMA)
    .field("kind", SchemaBuilder.string().optional().default_value("click").build())
    .build()
)


def event() -> Struct:
    return Struct(SCHEMA).put("id", 1).put("user", "kari")


def header_from(
    fields: str, headers: str, operation: str, key: bool = False, **extra: str
) -> HeaderFrom[SinkRecord]:

    t: HeaderFrom[SinkRecord] = HeaderFromKey() if key else HeaderFromValue()
    cfg = {"fields": fields, "headers": headers, "operation": operation}
    t.configure({**cfg, **{k.replace("_", "."): v for k, v in extra.items()}})
    return t


def test_copy_keeps_the_value_and_appends_headers(sink: SinkFactory) -> None:
    original = sink(SCHEMA, event(), headers=Headers().add("pre", "x", Schema.STRING_SCHEMA))
    out = header_from("id,kind", "h_id,h_kind", "copy").apply(original)
    assert out is not None
    assert out.value is original.value and out.value_schema is SCHEMA
    assert [(h.key, h.value, h.schema) for h in out.headers] == [
        ("pre", "x", Schema.STRING_SCHEMA),
        ("h_id", 1, Schema.INT64_SCHEMA),
        ("h_kind", "click", SCHEMA.field("kind").schema),  # type: ignore[union-attr]
    ]
    assert len(original.headers) == 1  # the input record's headers are not touched


def test_move_drops_fields_from_schema_and_value(sink: SinkFactory) -> None:
    out = header_from("user", "who", "move").apply(sink(SCHEMA, event()))
    assert out is not None and out.value_schema is not None
    assert [f.name for f in out.value_schema.fields] == ["id", "kind"]
    assert out.value_schema.name == "com.acme.Event"
    assert out.value.get("id") == 1
    assert out.headers.last_with_name("who").value == "kari"  # type: ignore[union-attr]


def test_null_defaults_kept_when_asked(sink: SinkFactory) -> None:
    out = header_from("kind", "k", "copy", replace_null_with_default="false").apply(
        sink(SCHEMA, event())
    )
    assert out is not None and out.headers.last_with_name("k").value is None  # type: ignore[union-attr]


def test_schemaless_move_and_copy(sink: SinkFactory) -> None:
    moved = header_from("a,missing", "ha,hm", "move", key=True).apply(
        sink(None, "v", None, {"a": 1, "b": 2})
    )
    assert moved is not None and moved.key == {"b": 2}
    assert [(h.key, h.value, h.schema) for h in moved.headers] == [
        ("ha", 1, None),
        ("hm", None, None),
    ]
    copied = header_from("a", "ha", "copy").apply(sink(None, {"a": 1}))
    assert copied is not None and copied.value == {"a": 1}


def test_tombstones_are_rejected_as_in_kafka(sink: SinkFactory) -> None:
    with pytest.raises(
        DataError,
        match=r"Only Map objects supported in absence of schema for \[header copy\], found: null",
    ):
        header_from("a", "b", "copy").apply(sink(None, None))


def test_config_validation() -> None:
    with pytest.raises(
        ConfigError,
        match="'fields' config must have the same number of elements as 'headers' config.",
    ):
        header_from("a,b", "x", "copy")
    with pytest.raises(
        ConfigError,
        match="Invalid value mv for configuration operation: String must be one of: move, copy",
    ):
        header_from("a", "x", "mv")
    with pytest.raises(ConfigError, match="Empty list"):
        header_from("", "x", "copy")
