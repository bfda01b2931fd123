"""The MongoDB sink task against the test server: writes, retries, offsets, errant records."""

from __future__ import annotations

import concurrent.futures
import json
from collections.abc import Iterator
from typing import Any

import pytest
from pymongo.errors import AutoReconnect

import sluice.testing.harness as harness_module
from sluice.api import ConnectError, DataError, ErrantRecordReporter, RetriableError, SinkRecord
from sluice.api import TopicPartition as TP
from sluice.connectors.mongodb.sink_task import MongoSinkTask
from sluice.connectors.mongodb.sink_writer import SinkWriter, WriteRecordError, WriteSkippedError
from sluice.testing import SinkTaskHarness
from tests.fixtures.mongodb import MongoServer
from tests.unit.connectors.mongodb.sink_support import IDS, MODELS, record

TOPIC = "orders"


class Reporter(ErrantRecordReporter):
    def __init__(self) -> None:
        self.reported: list[tuple[SinkRecord, BaseException]] = []

    def report(self, record: SinkRecord, error: BaseException) -> concurrent.futures.Future[None]:
        self.reported.append((record, error))
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        done.set_result(None)
        return done


@pytest.fixture
def reporter(monkeypatch: pytest.MonkeyPatch) -> Reporter:
    found = Reporter()
    monkeypatch.setattr(harness_module._SinkContext, "errant_record_reporter", lambda self: found)
    return found


@pytest.fixture
def sink(mongodb_server: MongoServer, mongodb_database: str) -> Iterator[Any]:
    started: list[SinkTaskHarness] = []

    def start(**config: str) -> SinkTaskHarness:
        props = {
            "connection.uri": mongodb_server.uri,
            "topics": TOPIC,
            "database": mongodb_database,
            **{k.replace("_", "."): v for k, v in config.items()},
        }
        h = SinkTaskHarness(MongoSinkTask(), props).start([TP(TOPIC, 0)])
        started.append(h)
        return h

    yield start
    for h in started:
        h.stop()


def _values(i: int, n: int) -> list[SinkRecord]:
    return [record(json.dumps({"_id": k, "n": k}), offset=k) for k in range(i, i + n)]


def _docs(server: MongoServer, database: str) -> list[dict[str, Any]]:
    with server.client() as client:
        return list(client[database][TOPIC].find({}, sort=[("_id", 1)]))


PROVIDED = {"document_id_strategy": f"{IDS}.ProvidedInValueStrategy"}


def test_records_land_and_offsets_follow(
    sink: Any, mongodb_server: MongoServer, mongodb_database: str
) -> None:
    h = sink(**PROVIDED)
    h.put(_values(0, 5))
    assert [d["n"] for d in _docs(mongodb_server, mongodb_database)] == [0, 1, 2, 3, 4]
    assert h.commit() == {TP(TOPIC, 0): 5}
    h.put(_values(3, 4))  # replayed and new: replaces are idempotent
    assert len(_docs(mongodb_server, mongodb_database)) == 7


