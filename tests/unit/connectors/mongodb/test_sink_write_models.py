"""Write model strategies (writemodel.strategy, delete.writemodel.strategy) and tombstones."""

from __future__ import annotations

import datetime as dt

import pytest
from pymongo import DeleteOne, InsertOne, ReplaceOne, UpdateOne

from sluice.api import ConfigError, DataError
from sluice.connectors.mongodb.sink_processing import TopicPipeline
from sluice.connectors.mongodb.write_models import (
    DeleteOneDefaultStrategy,
    WriteModel,
    flatten_keys,
)
from tests.unit.connectors.mongodb.sink_support import IDS, MODELS, record, settings


def _model(value: object, key: object = None, **overrides: str) -> WriteModel:
    pipeline = TopicPipeline.build(settings(overrides))
    _, model = pipeline.process(record(value, key))
    assert model is not None
    return model


def test_the_default_replaces_by_id_with_upsert() -> None:
    model = _model(
        '{"_id": 1, "a": 2}', **{"document.id.strategy": f"{IDS}.ProvidedInValueStrategy"}
    )
    assert model == WriteModel("replace", {"_id": 1}, {"_id": 1, "a": 2}, upsert=True)
    assert model.to_operation() == ReplaceOne({"_id": 1}, {"_id": 1, "a": 2}, upsert=True)


def test_insert_one() -> None:
    model = _model('{"a": 2}', **{"writemodel.strategy": f"{MODELS}.InsertOneDefaultStrategy"})
    assert model.kind == "insert" and model.document is not None
    assert set(model.document) == {"a", "_id"}
    assert isinstance(model.to_operation(), InsertOne)


def test_update_one_default_and_timestamps() -> None:
    provided = {"document.id.strategy": f"{IDS}.ProvidedInValueStrategy"}
    model = _model(
        '{"_id": 1, "a": 2}',
        **provided,
        **{"writemodel.strategy": f"{MODELS}.UpdateOneDefaultStrategy"},
    )
    assert model == WriteModel("update", {"_id": 1}, {"$set": {"a": 2}}, upsert=True)
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    model = _model(
        '{"_id": 1, "a": 2}',
        **provided,
        **{"writemodel.strategy": f"{MODELS}.UpdateOneTimestampsStrategy"},
    )
    assert model.kind == "update" and model.filter == {"_id": 1} and model.upsert
    assert model.document is not None
    changes, inserted = model.document["$set"], model.document["$setOnInsert"]
    assert changes["_id"] == 1 and changes["a"] == 2
    assert changes["_modifiedTS"] == inserted["_insertedTS"] > before
    assert changes["_modifiedTS"].microsecond % 1000 == 0  # milliseconds, as BSON keeps them
    assert isinstance(model.to_operation(), UpdateOne)


def test_business_key_strategies_flatten_partial_ids() -> None:
    partial = {
        "document.id.strategy": f"{IDS}.PartialValueStrategy",
        "value.projection.type": "AllowList",
        "value.projection.list": "name,address.city",
    }
    value = '{"name": "A", "age": 3, "address": {"city": "Lyon", "zip": "1"}}'
    model = _model(
        value, **partial, **{"writemodel.strategy": f"{MODELS}.ReplaceOneBusinessKeyStrategy"}
    )
    assert model == WriteModel(
        "replace",
        {"name": "A", "address.city": "Lyon"},
        {"name": "A", "age": 3, "address": {"city": "Lyon", "zip": "1"}},
        upsert=True,
    )
    model = _model(
        value,
        **partial,
        **{"writemodel.strategy": f"{MODELS}.UpdateOneBusinessKeyTimestampStrategy"},
    )
    assert model.filter == {"name": "A", "address.city": "Lyon"} and model.document is not None
    assert "_id" not in model.document["$set"] and "_insertedTS" in model.document["$setOnInsert"]
    model = _model(
        value, **partial, **{"writemodel.strategy": f"{MODELS}.DeleteOneBusinessKeyStrategy"}
    )
    assert model == WriteModel("delete", {"name": "A", "address.city": "Lyon"})
    assert isinstance(model.to_operation(), DeleteOne)


