"""The MongoDB source connector against the wire-protocol test server and the real broker.

Seed 001's configuration (database ``jee``, ``copy.existing: true``) delivers the existing
patients and then every insert, update and delete to ``jee.patients``; topic naming, output
formats and full-document-only publishing; bad settings and an unreachable server; and kill -9 of
a worker during the copy and during streaming loses no document.

The test server is ``nx-27017``: where it differs from MongoDB (see the README's list), the
tests normalise what they read rather than the connector bending to the server. Above all,
ObjectIds inside change events' ``fullDocument`` come back as
``{"__neosqlite_objectid__": true, "id": ...}`` and ``clusterTime`` is a date.
"""

from __future__ import annotations

import collections
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bson
import pytest
import yaml
from bson import ObjectId, json_util
from confluent_kafka import Consumer, TopicPartition

from sluice.runtime.herder import BadRequestError
from sluice.runtime.status import ConnectorTaskId, State
from sluice.testing import EmbeddedWorker, wait_for
from tests.fixtures.mongodb import MongoServer, start_mongodb, stop_mongodb
from tests.fixtures.ports import free_port
from tests.fixtures.worker_process import (
    high_watermark,
    kill9,
    start_worker,
    stop_worker,
    stored_offset,
    worker_log,
    write_props,
)

SOURCE = "com.mongodb.kafka.connect.MongoSourceConnector"

SEED_001 = """apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnector
metadata:
  name: mongodb-source-connector
  labels:
    strimzi.io/cluster: my-connect-cluster
spec:
  class: com.mongodb.kafka.connect.MongoSourceConnector
  tasksMax: 1
  config:
    connection.uri: mongodb://<user:password>@mongo-cluster-rs0:27017
    database: jee
    copy.existing: true
"""
"""The seed's KafkaConnector as the post describes it (the screenshot's values, credentials
hidden there too); the test swaps in the test server's address."""


# -- helpers ------------------------------------------------------------------------------------
def end_offset(bootstrap: str, topic: str) -> int:
    return high_watermark(bootstrap, topic)


def read_from(
    bootstrap: str, topic: str, start: int, count: int, timeout: float = 30.0
) -> list[Any]:
    """``count`` records of partition 0 from offset ``start`` (the topic may hold older ones)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"mongo-test-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
        }
    )
    try:
        wait_for(lambda: topic in consumer.list_topics(timeout=5).topics, timeout)
        consumer.assign([TopicPartition(topic, 0, start)])
        got: list[Any] = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(got)} of {count} records from {topic}: "
                    f"{[m.value()[:200] for m in got[-3:]]}"
                )
            for m in consumer.consume(count - len(got), timeout=0.5):
                assert m.error() is None, m.error()
                got.append(m)
        return got
    finally:
        consumer.close()


def normalised(document: Any) -> Any:
    """nx-27017's ObjectIds inside change events back to ObjectIds (a server gap)."""
    if isinstance(document, dict):
        if set(document) == {"__neosqlite_objectid__", "id"}:
            return ObjectId(document["id"])
        return {k: normalised(v) for k, v in document.items()}
    if isinstance(document, list):
        return [normalised(v) for v in document]
    return document


def event(message: Any) -> dict[str, Any]:
    value = json_util.loads(message.value())
    assert isinstance(value, dict)
    return dict(normalised(value))


def worker_for(tmp: Path, bootstrap: str, **props: str) -> EmbeddedWorker:
    return EmbeddedWorker(bootstrap, tmp, {"offset.flush.interval.ms": "300", **props})


def task_trace(worker: EmbeddedWorker, name: str) -> tuple[State, str]:
    status = worker.herder.connector_status(name)
    task = next(iter(status.tasks.values()))
    return task.state, task.trace or ""


@pytest.fixture
def client(mongodb_server: MongoServer) -> Iterator[Any]:
    c = mongodb_server.client()
    try:
        yield c
    finally:
        c.close()


