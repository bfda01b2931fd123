from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sluice.api import ConfigError, Schema, SchemaBuilder, SinkRecord, Struct
from sluice.jdk.hashing import hash_map_order, table_size_for
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


_NAMES = st.sampled_from(["a", "b", "c", "id", "user_id", "country", "x1", "日本"])


@settings(max_examples=300, deadline=None)
@given(
    keys=st.lists(_NAMES, unique=True, max_size=8),
    exclude=st.lists(_NAMES, unique=True, max_size=3),
    include=st.lists(_NAMES, unique=True, max_size=4),
    renames=st.dictionaries(_NAMES, _NAMES, max_size=3),
)
def test_schemaless_maps_come_out_as_javas_puts_leave_them(
    keys: list[str],
    exclude: list[str],
    include: list[str],
    renames: dict[str, str],
) -> None:
    """Kafka puts the kept entries, renamed, one by one into new HashMap<>(value.size()): the
    templates sluice fills must give that map, colliding renames included."""
    original = {k: i for i, k in enumerate(keys)}
    config = {"exclude": ",".join(exclude), "include": ",".join(include)}
    config["renames"] = ",".join(f"{old}:{new}" for old, new in renames.items())
    transform = replace(**config)
    for _ in range(2):  # the second time from the shape's cached plan
        out = transform.apply(SinkRecord("t", 0, None, None, None, dict(original), 0))
        assert out is not None
        expected: dict[str, int] = {}
        for k, v in original.items():
            if k not in exclude and (not include or k in include):
                expected[renames.get(k, k)] = v
        order = hash_map_order(expected, table_size_for(len(original)))
        assert list(out.value.items()) == [(k, expected[k]) for k in order]
