"""The Debezium-compatible PostgreSQL task against a real server (logical replication on).

These drive the task directly with the public test harness (no broker needed), so they can
check what only the task sees: the records' exact values, the slot's confirmed position before
and after a commit, and the errors for a bad setup.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import decimal
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg2
import psycopg2.extras
import pytest

from sluice.api import ConnectError, RetriableError, SourceRecord, Struct
from sluice.connectors.debezium.postgres_task import PostgresConnectorTask
from sluice.testing import wait_for
from sluice.testing.harness import SourceTaskHarness
from tests.fixtures.databases import DatabaseFactory, TestDatabase


def _config(db: TestDatabase, **extra: str) -> dict[str, str]:
    slot = f"s_{db.name[-12:]}"
    return {
        "database.hostname": db.host,
        "database.port": str(db.port),
        "database.user": db.user,
        "database.password": db.password,
        "database.dbname": db.name,
        "topic.prefix": "srv",
        "slot.name": slot,
        "publication.name": f"p_{db.name[-12:]}",
        "slot.drop.on.stop": "true",
        "poll.interval.ms": "100",
        **extra,
    }


@pytest.fixture
def harnesses() -> Iterator[list[SourceTaskHarness]]:
    made: list[SourceTaskHarness] = []
    yield made
    for h in made:
        h.stop()


def _start(harnesses: list[SourceTaskHarness], config: dict[str, str]) -> SourceTaskHarness:
    h = SourceTaskHarness(PostgresConnectorTask(), config).start()
    harnesses.append(h)
    return h


def _poll_until(h: SourceTaskHarness, count: int, commit: bool = True) -> list[SourceRecord]:
    out: list[SourceRecord] = []
    wait_for(lambda: len(out) >= count or bool(out.extend(h.poll(commit)) and False), 20)
    return out


def _slot_flush(db: TestDatabase, slot: str) -> int:
    rows = db.query(
        "SELECT confirmed_flush_lsn - '0/0' FROM pg_replication_slots WHERE slot_name = %s",
        (slot,),
    )
    return int(rows[0][0])  # type: ignore[call-overload]


def test_snapshot_stream_and_envelope(
    postgres_database: DatabaseFactory, harnesses: list[SourceTaskHarness]
) -> None:
    db = postgres_database()
    db.execute("CREATE TABLE items (id INT PRIMARY KEY, name TEXT NOT NULL, qty INT)")
    db.execute("INSERT INTO items VALUES (1, 'a', 10), (2, 'b', 20), (3, 'c', NULL)")
    h = _start(harnesses, _config(db))
    snap = _poll_until(h, 3)
    assert [r.value.get("op") for r in snap] == ["r", "r", "r"]
    assert [r.value.get("source").get("snapshot") for r in snap] == ["first", "true", "last"]
    assert snap[-1].source_offset is not None and snap[-1].source_offset["last_snapshot_record"]
    first = snap[0]
    assert first.topic == "srv.public.items"
    assert first.key_schema is not None and first.key_schema.name == "srv.public.items.Key"
    assert first.key.to_dict() == {"id": 1}
    assert first.value_schema is not None
    assert first.value_schema.name == "srv.public.items.Envelope"
    assert [f.name for f in first.value_schema.fields] == [
        "before", "after", "source", "transaction", "op", "ts_ms", "ts_us", "ts_ns",
    ]  # fmt: skip
    assert first.value.get("after").to_dict() == {"id": 1, "name": "a", "qty": 10}
    source = first.value.get("source")
    assert source.schema.name == "io.debezium.connector.postgresql.Source"
    assert (source.get("connector"), source.get("name"), source.get("db")) == (
        "postgresql", "srv", db.name,
    )  # fmt: skip
    assert (source.get("schema"), source.get("table")) == ("public", "items")
    assert source.get("lsn") > 0 and source.get("txId") > 0

    db.execute("INSERT INTO items VALUES (4, 'd', 40)")
    db.execute("UPDATE items SET qty = 11 WHERE id = 1")
    db.execute("DELETE FROM items WHERE id = 2")
    with db.connect() as conn:  # one transaction of several rows
        with conn.cursor() as cur:
            for i in range(10, 15):
                cur.execute("INSERT INTO items VALUES (%s, 'tx', %s)", (i, i))
        conn.commit()
    db.execute("UPDATE items SET id = 100 WHERE id = 3")  # key change
    changes = _poll_until(h, 12)
    ops = [(r.value.get("op") if r.value is not None else None) for r in changes]
    assert ops == ["c", "u", "d", None, "c", "c", "c", "c", "c", "d", None, "c"]
    insert, update, delete, tombstone = changes[:4]
    assert insert.value.get("source").get("snapshot") == "false"
    assert insert.value.get("before") is None
    assert update.value.get("after").to_dict() == {"id": 1, "name": "a", "qty": 11}
    assert update.value.get("before") is None  # REPLICA IDENTITY DEFAULT
    # the key-only old row: NOT NULL columns fall back to their zero value, as in Debezium
    assert delete.value.get("before").to_dict() == {"id": 2, "name": "", "qty": None}
    assert tombstone.key.to_dict() == {"id": 2} and tombstone.value_schema is None
    tx = changes[4:9]
    assert len({r.value.get("source").get("txId") for r in tx}) == 1
    lsns = [r.value.get("source").get("lsn") for r in tx]
    assert lsns == sorted(lsns)
    moved_delete, moved_tombstone, moved_create = changes[9:12]
    assert moved_delete.key.to_dict() == {"id": 3}
    assert moved_tombstone.key.to_dict() == {"id": 3}
    assert moved_create.key.to_dict() == {"id": 100}
    offset = moved_create.source_offset
    assert offset is not None
    assert {"lsn", "lsn_proc", "lsn_commit", "txId", "ts_usec", "messageType"} <= set(offset)


def _decimal_struct(value: Struct) -> decimal.Decimal:
    unscaled = int.from_bytes(value.get("value"), "big", signed=True)
    return decimal.Decimal(unscaled).scaleb(-value.get("scale"))


def test_types(postgres_database: DatabaseFactory, harnesses: list[SourceTaskHarness]) -> None:
    db = postgres_database()
    db.execute(
        "CREATE TABLE t (id INT PRIMARY KEY, n NUMERIC(10, 2), nv NUMERIC, d DECIMAL(5, 0), "
        "f8 DOUBLE PRECISION, f4 REAL, b BOOLEAN, txt TEXT, vc VARCHAR(5), by BYTEA, "
        "j JSON, jb JSONB, dt DATE, tm TIME, tm3 TIME(3), ttz TIMETZ, ts TIMESTAMP, "
        "ts3 TIMESTAMP(3), tstz TIMESTAMPTZ, u UUID, ia INT[], ta TEXT[], si SMALLINT, "
        "bi BIGINT)"
    )
    row = (
        "1, 12.5, 3.14159, 42, 1.5, 2.5, true, 'héllo', 'abc', '\\x00ff10', "
        "'{\"a\": 1}', '{\"b\": [1, 2]}', '2024-02-29', '13:14:15.123456', '13:14:15.5', "
        "'10:00:00+02', '2024-02-29 13:14:15.123456', '2024-02-29 13:14:15.5', "
        "'2024-02-29 13:14:15.5+01', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', "
        "'{1,NULL,3}', '{\"x y\",z}', 7, 9000000000"
    )
    db.execute(f"INSERT INTO t VALUES ({row})")
    h = _start(harnesses, _config(db))
    (snapshot,) = _poll_until(h, 1)
    db.execute(f"INSERT INTO t VALUES ({row.replace('1, ', '2, ', 1)})")
    (streamed,) = _poll_until(h, 1)
    for record in (snapshot, streamed):
        after = record.value.get("after")
        schema = after.schema
        names = {f.name: f.schema.name for f in schema.fields}
        assert names["n"] == "org.apache.kafka.connect.data.Decimal"
        assert schema.field("n").schema.parameters == {
            "scale": "2", "connect.decimal.precision": "10",
        }  # fmt: skip
        assert after.get("n") == decimal.Decimal("12.50")
        assert names["nv"] == "io.debezium.data.VariableScaleDecimal"
        assert _decimal_struct(after.get("nv")) == decimal.Decimal("3.14159")
        assert after.get("d") == decimal.Decimal("42")
        assert (after.get("f8"), after.get("f4"), after.get("b")) == (1.5, 2.5, True)
        assert (after.get("txt"), after.get("vc")) == ("héllo", "abc")
        assert after.get("by") == b"\x00\xff\x10"
        assert names["j"] == names["jb"] == "io.debezium.data.Json"
        assert after.get("j") == '{"a": 1}' and after.get("jb") == '{"b": [1, 2]}'
        assert names["dt"] == "io.debezium.time.Date"
        assert after.get("dt") == (dt.date(2024, 2, 29) - dt.date(1970, 1, 1)).days
        assert names["tm"] == "io.debezium.time.MicroTime"
        assert after.get("tm") == ((13 * 60 + 14) * 60 + 15) * 1_000_000 + 123_456
        assert names["tm3"] == "io.debezium.time.Time"
        assert after.get("tm3") == ((13 * 60 + 14) * 60 + 15) * 1000 + 500
        assert names["ttz"] == "io.debezium.time.ZonedTime"
        assert after.get("ttz") == "08:00:00Z"
        epoch = dt.datetime(2024, 2, 29, 13, 14, 15, tzinfo=dt.UTC).timestamp()
        assert names["ts"] == "io.debezium.time.MicroTimestamp"
        assert after.get("ts") == int(epoch) * 1_000_000 + 123_456
        assert names["ts3"] == "io.debezium.time.Timestamp"
        assert after.get("ts3") == int(epoch) * 1000 + 500
        assert names["tstz"] == "io.debezium.time.ZonedTimestamp"
        assert after.get("tstz") == "2024-02-29T12:14:15.500000Z"
        assert names["u"] == "io.debezium.data.Uuid"
        assert uuid.UUID(after.get("u")).hex.startswith("a0eebc99")
        assert after.get("ia") == [1, None, 3]
        assert after.get("ta") == ["x y", "z"]
        assert (after.get("si"), after.get("bi")) == (7, 9_000_000_000)
    assert base64.b64encode(streamed.value.get("after").get("by"))


def test_slot_confirmed_only_after_commit(
    postgres_database: DatabaseFactory, harnesses: list[SourceTaskHarness]
) -> None:
    db = postgres_database()
    db.execute("CREATE TABLE k (id INT PRIMARY KEY)")
    config = _config(db, **{"snapshot.mode": "no_data"})
    h = _start(harnesses, config)
    slot = config["slot.name"]
    start = _slot_flush(db, slot)
    for i in range(3):
        db.execute("INSERT INTO k VALUES (%s)", (i,))
    _poll_until(h, 3, commit=False)  # delivered to the runtime, not acknowledged
    h.task.commit()
    for _ in range(3):
        h.poll(commit=False)
    assert _slot_flush(db, slot) == start, "nothing was acknowledged: the slot stays"
    db.execute("INSERT INTO k VALUES (10)")
    (acked,) = _poll_until(h, 1)  # committed: proves the first three transactions delivered
    h.task.commit()
    expected = acked.source_offset["lsn_commit"]  # type: ignore[index]
    wait_for(lambda: (h.poll(False) is not None and False) or _slot_flush(db, slot) >= expected, 20)
    # with everything handed out acknowledged and the stream idle, the slot may go further, to
    # the server's end of WAL (a server shutting down waits for that), never before the commit
    assert _slot_flush(db, slot) >= expected


def test_table_without_primary_key_has_null_key(
    postgres_database: DatabaseFactory, harnesses: list[SourceTaskHarness]
) -> None:
    db = postgres_database()
    db.execute("CREATE TABLE nokey (a INT, b TEXT)")
    db.execute("INSERT INTO nokey VALUES (1, 'x')")
    h = _start(harnesses, _config(db))
    (snap,) = _poll_until(h, 1)
    db.execute("INSERT INTO nokey VALUES (2, 'y')")
    (ins,) = _poll_until(h, 1)
    for r in (snap, ins):
        assert r.key is None and r.key_schema is None
    assert ins.value.get("after").to_dict() == {"a": 2, "b": "y"}


def _fail_start(harnesses: list[SourceTaskHarness], config: dict[str, str]) -> str:
    h = SourceTaskHarness(PostgresConnectorTask(), config)
    with pytest.raises(ConnectError) as info:
        h.start()
    return str(info.value)


def test_bad_setups_name_what_to_fix(
    postgres_database: DatabaseFactory, harnesses: list[SourceTaskHarness]
) -> None:
    db = postgres_database()
    db.execute("CREATE TABLE x (id INT PRIMARY KEY)")
    message = _fail_start(harnesses, _config(db, **{"publication.autocreate.mode": "disabled"}))
    assert "publication.name" in message and "does not exist" in message

    role = f"r_{db.name[-10:]}"
    db.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'pw'")
    message = _fail_start(
        harnesses, _config(db, **{"database.user": role, "database.password": "pw"})
    )
    assert "REPLICATION" in message and "database.user" in message

    db.execute(f"ALTER ROLE {role} WITH REPLICATION")
    as_role = _config(db, **{"database.user": role, "database.password": "pw"})
    message = _fail_start(harnesses, as_role)  # FOR ALL TABLES needs a superuser
    assert "publication.autocreate.mode" in message and "publication.name" in message
    db.execute(f"CREATE PUBLICATION {as_role['publication.name']} FOR ALL TABLES")
    h = _start(harnesses, as_role)
    with pytest.raises(ConnectError, match=r"Cannot read table public\.x .*permission denied"):
        h.poll()

    config = _config(db, **{"slot.name": f"held_{db.name[-10:]}"})
    holder = psycopg2.connect(
        host=db.host, port=db.port, user=db.user, password=db.password, dbname=db.name,
        connection_factory=psycopg2.extras.LogicalReplicationConnection,
    )  # fmt: skip
    try:
        cur = holder.cursor()
        cur.create_replication_slot(config["slot.name"], output_plugin="pgoutput")
        cur.start_replication(slot_name=config["slot.name"], decode=False, options={
            "proto_version": "1", "publication_names": "dbz_publication",
        })  # fmt: skip
        held = {**config, "slot.drop.on.stop": "false", "slot.max.retries": "1"}
        message = _fail_start(harnesses, {**held, "slot.retry.delay.ms": "100"})
        assert "slot.name" in message and "active" in message
    finally:
        holder.close()
        wait_for(
            lambda: (
                not db.query(
                    "SELECT active FROM pg_replication_slots WHERE slot_name = %s",
                    (config["slot.name"],),
                )[0][0]
            ),
            10,
        )
        db.execute("SELECT pg_drop_replication_slot(%s)", (config["slot.name"],))


def _values(records: list[SourceRecord]) -> list[Any]:
    return [r.value.get("after").get("id") for r in records if r.value is not None]


def test_stream_survives_a_lost_connection(
    postgres_database: DatabaseFactory, harnesses: list[SourceTaskHarness]
) -> None:
    db = postgres_database()
    db.execute("CREATE TABLE r (id INT PRIMARY KEY)")
    config = _config(db, **{"snapshot.mode": "no_data"})
    h = _start(harnesses, config)
    db.execute("INSERT INTO r VALUES (1)")
    assert _values(_poll_until(h, 1)) == [1]
    db.execute("INSERT INTO r VALUES (2)")
    # the server drops the walsender, as a restart or a network cut would
    db.execute(
        "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = %s",
        (config["slot.name"],),
    )
    db.execute("INSERT INTO r VALUES (3)")
    got: list[SourceRecord] = []

    def polled() -> bool:
        with contextlib.suppress(RetriableError):  # the runtime logs it and polls again
            got.extend(h.poll())
        return set(_values(got)) >= {2, 3}

    wait_for(polled, 30)
    assert _values(got) == [2, 3], "resumed after what was handed out, nothing lost or doubled"


def test_snapshot_modes(
    postgres_database: DatabaseFactory, harnesses: list[SourceTaskHarness]
) -> None:
    db = postgres_database()
    db.execute("CREATE TABLE m (id INT PRIMARY KEY)")
    db.execute("INSERT INTO m VALUES (1), (2)")
    h = _start(harnesses, _config(db, **{"snapshot.mode": "initial_only"}))
    assert _values(_poll_until(h, 2)) == [1, 2]
    db.execute("INSERT INTO m VALUES (3)")
    assert h.poll() == [] and h.poll() == [], "initial_only streams nothing"
    h.stop()
    h = _start(harnesses, _config(db, **{"snapshot.mode": "no_data"}))
    db.execute("INSERT INTO m VALUES (4)")
    assert _values(_poll_until(h, 1)) == [4], "no_data: no snapshot, changes only"


def test_heartbeats_carry_the_position(
    postgres_database: DatabaseFactory, harnesses: list[SourceTaskHarness]
) -> None:
    db = postgres_database()
    db.execute("CREATE TABLE hb (id INT PRIMARY KEY)")
    h = _start(
        harnesses, _config(db, **{"snapshot.mode": "no_data", "heartbeat.interval.ms": "100"})
    )
    db.execute("INSERT INTO hb VALUES (1)")
    got: list[SourceRecord] = []
    wait_for(lambda: got.extend(h.poll()) or any(r.topic.startswith("__") for r in got), 20)
    beat = next(r for r in got if r.topic.startswith("__"))
    assert beat.topic == "__debezium-heartbeat.srv"
    assert beat.key.to_dict() == {"serverName": "srv"}
    assert beat.value_schema is not None
    assert beat.value_schema.name == "io.debezium.connector.common.Heartbeat"
    assert beat.source_offset is not None and beat.source_offset["lsn_commit"] > 0


def test_alter_table_and_new_table_mid_stream(
    postgres_database: DatabaseFactory, harnesses: list[SourceTaskHarness]
) -> None:
    db = postgres_database()
    db.execute("CREATE TABLE a (id INT PRIMARY KEY)")
    h = _start(harnesses, _config(db, **{"snapshot.mode": "no_data"}))
    db.execute("INSERT INTO a VALUES (1)")
    (before_alter,) = _poll_until(h, 1)
    db.execute("ALTER TABLE a ADD COLUMN note TEXT DEFAULT 'n'")
    db.execute("INSERT INTO a VALUES (2, 'added')")
    db.execute("CREATE TABLE later (k TEXT PRIMARY KEY)")
    db.execute("INSERT INTO later VALUES ('x')")
    after_alter, new_table = _poll_until(h, 2)
    assert [f.name for f in before_alter.value.get("after").schema.fields] == ["id"]
    assert after_alter.value.get("after").to_dict() == {"id": 2, "note": "added"}
    assert after_alter.value.get("after").schema.field("note").schema.default == "n"
    assert new_table.topic == "srv.public.later" and new_table.key.to_dict() == {"k": "x"}


def test_restart_resumes_after_the_committed_offset(
    postgres_database: DatabaseFactory, harnesses: list[SourceTaskHarness]
) -> None:
    db = postgres_database()
    db.execute("CREATE TABLE q (id INT PRIMARY KEY)")
    config = _config(
        db,
        **{"snapshot.mode": "no_data", "slot.drop.on.stop": "false", "slot.retry.delay.ms": "200"},
    )
    h = _start(harnesses, config)
    db.execute("INSERT INTO q VALUES (1)")
    db.execute("INSERT INTO q VALUES (2)")
    assert _values(_poll_until(h, 2)) == [1, 2]  # both committed by the harness
    db.execute("INSERT INTO q VALUES (3)")  # not polled before the stop
    h.stop()
    # at once: the old walsender may still hold the slot for a moment (retried, not failed)
    again = SourceTaskHarness(PostgresConnectorTask(), {**config, "slot.drop.on.stop": "true"})
    again.offsets = h.offsets
    harnesses.append(again.start())
    assert _values(_poll_until(again, 1)) == [3], "2 was committed: only 3 comes again"
    db.execute("INSERT INTO q VALUES (4)")
    assert _values(_poll_until(again, 1)) == [4]