# -- seed 001 -----------------------------------------------------------------------------------
def test_seed_001_copies_the_patients_then_follows_their_changes(
    kafka_bootstrap: str, mongodb_server: MongoServer, client: Any, tmp_path: Path
) -> None:
    spec = yaml.safe_load(SEED_001)["spec"]
    config = {
        k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in spec["config"].items()
    }
    config.update(
        {
            "connector.class": spec["class"],
            "tasks.max": str(spec["tasksMax"]),
            "connection.uri": mongodb_server.uri,
        }
    )
    client.drop_database("jee")
    patients = client.jee.patients
    existing = [{"_id": ObjectId(), "name": f"patient-{i}", "ward": i % 3} for i in range(5)]
    patients.insert_many(existing)
    topic = "jee.patients"
    start = end_offset(kafka_bootstrap, topic)
    with worker_for(tmp_path, kafka_bootstrap) as worker:
        worker.create("mongodb-source-connector", config)
        worker.wait_running("mongodb-source-connector")
        copied = read_from(kafka_bootstrap, topic, start, len(existing))
        new_id = patients.insert_one({"name": "patient-new", "ward": 9}).inserted_id
        patients.update_one({"_id": new_id}, {"$set": {"ward": 1}})
        patients.delete_one({"_id": existing[0]["_id"]})
        changes = read_from(kafka_bootstrap, topic, start + len(existing), 3)

    copies = [event(m) for m in copied]
    assert [e["fullDocument"] for e in copies] == existing
    for e, m, doc in zip(copies, copied, existing, strict=True):
        assert e["_id"] == {"_id": doc["_id"], "copyingData": True}
        assert e["operationType"] == "insert"
        assert e["ns"] == {"db": "jee", "coll": "patients"}
        assert list(e) == ["_id", "operationType", "documentKey", "fullDocument", "ns"]
        assert m.key() == b'{"_id": {"$oid": "' + str(doc["_id"]).encode() + b'"}}'
    streamed = [event(m) for m in changes]
    assert [e["operationType"] for e in streamed] == ["insert", "update", "delete"]
    assert [e["documentKey"]["_id"] for e in streamed] == [new_id, new_id, existing[0]["_id"]]
    assert streamed[0]["fullDocument"] == {"_id": new_id, "name": "patient-new", "ward": 9}
    assert all(set(e["_id"]) == {"_data"} for e in streamed)  # resume tokens
    assert changes[2].key() == b'{"_id": {"$oid": "' + str(existing[0]["_id"]).encode() + b'"}}'
    assert changes[0].value().startswith(b'{"_id": {"_data": ')  # DefaultJson text as it is


