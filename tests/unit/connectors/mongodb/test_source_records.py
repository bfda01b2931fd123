"""Record building, heartbeats, change stream options and the copy events, without a server."""

from __future__ import annotations

from typing import Any

import pytest
from bson import ObjectId, Timestamp

from sluice.api import DataError, Schema
from sluice.connectors.mongodb.change_stream import ChangeStream, resume_token_lost
from sluice.connectors.mongodb.copy_existing import (
    _restore_namespace,
    _server_pipeline,
    copy_event,
)
from sluice.connectors.mongodb.heartbeats import Heartbeats
from sluice.connectors.mongodb.source_config import SourceSettings
from sluice.connectors.mongodb.source_records import RecordBuilder

OID = ObjectId("5f0000000000000000000001")
PARTITION = {"ns": "mongodb://h/db"}
OFFSET = {"_id": '{"_data": "82"}'}
INSERT = {
    "_id": {"_data": "82"},
    "operationType": "insert",
    "fullDocument": {"_id": OID, "a": 1},
    "ns": {"db": "db", "coll": "c"},
    "documentKey": {"_id": OID},
}
DELETE = {
    "_id": {"_data": "83"},
    "operationType": "delete",
    "ns": {"db": "db", "coll": "c"},
    "documentKey": {"_id": OID},
}


def builder(**props: str) -> RecordBuilder:
    settings = SourceSettings.parse({"connection.uri": "mongodb://h/", "database": "db", **props})
    return RecordBuilder(settings, PARTITION)


def test_default_record_keys_by_document_key_and_carries_the_event() -> None:
    record = builder().record(INSERT, OFFSET)
    assert record is not None
    assert (record.topic, record.source_partition, record.source_offset) == (
        "db.c",
        PARTITION,
        OFFSET,
    )
    assert record.key == '{"_id": {"$oid": "5f0000000000000000000001"}}'
    assert record.key_schema == Schema.STRING_SCHEMA
    assert record.value.startswith('{"_id": {"_data": "82"}, "operationType": "insert"')


def test_resume_token_keys() -> None:
    record = builder(**{"change.stream.document.key.as.key": "false"}).record(INSERT, OFFSET)
    assert record is not None and record.key == '{"_id": {"_data": "82"}}'
    drop = {"_id": {"_data": "84"}, "operationType": "drop", "ns": {"db": "db", "coll": "c"}}
    record = builder().record(drop, OFFSET)
    assert record is not None and record.key == '{"_id": {"_data": "84"}}'


def test_full_document_only_skips_deletes_or_sends_tombstones() -> None:
    only = builder(**{"publish.full.document.only": "true"})
    record = only.record(INSERT, OFFSET)
    assert record is not None
    assert record.value == '{"_id": {"$oid": "5f0000000000000000000001"}, "a": 1}'
    assert only.record(DELETE, OFFSET) is None
    tombstones = builder(
        **{
            "publish.full.document.only": "true",
            "publish.full.document.only.tombstone.on.delete": "true",
        }
    )
    record = tombstones.record(DELETE, OFFSET)
    assert record is not None and record.value is None and record.value_schema is None
    assert record.key == '{"_id": {"$oid": "5f0000000000000000000001"}}'


def test_events_without_a_database_are_skipped() -> None:
    assert builder().record({"_id": {"_data": "1"}, "operationType": "invalidate"}, OFFSET) is None


STRICT_VALUE = '{"type": "record", "name": "v", "fields": [{"name": "missing", "type": "string"}]}'


def test_conversion_failure_fails_without_tolerance() -> None:
    failing = builder(**{"output.format.value": "schema", "output.schema.value": STRICT_VALUE})
    with pytest.raises(DataError, match="Missing field 'missing'"):
        failing.record(INSERT, OFFSET)


def test_conversion_failure_is_skipped_or_sent_to_the_connectors_dlq() -> None:
    props = {"output.format.value": "schema", "output.schema.value": STRICT_VALUE}
    skipped = builder(**props, **{"errors.tolerance": "all"})
    assert skipped.record(INSERT, OFFSET) is None
    to_dlq = builder(
        **props, **{"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq"}
    )
    record = to_dlq.record(INSERT, OFFSET)
    assert record is not None
    assert (record.topic, record.source_offset) == ("dlq", OFFSET)
    assert record.key == '{"_id": {"$oid": "5f0000000000000000000001"}}'
    assert record.value.startswith('{"_id": {"_data": "82"}')  # relaxed JSON, as toJson()


