"""The JDBC source on SQLite files: modes, offsets, the lag window, tables and tasks."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from sluice.api import ConfigError, ConnectError, ConnectorContext
from sluice.connectors.jdbc import JdbcSourceConnector, JdbcSourceTask, source_task
from sluice.connectors.jdbc.source_connector import group_partitions
from sluice.testing import SourceTaskHarness, wait_for


def _ts(seconds_ago: float) -> str:
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds_ago)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


@pytest.fixture
def db(tmp_path: Path) -> tuple[Path, sqlite3.Connection]:
    path = tmp_path / "source.db"
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, "
        "kind TEXT, updated DATETIME NOT NULL)"
    )
    conn.commit()
    yield path, conn
    conn.close()


def _insert(conn: sqlite3.Connection, *rows: tuple[Any, ...]) -> None:
    conn.executemany("INSERT INTO users (id, name, kind, updated) VALUES (?, ?, ?, ?)", rows)
    conn.commit()


def _config(path: Path, **extra: str) -> dict[str, str]:
    config = {
        "connection.url": f"jdbc:sqlite:{path}",
        "mode": "incrementing",
        "incrementing.column.name": "id",
        "topic.prefix": "t_",
        "tables": '"users"',
        "tables.fetched": "true",
        "poll.interval.ms": "10",
    }
    config.update(extra)
    return config


def _ids(records: list[Any]) -> list[int]:
    return [r.value.get("id") for r in records]


def test_incrementing_copies_in_batches_and_resumes(db: tuple[Path, sqlite3.Connection]) -> None:
    path, conn = db
    _insert(conn, *[(i, f"u{i}", "a", _ts(60)) for i in range(1, 26)])
    harness = SourceTaskHarness(JdbcSourceTask(), _config(path, **{"batch.max.rows": "10"}))
    harness.start()
    first = harness.poll()
    assert _ids(first) == list(range(1, 11)), "batch.max.rows bounds each poll"
    assert first[0].topic == "t_users" and first[0].value_schema.name == "users"
    assert first[0].source_partition == {"protocol": "1", "table": "users"}
    assert first[9].source_offset == {"incrementing": 10}
    rest = harness.poll_until(15, max_polls=20)
    assert _ids(rest) == list(range(11, 26))
    harness.stop()

    _insert(conn, (26, "late", "b", _ts(1)))
    again = SourceTaskHarness(JdbcSourceTask(), _config(path))
    again.offsets = harness.offsets  # the committed offsets survive the restart
    again.start()
    assert _ids(again.poll_until(1, max_polls=20)) == [26]
    again.stop()


def test_confluent_legacy_partition_offsets_are_honoured(
    db: tuple[Path, sqlite3.Connection],
) -> None:
    path, conn = db
    _insert(conn, *[(i, f"u{i}", "a", _ts(60)) for i in range(1, 6)])
    harness = SourceTaskHarness(JdbcSourceTask(), _config(path))
    harness.offsets.put({"table": "users"}, {"incrementing": 3})  # protocol 0, unqualified
    harness.start()
    assert _ids(harness.poll_until(2, max_polls=20)) == [4, 5]
    harness.stop()


def test_timestamp_incrementing_sees_updates(db: tuple[Path, sqlite3.Connection]) -> None:
    path, conn = db
    _insert(conn, *[(i, f"u{i}", "a", _ts(100 - i)) for i in range(1, 4)])
    config = _config(path, mode="timestamp+incrementing", **{"timestamp.column.name": "updated"})
    harness = SourceTaskHarness(JdbcSourceTask(), config).start()
    assert _ids(harness.poll_until(3, max_polls=20)) == [1, 2, 3]
    conn.execute("UPDATE users SET name = 'changed', updated = ? WHERE id = 1", (_ts(1),))
    conn.commit()
    changed = harness.poll_until(1, max_polls=20)
    assert [(r.value.get("id"), r.value.get("name")) for r in changed] == [(1, "changed")]
    offset = changed[0].source_offset
    assert set(offset) == {"timestamp", "timestamp_nanos", "incrementing"}
    assert offset["incrementing"] == 1
    harness.stop()


@pytest.mark.parametrize(("window", "late_row_arrives"), [("30000", True), ("0", False)])
def test_lag_window_delivers_rows_committed_late(
    db: tuple[Path, sqlite3.Connection], window: str, late_row_arrives: bool
) -> None:
    path, conn = db
    _insert(conn, (1, "early", "a", _ts(20)), (2, "newest", "a", _ts(5)))
    config = _config(
        path,
        mode="timestamp+incrementing",
        **{"timestamp.column.name": "updated", "timestamp.lag.window.ms": window},
    )
    harness = SourceTaskHarness(JdbcSourceTask(), config).start()
    assert _ids(harness.poll_until(2, max_polls=20)) == [1, 2]
    # A transaction that wrote its row before "newest" but committed only now.
    _insert(conn, (3, "late", "a", _ts(10)))
    got: list[Any] = []
    for _ in range(6):  # several rounds: the window is re-read, already-sent rows skipped
        got.extend(harness.poll() or [])
    assert _ids(got) == ([3] if late_row_arrives else [])
    harness.stop()


def test_query_mode_wraps_a_query_with_its_own_where(db: tuple[Path, sqlite3.Connection]) -> None:
    path, conn = db
    _insert(conn, *[(i, f"u{i}", "even" if i % 2 == 0 else "odd", _ts(60)) for i in range(1, 7)])
    config = _config(path, query="SELECT id, name FROM users WHERE kind = 'even'", tables="")
    config["topic.prefix"] = "evens"
    harness = SourceTaskHarness(JdbcSourceTask(), config).start()
    records = harness.poll_until(3, max_polls=20)
    assert _ids(records) == [2, 4, 6]
    assert records[0].topic == "evens" and records[0].source_partition == {"query": "query"}
    assert records[0].value_schema.name is None
    harness.stop()


def test_bulk_mode_rereads_the_table(db: tuple[Path, sqlite3.Connection]) -> None:
    path, conn = db
    _insert(conn, (1, "a", None, _ts(1)), (2, "b", None, _ts(1)))
    harness = SourceTaskHarness(JdbcSourceTask(), _config(path, mode="bulk")).start()
    first = harness.poll_until(2, max_polls=20)
    second = harness.poll_until(2, max_polls=20)
    assert _ids(first) == _ids(second) == [1, 2]
    assert first[0].source_partition == {"table": "users"} and first[0].source_offset is None
    harness.stop()


def test_nullable_incrementing_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (seq INTEGER, v TEXT)")
    config = _config(path, tables='"t"', **{"incrementing.column.name": "seq"})
    with pytest.raises(ConnectError, match="because this column is nullable"):
        SourceTaskHarness(JdbcSourceTask(), config).start()
    config["validate.non.null"] = "false"
    SourceTaskHarness(JdbcSourceTask(), config).start().stop()


def test_missing_columns_and_modes_are_config_errors(db: tuple[Path, sqlite3.Connection]) -> None:
    path, _ = db
    with pytest.raises(ConfigError, match="Incrementing column: nope does not exist"):
        SourceTaskHarness(
            JdbcSourceTask(), _config(path, **{"incrementing.column.name": "nope"})
        ).start()
    with pytest.raises(ConfigError, match="needs at least one timestamp column"):
        SourceTaskHarness(JdbcSourceTask(), _config(path, mode="timestamp")).start()


class _WaitRecorder(threading.Event):
    """The task's stop event, telling when a poll waits on it and how each wait ended."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()
        self.woken: list[bool] = []  # True: ended by set(), False: timed out

    def wait(self, timeout: float | None = None) -> bool:
        self.waiting.set()
        woken = super().wait(timeout)
        self.woken.append(woken)
        return woken


