"""Post processors: projections, renamers, KafkaMetaAdder, NullFieldValueRemover, the chain."""

from __future__ import annotations

from typing import Any

import pytest
from bson import Int64

from sluice.api import ConfigError, DataError
from sluice.connectors.mongodb.id_strategies import create_id_strategy
from sluice.connectors.mongodb.post_processors import (
    AllowListProjector,
    BlockListProjector,
    DocumentIdAdder,
    KafkaMetaAdder,
    NullFieldValueRemover,
    RenameByMapping,
    RenameByRegExp,
    build_post_processors,
)
from sluice.connectors.mongodb.sink_documents import SinkDocument
from tests.unit.connectors.mongodb.sink_support import PROCESSORS, doc, record, settings

FLAT: dict[str, Any] = {"_id": "X", "myLong": 42, "myDouble": 2.5, "myString": "s", "myArray": []}
NESTED: dict[str, Any] = {
    "_id": "X",
    "myInt": 42,
    "subDoc1": {"myString": "a", "myBoolean": False},
    "subDoc2": {"myString": "b", "myBoolean": True},
    "list": [{"x": 1, "y": 2}, 3],
}


def _block(fields: str, document: dict[str, Any]) -> dict[str, Any]:
    copy = SinkDocument.of(None, _copy(document), record("{}")).value_doc
    assert copy is not None
    BlockListProjector(fields, on_key=False).project(copy)
    return copy


def _allow(fields: str, document: dict[str, Any]) -> dict[str, Any]:
    copy = SinkDocument.of(None, _copy(document), record("{}")).value_doc
    assert copy is not None
    AllowListProjector(fields, on_key=False).project(copy)
    return copy


def _copy(document: dict[str, Any]) -> dict[str, Any]:
    from sluice.connectors.mongodb.sink_documents import clone_value

    copied: dict[str, Any] = clone_value(document)
    return copied


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ("", FLAT),
        ("*", {}),
        ("**", {}),
        ("my*", {"_id": "X"}),
        ("_id", {k: v for k, v in FLAT.items() if k != "_id"}),
        ("myLong, myDouble", {"_id": "X", "myString": "s", "myArray": []}),
        ("missing,unknown", FLAT),
    ],
)
def test_block_list_flat(fields: str, expected: dict[str, Any]) -> None:
    assert _block(fields, FLAT) == expected


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ("", {}),
        ("*", FLAT),
        ("**", FLAT),
        ("my*", {k: v for k, v in FLAT.items() if k != "_id"}),
        ("_id", {"_id": "X"}),
        ("missing,unknown", {}),
        ("myDouble, myArray", {"myDouble": 2.5, "myArray": []}),
    ],
)
def test_allow_list_flat(fields: str, expected: dict[str, Any]) -> None:
    assert _allow(fields, FLAT) == expected


def test_block_list_nested_and_wildcards() -> None:
    assert _block("_id, subDoc1.myString, subDoc2.myBoolean, list.x", NESTED) == {
        "myInt": 42,
        "subDoc1": {"myBoolean": False},
        "subDoc2": {"myString": "b"},
        "list": [{"y": 2}, 3],
    }
    # * drops what is not a document (one level), ** drops everything.
    assert _block("*", NESTED) == {"subDoc1": NESTED["subDoc1"], "subDoc2": NESTED["subDoc2"]}
    assert _block("**", NESTED) == {}
    assert _block("*.myString", NESTED)["subDoc1"] == {"myBoolean": False}
    assert _block("*.*", NESTED)["subDoc2"] == {}


def test_allow_list_nested_and_wildcards() -> None:
    assert _allow("subDoc1.myString, list.y", NESTED) == {
        "subDoc1": {"myString": "a"},
        "list": [{"y": 2}, 3],
    }
    # * keeps the top level only: sub-documents stay, emptied.
    assert _allow("*", NESTED) == {
        "_id": "X",
        "myInt": 42,
        "subDoc1": {},
        "subDoc2": {},
        "list": [{}, 3],
    }
    assert _allow("subDoc2.**", NESTED) == {"subDoc2": NESTED["subDoc2"]}
    # "*.myBoolean" also allows its prefix "*": every top-level field stays.
    assert _allow("*.myBoolean", NESTED) == {
        "_id": "X",
        "myInt": 42,
        "subDoc1": {"myBoolean": False},
        "subDoc2": {"myBoolean": True},
        "list": [{}, 3],
    }