def test_heartbeats_once_per_interval_and_token() -> None:
    beats = Heartbeats(0.0, "hb", PARTITION)
    assert beats.heartbeat({"_data": "1"}) is None  # disabled
    beats = Heartbeats(0.001, "__mongodb_heartbeats", PARTITION)
    beat = beats.heartbeat({"_data": "1"})
    assert beat is not None
    assert (beat.topic, beat.key, beat.value) == ("__mongodb_heartbeats", '{"_data": "1"}', None)
    assert beat.source_offset == {"_id": '{"_data": "1"}', "HEARTBEAT": "true"}
    assert beats.heartbeat(None) is None
    beats._last_sent = float("-inf")
    assert beats.heartbeat({"_data": "1"}) is None  # same token: nothing new to store


class _FakeTarget:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def watch(self, **options: Any) -> Any:
        self.calls.append(options)
        return _FakeStream()

    def get_database(self, name: str, codec_options: Any = None) -> _FakeTarget:
        return self

    def get_collection(self, name: str) -> _FakeTarget:
        return self


class _FakeStream:
    alive = True
    resume_token = None

    def close(self) -> None:
        return None


def test_change_stream_options() -> None:
    settings = SourceSettings.parse(
        {
            "connection.uri": "mongodb://h/",
            "database": "db",
            "collection": "c",
            "pipeline": "[{$match: {operationType: 'insert'}}]",
            "change.stream.full.document": "updateLookup",
            "change.stream.full.document.before.change": "whenAvailable",
            "collation": "{locale: 'fr'}",
            "batch.size": "50",
            "poll.await.time.ms": "200",
        }
    )
    target = _FakeTarget()
    stream = ChangeStream(target, settings)  # type: ignore[arg-type]
    stream.open({"_data": "82"}, Timestamp(5, 0))
    stream.open(None, Timestamp(5, 0))
    resumed, started = target.calls
    assert resumed["start_after"] == {"_data": "82"} and "start_at_operation_time" not in resumed
    assert started["start_at_operation_time"] == Timestamp(5, 0)
    assert resumed["pipeline"] == [{"$match": {"operationType": "insert"}}]
    assert resumed["full_document"] == "updateLookup"
    assert resumed["full_document_before_change"] == "whenAvailable"
    assert resumed["collation"] == {"locale": "fr"}
    assert (resumed["batch_size"], resumed["max_await_time_ms"]) == (50, 200)


def test_resume_token_errors() -> None:
    from pymongo.errors import OperationFailure

    assert resume_token_lost(OperationFailure("x", 286))
    assert resume_token_lost(OperationFailure("resume token was not found", 1))
    assert not resume_token_lost(OperationFailure("something else", 2))


def test_copy_events_look_like_inserts() -> None:
    event = copy_event("db", "c", {"_id": 5, "a": 1})
    assert list(event) == ["_id", "operationType", "documentKey", "fullDocument", "ns"]
    assert event["_id"] == {"_id": 5, "copyingData": True}
    settings = SourceSettings.parse(
        {
            "connection.uri": "mongodb://h/",
            "pipeline": '[{"$match": {"fullDocument.a": 1}}]',
            "startup.mode.copy.existing.pipeline": '[{"$match": {"a": 1}}]',
        }
    )
    stages = _server_pipeline(settings, "db", "c")
    assert stages[0] == {"$match": {"a": 1}}
    assert "$replaceRoot" in stages[1]
    assert stages[2] == {"$match": {"fullDocument.a": 1}}
    assert stages[3:] == [{"$addFields": {"__": "$ns"}}, {"$project": {"ns": 0}}]
    server_event = {"_id": 1, "operationType": "insert", "__": {"db": "db"}, "x": 2}
    assert list(_restore_namespace(server_event)) == ["_id", "operationType", "ns", "x"]
