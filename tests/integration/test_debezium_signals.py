"""Incremental snapshots triggered by signals, against the real PostgreSQL and MariaDB.

Each test streams a table, inserts an ``execute-snapshot`` signal, keeps updating, deleting and
inserting rows of that table while the snapshot's chunks go by, restarts the task from its
committed offset in the middle of the snapshot, and then replays every record per key as a
compacted topic would: the result must be the table as it is, with no deleted row brought back
by a read event.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sluice.api import SourceRecord, SourceTask
from sluice.connectors.debezium.postgres_task import PostgresConnectorTask
from sluice.connectors.debezium_mysql.source_task import MariaDbConnectorTask
from sluice.testing import wait_for
from sluice.testing.harness import SourceTaskHarness
from tests.fixtures.databases import DatabaseFactory, TestDatabase

ROWS = 400
CHUNK = 60
SIGNAL = json.dumps({"data-collections": ["{table}"], "type": "incremental"})


@pytest.fixture
def harnesses() -> Iterator[list[SourceTaskHarness]]:
    made: list[SourceTaskHarness] = []
    yield made
    for h in made:
        with contextlib.suppress(Exception):
            h.stop()


def _replay(records: list[SourceRecord], table: str) -> tuple[dict[int, str], list[str]]:
    """The final row per key, and the problems: a read event of a key after its delete."""
    state: dict[int, str] = {}
    deleted: set[int] = set()
    problems: list[str] = []
    for r in records:
        if r.value is None or r.value.get("source").get("table") != table:
            continue
        op = r.value.get("op")
        if op == "d":
            key = r.value.get("before").get("id")
            state.pop(key, None)
            deleted.add(key)
            continue
        after = r.value.get("after")
        key = after.get("id")
        if op == "r" and key in deleted:
            problems.append(f"read event of {key} after its delete")
        if op == "r":
            assert r.value.get("source").get("snapshot") == "incremental"
        elif op == "c":
            deleted.discard(key)
        state[key] = after.get("v")
    return state, problems


def _exercise(
    start: Callable[[SourceTaskHarness | None], SourceTaskHarness],
    connect: Callable[[], Any],
    signal_table: str,
    table: str,
    data_collection: str,
) -> list[SourceRecord]:
    """Signal, change rows from another thread while polling, restart mid-snapshot, poll until
    the snapshot ended and the writer's last change arrived."""
    h = start(None)
    got: list[SourceRecord] = []
    stop = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        # concurrent changes, inside and beyond the snapshot's key range, as fast as they go:
        # some land between the watermarks of a chunk
        rng = random.Random(17)
        next_id = ROWS + 1
        conn = connect()
        try:
            with conn.cursor() as cur:
                while not stop.is_set():
                    key = rng.randint(1, ROWS)
                    cur.execute(f"UPDATE {table} SET v = %s WHERE id = %s", (f"u{next_id}", key))
                    if next_id % 4 == 0:
                        cur.execute(f"DELETE FROM {table} WHERE id = %s", (rng.randint(1, ROWS),))
                    cur.execute(f"INSERT INTO {table} VALUES (%s, %s)", (next_id, "new"))
                    next_id += 1
                    time.sleep(0.002)
                cur.execute(f"UPDATE {table} SET v = %s WHERE id = %s", ("last", ROWS + 1))
        except BaseException as e:
            errors.append(e)
        finally:
            conn.close()

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    conn = connect()
    with conn.cursor() as cur:
        cur.execute(
            f"INSERT INTO {signal_table} VALUES (%s, %s, %s)",
            ("ad-hoc-1", "execute-snapshot", SIGNAL.replace("{table}", data_collection)),
        )
    conn.close()
    restarted = False

    def reads() -> int:
        return sum(1 for r in got if r.value is not None and r.value.get("op") == "r")

    def running(harness: SourceTaskHarness) -> bool:
        offset = harness.offsets.offset({"server": "srv"}) or {}
        return "incremental_snapshot_collections" in offset

    def step() -> bool:
        nonlocal h, restarted
        got.extend(h.poll())
        if not restarted and reads() >= 2 * CHUNK and running(h):
            restarted = True
            h.stop()
            h = start(h)  # from the committed offset, in the middle of the snapshot
            return False
        return restarted and not running(h)  # the offsets say the snapshot is over

    try:
        wait_for(step, 40, interval=0.0, message=lambda: f"{reads()} reads, {len(got)} records")
    finally:
        stop.set()
        writer.join(10)
    assert not errors and restarted

    def last_arrived() -> bool:
        got.extend(h.poll())
        return any(
            r.value is not None
            and r.value.get("op") == "u"
            and r.value.get("after").get("v") == "last"
            for r in got
        )

    wait_for(last_arrived, 20)
    return got


