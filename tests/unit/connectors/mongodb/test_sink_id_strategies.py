"""The id strategies (document.id.strategy) and DocumentIdAdder."""

from __future__ import annotations

import uuid

import pytest
from bson import Binary, ObjectId

from sluice.api import ConfigError, DataError
from sluice.connectors.mongodb.id_strategies import (
    BsonOidStrategy,
    FullKeyStrategy,
    KafkaMetaDataStrategy,
    PartialKeyStrategy,
    PartialValueStrategy,
    ProvidedInKeyStrategy,
    ProvidedInValueStrategy,
    UuidProvidedInValueStrategy,
    UuidStrategy,
    create_id_strategy,
)
from sluice.connectors.mongodb.post_processors import build_post_processors, run_chain
from sluice.connectors.mongodb.sink_topic_config import UuidFormat
from tests.unit.connectors.mongodb.sink_support import IDS, doc, record, settings


def _strategy(name: str, extra: dict[str, str] | None = None) -> object:
    return create_id_strategy(settings({"document.id.strategy": f"{IDS}.{name}", **(extra or {})}))


def test_the_default_is_a_new_object_id_per_record() -> None:
    strategy = create_id_strategy(settings())
    assert isinstance(strategy, BsonOidStrategy)
    first, second = (strategy.generate_id(doc('{"a": 1}'), None) for _ in range(2))
    assert isinstance(first, ObjectId) and first != second


def test_provided_in_key_and_value() -> None:
    d = doc('{"_id": "v", "a": 1}', key='{"_id": {"k": 1}}')
    assert ProvidedInKeyStrategy().generate_id(d, None) == {"k": 1}
    assert ProvidedInValueStrategy().generate_id(d, None) == "v"


@pytest.mark.parametrize(
    ("value", "key", "strategy", "message"),
    [
        ('{"a": 1}', None, ProvidedInValueStrategy(), "contained no _id field"),
        ('{"_id": null}', None, ProvidedInValueStrategy(), "an _id of type BsonNull"),
        ('{"a": 1}', None, ProvidedInKeyStrategy(), "contained no _id field"),
        ('{"a": 1}', "just-a-string", ProvidedInKeyStrategy(), "Could not convert key"),
    ],
)
def test_provided_ids_must_be_there(
    value: str, key: str | None, strategy: ProvidedInKeyStrategy, message: str
) -> None:
    with pytest.raises(DataError, match=message):
        strategy.generate_id(doc(value, key), None)


def test_uuid_provided_in_value_turns_strings_into_binary_uuids() -> None:
    value = uuid.uuid4()
    strategy = UuidProvidedInValueStrategy()
    for text in (str(value), value.hex):
        got = strategy.generate_id(doc(f'{{"_id": "{text}"}}'), None)
        assert got == Binary.from_uuid(value)
    with pytest.raises(DataError, match="UUID cannot be constructed"):
        strategy.generate_id(doc('{"_id": "nope"}'), None)


def test_full_key_and_kafka_metadata() -> None:
    d = doc('{"a": 1}', key='{"x": 1, "y": 2}', offset=42, partition=3)
    assert FullKeyStrategy().generate_id(d, None) == {"x": 1, "y": 2}
    assert FullKeyStrategy().generate_id(doc('{"a": 1}'), None) == {}
    assert KafkaMetaDataStrategy().generate_id(d, d.record) == "orders#3#42"


def test_uuid_strategy_formats() -> None:
    text = UuidStrategy(UuidFormat.STRING).generate_id(doc("{}"), None)
    assert str(uuid.UUID(text)) == text
    binary = UuidStrategy(UuidFormat.BINARY).generate_id(doc("{}"), None)
    assert isinstance(binary, Binary) and binary.subtype == 4
    configured = _strategy("UuidStrategy", {"document.id.strategy.uuid.format": "Binary"})
    assert isinstance(configured, UuidStrategy) and configured.output is UuidFormat.BINARY


def test_partial_strategies_project_a_copy() -> None:
    strategy = _strategy(
        "PartialValueStrategy",
        {
            "document.id.strategy.partial.value.projection.type": "AllowList",
            "document.id.strategy.partial.value.projection.list": "name,address.city",
        },
    )
    assert isinstance(strategy, PartialValueStrategy)
    d = doc('{"name": "A", "age": 3, "address": {"city": "Lyon", "zip": "1"}}')
    assert strategy.generate_id(d, None) == {"name": "A", "address": {"city": "Lyon"}}
    assert d.value_doc == {"name": "A", "age": 3, "address": {"city": "Lyon", "zip": "1"}}
    # Without their own projection the partial strategies use key/value.projection.*.
    key_strategy = _strategy(
        "PartialKeyStrategy", {"key.projection.type": "BlockList", "key.projection.list": "b"}
    )
    assert isinstance(key_strategy, PartialKeyStrategy)
    assert key_strategy.generate_id(doc("{}", key='{"a": 1, "b": 2}'), None) == {"a": 1}


def test_partial_strategy_without_a_projection_type_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="document.id.strategy") as caught:
        _strategy("PartialValueStrategy")
    assert caught.value.key == "document.id.strategy"


def test_unknown_strategies_name_the_key_and_the_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        _strategy("NoSuchStrategy")
    assert caught.value.key == "document.id.strategy"
    assert "BsonOidStrategy" in str(caught.value) and "Class not found" in str(caught.value)
    # The simple class name works too.
    assert isinstance(
        create_id_strategy(settings({"document.id.strategy": "FullKeyStrategy"})),
        FullKeyStrategy,
    )


def test_document_id_adder_keeps_an_existing_id_unless_told_to_overwrite() -> None:
    keep = settings({"document.id.strategy": f"{IDS}.KafkaMetaDataStrategy"})
    chain = build_post_processors(keep, create_id_strategy(keep))
    d = doc('{"_id": 1, "a": 1}')
    run_chain(chain, d, d.record)
    assert d.value_doc == {"_id": 1, "a": 1}
    d = doc('{"a": 1}')
    run_chain(chain, d, d.record)
    assert d.value_doc == {"a": 1, "_id": "orders#0#7"}
    overwrite = settings(
        {
            "document.id.strategy": f"{IDS}.KafkaMetaDataStrategy",
            "document.id.strategy.overwrite.existing": "true",
        }
    )
    chain = build_post_processors(overwrite, create_id_strategy(overwrite))
    d = doc('{"_id": 1, "a": 1}')
    run_chain(chain, d, record(None))
    assert d.value_doc == {"_id": "orders#0#7", "a": 1}