def test_stop_from_another_thread_ends_a_waiting_poll(
    db: tuple[Path, sqlite3.Connection], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, conn = db
    _insert(conn, (1, "a", None, _ts(60)))
    config = _config(path, **{"poll.interval.ms": "600000"})
    # Without stop() the poll would now wait an hour: only stop() can end it.
    monkeypatch.setattr(source_task, "MAX_WAIT", 3600.0)
    task = JdbcSourceTask()
    harness = SourceTaskHarness(task, config).start()
    assert _ids(harness.poll_until(1, max_polls=5)) == [1]
    stopping = task._stopping = _WaitRecorder()
    polled: list[object] = []
    poller = threading.Thread(target=lambda: polled.append(task.poll()), daemon=True)
    poller.start()
    assert stopping.waiting.wait(60), "the poll never waited for the next poll interval"

    task.stop()
    poller.join(60)

    assert not poller.is_alive()
    assert polled == [None]
    assert stopping.woken == [True]  # the wait was ended by stop(), not by its timeout


class _Context(ConnectorContext):
    def __init__(self) -> None:
        self.reconfigurations = 0

    def request_task_reconfiguration(self) -> None:
        self.reconfigurations += 1

    def raise_error(self, error: Exception) -> None:
        raise error


def test_connector_filters_groups_and_notices_new_tables(tmp_path: Path) -> None:
    path = tmp_path / "many.db"
    with sqlite3.connect(path) as conn:
        for name in ("a", "b", "c", "skip"):
            conn.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY)")
    connector = JdbcSourceConnector()
    context = _Context()
    connector.initialize(context)
    connector.start(
        {
            "connection.url": f"jdbc:sqlite:{path}",
            "mode": "bulk",
            "topic.prefix": "p_",
            "table.blacklist": "skip",
            "table.poll.interval.ms": "50",
        }
    )
    try:
        configs = connector.task_configs(2)
        assert [c["tables"] for c in configs] == ['"a","b"', '"c"']
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE d (id INTEGER PRIMARY KEY)")
        wait_for(lambda: context.reconfigurations > 0, 10, message="new table not noticed")
        assert [c["tables"] for c in connector.task_configs(2)] == ['"a","b"', '"c","d"']
    finally:
        connector.stop()