def test_a_transient_failure_is_retried_without_duplicates_or_early_offsets(
    sink: Any, mongodb_server: MongoServer, mongodb_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = sink(
        writemodel_strategy=f"{MODELS}.InsertOneDefaultStrategy",
        max_batch_size="2",
        max_num_retries="2",
        retries_defer_timeout="250",
        **PROVIDED,
    )
    real = SinkWriter.write
    calls = {"n": 0}

    def flaky(self: SinkWriter, batch: Any, settings: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:  # the second bulk write of the put fails once
            raise AutoReconnect("connection closed")
        return real(self, batch, settings)

    monkeypatch.setattr(SinkWriter, "write", flaky)
    batch = _values(0, 5)
    with pytest.raises(RetriableError, match="will retry"):
        h.put(batch)
    assert h.timeout == 0.25
    assert [d["n"] for d in _docs(mongodb_server, mongodb_database)] == [0, 1]
    # The runtime has consumed up to offset 5; only what is written may be committed.
    assert h.task.pre_commit({TP(TOPIC, 0): 5}) == {TP(TOPIC, 0): 2}
    h.put(batch)  # the runtime hands the same records back
    assert [d["n"] for d in _docs(mongodb_server, mongodb_database)] == [0, 1, 2, 3, 4]
    assert h.commit() == {TP(TOPIC, 0): 5}


def test_retries_run_out_and_the_task_fails(
    sink: Any, monkeypatch: pytest.MonkeyPatch, mongodb_server: MongoServer
) -> None:
    h = sink(max_num_retries="1", retries_defer_timeout="0", **PROVIDED)

    def down(self: SinkWriter, batch: Any, settings: Any) -> Any:
        raise AutoReconnect("connection refused")

    monkeypatch.setattr(SinkWriter, "write", down)
    batch = _values(0, 3)
    with pytest.raises(RetriableError):
        h.put(batch)
    with pytest.raises(ConnectError, match="failed after 2 attempts") as caught:
        h.put(batch)
    assert "(topic='orders',partition=0,offset=0)" in str(caught.value)
    assert h.task.pre_commit({TP(TOPIC, 0): 3}) == {TP(TOPIC, 0): 0}


def test_bad_records_fail_the_task_naming_them(sink: Any) -> None:
    h = sink(**PROVIDED)
    with pytest.raises(DataError, match=r"Record \(topic='orders',partition=0,offset=1\)") as e:
        h.put([*_values(0, 1), record('{"no_id": 1}', offset=1)])
    assert "no _id field" in str(e.value)
    assert h.task.pre_commit({TP(TOPIC, 0): 2}) == {TP(TOPIC, 0): 0}


def test_tolerated_bad_records_go_to_the_reporter(
    sink: Any, reporter: Reporter, mongodb_server: MongoServer, mongodb_database: str
) -> None:
    h = sink(errors_tolerance="all", **PROVIDED)
    h.put(
        [
            record('{"_id": 1}', offset=0),
            record("not json", offset=1),
            record(None, '{"_id": 9}', offset=2),
        ]
    )
    assert [d["_id"] for d in _docs(mongodb_server, mongodb_database)] == [1]
    assert [(r.kafka_offset, type(e).__name__) for r, e in reporter.reported] == [
        (1, "DataError"),
        (2, "DataError"),
    ]
    assert "delete.on.null.values is false" in str(reporter.reported[1][1])
    assert h.commit() == {TP(TOPIC, 0): 3}


def test_server_rejected_writes_are_reported_per_record(
    sink: Any, reporter: Reporter, mongodb_server: MongoServer, mongodb_database: str
) -> None:
    h = sink(
        mongo_errors_tolerance="data",
        writemodel_strategy=f"{MODELS}.InsertOneDefaultStrategy",
        **PROVIDED,
    )
    h.put([record('{"_id": 1}', offset=0)])
    h.put([record(json.dumps({"_id": k}), offset=k) for k in (2, 1, 3)])  # 1 is a duplicate
    assert [d["_id"] for d in _docs(mongodb_server, mongodb_database)] == [1, 2]
    reasons = [(r.kafka_offset, e) for r, e in reporter.reported]
    assert [o for o, _ in reasons] == [1, 3]
    assert isinstance(reasons[0][1], WriteRecordError) and "code=11000" in str(reasons[0][1])
    assert isinstance(reasons[1][1], WriteSkippedError)  # ordered: never tried
    assert h.commit() == {TP(TOPIC, 0): 4}


def test_change_events_are_applied(
    sink: Any, mongodb_server: MongoServer, mongodb_database: str
) -> None:
    h = sink(
        change_data_capture_handler="com.mongodb.kafka.connect.sink.cdc.mongodb.ChangeStreamHandler"
    )

    def event(offset: int, operation: str, **fields: Any) -> SinkRecord:
        body = {"operationType": operation, "documentKey": {"_id": 1}, **fields}
        return record(
            json.dumps(body), key=json.dumps({"_id": {"_data": str(offset)}}), offset=offset
        )

    h.put(
        [
            event(0, "insert", fullDocument={"_id": 1, "a": 1, "b": 1}),
            event(
                1, "update", updateDescription={"updatedFields": {"a": 2}, "removedFields": ["b"]}
            ),
        ]
    )
    assert _docs(mongodb_server, mongodb_database) == [{"_id": 1, "a": 2}]
    h.put([event(2, "replace", fullDocument={"_id": 1, "c": 3}), event(3, "drop")])
    assert _docs(mongodb_server, mongodb_database) == [{"_id": 1, "c": 3}]
    h.put([event(4, "delete")])
    assert _docs(mongodb_server, mongodb_database) == []
    assert h.commit() == {TP(TOPIC, 0): 5}


def test_an_unreachable_server_fails_the_start_naming_connection_uri() -> None:
    props = {
        "connection.uri": "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300",
        "topics": TOPIC,
        "database": "x",
    }
    with pytest.raises(ConnectError, match=r"Cannot reach MongoDB at .*\(connection.uri\)"):
        SinkTaskHarness(MongoSinkTask(), props).start([TP(TOPIC, 0)])
