from collections.abc import Callable

import pytest

from sluice.api import ConfigError, Schema, SchemaBuilder, SinkRecord, Struct
from sluice.transforms.replace_field import (
    ReplaceFieldKey,
    ReplaceFieldValue,
    parse_rename_mappings,
)

SCHEMA = (
    SchemaBuilder.struct()
    .name("com.acme.Row")
    .field("a", Schema.INT32_SCHEMA)
    .field("b", Schema.STRING_SCHEMA)
    .field("c", SchemaBuilder.string().optional().default_value("dflt").build())
    .build()
)

SinkFactory = Callable[..., SinkRecord]


def row() -> Struct:
    return Struct(SCHEMA).put("a", 1).put("b", "two")


def replace(key: bool = False, **config: str) -> ReplaceFieldValue[SinkRecord]:
    t = ReplaceFieldKey() if key else ReplaceFieldValue()
    t.configure({k.replace("_", "."): v for k, v in config.items()})
    return t  # type: ignore[return-value]


def test_exclude_wins_over_include_and_renames_apply(sink: SinkFactory) -> None:
    out = replace(include="a,b", exclude="b", renames="a:alpha").apply(sink(SCHEMA, row()))
    assert out is not None and out.value_schema is not None
    assert [f.name for f in out.value_schema.fields] == ["alpha"]
    assert out.value_schema.name == "com.acme.Row"
    assert out.value.get("alpha") == 1


def test_defaults_follow_replace_null_with_default(sink: SinkFactory) -> None:
    assert replace().apply(sink(SCHEMA, row())).value.get_without_default("c") == "dflt"  # type: ignore[union-attr]
    kept = replace(replace_null_with_default="false").apply(sink(SCHEMA, row()))
    assert kept is not None and kept.value.get_without_default("c") is None


def test_schemaless(sink: SinkFactory) -> None:
    out = replace(key=True, exclude="x", renames="a:b,b:a").apply(
        sink(None, "v", None, {"a": 1, "b": 2, "x": 3})
    )
    assert out is not None and out.key == {"b": 1, "a": 2}


def test_tombstones_pass_through(sink: SinkFactory) -> None:
    record = sink(None, None)
    assert replace(exclude="a").apply(record) is record


@pytest.mark.parametrize(
    ("mappings", "expected"),
    [(["a:b"], {"a": "b"}), (["a:b:"], {"a": "b"}), ([":b"], {"": "b"})],
)
def test_rename_parsing_follows_java_split(mappings: list[str], expected: dict[str, str]) -> None:
    assert parse_rename_mappings(mappings) == expected


@pytest.mark.parametrize("renames", ["a", "a:b:c", "a:"])
def test_bad_renames(renames: str) -> None:
    with pytest.raises(
        ConfigError, match=f"for configuration renames: Invalid rename mapping: {renames}"
    ):
        replace(renames=renames)