def test_include_list_regex_and_whitelist(tmp_path: Path) -> None:
    path = tmp_path / "f.db"
    with sqlite3.connect(path) as conn:
        for name in ("orders", "order_items", "users"):
            conn.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY)")
    for key, value, expected in (
        ("table.include.list", "order.*", '"order_items","orders"'),
        ("table.whitelist", "users,missing", '"users"'),
    ):
        connector = JdbcSourceConnector()
        connector.initialize(_Context())
        connector.start(
            {
                "connection.url": f"jdbc:sqlite:{path}",
                "mode": "bulk",
                key: value,
                "table.poll.interval.ms": "60000",
            }
        )
        try:
            assert connector.task_configs(1)[0]["tables"] == expected
        finally:
            connector.stop()


def test_group_partitions_is_contiguous_like_kafka() -> None:
    assert group_partitions([1, 2, 3, 4, 5], 2) == [[1, 2, 3], [4, 5]]
    assert group_partitions([1, 2], 3) == [[1], [2], []]


def test_validate_reports_cross_key_problems() -> None:
    values = {
        v.name: v
        for v in JdbcSourceConnector().validate(
            {
                "connection.url": "jdbc:sqlite:/tmp/x.db",
                "mode": "timestamp",
                "query": "SELECT 1",
                "table.whitelist": "a",
            }
        )
    }
    assert values["timestamp.column.name"].errors
    assert values["query"].errors
    bad = {v.name: v for v in JdbcSourceConnector().validate({"connection.url": "jdbc:db2://x"})}
    assert any("unsupported JDBC subprotocol" in e for e in bad["connection.url"].errors)


def test_alter_offsets_accepts_only_confluent_shapes() -> None:
    connector = JdbcSourceConnector()
    ok = [({"protocol": "1", "table": "db.t"}, {"incrementing": 5})]
    assert connector.alter_offsets({}, ok) is False
    with pytest.raises(ConnectError, match="must be an integer"):
        connector.alter_offsets({}, [({"table": "t"}, {"incrementing": "5"})])
    with pytest.raises(ConnectError, match="Invalid source partition"):
        connector.alter_offsets({}, [({"file": "x"}, None)])
