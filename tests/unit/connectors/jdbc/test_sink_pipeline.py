"""The JDBC sink's pipelined commits, on SQLite: one batch commits in the background while the
next is prepared, without giving up any delivery guarantee."""

from __future__ import annotations

import concurrent.futures
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sluice.api import (
    ConnectError,
    ErrantRecordReporter,
    RetriableError,
    Schema,
    SchemaBuilder,
    SinkRecord,
    Struct,
    TopicPartition,
)
from sluice.connectors.jdbc import JdbcSinkTask
from sluice.connectors.jdbc.dialects.sqlite import SqliteDialect
from sluice.connectors.jdbc.sink_pipeline import CommitPipeline
from sluice.connectors.jdbc.sink_writer import PreparedBatch, Reject
from sluice.connectors.jdbc.table_manager import TableManager
from tests.unit.connectors.jdbc.test_sqlite_sink import TP, _Context

VALUE = (
    SchemaBuilder.struct()
    .name("order")
    .field("id", Schema.INT64_SCHEMA)
    .field("item", Schema.OPTIONAL_STRING_SCHEMA)
    .build()
)
WAIT = 10.0
"""Seconds a test waits for something that should happen at once."""
BRIEF = 0.2
"""Seconds a test waits to see that something does not happen."""


def _record(
    offset: int, item: str | None = "thing", topic: str = "orders", partition: int = 0
) -> SinkRecord:
    value = Struct(VALUE).put("id", offset).put("item", item)
    return SinkRecord(topic, partition, None, None, VALUE, value, offset)


def _records(first: int, count: int, partition: int = 0) -> list[SinkRecord]:
    return [_record(i, partition=partition) for i in range(first, first + count)]


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def _ids(path: Path, table: str = "orders") -> list[int]:
    return [row[0] for row in _rows(path, f"SELECT id FROM {table} ORDER BY rowid")]


class _Reporter(ErrantRecordReporter):
    """Records what is reported and from which thread; futures settle when the test says."""

    def __init__(self, settle_at_once: bool = True) -> None:
        self.reported: list[int] = []
        self.threads: list[threading.Thread] = []
        self.futures: list[concurrent.futures.Future[None]] = []
        self.settle_at_once = settle_at_once

    def report(self, record: SinkRecord, error: BaseException) -> concurrent.futures.Future[None]:
        self.reported.append(record.kafka_offset)
        self.threads.append(threading.current_thread())
        future: concurrent.futures.Future[None] = concurrent.futures.Future()
        if self.settle_at_once:
            future.set_result(None)
        self.futures.append(future)
        return future


def _task(
    path: Path, reporter: ErrantRecordReporter | None = None, /, **extra: str
) -> JdbcSinkTask:
    config = {
        "connection.url": f"jdbc:sqlite:{path}",
        "auto.create": "true",
        "batch.size": "2",
        "retry.backoff.ms": "5",
        **extra,
    }
    task = JdbcSinkTask()
    task.initialize(_Context(config, reporter))
    task.start(config)
    task.open([TP])
    return task


