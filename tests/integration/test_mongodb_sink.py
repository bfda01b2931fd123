"""The MongoDB sink through a real worker and broker, writing to the nx-27017 test server.

Fidelity gaps of the test server that shape these tests (the connector does what MongoDB needs;
only the tests step around them): equality on an embedded document (``{_id: {a: 1}}``) is
refused, so key-document ids are exercised with business-key filters on dotted fields; a
``$set`` of a date on an existing document stores it as a string; its own change streams
stringify ``documentKey`` ids and report replaces as updates, so change events are produced here
in the shape MongoDB (and the MongoDB source connector) gives them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import signal
import uuid
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId

from sluice.testing import EmbeddedWorker, wait_for
from tests.fixtures.kafka import TopicFactory, consume_all, create_topic, produce_values
from tests.fixtures.mongodb import MongoServer, start_mongodb, stop_mongodb
from tests.fixtures.worker_process import group_committed

PACKAGE = "com.mongodb.kafka.connect.sink"
IDS = f"{PACKAGE}.processor.id.strategy"
MODELS = f"{PACKAGE}.writemodel.strategy"
SINK = "com.mongodb.kafka.connect.MongoSinkConnector"
WORKER = {"offset.flush.interval.ms": "300"}
JSON_WITH_SCHEMAS = {
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter.schemas.enable": "true",
}


def _docs(server: MongoServer, database: str, collection: str) -> list[dict[str, Any]]:
    with server.client() as client:
        return list(client[database][collection].find({}, sort=[("_id", 1)]))


def _count(server: MongoServer, database: str, collection: str) -> int:
    with server.client() as client:
        return int(client[database][collection].count_documents({}))


def _wait_count(server: MongoServer, database: str, collection: str, n: int) -> None:
    wait_for(
        lambda: _count(server, database, collection) == n,
        30,
        message=lambda: f"{database}.{collection}: {_docs(server, database, collection)}",
    )


def _struct(i: int) -> bytes:
    schema = {
        "type": "struct",
        "name": "order",
        "optional": False,
        "fields": [
            {"field": "id", "type": "int32", "optional": False},
            {"field": "qty", "type": "int64", "optional": False},
            {"field": "item", "type": "string", "optional": True},
            {
                "field": "at",
                "type": "int64",
                "optional": False,
                "name": "org.apache.kafka.connect.data.Timestamp",
                "version": 1,
            },
        ],
    }
    payload = {"id": i, "qty": i * 10, "item": f"i{i}", "at": 1_700_000_000_000 + i}
    return json.dumps({"schema": schema, "payload": payload}).encode()


def _sink(
    name: str, server: MongoServer, database: str, **config: str
) -> tuple[str, dict[str, str]]:
    return name, {
        "connector.class": SINK,
        "connection.uri": server.uri,
        "database": database,
        **config,
    }


def test_records_land_as_documents_with_several_strategies(
    kafka_bootstrap: str,
    kafka_topic: TopicFactory,
    mongodb_server: MongoServer,
    mongodb_database: str,
    tmp_path: Path,
) -> None:
    db = mongodb_database
    # The test server refuses "-" in collection names (MongoDB does not): this topic, whose
    # name is the collection's, has none.
    structs = create_topic(kafka_bootstrap, f"structs_{uuid.uuid4().hex[:8]}")
    people, visits = kafka_topic("people"), kafka_topic("visits")
    produce_values(kafka_bootstrap, structs, [_struct(i) for i in range(3)])
    # Keys as the source of the ids; the last record deletes person 1 (delete.on.null.values).
    produce_values(
        kafka_bootstrap,
        people,
        [
            json.dumps({"name": "Ann", "age": 30}),
            json.dumps({"name": "Bob", "age": 40}),
            json.dumps({"name": "Ann", "age": 31}),
            None,
        ],
        keys=[json.dumps({"_id": k}) for k in (1, 2, 1, 2)],
    )
    # Business keys from value fields; a projection and a rename on the way.
    produce_values(
        kafka_bootstrap,
        visits,
        [
            json.dumps({"user": "u1", "page": "/a", "secret": "x", "n": 1}),
            json.dumps({"user": "u2", "page": "/a", "secret": "y", "n": 1}),
            json.dumps({"user": "u1", "page": "/a", "secret": "z", "n": 2}),
        ],
    )
    connectors = [
        _sink("m-structs", mongodb_server, db, topics=structs, **JSON_WITH_SCHEMAS),
        _sink(
            "m-people",
            mongodb_server,
            db,
            topics=people,
            **{
                f"topic.override.{people}.collection": "persons",
                "document.id.strategy": f"{IDS}.ProvidedInKeyStrategy",
                "delete.on.null.values": "true",
                "writemodel.strategy": f"{MODELS}.UpdateOneTimestampsStrategy",
            },
        ),
        _sink(
            "m-visits",
            mongodb_server,
            db,
            topics=visits,
            collection="visits",
            **{
                "document.id.strategy": f"{IDS}.PartialValueStrategy",
                "document.id.strategy.partial.value.projection.type": "AllowList",
                "document.id.strategy.partial.value.projection.list": "user,page",
                "writemodel.strategy": f"{MODELS}.ReplaceOneBusinessKeyStrategy",
                "post.processor.chain": f"{PACKAGE}.processor.DocumentIdAdder,"
                f"{PACKAGE}.processor.BlockListValueProjector,"
                f"{PACKAGE}.processor.field.renaming.RenameByMapping",
                "value.projection.list": "secret",
                "field.renamer.mapping": '[{"oldName": "value.n", "newName": "visits"}]',
            },
        ),
    ]
    with EmbeddedWorker(kafka_bootstrap, tmp_path, WORKER, connectors=connectors):
        _wait_count(mongodb_server, db, structs, 3)
        wait_for(lambda: [d["_id"] for d in _docs(mongodb_server, db, "persons")] == [1], 30)
        _wait_count(mongodb_server, db, "visits", 2)
        wait_for(lambda: group_committed(kafka_bootstrap, "connect-m-people", people) == 4, 30)

    orders = _docs(mongodb_server, db, structs)  # collection: the topic's name
    assert all(isinstance(d["_id"], ObjectId) for d in orders)
    first = min(orders, key=lambda d: d["id"])
    assert {k: v for k, v in first.items() if k != "_id"} == {
        "id": 0,
        "qty": 0,
        "item": "i0",
        "at": dt.datetime(2023, 11, 14, 22, 13, 20),
    }
    # (INT64 fields are written as int64, see the unit tests; the test server stores small
    # int64 values as int32, so the type cannot be checked here.)
    (ann,) = _docs(mongodb_server, db, "persons")
    assert ann["name"] == "Ann" and ann["age"] == 31
    assert "_insertedTS" in ann and "_modifiedTS" in ann
    visits_docs = sorted(_docs(mongodb_server, db, "visits"), key=lambda d: d["user"])
    assert [{k: v for k, v in d.items() if k != "_id"} for d in visits_docs] == [
        {"user": "u1", "page": "/a", "visits": 2},
        {"user": "u2", "page": "/a", "visits": 1},
    ]


def test_bad_records_go_to_the_dlq_with_tolerance_and_fail_the_task_without(
    kafka_bootstrap: str,
    kafka_topic: TopicFactory,
    mongodb_server: MongoServer,
    mongodb_database: str,
    tmp_path: Path,
) -> None:
    db = mongodb_database
    topic, dlq = kafka_topic("mixed"), kafka_topic("dlq")
    values = [
        json.dumps({"_id": 1, "a": 1}),
        "this is not JSON",
        json.dumps({"a": "no id"}),
        json.dumps({"_id": 2, "a": 2}),
    ]
    produce_values(kafka_bootstrap, topic, values)
    provided = {"document.id.strategy": f"{IDS}.ProvidedInValueStrategy"}
    tolerant = _sink(
        "m-tolerant",
        mongodb_server,
        db,
        topics=topic,
        collection="tolerant",
        **provided,
        **{
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": dlq,
            "errors.deadletterqueue.topic.replication.factor": "1",
            "errors.deadletterqueue.context.headers.enable": "true",
        },
    )
    strict = _sink("m-strict", mongodb_server, db, topics=topic, collection="strict", **provided)
    with EmbeddedWorker(kafka_bootstrap, tmp_path, WORKER, connectors=[tolerant, strict]) as w:
        _wait_count(mongodb_server, db, "tolerant", 2)
        bad = consume_all(kafka_bootstrap, dlq, 2)
        wait_for(lambda: group_committed(kafka_bootstrap, "connect-m-tolerant", topic) == 4, 30)
        status = wait_for(
            lambda: (
                (s := w.herder.connector_status("m-strict")).tasks.get(0)
                and s.tasks[0].state.value == "FAILED"
                and s
            ),
            30,
        )
        assert w.herder.connector_status("m-tolerant").tasks[0].state.value == "RUNNING"
        assert group_committed(kafka_bootstrap, "connect-m-strict", topic) == 0
    assert [d["_id"] for d in _docs(mongodb_server, db, "tolerant")] == [1, 2]
    assert _count(mongodb_server, db, "strict") == 0  # the failed put wrote nothing
    assert [m.value() for m in bad] == [values[1].encode(), values[2].encode()]
    headers = dict(bad[0].headers())
    assert headers["__connect.errors.offset"] == b"1"
    assert b"Could not convert value" in headers["__connect.errors.exception.message"]
    assert b"no _id field" in dict(bad[1].headers())["__connect.errors.exception.message"]
    trace = status.tasks[0].trace or ""
    assert f"Record (topic='{topic}',partition=0,offset=1) cannot be written to MongoDB" in trace


def _event(offset: int, operation: str, oid: ObjectId, **fields: Any) -> tuple[str, str]:
    """A change event as the MongoDB source connector writes it (JSON value, resume-token key)."""
    token = {"_data": f"8263{offset:08x}"}
    event = {
        "_id": token,
        "operationType": operation,
        "clusterTime": {"$timestamp": {"t": 1_700_000_000, "i": offset}},
        "ns": {"db": "jee", "coll": "patients"},
        "documentKey": {"_id": {"$oid": str(oid)}},
        **fields,
    }
    return json.dumps({"_id": token}), json.dumps(event)


def test_change_events_replicate_a_collection(
    kafka_bootstrap: str,
    kafka_topic: TopicFactory,
    mongodb_server: MongoServer,
    mongodb_database: str,
    tmp_path: Path,
) -> None:
    db = mongodb_database
    topic = kafka_topic("jee.patients")
    ann, bob, gone = ObjectId(), ObjectId(), ObjectId()
    events = [
        _event(
            0, "insert", ann, fullDocument={"_id": {"$oid": str(ann)}, "name": "Ann", "age": 30}
        ),
        _event(1, "insert", bob, fullDocument={"_id": {"$oid": str(bob)}, "name": "Bob"}),
        _event(
            2,
            "update",
            ann,
            updateDescription={
                "updatedFields": {"age": 31, "address.city": "Lyon"},
                "removedFields": ["name"],
                "truncatedArrays": [],
            },
        ),
        _event(3, "replace", bob, fullDocument={"_id": {"$oid": str(bob)}, "name": "Robert"}),
        _event(4, "insert", gone, fullDocument={"_id": {"$oid": str(gone)}, "x": 1}),
        _event(5, "delete", gone),
        _event(6, "drop", ann),  # not a document change: skipped
    ]
    produce_values(kafka_bootstrap, topic, [v for _, v in events], keys=[k for k, _ in events])
    connector = _sink(
        "m-cdc",
        mongodb_server,
        db,
        topics=topic,
        collection="patients",
        **{"change.data.capture.handler": f"{PACKAGE}.cdc.mongodb.ChangeStreamHandler"},
    )
    with EmbeddedWorker(kafka_bootstrap, tmp_path, WORKER, connectors=[connector]):
        wait_for(lambda: group_committed(kafka_bootstrap, "connect-m-cdc", topic) == 7, 30)
    assert _docs(mongodb_server, db, "patients") == sorted(
        [{"_id": ann, "age": 31, "address": {"city": "Lyon"}}, {"_id": bob, "name": "Robert"}],
        key=lambda d: d["_id"],
    )


def test_unreachable_server_and_bad_uri_are_refused_naming_connection_uri(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    with EmbeddedWorker(kafka_bootstrap, tmp_path) as w:
        for uri, expected in (
            ("mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300", "Unable to connect"),
            ("mongo://nowhere", "Invalid value"),
        ):
            with pytest.raises(Exception) as caught:
                w.create(
                    f"m-{uuid.uuid4().hex[:6]}",
                    {
                        "connector.class": SINK,
                        "connection.uri": uri,
                        "topics": "t",
                        "database": "d",
                    },
                )
            assert "connection.uri" in str(caught.value) and expected in str(caught.value)


def test_offsets_stay_behind_the_data_while_the_server_is_away(
    kafka_bootstrap: str,
    kafka_topic: TopicFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = start_mongodb()
    port, root = server.port, server.root
    topic = kafka_topic("outage")
    group = "connect-m-outage"
    connector = (
        "m-outage",
        {
            "connector.class": SINK,
            "connection.uri": f"mongodb://127.0.0.1:{port}/?serverSelectionTimeoutMS=500",
            "topics": topic,
            "database": "outage",
            "collection": "docs",
            "document.id.strategy": f"{IDS}.ProvidedInValueStrategy",
            "max.num.retries": "100",
            "retries.defer.timeout": "200",
        },
    )
    try:
        with EmbeddedWorker(kafka_bootstrap, tmp_path, WORKER, connectors=[connector]) as w:
            produce_values(kafka_bootstrap, topic, [json.dumps({"_id": i}) for i in range(5)])
            wait_for(lambda: group_committed(kafka_bootstrap, group, topic) == 5, 30)
            server.process.send_signal(signal.SIGTERM)  # the server goes away, its data stays
            server.process.wait(30)
            produce_values(kafka_bootstrap, topic, [json.dumps({"_id": i}) for i in range(5, 10)])
            with caplog.at_level(logging.WARNING, logger="sluice.connectors.mongodb.sink_task"):
                wait_for(lambda: "retrying in" in caplog.text, 30, message="no retry logged")
            assert group_committed(kafka_bootstrap, group, topic) == 5, "ahead of the data"
            server = start_mongodb(port=port, root=root)  # back, same data
            wait_for(lambda: group_committed(kafka_bootstrap, group, topic) == 10, 60)
            assert w.herder.connector_status("m-outage").tasks[0].state.value == "RUNNING"
        assert [d["_id"] for d in _docs(server, "outage", "docs")] == list(range(10))
    finally:
        stop_mongodb(server)