# -- topics and output formats ------------------------------------------------------------------
def test_topic_naming_and_output_formats(
    kafka_bootstrap: str,
    mongodb_server: MongoServer,
    mongodb_database: str,
    client: Any,
    tmp_path: Path,
) -> None:
    db = client[mongodb_database]
    other = client[mongodb_database + "x"]
    db.a.insert_one({"_id": 1, "name": "copied"})
    db.b.insert_one({"_id": 1, "name": "not copied"})
    db.e.insert_one({"_id": 0})  # nx-27017 follows collections that exist (see nx_server.py)
    other.f.insert_one({"_id": 0})
    prefix = f"t{uuid.uuid4().hex[:6]}"
    base = {
        "connector.class": SOURCE,
        "connection.uri": mongodb_server.uri,
        "database": mongodb_database,
    }
    mapped = {
        **base,
        "startup.mode": "copy_existing",
        "startup.mode.copy.existing.namespace.regex": r"\.a$",
        "topic.prefix": prefix,
        "topic.suffix": "out",
        "topic.separator": "-",
        "topic.namespace.map": json.dumps({f"{mongodb_database}.a": "mapped"}),
    }
    schema_value = {
        **base,
        "collection": "c",
        "publish.full.document.only": "true",
        "output.format.key": "schema",
        "output.format.value": "schema",
        "output.schema.infer.value": "true",
        "output.json.formatter": "com.mongodb.kafka.connect.source.json.formatter.SimplifiedJson",
        "topic.prefix": prefix + "s",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    }
    bson_value = {
        **base,
        "collection": "c",
        "pipeline": '[{"$match": {"fullDocument.skip": {"$ne": true}}}]',
        "output.format.value": "bson",
        "topic.prefix": prefix + "b",
        "value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
    }
    deployment = {
        "connector.class": SOURCE,
        "connection.uri": mongodb_server.uri,
        "topic.prefix": prefix + "d",
    }
    connectors = {
        "mapped": mapped,
        "schema": schema_value,
        "bson": bson_value,
        "deployment": deployment,
    }
    with worker_for(tmp_path, kafka_bootstrap) as worker:
        for name, config in connectors.items():
            worker.create(name, config)
            worker.wait_running(name)
        (copy,) = read_from(kafka_bootstrap, f"{prefix}-mapped-out", 0, 1)
        db.b.insert_one({"_id": 2, "name": "streamed"})
        (streamed,) = read_from(kafka_bootstrap, f"{prefix}-{mongodb_database}-b-out", 0, 1)
        db.c.insert_one({"_id": 6, "name": "six", "skip": True})  # the pipeline drops it
        db.c.insert_one({"_id": 7, "name": "seven", "tags": ["x"], "n": 1.5})
        db.c.delete_one({"_id": 7})
        schema_records = read_from(kafka_bootstrap, f"{prefix}s.{mongodb_database}.c", 0, 3)
        (raw,) = read_from(kafka_bootstrap, f"{prefix}b.{mongodb_database}.c", 0, 1)
        db.e.insert_one({"_id": 1, "in": "e"})
        other.f.insert_one({"_id": 1, "in": "f"})
        (in_e,) = read_from(kafka_bootstrap, f"{prefix}d.{mongodb_database}.e", 0, 1)
        (in_f,) = read_from(kafka_bootstrap, f"{prefix}d.{mongodb_database}x.f", 0, 1)
    client.drop_database(mongodb_database + "x")

    assert event(copy)["fullDocument"] == {"_id": 1, "name": "copied"}
    assert event(streamed)["fullDocument"] == {"_id": 2, "name": "streamed"}

    assert event(in_e)["fullDocument"] == {"_id": 1, "in": "e"}
    assert event(in_f)["fullDocument"] == {"_id": 1, "in": "f"}

    schema_records = schema_records[1:]  # [0] is document 6, which the bson connector filters
    envelope = json.loads(schema_records[0].value())
    assert envelope["schema"]["name"] == "default"
    assert [f["field"] for f in envelope["schema"]["fields"]] == ["_id", "n", "name", "tags"]
    assert envelope["payload"] == {"_id": 7, "n": 1.5, "name": "seven", "tags": ["x"]}
    key = json.loads(schema_records[0].key())
    assert key["schema"]["name"] == "keySchema"
    assert json.loads(key["payload"]["_id"]) == {
        "_data": json.loads(key["payload"]["_id"])["_data"]
    }
    # nx-27017 sends delete events with the deleted document (MongoDB sends none, and the
    # connector then publishes nothing): the second record is that delete's document.
    assert json.loads(schema_records[1].value())["payload"]["name"] == "seven"

    decoded = bson.decode(raw.value())
    assert decoded["operationType"] == "insert"
    assert decoded["fullDocument"] == {"_id": 7, "name": "seven", "tags": ["x"], "n": 1.5}
    assert decoded["documentKey"] == {"_id": "7"}  # nx-27017: non-ObjectId keys come as text


# -- bad input ----------------------------------------------------------------------------------
def test_bad_settings_are_refused_naming_the_setting(
    kafka_bootstrap: str, mongodb_server: MongoServer, tmp_path: Path
) -> None:
    closed_port = f"mongodb://127.0.0.1:{free_port()}/?connectTimeoutMS=300"
    with worker_for(tmp_path, kafka_bootstrap) as worker:
        for config, key, text in (
            ({"pipeline": "[{$match: "}, "pipeline", "Not a valid JSON array"),
            ({"collection": "c"}, "collection", "Missing database configuration"),
            ({"connection.uri": "mongo://x"}, "connection.uri", "must start with"),
            ({"connection.uri": closed_port}, "connection.uri", "Unable to connect to the server."),
        ):
            full = {"connector.class": SOURCE, "connection.uri": mongodb_server.uri, **config}
            with pytest.raises(BadRequestError) as e:
                worker.create("bad", full)
            assert key in str(e.value) and text in str(e.value), e.value