def _check(got: list[SourceRecord], rows: list[tuple[Any, ...]], table: str) -> None:
    state, problems = _replay(got, table)
    assert problems == []
    assert state == {int(k): str(v) for k, v in rows}
    first_reads = [r for r in got if r.value is not None and r.value.get("op") == "r"]
    assert len(first_reads) > 2 * CHUNK


# -- PostgreSQL ---------------------------------------------------------------------------------


def _pg_config(db: TestDatabase) -> dict[str, str]:
    return {
        "database.hostname": db.host,
        "database.port": str(db.port),
        "database.user": db.user,
        "database.password": db.password,
        "database.dbname": db.name,
        "topic.prefix": "srv",
        "slot.name": f"s_{db.name[-12:]}",
        "publication.name": f"p_{db.name[-12:]}",
        "slot.drop.on.stop": "false",
        "slot.retry.delay.ms": "200",
        "poll.interval.ms": "50",
        "snapshot.mode": "no_data",
        "signal.data.collection": "public.dbz_signals",
        "incremental.snapshot.chunk.size": str(CHUNK),
    }


def _starter(
    task: Callable[[], SourceTask],
    config: dict[str, str],
    harnesses: list[SourceTaskHarness],
    restart: dict[str, str] | None = None,
) -> Callable[[SourceTaskHarness | None], SourceTaskHarness]:
    def start(previous: SourceTaskHarness | None) -> SourceTaskHarness:
        h = SourceTaskHarness(task(), config if previous is None else {**config, **(restart or {})})
        if previous is not None:
            h.offsets = previous.offsets
        harnesses.append(h.start())
        return h

    return start


def test_postgres_incremental_snapshot_by_signal(
    postgres_database: DatabaseFactory, harnesses: list[SourceTaskHarness]
) -> None:
    db = postgres_database()
    db.execute("CREATE TABLE items (id INT PRIMARY KEY, v TEXT NOT NULL)")
    db.execute(
        "CREATE TABLE dbz_signals (id VARCHAR(64) PRIMARY KEY, type VARCHAR(32) NOT NULL, "
        "data VARCHAR(2048))"
    )
    db.execute(f"INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, {ROWS}) g")
    config = _pg_config(db)

    def connect() -> Any:
        conn = db.connect()
        conn.autocommit = True  # type: ignore[misc]
        return conn

    # the restarted task drops the slot when the test stops it
    start = _starter(PostgresConnectorTask, config, harnesses, {"slot.drop.on.stop": "true"})
    got = _exercise(start, connect, "dbz_signals", "items", "public.items")
    _check(got, db.query("SELECT id, v FROM items"), "items")
    read = next(r for r in got if r.value is not None and r.value.get("op") == "r")
    assert read.topic == "srv.public.items" and read.key.to_dict() == {
        "id": read.value.get("after").get("id")
    }
    source = read.value.get("source")
    # as Debezium's: no lsn or txId of its own, the close watermark's position in the sequence
    assert (source.get("schema"), source.get("table"), source.get("lsn"), source.get("txId")) == (
        "public", "items", None, None,
    )  # fmt: skip
    assert json.loads(source.get("sequence"))[1] is not None
    offset = read.source_offset or {}
    assert offset["incremental_snapshot_collections"].startswith(
        '[{"incremental_snapshot_collections_id":"public.items"'
    )
    assert offset["incremental_snapshot_primary_key"].startswith("aced0005")


