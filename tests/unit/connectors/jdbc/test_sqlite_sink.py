"""The JDBC sink on SQLite files: modes, keys, DDL, schemaless records, errors and offsets."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import decimal
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from sluice.api import (
    ConfigError,
    ConnectError,
    Date,
    Decimal,
    ErrantRecordReporter,
    RetriableError,
    Schema,
    SchemaBuilder,
    SinkRecord,
    SinkTaskContext,
    Struct,
    Timestamp,
    TopicPartition,
)
from sluice.connectors.jdbc import JdbcSinkConnector, JdbcSinkTask
from sluice.connectors.jdbc.dialects.sqlite import SqliteDialect
from sluice.testing import SinkTaskHarness

TP = TopicPartition("orders", 0)
VALUE = (
    SchemaBuilder.struct()
    .name("order")
    .field("id", Schema.INT64_SCHEMA)
    .field("item", Schema.OPTIONAL_STRING_SCHEMA)
    .field("price", Decimal.builder(2).optional().build())
    .field("at", Timestamp.builder().optional().build())
    .field("day", Date.builder().optional().build())
    .field("blob", Schema.OPTIONAL_BYTES_SCHEMA)
    .build()
)
KEY = Schema.INT64_SCHEMA


def _value(i: int, item: str = "thing", schema: Schema = VALUE) -> Struct:
    s = Struct(schema).put("id", i).put("item", item)
    if schema.field("price") is not None:
        s.put("price", decimal.Decimal(f"{i}.50"))
        s.put("at", dt.datetime(2024, 1, 1, 12, 0, 0, 250000, tzinfo=dt.UTC))
        s.put("day", dt.date(2024, 2, 29)).put("blob", b"\x00\x01")
    return s


def _record(
    offset: int, value: Struct | None, key: Any = None, topic: str = "orders"
) -> SinkRecord:
    return SinkRecord(
        topic,
        0,
        KEY if key is not None else None,
        key,
        value.schema if value is not None else None,
        value,
        offset,
    )


def _config(path: Path, **extra: str) -> dict[str, str]:
    return {"connection.url": f"jdbc:sqlite:{path}", "auto.create": "true", **extra}


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_insert_auto_creates_and_writes_logical_types(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    harness = SinkTaskHarness(JdbcSinkTask(), _config(path, **{"batch.size": "2"}))
    harness.start([TP])
    harness.put([_record(0, _value(1))])
    assert not _rows(path, "SELECT name FROM sqlite_master WHERE name = 'orders'"), (
        "below batch.size nothing is written before a commit"
    )
    harness.put([_record(1, _value(2))])  # batch.size reached: committing in the background
    assert harness.commit() == {TP: 2}  # waits for that commit
    assert len(_rows(path, "SELECT id FROM orders")) == 2
    harness.stop()
    assert _rows(path, "SELECT id, item, price, at, day, blob FROM orders ORDER BY id") == [
        (1, "thing", 1.5, "2024-01-01 12:00:00.250000", "2024-02-29", b"\x00\x01"),
        (2, "thing", 2.5, "2024-01-01 12:00:00.250000", "2024-02-29", b"\x00\x01"),
    ]
    ddl = _rows(path, "SELECT sql FROM sqlite_master WHERE name = 'orders'")[0][0]
    assert '"id" INTEGER NOT NULL' in ddl and '"at" DATETIME NULL' in ddl


def test_upsert_by_record_key_with_deletes_and_last_write_wins(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    config = _config(
        path,
        **{
            "insert.mode": "upsert",
            "pk.mode": "record_key",
            "pk.fields": "order_id",
            "delete.enabled": "true",
        },
    )
    harness = SinkTaskHarness(JdbcSinkTask(), config).start([TP])
    harness.put(
        [
            _record(0, _value(1, "a"), key=1),
            _record(1, _value(2, "b"), key=2),
            _record(2, _value(1, "a2"), key=1),  # same key twice in one batch
            _record(3, None, key=2),  # tombstone
            _record(4, _value(3, "c"), key=3),
        ]
    )
    assert harness.commit() == {TP: 5}
    harness.put([_record(5, _value(3, "c2"), key=3), _record(6, _value(2, "back"), key=2)])
    harness.commit()
    harness.stop()
    assert _rows(path, "SELECT order_id, item FROM orders ORDER BY order_id") == [
        (1, "a2"),
        (2, "back"),
        (3, "c2"),
    ]


def test_update_mode_and_kafka_primary_key(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    harness = SinkTaskHarness(JdbcSinkTask(), _config(path, **{"pk.mode": "kafka"})).start([TP])
    harness.put([_record(7, _value(1))])
    harness.commit()
    harness.stop()
    assert _rows(
        path, "SELECT __connect_topic, __connect_partition, __connect_offset, id FROM orders"
    ) == [("orders", 0, 7, 1)]
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE upd (id INTEGER PRIMARY KEY, item TEXT)")
        conn.execute("INSERT INTO upd VALUES (1, 'old'), (2, 'keep')")
    config = _config(
        path,
        **{
            "insert.mode": "update",
            "pk.mode": "record_value",
            "pk.fields": "id",
            "fields.whitelist": "item",
            "table.name.format": "upd",
        },
    )
    harness = SinkTaskHarness(JdbcSinkTask(), config).start([TP])
    harness.put([_record(0, _value(1, "new")), _record(1, _value(9, "absent"))])
    harness.commit()
    harness.stop()
    assert _rows(path, "SELECT id, item FROM upd ORDER BY id") == [(1, "new"), (2, "keep")]


def test_auto_evolve_adds_nullable_columns_only_when_enabled(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    small = SchemaBuilder.struct().name("order").field("id", Schema.INT64_SCHEMA).build()
    harness = SinkTaskHarness(JdbcSinkTask(), _config(path)).start([TP])
    harness.put([_record(0, Struct(small).put("id", 1))])
    harness.commit()
    with pytest.raises(ConnectError, match="auto-evolution is disabled"):
        harness.put([_record(1, _value(2))])
        harness.commit()
    harness.stop()
    harness = SinkTaskHarness(JdbcSinkTask(), _config(path, **{"auto.evolve": "true"})).start([TP])
    harness.put([_record(1, _value(2))])
    harness.commit()
    harness.stop()
    assert _rows(path, "SELECT id, item FROM orders ORDER BY id") == [(1, None), (2, "thing")]


def test_schemaless_records_infer_or_follow_the_table(tmp_path: Path) -> None:
    path = tmp_path / "s.db"

    def plain(offset: int, value: dict[str, Any]) -> SinkRecord:
        return SinkRecord("events", 0, None, None, None, value, offset)

    harness = SinkTaskHarness(JdbcSinkTask(), _config(path)).start([TopicPartition("events", 0)])
    harness.put([plain(0, {"id": 1, "name": "x", "score": 1.5, "tags": ["a", "b"]})])
    harness.commit()
    harness.stop()
    assert _rows(path, "SELECT id, name, score, tags FROM events") == [(1, "x", 1.5, '["a","b"]')]
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE typed (id INTEGER PRIMARY KEY, at DATETIME, n NUMERIC)")
    config = _config(path, **{"table.name.format": "typed", "auto.create": "false"})
    harness = SinkTaskHarness(JdbcSinkTask(), config).start([TopicPartition("events", 0)])
    harness.put([plain(1, {"id": 5, "at": 1704110400000, "n": "12.25"})])
    harness.commit()
    harness.stop()
    assert _rows(path, "SELECT id, at, n FROM typed") == [(5, "2024-01-01 12:00:00", 12.25)]


class _Reporter(ErrantRecordReporter):
    def __init__(self) -> None:
        self.reported: list[tuple[int, str]] = []

    def report(self, record: SinkRecord, error: BaseException) -> concurrent.futures.Future[None]:
        self.reported.append((record.kafka_offset, str(error)))
        future: concurrent.futures.Future[None] = concurrent.futures.Future()
        future.set_result(None)
        return future


class _Context(SinkTaskContext):
    def __init__(self, config: dict[str, str], reporter: ErrantRecordReporter | None) -> None:
        self.config = config
        self.reporter = reporter
        self.timeouts: list[float] = []

    def configs(self) -> dict[str, str]:
        return self.config

    def offset(self, offsets: Mapping[TopicPartition, int]) -> None:
        pass

    def timeout(self, seconds: float) -> None:
        self.timeouts.append(seconds)

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    def pause(self, *partitions: TopicPartition) -> None:
        pass

    def resume(self, *partitions: TopicPartition) -> None:
        pass

    def request_commit(self) -> None:
        pass

    def errant_record_reporter(self) -> ErrantRecordReporter | None:
        return self.reporter


def _task(config: dict[str, str], reporter: ErrantRecordReporter | None) -> JdbcSinkTask:
    task = JdbcSinkTask()
    task.initialize(_Context(config, reporter))
    task.start(config)
    task.open([TP])
    return task


def test_unwritable_records_go_to_the_errant_reporter(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL)")
    reporter = _Reporter()
    config = _config(
        path, **{"fields.whitelist": "item", "pk.mode": "record_value", "pk.fields": "id"}
    )
    task = _task(config, reporter)
    records = [_record(i, _value(i, "ok")) for i in range(6)]
    records[3] = _record(3, _value(3, None))  # type: ignore[arg-type]  # NOT NULL violation
    records.append(_record(6, None))  # a tombstone without delete.enabled
    task.put(records)
    assert task.pre_commit({TP: 7}) == {TP: 7}
    task.stop()
    assert [offset for offset, _ in reporter.reported] == [6, 3]
    assert "delete.enabled=false" in reporter.reported[0][1]
    assert _rows(path, "SELECT id FROM orders ORDER BY id") == [(0,), (1,), (2,), (4,), (5,)]
    # Without a reporter the same record fails the task, naming it.
    with pytest.raises(ConnectError, match=r"offset=3\) cannot be written"):
        task = _task(config, None)
        task.put([_record(3, _value(3, None))])  # type: ignore[arg-type]
        task.pre_commit({TP: 4})


def test_transient_failures_retry_without_buffering_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.db"
    config = _config(path, **{"batch.size": "2", "retry.backoff.ms": "5", "max.retries": "1"})
    task = _task(config, None)
    original = SqliteDialect.write_inserts
    failures = iter([True, False, False, True, True])

    def flaky(self: SqliteDialect, *args: Any) -> None:
        if next(failures):
            raise sqlite3.OperationalError("database is locked")
        original(self, *args)

    monkeypatch.setattr(SqliteDialect, "write_inserts", flaky)

    def batch(first: int) -> list[SinkRecord]:
        return [_record(first, _value(first + 1)), _record(first + 1, _value(first + 2))]

    task.put(batch(0))  # batch.size reached: committed in the background, where it fails
    with pytest.raises(RetriableError):
        task.put(batch(2))  # the failure surfaces at the next put
    assert task.context.timeouts == [0.005]  # type: ignore[attr-defined]
    task.put(batch(2))  # the runtime hands the same batch back: 0-1 written again, then 2-3
    assert task.pre_commit({TP: 4}) == {TP: 4}
    assert _rows(path, "SELECT id FROM orders ORDER BY rowid") == [(1,), (2,), (3,), (4,)]
    task.put(batch(4))  # fails in the background
    with pytest.raises(RetriableError):
        task.put(batch(6))
    with pytest.raises(ConnectError, match="failed 2 times"):
        task.put(batch(6))  # 4-5 fail again: max.retries=1 is spent
    task.stop()


def test_sink_config_rules() -> None:
    connector = JdbcSinkConnector()
    with pytest.raises(ConfigError, match="Deletes are only supported for pk.mode record_key"):
        connector.start({"connection.url": "jdbc:sqlite::memory:", "delete.enabled": "true"})
    with pytest.raises(ConfigError, match="needs a primary key"):
        connector.start({"connection.url": "jdbc:sqlite::memory:", "insert.mode": "upsert"})
    values = {
        v.name: v
        for v in connector.validate(
            {"connection.url": "jdbc:sqlite::memory:", "insert.mode": "merge"}
        )
    }
    assert values["insert.mode"].errors
    connector.start({"connection.url": "jdbc:sqlite::memory:"})
    assert len(connector.task_configs(3)) == 3
