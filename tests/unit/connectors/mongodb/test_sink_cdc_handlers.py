"""The MongoDB change-stream CDC handler: change events to writes."""

from __future__ import annotations

import json

import pytest
from bson import ObjectId

from sluice.api import ConfigError, DataError
from sluice.connectors.mongodb.cdc_handlers import ChangeStreamHandler, remove_null_fields
from sluice.connectors.mongodb.sink_processing import TopicPipeline
from sluice.connectors.mongodb.write_models import WriteModel
from tests.unit.connectors.mongodb.sink_support import CHANGE_STREAM_HANDLER, doc, settings

OID = {"$oid": "6b164abb97e5c32ed2870444"}


def _event(operation: str, **fields: object) -> str:
    return json.dumps(
        {
            "_id": {"_data": "8263..."},
            "operationType": operation,
            "ns": {"db": "jee", "coll": "patients"},
            "documentKey": {"_id": OID},
            **fields,
        }
    )


def _handle(value: str | None) -> WriteModel | None:
    return ChangeStreamHandler().handle(doc(value, key='{"_id": {"_data": "8263..."}}'))


def test_inserts_and_replaces_are_upserting_replaces() -> None:
    oid = ObjectId(OID["$oid"])
    for operation in ("insert", "replace", "INSERT"):
        model = _handle(_event(operation, fullDocument={"_id": OID, "name": "Ann"}))
        assert model == WriteModel("replace", {"_id": oid}, {"_id": oid, "name": "Ann"}, True)


def test_updates_set_and_unset_or_replace_with_the_full_document() -> None:
    oid = ObjectId(OID["$oid"])
    model = _handle(
        _event(
            "update",
            updateDescription={
                "updatedFields": {"age": 31, "address.city": "Lyon"},
                "removedFields": ["nickname"],
                "truncatedArrays": [],
            },
        )
    )
    assert model == WriteModel(
        "update",
        {"_id": oid},
        {"$set": {"age": 31, "address.city": "Lyon"}, "$unset": {"nickname": ""}},
    )
    model = _handle(
        _event("update", fullDocument={"_id": OID, "age": 31}, updateDescription={"x": 1})
    )
    assert model == WriteModel("replace", {"_id": oid}, {"_id": oid, "age": 31})


def test_deletes_and_ignored_operations() -> None:
    assert _handle(_event("delete")) == WriteModel("delete", {"_id": ObjectId(OID["$oid"])})
    assert _handle(_event("drop")) is None
    assert _handle(_event("somethingNew")) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "`operationType` field is doc is missing"),
        ('{"a": 1}', "`operationType` field is doc is missing"),
        ('{"operationType": 1}', "should be a string"),
        ('{"operationType": "insert", "documentKey": {"_id": 1}}', "Missing fullDocument"),
        ('{"operationType": "delete"}', "Missing documentKey"),
        (
            '{"operationType": "update", "documentKey": {"_id": 1}, '
            '"updateDescription": {"updatedFields": {}, "removedFields": [], "future": 1}}',
            "Cannot process due to risk of data loss",
        ),
        (
            '{"operationType": "update", "documentKey": {"_id": 1}, '
            '"updateDescription": {"updatedFields": {}}}',
            "removedFields",
        ),
    ],
)
def test_malformed_events_are_data_errors(value: str | None, message: str) -> None:
    with pytest.raises(DataError, match=message):
        _handle(value)


def test_remove_null_values() -> None:
    replace = WriteModel("replace", {"_id": 1}, {"_id": 1, "a": None, "b": {"c": None}})
    assert remove_null_fields(replace) == WriteModel("replace", {"_id": 1}, {"_id": 1, "b": {}})
    update = WriteModel("update", {"_id": 1}, {"$set": {"a": None}, "$unset": {"b": ""}})
    assert remove_null_fields(update) == WriteModel("update", {"_id": 1}, {"$unset": {"b": ""}})
    assert remove_null_fields(WriteModel("update", {"_id": 1}, {"$set": {"a": None}})) is None


def test_the_pipeline_uses_the_handler_and_skips_strategies() -> None:
    pipeline = TopicPipeline.build(
        settings(
            {
                "change.data.capture.handler": CHANGE_STREAM_HANDLER,
                "change.data.capture.handler.remove.null.values": "true",
            }
        )
    )
    namespace, model = pipeline.process(
        doc(_event("insert", fullDocument={"_id": 1, "gone": None})).record
    )
    assert str(namespace) == "shop.orders"
    assert model == WriteModel(
        "replace", {"_id": {"$oid": OID["$oid"]}} and model.filter, {"_id": 1}, True
    )


def test_debezium_handlers_are_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="not the Debezium or Qlik handlers") as caught:
        TopicPipeline.build(
            settings(
                {
                    "change.data.capture.handler": "com.mongodb.kafka.connect.sink.cdc.debezium"
                    ".mongodb.ChangeStreamHandler"
                }
            )
        )
    assert caught.value.key == "change.data.capture.handler"