def test_postgres_bad_signals_do_not_fail_the_task(
    postgres_database: DatabaseFactory,
    harnesses: list[SourceTaskHarness],
    caplog: pytest.LogCaptureFixture,
) -> None:
    db = postgres_database()
    db.execute("CREATE TABLE nokey (a INT)")
    db.execute("CREATE TABLE names (id INT PRIMARY KEY, v TEXT)")
    db.execute("INSERT INTO names VALUES (1, 'ant'), (2, 'bee'), (3, 'asp')")
    db.execute("CREATE TABLE dbz_signals (id TEXT PRIMARY KEY, type TEXT, data TEXT)")
    config = {**_pg_config(db), "slot.drop.on.stop": "true"}
    h = _starter(PostgresConnectorTask, config, harnesses)(None)
    conditional = {
        "data-collections": ["public.names"],
        "additional-conditions": [{"data-collection": "public.names", "filter": "v LIKE 'a%'"}],
    }
    for sid, data in (
        ("bad-json", "{oops"),
        ("unknown", '{"data-collections": ["public.missing"]}'),
        ("no-key", '{"data-collections": ["public.nokey"]}'),
        ("bad-filter", '{"data-collections": ["public.names"], "additional-condition": "nope("}'),
        ("filtered", json.dumps(conditional)),
    ):
        db.execute("INSERT INTO dbz_signals VALUES (%s, 'execute-snapshot', %s)", (sid, data))
    got: list[SourceRecord] = []
    wait_for(lambda: bool(got.extend(h.poll())) or any(r.value.get("op") == "r" for r in got), 20)
    got.extend(h.poll())
    text = caplog.text
    assert "not JSON" in text and "public.missing" in text and "public.nokey" in text
    assert "Incremental snapshot of table public.names failed" in text and "nope(" in text
    reads = [r.value.get("after").get("v") for r in got if r.value.get("op") == "r"]
    assert reads == ["ant", "asp"]


# -- MariaDB ------------------------------------------------------------------------------------


def test_mariadb_incremental_snapshot_by_signal(
    kafka_bootstrap: str, mariadb_database: DatabaseFactory, harnesses: list[SourceTaskHarness]
) -> None:
    db = mariadb_database()
    db.execute("CREATE TABLE items (id INT PRIMARY KEY, v VARCHAR(40) NOT NULL)")
    db.execute(
        "CREATE TABLE dbz_signals (id VARCHAR(64) PRIMARY KEY, type VARCHAR(32) NOT NULL, "
        "data VARCHAR(2048))"
    )
    db.executemany("INSERT INTO items VALUES (%s, %s)", [(i, f"v{i}") for i in range(1, ROWS + 1)])
    prefix = f"sig{uuid.uuid4().hex[:8]}"
    config = {
        "database.hostname": db.host,
        "database.port": str(db.port),
        "database.user": db.user,
        "database.password": db.password,
        "database.server.id": str(random.randint(1000, 2**31)),
        "topic.prefix": "srv",
        "database.include.list": db.name,
        "schema.history.internal.kafka.topic": f"{prefix}.history",
        "schema.history.internal.kafka.bootstrap.servers": kafka_bootstrap,
        "schema.history.internal.store.only.captured.tables.ddl": "true",
        "schema.history.internal.store.only.captured.databases.ddl": "true",
        "poll.interval.ms": "50",
        "snapshot.mode": "no_data",
        "signal.data.collection": f"{db.name}.dbz_signals",
        "incremental.snapshot.chunk.size": str(CHUNK),
    }
    start = _starter(MariaDbConnectorTask, config, harnesses)
    first = start(None)
    # the schema-only snapshot: done once its records are polled
    wait_for(lambda: not first.poll() and first.offsets.offset({"server": "srv"}) is not None, 30)
    first.stop()

    def connect() -> Any:
        conn = db.connect()
        conn.autocommit(True)  # type: ignore[operator]
        return conn

    def resume(previous: SourceTaskHarness | None) -> SourceTaskHarness:
        return start(previous or first)

    got = _exercise(resume, connect, "dbz_signals", "items", f"{db.name}.items")
    _check(got, db.query("SELECT id, v FROM items"), "items")
    read = next(r for r in got if r.value is not None and r.value.get("op") == "r")
    assert read.topic == f"srv.{db.name}.items"
    source = read.value.get("source")
    assert source.get("snapshot") == "incremental" and source.get("file")
    assert (read.source_offset or {})["incremental_snapshot_primary_key"].startswith("aced0005")