def test_business_key_needs_a_document_id() -> None:
    with pytest.raises(DataError, match="_id field of type BsonDocument"):
        _model(
            '{"_id": 5, "a": 1}',
            **{
                "document.id.strategy": f"{IDS}.ProvidedInValueStrategy",
                "writemodel.strategy": f"{MODELS}.ReplaceOneBusinessKeyStrategy",
            },
        )


def test_delete_one_default_as_the_write_model_deletes_by_key() -> None:
    strategy = {"writemodel.strategy": f"{MODELS}.DeleteOneDefaultStrategy"}
    assert _model('{"a": 1}', '{"_id": 4, "x": 1}', **strategy) == WriteModel(
        "delete", {"_id": 4, "x": 1}
    )
    assert _model('{"a": 1}', '{"x": 1}', **strategy) == WriteModel("delete", {"_id": {"x": 1}})


def test_tombstones_delete_only_with_delete_on_null_values() -> None:
    with pytest.raises(DataError, match="delete.on.null.values is false"):
        _model(None, '{"_id": 3}')
    deletes = {
        "delete.on.null.values": "true",
        "document.id.strategy": f"{IDS}.ProvidedInKeyStrategy",
    }
    assert _model(None, '{"_id": 3}', **deletes) == WriteModel("delete", {"_id": 3})
    full_key = {"delete.on.null.values": "true", "document.id.strategy": f"{IDS}.FullKeyStrategy"}
    assert _model(None, '{"k": 3}', **full_key) == WriteModel("delete", {"_id": {"k": 3}})
    with pytest.raises(DataError, match="neither key doc nor value doc"):
        _model(None, None, **deletes)


def test_delete_on_null_values_needs_a_key_based_id_strategy() -> None:
    with pytest.raises(ConfigError, match="FullKeyStrategy or PartialKeyStrategy") as caught:
        TopicPipeline.build(settings({"delete.on.null.values": "true"}))
    assert caught.value.key == "delete.on.null.values"


def test_tombstone_business_key_strategy() -> None:
    model = _model(
        None,
        '{"a": {"b": 1}, "c": 2}',
        **{
            "delete.on.null.values": "true",
            "delete.writemodel.strategy": f"{MODELS}.DeleteOneTombstoneBusinessKeyStrategy",
            "document.id.strategy": f"{IDS}.PartialKeyStrategy",
            "key.projection.type": "AllowList",
            "key.projection.list": "a.b",
        },
    )
    assert model == WriteModel("delete", {"a.b": 1})


def test_unknown_write_model_names_the_overridden_key() -> None:
    props = {"topic.override.orders.writemodel.strategy": "com.example.Custom"}
    with pytest.raises(ConfigError) as caught:
        TopicPipeline.build(settings(props))
    assert caught.value.key == "topic.override.orders.writemodel.strategy"


def test_flatten_keys() -> None:
    assert flatten_keys({"a": {"b": {"c": 1}, "d": 2}, "e": 3, "f": {}}) == {
        "a.b.c": 1,
        "a.d": 2,
        "e": 3,
    }


def test_delete_strategy_with_record_free_id() -> None:
    from sluice.connectors.mongodb.id_strategies import FullKeyStrategy
    from sluice.connectors.mongodb.sink_documents import SinkDocument

    model = DeleteOneDefaultStrategy(FullKeyStrategy()).create(
        SinkDocument(record(None, '{"id": 1}'))
    )
    assert model == WriteModel("delete", {"_id": {"id": 1}})


def test_time_series_topics_insert_by_default() -> None:
    model = _model('{"at": 1}', **{"timeseries.timefield": "at"})
    assert model.kind == "insert"


def test_rate_limiting_pauses_every_n_bulk_writes() -> None:
    pipeline = TopicPipeline.build(
        settings({"rate.limiting.every.n": "2", "rate.limiting.timeout": "150"})
    )
    assert [pipeline.rate_limit_due() for _ in range(4)] == [0.0, 0.15, 0.0, 0.15]
    assert TopicPipeline.build(settings()).rate_limit_due() == 0.0