def test_missing_database_warns_and_lost_server_fails_the_task(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    server = start_mongodb()
    try:
        uri = server.uri + "?serverSelectionTimeoutMS=1000"
        with worker_for(tmp_path, kafka_bootstrap) as worker:
            worker.create(
                "missing", {"connector.class": SOURCE, "connection.uri": uri, "database": "nope"}
            )
            worker.wait_running("missing")
            wait_for(
                lambda: (
                    "database" in task_trace(worker, "missing")[1]
                    and "does not exist" in task_trace(worker, "missing")[1]
                ),
                15,
                message=lambda: str(task_trace(worker, "missing")),
            )
            stop_mongodb(server)
            worker.herder.restart_task(ConnectorTaskId("missing", 0))
            wait_for(
                lambda: task_trace(worker, "missing")[0] is State.FAILED,
                30,
                message=lambda: str(task_trace(worker, "missing")),
            )
            _state, trace = task_trace(worker, "missing")
            assert "Cannot reach MongoDB" in trace and "connection.uri" in trace
    finally:
        stop_mongodb(server)


STRICT_VALUE_SCHEMA = json.dumps(
    {"type": "record", "name": "v", "fields": [{"name": "missing", "type": "string"}]}
)


def test_unconvertible_events_fail_the_task_or_go_to_the_dead_letter_queue(
    kafka_bootstrap: str,
    mongodb_server: MongoServer,
    mongodb_database: str,
    client: Any,
    tmp_path: Path,
) -> None:
    client[mongodb_database].c.insert_one({"_id": 0})
    dlq = f"mongo-dlq-{uuid.uuid4().hex[:6]}"
    base = {
        "connector.class": SOURCE,
        "connection.uri": mongodb_server.uri,
        "database": mongodb_database,
        "collection": "c",
        "output.format.value": "schema",
        "output.schema.value": STRICT_VALUE_SCHEMA,
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    }
    tolerant = {
        **base,
        "errors.tolerance": "all",
        "errors.deadletterqueue.topic.name": dlq,
        "errors.deadletterqueue.topic.replication.factor": "1",  # one test broker
    }
    with worker_for(tmp_path, kafka_bootstrap) as worker:
        worker.create("strict", base)
        worker.create("tolerant", tolerant)
        worker.wait_running("strict")
        worker.wait_running("tolerant")
        client[mongodb_database].c.insert_one({"_id": 1, "name": "no 'missing' field"})
        (dead,) = read_from(kafka_bootstrap, dlq, 0, 1)
        wait_for(
            lambda: task_trace(worker, "strict")[0] is State.FAILED,
            30,
            message=lambda: str(task_trace(worker, "strict")),
        )
        trace = task_trace(worker, "strict")[1]
        assert "Missing field 'missing'" in trace
        assert end_offset(kafka_bootstrap, f"{mongodb_database}.c") == 0
    assert dead.key() == b'{"_id": "1"}'  # relaxed JSON strings (nx-27017: the id as text)
    assert json.loads(dead.value())["payload"].startswith('{"_id": {"_data": "nx:')


# -- kill -9 --------------------------------------------------------------------------------------
def _warm_up_idempotent_producer(bootstrap: str) -> None:
    """A fresh broker loads its transaction coordinator when the first idempotent producer asks
    for a producer id, which holds that producer's records back for a while; taking that hit here
    keeps the worker's copy from finishing (in memory) before any of its offsets is stored."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    producer.produce(f"warm-up-{uuid.uuid4().hex[:6]}", b"x")
    assert producer.flush(60) == 0


def test_kill9_during_copy_and_during_streaming_loses_nothing(
    kafka_bootstrap: str, mongodb_server: MongoServer, client: Any, tmp_path: Path
) -> None:
    database = f"k{uuid.uuid4().hex[:8]}"
    coll = client[database].docs
    total = 20_000
    coll.insert_many([{"_id": i, "note": "x" * 200} for i in range(total)])
    topic = f"{database}.docs"
    name = "kill9-source"
    partition = {"ns": f"mongodb://127.0.0.1:{mongodb_server.port}/{database}.docs"}
    worker = write_props(
        tmp_path / "worker.properties",
        {
            "bootstrap.servers": kafka_bootstrap,
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "offset.storage.file.filename": str(tmp_path / "connect.offsets"),
            "offset.flush.interval.ms": "100",
            "listeners": "http://127.0.0.1:0",
        },
    )
    conn = tmp_path / "source.json"
    conn.write_text(
        json.dumps(
            {
                "name": name,
                "config": {
                    "connector.class": SOURCE,
                    "connection.uri": mongodb_server.uri,
                    "database": database,
                    "collection": "docs",
                    "startup.mode": "copy_existing",
                    "poll.max.batch.size": "50",  # small polls: the kill lands mid-copy
                },
            }
        )
    )
    # 1. kill -9 during the copy: the offset says "copy", so the restart copies again.
    _warm_up_idempotent_producer(kafka_bootstrap)
    proc = start_worker(tmp_path, worker, conn)
    try:
        wait_for(
            lambda: (stored_offset(tmp_path, name, partition) or {}).get("copy") == "true",
            60,
            message=lambda: worker_log(tmp_path),
        )
    finally:
        kill9(proc)
    sent_before = end_offset(kafka_bootstrap, topic)
    assert sent_before < total, "the kill must land during the copy"
    assert (stored_offset(tmp_path, name, partition) or {}).get("copy") == "true"

    # 2. restart: the copy starts again and completes; then changes stream; kill -9 mid-stream.
    proc = start_worker(tmp_path, worker, conn)
    writes: list[int] = []
    try:
        wait_for(
            lambda: "copy" not in (stored_offset(tmp_path, name, partition) or {"copy": 1}),
            90,
            message=lambda: worker_log(tmp_path),
        )
        assert "copying again from the start" in worker_log(tmp_path)
        stop_writing = threading.Event()

        def writer() -> None:
            i = total
            while not stop_writing.is_set():
                coll.insert_one({"_id": i, "note": "streamed"})
                writes.append(i)
                i += 1

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            mark = end_offset(kafka_bootstrap, topic)
            wait_for(lambda: end_offset(kafka_bootstrap, topic) > mark + 200, 30)
            wait_for(
                lambda: "_data" in (stored_offset(tmp_path, name, partition) or {}).get("_id", ""),
                30,
            )
        finally:
            kill9(proc)
            at_kill = len(writes)
            try:
                wait_for(lambda: len(writes) > at_kill + 200, 30)  # changes while it is dead
            finally:
                stop_writing.set()
                thread.join(30)
    finally:
        if proc.poll() is None:
            kill9(proc)

    # 3. restart once more: everything written while the worker was dead arrives too.
    coll.update_one({"_id": 0}, {"$set": {"note": "updated"}})
    coll.delete_one({"_id": 1})
    proc = start_worker(tmp_path, worker, conn)
    try:
        expected = sent_before + total + len(writes) + 2

        def arrived() -> bool:
            return end_offset(kafka_bootstrap, topic) >= expected

        wait_for(arrived, 90, message=lambda: worker_log(tmp_path))
    finally:
        stop_worker(proc)
    delivered = end_offset(kafka_bootstrap, topic)
    messages = read_from(kafka_bootstrap, topic, 0, delivered, timeout=60)
    kinds: collections.Counter[tuple[str, int]] = collections.Counter()
    for m in messages:
        e = json_util.loads(m.value())
        # nx-27017 gives integer _ids in documentKey as text; fullDocument keeps them.
        kinds[(e["operationType"], int(e["documentKey"]["_id"]))] += 1
    inserted = {i for (op, i) in kinds if op == "insert"}
    assert inserted >= set(range(total + len(writes))), "every document arrives"
    assert kinds[("update", 0)] >= 1 and kinds[("delete", 1)] >= 1
