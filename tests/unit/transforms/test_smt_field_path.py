import pytest

from sluice.api import ConfigError, DataError, Schema, SchemaBuilder, Struct
from sluice.transforms.field_path import FieldSyntaxVersion, SingleFieldPath


@pytest.mark.parametrize(
    ("path", "steps"),
    [
        ("a", ("a",)),
        ("a.b.c", ("a", "b", "c")),
        ("`a.b`.c", ("a.b", "c")),
        ("`a.b`", ("a.b",)),
        ("a.`b.c`", ("a", "b.c")),
        ("a.", ("a", "")),
        ("`a\\`.b`.c", ("a`.b", "c")),  # escaped backtick before a dot stays in the name
        ("`a`b`.c", ("a`b", "c")),  # a backtick not followed by a dot is part of the name
        ("a..b", ("a", "", "b")),
    ],
)
def test_v2_parsing(path: str, steps: tuple[str, ...]) -> None:
    assert SingleFieldPath(path, FieldSyntaxVersion.V2).steps == steps


def test_v1_keeps_the_whole_path() -> None:
    assert SingleFieldPath("a.b", FieldSyntaxVersion.V1).steps == ("a.b",)


@pytest.mark.parametrize("path", ["`a.b", "`a.b\\`"])
def test_incomplete_backticks(path: str) -> None:
    with pytest.raises(ConfigError, match="Incomplete backtick pair in path"):
        SingleFieldPath(path, FieldSyntaxVersion.V2)


def test_lookups_in_structs_and_maps() -> None:
    inner = SchemaBuilder.struct().optional().field("c", Schema.INT32_SCHEMA).build()
    outer = SchemaBuilder.struct().field("b", inner).build()
    path = SingleFieldPath("b.c", FieldSyntaxVersion.V2)
    assert path.field_from(outer) == inner.field("c")
    assert path.field_from(None) is None
    assert SingleFieldPath("x.c", FieldSyntaxVersion.V2).field_from(outer) is None
    value = Struct(outer).put("b", Struct(inner).put("c", 3))
    assert path.value_from_struct(value) == 3
    assert path.value_from_struct(Struct(outer)) is None
    assert path.value_from_map({"b": {"c": 4}}) == 4
    assert path.value_from_map({"b": None}) is None
    with pytest.raises(DataError, match="nested field access"):
        path.value_from_map({"b": 1})