class _Gate:
    """Stands in for the dialect's multi-row insert: holds a commit while closed, fails the
    calls the test queued, and notes which thread wrote."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.open = threading.Event()
        self.open.set()
        self.entered = threading.Event()
        self.failures: list[BaseException | None] = []
        """Errors for the next calls to raise (``None``: that call succeeds)."""
        self.failing: Callable[[], BaseException | None] = lambda: (
            self.failures.pop(0) if self.failures else None
        )
        """What the next call raises, if anything: by default from :attr:`failures`."""
        self.threads: list[str] = []
        original = SqliteDialect.write_inserts

        def write_inserts(dialect: SqliteDialect, *args: Any) -> None:
            self.threads.append(threading.current_thread().name)
            self.entered.set()
            assert self.open.wait(WAIT), "the test never opened the gate"
            failure = self.failing()
            if failure is not None:
                raise failure
            original(dialect, *args)

        monkeypatch.setattr(SqliteDialect, "write_inserts", write_inserts)

    def close(self) -> None:
        self.entered.clear()
        self.open.clear()

    def wait_entered(self) -> None:
        assert self.entered.wait(WAIT), "no commit started"


def _in_thread(action: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Run ``action`` on a helper thread; the list gets its result (or exception)."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(action())
        except BaseException as e:
            out.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def _commit_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "jdbc-sink-commit"]


def _finish_in_flight() -> None:
    """Let the batch in flight finish, so that the next call is the first to see its outcome
    (a put below ``batch.size`` does not wait for it)."""
    for thread in _commit_threads():
        thread.join(WAIT)


LOCKED = sqlite3.OperationalError("database is locked")


# -- offsets ---------------------------------------------------------------------------------
def _written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: int = 2, /, **extra: str
) -> tuple[Path, JdbcSinkTask, _Gate]:
    """A task on a fresh database behind a :class:`_Gate`, its first ``first`` records
    (which create the table) already written and their offsets durable."""
    path = tmp_path / "s.db"
    task = _task(path, **extra)
    gate = _Gate(monkeypatch)
    task.put(_records(0, first))
    assert task.pre_commit({TP: first}) == {TP: first}
    return path, task, gate


def test_put_returns_while_the_batch_commits_and_offsets_wait_for_the_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, task, gate = _written(tmp_path, monkeypatch)  # creates the table, then commits 0-1 freely
    gate.close()
    task.put(_records(2, 2))  # returns although the commit is held
    gate.wait_entered()
    assert gate.threads[-1] == "jdbc-sink-commit", "committed on the background thread"
    task.put([])  # the batch has not finished: no offset moves
    committing, result = _in_thread(lambda: task.pre_commit({TP: 4}))
    committing.join(BRIEF)
    assert committing.is_alive(), "pre_commit waits for the batch in flight"
    assert _ids(path) == [0, 1], "not committed yet"
    gate.open.set()
    committing.join(WAIT)
    assert result == [{TP: 4}]
    assert _ids(path) == [0, 1, 2, 3]
    task.stop()


def test_the_next_batch_is_prepared_while_one_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, task, gate = _written(tmp_path, monkeypatch)
    prepared = threading.Event()
    writer = task._writer
    assert writer is not None
    real_prepare = writer.prepare

    def prepare(records: list[SinkRecord]) -> PreparedBatch:
        batch = real_prepare(records)
        prepared.set()
        return batch

    monkeypatch.setattr(writer, "prepare", prepare)
    gate.close()
    task.put(_records(2, 2))
    gate.wait_entered()
    putting, result = _in_thread(lambda: task.put(_records(4, 2)))
    assert prepared.wait(WAIT), "4-5 are prepared while 2-3 commit"
    putting.join(BRIEF)
    assert putting.is_alive(), "but submitted only after 2-3 are committed"
    gate.open.set()
    putting.join(WAIT)
    assert result == [None]
    assert task.pre_commit({TP: 6}) == {TP: 6}
    assert _ids(path) == [0, 1, 2, 3, 4, 5]
    task.stop()


def test_a_new_record_shape_waits_for_the_batch_in_flight_before_any_ddl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.db"
    task = _task(path)
    gate = _Gate(monkeypatch)
    ensured: list[str] = []
    real_ensure = TableManager.ensure

    def ensure(self: TableManager, table: Any, plan: Any) -> Any:
        ensured.append(table.table)
        return real_ensure(self, table, plan)

    monkeypatch.setattr(TableManager, "ensure", ensure)
    task.put(_records(0, 2))
    task.pre_commit({TP: 2})
    gate.close()
    task.put(_records(2, 2))
    gate.wait_entered()
    other = [_record(0, topic="returns"), _record(1, topic="returns")]
    putting, result = _in_thread(lambda: task.put(other))
    putting.join(BRIEF)
    assert ensured == ["orders"], "no DDL while a batch holds the connection"
    gate.open.set()
    putting.join(WAIT)
    assert result == [None]
    assert ensured == ["orders", "returns"]
    returns = TopicPartition("returns", 0)
    assert task.pre_commit({TP: 4, returns: 2}) == {TP: 4, returns: 2}
    assert _ids(path, "returns") == [0, 1]
    task.stop()


# -- transient failures ----------------------------------------------------------------------
def test_a_transient_failure_in_flight_writes_the_batch_again_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, task, gate = _written(tmp_path, monkeypatch, **{"max.retries": "3"})
    gate.failures = [LOCKED]  # the commit of 2-3 fails, in the background
    task.put(_records(2, 2))
    with pytest.raises(RetriableError):
        task.put(_records(4, 2))  # the failure surfaces at the next put
    assert task.context.timeouts == [0.005]  # type: ignore[attr-defined]
    assert task.pre_commit({TP: 6}) == {TP: 6}  # 2-3 written again, before 4-5
    assert _ids(path) == [0, 1, 2, 3, 4, 5]
    task.put(_records(4, 2))  # the runtime hands 4-5 back: recognised, not written twice
    assert task.pre_commit({TP: 6}) == {TP: 6}
    assert _ids(path) == [0, 1, 2, 3, 4, 5]
    task.stop()


def test_runtime_like_redelivery_through_many_failures_loses_and_duplicates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, task, gate = _written(tmp_path, monkeypatch, 3, **{"batch.size": "3", "max.retries": "2"})
    calls = [0]

    def every_third() -> BaseException | None:
        calls[0] += 1
        return LOCKED if calls[0] % 3 == 1 else None

    gate.failing = every_third
    retries = 0
    committed: dict[TopicPartition, int] = {}
    for first in range(3, 60, 4):  # puts of 4, batches of 3: they do not line up
        records = _records(first, 4)
        while True:
            try:
                task.put(records)
                break
            except RetriableError:
                retries += 1  # the runtime pauses, then hands the same records back
        if first % 12 == 7:
            committed = task.pre_commit({TP: first + 4})
            assert committed.get(TP, 0) <= len(_ids(path)), "never ahead of the table"
    for _ in range(5):  # a failure at commit time only holds the offsets back
        if task.pre_commit({TP: 63}) == {TP: 63}:
            break
    assert retries > 3
    assert _ids(path) == list(range(63))
    task.stop()


def test_transient_failures_beyond_max_retries_fail_the_task(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, task, gate = _written(tmp_path, monkeypatch, **{"max.retries": "1"})
    gate.failures = [LOCKED, LOCKED]
    task.put(_records(2, 2))
    _finish_in_flight()
    with pytest.raises(RetriableError):
        task.put(_records(4, 1))
    with pytest.raises(ConnectError, match="failed 2 times"):
        task.put(_records(4, 1))  # 2-3 failed again
    task.stop()
    assert _ids(path) == [0, 1]


# -- other failures --------------------------------------------------------------------------
def test_a_fatal_error_in_the_background_surfaces_at_the_next_call_and_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL)")
    task = _task(path)  # no errant record reporter
    task.put([_record(0), _record(1, item=None)])  # the NOT NULL violation fails in flight
    _finish_in_flight()
    with pytest.raises(ConnectError, match=r"offset=1\) cannot be written"):
        task.put([_record(2)])
    with pytest.raises(ConnectError, match="cannot be written"):
        task.pre_commit({TP: 3})
    with pytest.raises(ConnectError, match="cannot be written"):
        task.flush({TP: 3})
    with pytest.raises(ConnectError, match="cannot be written"):
        task.put([_record(3)])
    task.stop()
    assert not _commit_threads()
    assert _ids(path) == [0], "bisected, as before: 0 was written before 1 failed the task"


def test_a_fatal_error_surfaces_at_pre_commit(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL)")
    task = _task(path)
    task.put([_record(0, item=None), _record(1)])
    with pytest.raises(ConnectError, match=r"offset=0\) cannot be written"):
        task.pre_commit({TP: 2})
    task.stop()
    assert _ids(path) == []


def test_rejects_are_reported_on_the_task_thread_and_awaited_before_offsets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL)")
    reporter = _Reporter(settle_at_once=False)
    task = _task(path, reporter)
    gate = _Gate(monkeypatch)
    gate.close()
    task.put([_record(0), _record(1, item=None)])
    gate.wait_entered()
    assert reporter.reported == [], "not reported before the batch is settled"
    gate.open.set()
    committing, result = _in_thread(lambda: task.pre_commit({TP: 2}))
    committing.join(BRIEF)
    assert reporter.reported == [1]
    assert reporter.threads == [committing], "reported by the thread that settled the batch"
    assert committing.is_alive(), "pre_commit waits until the report is durable"
    reporter.futures[0].set_result(None)
    committing.join(WAIT)
    assert result == [{TP: 2}]
    assert _ids(path) == [0]
    task.stop()


def test_a_failed_report_fails_the_task(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL)")
    reporter = _Reporter(settle_at_once=False)
    task = _task(path, reporter)
    task.put([_record(0), _record(1, item=None)])
    committing, result = _in_thread(lambda: task.pre_commit({TP: 2}))
    for _ in range(int(WAIT / 0.01)):
        if reporter.futures:
            break
        committing.join(0.01)
    reporter.futures[0].set_exception(RuntimeError("dead letter queue unreachable"))
    committing.join(WAIT)
    assert isinstance(result[0], ConnectError)
    assert "dead letter queue unreachable" in str(result[0])
    with pytest.raises(ConnectError):
        task.put([_record(2)])
    task.stop()


def test_a_missing_table_found_in_flight_makes_the_next_batch_prepared_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.db"
    reporter = _Reporter()
    task = _task(path, reporter)
    gate = _Gate(monkeypatch)
    task.put(_records(0, 2))
    task.pre_commit({TP: 2})
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE orders")
    gate.close()
    task.put(_records(2, 2))  # bound for the dropped table: its records are rejected
    gate.wait_entered()
    putting, result = _in_thread(lambda: task.put(_records(4, 2)))  # prepared meanwhile
    putting.join(BRIEF)
    gate.open.set()
    putting.join(WAIT)
    assert result == [None]
    assert task.pre_commit({TP: 6}) == {TP: 6}
    assert reporter.reported == [2, 3]
    assert _ids(path) == [4, 5], "4-5 went to the table created anew"
    task.stop()


# -- rebalances and stopping -----------------------------------------------------------------
def test_close_waits_for_the_batch_and_drops_what_failed_for_closed_partitions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.db"
    tp1 = TopicPartition("orders", 1)
    task = _task(path)
    task.open([tp1])
    gate = _Gate(monkeypatch)
    task.put(_records(0, 2))
    task.pre_commit({TP: 2})
    gate.failures = [LOCKED]
    gate.close()
    task.put(_records(10, 2, partition=1))
    gate.wait_entered()
    closing, result = _in_thread(lambda: task.close([tp1]))
    closing.join(BRIEF)
    assert closing.is_alive(), "close waits for the batch in flight"
    gate.open.set()
    closing.join(WAIT)
    assert result == [None], "a transient failure while closing is not raised"
    task.put(_records(2, 2))
    assert task.pre_commit({TP: 4, tp1: 12}) == {TP: 4}
    assert _ids(path) == [0, 1, 2, 3], "the closed partition's batch is not written"
    task.stop()


def test_stop_waits_for_the_batch_in_flight_and_leaves_no_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, task, gate = _written(tmp_path, monkeypatch)
    gate.close()
    task.put(_records(2, 2))
    gate.wait_entered()
    assert len(_commit_threads()) == 1
    stopping, result = _in_thread(task.stop)
    stopping.join(BRIEF)
    assert stopping.is_alive(), "stop waits for the commit"
    gate.open.set()
    stopping.join(WAIT)
    assert result == [None]
    assert not _commit_threads()
    assert _ids(path) == [0, 1, 2, 3]


def test_the_pipeline_thread_is_a_daemon_and_outcomes_are_kept_until_taken() -> None:
    started, release = threading.Event(), threading.Event()
    seen: list[threading.Thread] = []

    def commit(batch: PreparedBatch) -> list[Reject]:
        seen.append(threading.current_thread())
        started.set()
        assert release.wait(WAIT)
        if not batch.records:
            raise ValueError("empty")
        return [(batch.records[0], ValueError("bad"))]

    pipeline = CommitPipeline(commit, "jdbc-sink-commit")
    assert pipeline.idle and not pipeline.finished and pipeline.take() is None
    batch = PreparedBatch([_record(0)], [], 0)
    pipeline.submit(batch)
    assert started.wait(WAIT)
    assert seen[0].daemon and not pipeline.idle and not pipeline.finished
    with pytest.raises(RuntimeError, match="already in flight"):
        pipeline.submit(batch)
    release.set()
    pipeline.join()
    assert pipeline.finished
    outcome = pipeline.take()
    assert outcome is not None and outcome.error is None and outcome.batch is batch
    assert [r.kafka_offset for r, _ in outcome.rejects] == [0]
    pipeline.submit(PreparedBatch([], [], 0))
    outcome = pipeline.take()
    assert outcome is not None and isinstance(outcome.error, ValueError)
    assert pipeline.idle
    pipeline.close()
    assert not seen[0].is_alive()