def test_projectors_in_the_chain_use_the_projection_lists() -> None:
    s = settings(
        {
            "post.processor.chain": f"{PROCESSORS}.BlockListValueProjector,"
            f"{PROCESSORS}.AllowListKeyProjector",
            "value.projection.list": "secret",
            "key.projection.list": "id",
        }
    )
    chain = build_post_processors(s, create_id_strategy(s))
    assert isinstance(chain[0], DocumentIdAdder)  # always there, first when not listed
    d = doc('{"a": 1, "secret": 2}', key='{"id": 1, "other": 2}')
    for processor in chain:
        processor.process(d, d.record)
    assert d.value_doc is not None and set(d.value_doc) == {"a", "_id"}
    assert d.key_doc == {"id": 1}


def test_rename_by_mapping() -> None:
    renamer = RenameByMapping(
        '[{"oldName": "key.id", "newName": "ident"}, {"oldName": "value.a.b", "newName": "c"},'
        ' {"oldName": "value.x", "newName": "y"}]'
    )
    d = doc('{"x": 1, "a": {"b": 2, "k": 3}, "z": 4}', key='{"id": 5}')
    renamer.process(d, d.record)
    assert d.key_doc == {"ident": 5}
    assert d.value_doc == {"a": {"k": 3, "c": 2}, "z": 4, "y": 1}
    assert list(d.value_doc) == ["a", "z", "y"]  # renamed fields move to the end


def test_rename_onto_an_existing_field_drops_the_renamed_one() -> None:
    # The official renamer's behaviour, kept so that documents come out the same.
    renamer = RenameByMapping('[{"oldName": "value.a", "newName": "b"}]')
    d = doc('{"a": 1, "b": 2}')
    renamer.process(d, d.record)
    assert d.value_doc == {"b": 2}


def test_rename_by_regexp_with_java_syntax() -> None:
    # As a .properties file delivers it: single backslashes, not valid JSON as is.
    rules = (
        '[{"regexp": "^value\\..*_.*$", "pattern": "_", "replace": "-"},'
        ' {"regexp": "^key\\..*$", "pattern": "(\\w+)Id", "replace": "$1_id"}]'
    )
    renamer = RenameByRegExp(rules)
    d = doc('{"first_name": "A", "sub": {"x_y": 1}, "plain": 2}', key='{"userId": 1}')
    renamer.process(d, d.record)
    assert d.value_doc == {"sub": {"x-y": 1}, "plain": 2, "first-name": "A"}
    assert d.key_doc == {"user_id": 1}


def test_renamers_read_the_key_so_a_non_json_key_fails() -> None:
    renamer = RenameByMapping('[{"oldName": "value.a", "newName": "b"}]')
    d = doc('{"a": 1}', key="not-json")
    with pytest.raises(DataError, match="Could not convert key"):
        renamer.process(d, d.record)


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("field.renamer.mapping", "{not an array"),
        ("field.renamer.mapping", '[{"oldName": "value.a"}]'),
        ("field.renamer.regexp", '[{"regexp": "(", "pattern": "a", "replace": "b"}]'),
    ],
)
def test_bad_renamer_settings_name_the_key(key: str, text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        (RenameByMapping if key.endswith("mapping") else RenameByRegExp)(text, key)
    assert caught.value.key == key


def test_kafka_meta_adder_and_null_remover() -> None:
    d = doc('{"a": null, "b": {"c": null, "d": 1}, "l": [{"e": null}]}', offset=9, partition=2)
    KafkaMetaAdder().process(d, d.record)
    NullFieldValueRemover().process(d, d.record)
    assert d.value_doc == {
        "b": {"d": 1},
        "l": [{}],
        "topic-partition-offset": "orders-2-9",
        "CREATE_TIME": 1_700_000_000_000,
    }
    assert isinstance(d.value_doc["CREATE_TIME"], Int64)


def test_unknown_post_processors_and_java_transformers_are_config_errors() -> None:
    s = settings({"post.processor.chain": "com.example.Mine"})
    with pytest.raises(ConfigError) as caught:
        build_post_processors(s, create_id_strategy(s))
    assert caught.value.key == "post.processor.chain"
    s = settings({"field.value.transformer": "com.example.Upper"})
    with pytest.raises(ConfigError, match="Java FieldValueTransformer") as caught:
        build_post_processors(s, create_id_strategy(s))
    assert caught.value.key == "field.value.transformer"
