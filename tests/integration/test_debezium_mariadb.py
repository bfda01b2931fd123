"""The Debezium-compatible MariaDB/MySQL connectors against the real MariaDB and Kafka.

The test server runs with a row-based binlog (``tests/fixtures/databases.py``). Each test has
its own database and topic prefix, runs a real worker (in-process, or as a child process for the
kill -9 test) with JsonConverter (schemas on), and reads back what reached Kafka: the snapshot's
read events, then inserts, updates, deletes and their tombstones, a multi-row transaction, an
``ALTER TABLE`` mid-stream (schema change topic, history topic and the records' new schema), the
types the issue lists, and a worker killed mid-stream losing no change.
"""

from __future__ import annotations

import base64
import collections
import itertools
import json
import random
import threading
import uuid
from pathlib import Path
from typing import Any

import pymysql
import pytest

from sluice.api import ConnectError
from sluice.connectors.debezium_mysql.source_task import MariaDbConnectorTask
from sluice.runtime.herder import BadRequestError
from sluice.runtime.status import ConnectorTaskId, State
from sluice.testing import EmbeddedWorker, SourceTaskHarness, wait_for
from tests.fixtures.databases import DatabaseFactory, TestDatabase
from tests.fixtures.debezium import mariadb_config
from tests.fixtures.kafka import consume_all
from tests.fixtures.worker_process import (
    high_watermark,
    kill9,
    start_worker,
    stop_worker,
    stored_offset,
    worker_log,
    write_props,
)

MARIADB = "io.debezium.connector.mariadb.MariaDbConnector"
MYSQL = "io.debezium.connector.mysql.MySqlConnector"
JSON_WORKER = {
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "offset.flush.interval.ms": "200",
}


def _config(db: TestDatabase, prefix: str, bootstrap: str, **extra: str) -> dict[str, str]:
    # Debezium records the DDL of every database on the server by default; the tests share
    # one server, so each connector records its own database's only.
    only_captured = {
        "poll.interval.ms": "100",
        "schema.history.internal.store.only.captured.tables.ddl": "true",
        "schema.history.internal.store.only.captured.databases.ddl": "true",
    }
    return mariadb_config(db, prefix, bootstrap, **{**only_captured, **extra})


def _prefix() -> str:
    return f"dbz{uuid.uuid4().hex[:8]}"


def _values(bootstrap: str, topic: str, count: int) -> list[Any]:
    """``count`` JsonConverter envelopes' payloads (tombstones as None) from ``topic``."""
    out = []
    for m in consume_all(bootstrap, topic, count, timeout=60):
        raw = m.value()
        out.append(None if raw is None else json.loads(raw))
    return out


def _keys(bootstrap: str, topic: str, count: int) -> list[Any]:
    return [json.loads(m.key())["payload"] for m in consume_all(bootstrap, topic, count, 60)]


def test_snapshot_then_stream_with_types(
    kafka_bootstrap: str, mariadb_database: DatabaseFactory, tmp_path: Path
) -> None:
    db = mariadb_database()
    db.execute(
        "CREATE TABLE items (id INT UNSIGNED PRIMARY KEY, big BIGINT UNSIGNED, "
        "price DECIMAL(10,2), name VARCHAR(20) DEFAULT 'none', note TEXT, data BLOB, doc JSON, "
        "day DATE, at DATETIME(3), at6 DATETIME(6), stamp TIMESTAMP(6) NULL, dur TIME(2), "
        "color ENUM('red','green'), tags SET('a','b','c'), flags BIT(10), flag BIT(1), yr YEAR, "
        "small TINYINT, f FLOAT, d DOUBLE)"
    )
    db.execute(
        "INSERT INTO items VALUES (1, 18446744073709551615, 12.34, 'héllo', 'text', x'00ff10', "
        "'{\"a\": [1, 2]}', '2024-02-03', '2024-02-03 04:05:06.789', '2024-02-03 04:05:06.000001', "
        "'2024-02-03 04:05:06.123456', '-12:34:56.78', 'green', 'a,c', b'1010101010', b'1', "
        "2024, -5, 1.5, 2.25)"
    )
    db.execute("INSERT INTO items (id) VALUES (2)")
    prefix = _prefix()
    topic = f"{prefix}.{db.name}.items"
    with EmbeddedWorker(kafka_bootstrap, tmp_path, JSON_WORKER) as worker:
        worker.create("cdc", _config(db, prefix, kafka_bootstrap))
        worker.wait_running("cdc")
        snap = _values(kafka_bootstrap, topic, 2)
        # streaming: insert, update, delete, and a transaction of many rows
        db.execute("INSERT INTO items (id, name, tags) VALUES (3, 'three', '')")
        db.execute("UPDATE items SET name = 'uno', tags = 'b' WHERE id = 1")
        db.execute("DELETE FROM items WHERE id = 2")
        db.executemany(
            "INSERT INTO items (id, name) VALUES (%s, %s)", [(i, f"n{i}") for i in range(10, 60)]
        )
        got = _values(kafka_bootstrap, topic, 2 + 4 + 50)
        keys = _keys(kafka_bootstrap, topic, 2 + 4 + 50)
        changes = _values(kafka_bootstrap, prefix, 6)
        history = [
            json.loads(m.value()) for m in consume_all(kafka_bootstrap, f"{prefix}.history", 6)
        ]

    # -- the snapshot ------------------------------------------------------------------------
    first, second = snap
    schema, payload = first["schema"], first["payload"]
    assert schema["name"] == f"{prefix}.{db.name}.items.Envelope"
    assert [f["field"] for f in schema["fields"]] == [
        "before",
        "after",
        "source",
        "transaction",
        "op",
        "ts_ms",
        "ts_us",
        "ts_ns",
    ]
    fields = {f["field"]: f for f in schema["fields"][1]["fields"]}
    assert schema["fields"][1]["name"] == f"{prefix}.{db.name}.items.Value"
    assert fields["id"]["type"] == "int64" and not fields["id"]["optional"]
    assert fields["big"]["type"] == "int64"
    assert fields["price"]["name"] == "org.apache.kafka.connect.data.Decimal"
    assert fields["price"]["parameters"] == {"scale": "2", "connect.decimal.precision": "10"}
    assert fields["name"]["default"] == "none"
    # MariaDB's JSON is LONGTEXT: a plain string, as Debezium's MariaDB connector reports it
    assert fields["doc"] == {"type": "string", "optional": True, "field": "doc"}
    assert fields["day"]["name"] == "io.debezium.time.Date"
    assert fields["at"]["name"] == "io.debezium.time.Timestamp"
    assert fields["at6"]["name"] == "io.debezium.time.MicroTimestamp"
    assert fields["stamp"]["name"] == "io.debezium.time.ZonedTimestamp"
    assert fields["dur"]["name"] == "io.debezium.time.MicroTime"
    assert fields["color"]["name"] == "io.debezium.data.Enum"
    assert fields["color"]["parameters"] == {"allowed": "red,green"}
    assert fields["tags"]["name"] == "io.debezium.data.EnumSet"
    assert fields["flags"]["name"] == "io.debezium.data.Bits"
    assert fields["flags"]["parameters"] == {"length": "10"}
    assert fields["flag"]["type"] == "boolean"
    assert fields["yr"]["name"] == "io.debezium.time.Year"
    assert fields["small"]["type"] == "int16"
    assert fields["f"]["type"] == "float"
    assert payload["op"] == "r" and payload["before"] is None
    after = payload["after"]
    assert after["id"] == 1
    assert after["big"] == -1  # BIGINT UNSIGNED max in long mode, as Debezium
    assert base64.b64decode(after["price"]) == (1234).to_bytes(2, "big")
    assert after["name"] == "héllo" and after["note"] == "text"
    assert base64.b64decode(after["data"]) == b"\x00\xff\x10"
    assert json.loads(after["doc"]) == {"a": [1, 2]}
    assert after["day"] == 19756
    assert after["at"] == 1706933106789
    assert after["at6"] == 1706933106000001
    assert after["stamp"] == "2024-02-03T04:05:06.123456Z"
    assert after["dur"] == -(12 * 3600 + 34 * 60 + 56) * 1_000_000 - 780_000
    assert after["color"] == "green" and after["tags"] == "a,c"
    assert base64.b64decode(after["flags"]) == (0b1010101010).to_bytes(2, "little")
    assert after["flag"] is True and after["yr"] == 2024 and after["small"] == -5
    assert after["f"] == 1.5 and after["d"] == 2.25
    source = payload["source"]
    assert source["connector"] == "mariadb" and source["name"] == prefix
    assert source["db"] == db.name and source["table"] == "items"
    assert source["snapshot"] == "first" and second["payload"]["source"]["snapshot"] == "last"
    assert source["file"].startswith("mariadbd-bin.") or source["file"]
    assert first["schema"]["fields"][2]["name"] == "io.debezium.connector.mariadb.Source"
    assert second["payload"]["after"]["name"] == "none"  # the column default

    # -- streaming ---------------------------------------------------------------------------
    ops = [(v["payload"]["op"] if v else None) for v in got[2:]]
    assert ops[:5] == ["c", "u", "d", None, "c"], ops
    assert ops[5:] == ["c"] * 49
    ins, upd, dele = (got[i]["payload"] for i in (2, 3, 4))
    assert ins["after"]["tags"] == "" and ins["after"]["name"] == "three"
    assert upd["before"]["name"] == "héllo" and upd["after"]["name"] == "uno"
    assert upd["before"]["tags"] == "a,c" and upd["after"]["tags"] == "b"
    assert upd["after"]["stamp"] == "2024-02-03T04:05:06.123456Z"
    # every type decodes from the binlog as it did from the snapshot
    assert {k: v for k, v in upd["before"].items()} == {**after, "tags": "a,c"}
    assert upd["after"] == {**after, "name": "uno", "tags": "b"}
    assert dele["before"]["id"] == 2 and dele["after"] is None
    assert ins["source"]["snapshot"] == "false" or ins["source"]["snapshot"] is None
    assert ins["source"]["gtid"] and ins["source"]["server_id"] == 1
    assert [k["id"] if k else None for k in keys[2:7]] == [3, 1, 2, 2, 10]
    txn = [g["payload"]["source"] for g in got[6:]]
    assert len({(s["gtid"], s["file"]) for s in txn}) == 1, "one transaction"
    assert [s["row"] for s in txn] == list(range(50))

    # -- schema change topic and history -----------------------------------------------------
    # Debezium's snapshot DDL: the server charset, DROP TABLE, DROP/CREATE DATABASE, USE, CREATE
    assert [c["payload"]["ddl"].split(" `")[0] for c in changes] == [
        "SET character_set_server=utf8mb4, collation_server=utf8mb4_general_ci",
        "DROP TABLE IF EXISTS",
        "DROP DATABASE IF EXISTS",
        "CREATE DATABASE",
        "USE",
        "CREATE TABLE",
    ]
    assert changes[1]["payload"]["tableChanges"] == [
        {"type": "DROP", "id": f'"{db.name}"."items"', "table": None}
    ]
    change = changes[5]
    assert change["schema"]["name"] == "io.debezium.connector.mariadb.SchemaChangeValue"
    assert change["payload"]["databaseName"] == db.name
    assert change["payload"]["ddl"].startswith("CREATE TABLE `items`")
    table_change = change["payload"]["tableChanges"][0]
    assert table_change["type"] == "CREATE" and table_change["id"] == f'"{db.name}"."items"'
    assert table_change["table"]["primaryKeyColumnNames"] == ["id"]
    assert history[0]["source"] == {"server": prefix}
    assert history[0]["databaseName"] == "" and history[0]["tableChanges"] == []
    assert history[1]["tableChanges"] == [{"type": "DROP", "id": f'"{db.name}"."items"'}]
    assert history[5]["tableChanges"][0]["table"]["primaryKeyColumnNames"] == ["id"]
    assert all(h["position"]["snapshot"] == "INITIAL" for h in history)


def test_alter_table_mid_stream(
    kafka_bootstrap: str, mariadb_database: DatabaseFactory, tmp_path: Path
) -> None:
    db = mariadb_database()
    db.execute("CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10))")
    prefix = _prefix()
    topic = f"{prefix}.{db.name}.t"
    with EmbeddedWorker(kafka_bootstrap, tmp_path, JSON_WORKER) as worker:
        worker.create("cdc", _config(db, prefix, kafka_bootstrap))
        worker.wait_running("cdc")
        _values(kafka_bootstrap, prefix, 6)  # the snapshot's DDL: streaming is next
        db.execute("INSERT INTO t VALUES (1, 'x')")
        db.execute("ALTER TABLE t ADD COLUMN b INT NOT NULL DEFAULT 7")
        db.execute("INSERT INTO t VALUES (2, 'y', 8)")
        db.execute("UPDATE t SET a = 'z' WHERE id = 1")
        got = _values(kafka_bootstrap, topic, 3)
        changes = _values(kafka_bootstrap, prefix, 7)
        history = [
            json.loads(m.value()) for m in consume_all(kafka_bootstrap, f"{prefix}.history", 7)
        ]
    before_alter, after_alter, update = (g["payload"] for g in got)
    assert "b" not in before_alter["after"]
    assert after_alter["after"] == {"id": 2, "a": "y", "b": 8}
    assert update["before"] == {"id": 1, "a": "x", "b": 7}
    b_field = next(f for f in got[1]["schema"]["fields"][1]["fields"] if f["field"] == "b")
    assert b_field == {"type": "int32", "optional": False, "default": 7, "field": "b"}
    alter = changes[6]["payload"]
    assert alter["ddl"] == "ALTER TABLE t ADD COLUMN b INT NOT NULL DEFAULT 7"
    assert alter["tableChanges"][0]["type"] == "ALTER"
    assert [c["name"] for c in alter["tableChanges"][0]["table"]["columns"]] == ["id", "a", "b"]
    assert alter["source"]["snapshot"] in (None, "false")
    assert history[6]["ddl"] == "ALTER TABLE t ADD COLUMN b INT NOT NULL DEFAULT 7"
    assert history[6]["databaseName"] == db.name
    assert "snapshot" not in history[6]["position"]


def test_lost_binlog_connection_resumes_without_loss(
    kafka_bootstrap: str,
    mariadb_database: DatabaseFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The server drops the binlog connection mid-stream: the task reconnects from the offset
    of the last record it delivered, stays RUNNING, and neither loses nor repeats a change."""
    db = mariadb_database()
    db.execute("CREATE TABLE t (id INT PRIMARY KEY)")
    prefix = _prefix()
    topic = f"{prefix}.{db.name}.t"
    with EmbeddedWorker(kafka_bootstrap, tmp_path, JSON_WORKER) as worker:
        worker.create("cdc", _config(db, prefix, kafka_bootstrap))
        worker.wait_running("cdc")
        _values(kafka_bootstrap, prefix, 1)
        db.executemany("INSERT INTO t VALUES (%s)", [(i,) for i in range(5)])
        for i in range(5, 8):
            db.execute("INSERT INTO t VALUES (%s)", (i,))
        _values(kafka_bootstrap, topic, 8)
        dumps = [
            r[0]
            for r in db.query(
                "SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%%'"
            )
        ]
        assert dumps
        for pid in dumps:
            db.execute(f"KILL {pid}")
        db.executemany("INSERT INTO t VALUES (%s)", [(i,) for i in range(8, 12)])
        got = _values(kafka_bootstrap, topic, 12)
        worker.wait_running("cdc")
        db.execute("INSERT INTO t VALUES (99)")  # a marker: nothing may come before it
        marker = _values(kafka_bootstrap, topic, 13)[-1]
    assert [g["payload"]["after"]["id"] for g in got] == list(range(12))
    assert marker["payload"]["after"]["id"] == 99
    assert "Lost the binlog connection" in caplog.text


def test_no_data_snapshot_and_heartbeats(
    kafka_bootstrap: str, mariadb_database: DatabaseFactory, tmp_path: Path
) -> None:
    """``snapshot.mode=no_data`` records the schemas but no rows; heartbeats carry the binlog
    position while captured tables are idle, and changes to other tables move it on."""
    db = mariadb_database()
    db.execute("CREATE TABLE t (id INT PRIMARY KEY)")
    db.execute("CREATE TABLE other (id INT PRIMARY KEY)")
    db.execute("INSERT INTO t VALUES (1)")
    prefix = _prefix()
    config = {
        **_config(db, prefix, kafka_bootstrap),
        "snapshot.mode": "no_data",
        "table.include.list": rf"{db.name}\.t",
        "database.include.list": "",
        "heartbeat.interval.ms": "100",
    }
    with EmbeddedWorker(kafka_bootstrap, tmp_path, JSON_WORKER) as worker:
        worker.create("cdc", config)
        worker.wait_running("cdc")
        # the schemas-only snapshot is over once its last record's offset is committed
        wait_for(lambda: "snapshot" not in (_offset_of(worker, prefix) or {"snapshot": 1}), 30)
        db.execute("INSERT INTO t VALUES (2)")
        got = _values(kafka_bootstrap, f"{prefix}.{db.name}.t", 1)
        db.execute("INSERT INTO other VALUES (1)")
        (end,) = db.query("SHOW MASTER STATUS")[0][1:2]
        heartbeats = f"__debezium-heartbeat.{prefix}"

        def heartbeat_at_end() -> bool:
            n = high_watermark(kafka_bootstrap, heartbeats)
            if not n:
                return False
            last = consume_all(kafka_bootstrap, heartbeats, n)[-1]
            return (
                bool(json.loads(last.value())["payload"]["ts_ms"])
                and (_offset_of(worker, prefix) or {}).get("pos") == end
            )

        wait_for(heartbeat_at_end, 30, message=lambda: str(_offset_of(worker, prefix)))
        key = json.loads(consume_all(kafka_bootstrap, heartbeats, 1)[0].key())
    assert key["payload"] == {"serverName": prefix}
    assert [g["payload"]["op"] for g in got] == ["c"]
    assert got[0]["payload"]["after"] == {"id": 2}


def _offset_of(worker: EmbeddedWorker, prefix: str) -> dict[str, Any] | None:
    return stored_offset(worker.work_dir, "cdc", {"server": prefix})


def test_resume_inside_a_transaction_skips_what_was_delivered(
    kafka_bootstrap: str, mariadb_database: DatabaseFactory
) -> None:
    """Offsets inside a transaction (``event``: row events done, ``row``: rows of the next one
    done) resume exactly after the last delivered row, as Debezium's do."""
    db = mariadb_database()
    db.execute("CREATE TABLE t (id INT PRIMARY KEY)")
    file, first = db.query("SHOW MASTER STATUS")[0][:2]
    db.execute("INSERT INTO t VALUES (1), (2), (3), (4), (5)")  # one row event of five rows
    _, second = db.query("SHOW MASTER STATUS")[0][:2]
    with db.connect() as conn:  # one transaction of two row events
        with conn.cursor() as cur:
            cur.execute("INSERT INTO t VALUES (6), (7)")
            cur.execute("INSERT INTO t VALUES (8)")
        conn.commit()
    prefix = _prefix()
    config = _config(db, prefix, kafka_bootstrap)
    for offset, expected in (
        ({"file": file, "pos": first, "row": 2}, [3, 4, 5, 6, 7, 8]),
        ({"file": file, "pos": second, "event": 1, "row": 0}, [8]),
        ({"file": file, "pos": second, "row": 1}, [7, 8]),
        ({"file": file, "pos": second, "row": 2}, [8]),
    ):
        harness = SourceTaskHarness(MariaDbConnectorTask(), config)
        harness.offsets.put({"server": prefix}, offset)
        harness.start()
        try:
            records = harness.poll_until(len(expected), max_polls=50)
        finally:
            harness.stop()
        ids = [r.value.get("after").get("id") for r in records]
        assert ids == expected, offset
    last = records[-1].source_offset
    assert last is not None and (last["pos"], last["event"], last["row"]) == (second, 1, 1)


def test_snapshot_modes_initial_only_and_when_needed(
    kafka_bootstrap: str, mariadb_database: DatabaseFactory
) -> None:
    """``initial_only`` reads the rows and stops there; an offset whose binlog file was purged
    fails the task naming ``snapshot.mode``, and ``when_needed`` snapshots again instead."""
    db = mariadb_database()
    db.execute("CREATE TABLE t (id INT PRIMARY KEY)")
    db.execute("INSERT INTO t VALUES (1)")
    prefix = _prefix()
    config = _config(db, prefix, kafka_bootstrap)

    def run(mode: str, offset: dict[str, Any] | None, polls: int) -> list[Any]:
        harness = SourceTaskHarness(MariaDbConnectorTask(), {**config, "snapshot.mode": mode})
        if offset is not None:
            harness.offsets.put({"server": prefix}, offset)
        harness.start()
        try:
            records = [r for _ in range(polls) for r in harness.poll() if r.topic.endswith(".t")]
        finally:
            harness.stop()
        return [(r.value.get("op"), r.value.get("after").get("id")) for r in records]

    db.execute("INSERT INTO t VALUES (2)")
    assert run("initial_only", None, 20) == [("r", 1), ("r", 2)]
    root = pymysql.connect(host=db.host, port=db.port, user=db.user, password=db.password)
    try:
        with root.cursor() as cur:
            cur.execute("SHOW MASTER STATUS")
            old_file = cur.fetchone()[0]
            cur.execute("FLUSH BINARY LOGS")
            cur.execute("SHOW MASTER STATUS")
            cur.execute(f"PURGE BINARY LOGS TO '{cur.fetchone()[0]}'")
    finally:
        root.close()
    gone = {"file": old_file, "pos": 4}
    with pytest.raises(ConnectError, match=r"no longer on the server.*snapshot\.mode=when_needed"):
        run("initial", gone, 1)
    assert run("when_needed", gone, 20) == [("r", 1), ("r", 2)]


def _failed_trace(worker: EmbeddedWorker, name: str) -> str:
    def failed() -> str | None:
        status = worker.herder.connector_status(name)
        for t in status.tasks.values():
            if t.state is State.FAILED:
                return t.trace or ""
        return None

    return wait_for(failed, 60, message=lambda: str(worker.herder.connector_status(name)))


def test_bad_server_settings_and_privileges_fail_the_task(
    kafka_bootstrap: str, mariadb_database: DatabaseFactory, tmp_path: Path
) -> None:
    """Missing privileges are refused when the connector is created (naming the user and the
    privileges); a server switched to statement binlogs fails the task, naming the setting."""
    db = mariadb_database()
    user = f"u{uuid.uuid4().hex[:8]}"
    db.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'pw'")
    db.execute(f"GRANT SELECT ON *.* TO '{user}'@'%'")
    prefix = _prefix()
    root = pymysql.connect(host=db.host, port=db.port, user=db.user, password=db.password)
    with EmbeddedWorker(kafka_bootstrap, tmp_path, JSON_WORKER) as worker:
        config = _config(db, prefix, kafka_bootstrap)
        with pytest.raises(BadRequestError) as refused:
            worker.create("noprivs", {**config, "database.user": user, "database.password": "pw"})
        assert f"database.user={user}" in str(refused.value)
        assert "REPLICATION SLAVE" in str(refused.value)
        worker.create("cdc", config)
        worker.wait_running("cdc")
        try:
            with root.cursor() as cur:
                cur.execute("SET GLOBAL binlog_format = 'STATEMENT'")
            worker.herder.restart_task(ConnectorTaskId("cdc", 0))
            trace = _failed_trace(worker, "cdc")
            assert "binlog_format=STATEMENT" in trace and "binlog_format=ROW" in trace
        finally:
            with root.cursor() as cur:
                cur.execute("SET GLOBAL binlog_format = 'ROW'")
            root.close()


def _offset(tmp: Path, prefix: str) -> dict[str, Any] | None:
    return stored_offset(tmp, "cdc", {"server": prefix})


def test_kill9_mid_snapshot_snapshots_again(
    kafka_bootstrap: str, mariadb_database: DatabaseFactory, tmp_path: Path
) -> None:
    """A worker killed during the snapshot finds the offset still marked as a snapshot and
    reads every row again (as Debezium does); then streams from the snapshot's position."""
    db = mariadb_database()
    rows = 30_000
    db.execute("CREATE TABLE big (id INT PRIMARY KEY, note VARCHAR(100))")
    db.execute(f"INSERT INTO big SELECT seq, REPEAT('x', 80) FROM seq_1_to_{rows}")
    prefix = _prefix()
    topic = f"{prefix}.{db.name}.big"
    worker_props = write_props(
        tmp_path / "worker.properties",
        {
            "bootstrap.servers": kafka_bootstrap,
            **JSON_WORKER,
            "offset.storage.file.filename": str(tmp_path / "connect.offsets"),
            "listeners": "http://127.0.0.1:0",
        },
    )
    config = {**_config(db, prefix, kafka_bootstrap), "max.batch.size": "200"}
    conn_file = tmp_path / "cdc.json"
    conn_file.write_text(json.dumps({"name": "cdc", "config": config}))
    proc = start_worker(tmp_path, worker_props, conn_file)
    try:
        wait_for(
            lambda: (
                (_offset(tmp_path, prefix) or {}).get("snapshot") == "INITIAL"
                and high_watermark(kafka_bootstrap, topic) > 2000
            ),
            60,
            message=lambda: worker_log(tmp_path),
        )
    finally:
        kill9(proc)
    first_run = high_watermark(kafka_bootstrap, topic)
    assert first_run < rows, "the kill must land mid-snapshot"
    proc = start_worker(tmp_path, worker_props, conn_file)
    try:
        wait_for(
            lambda: "snapshot" not in (_offset(tmp_path, prefix) or {"snapshot": 1}),
            120,
            message=lambda: worker_log(tmp_path),
        )
        db.execute("UPDATE big SET note = 'changed' WHERE id = 7")
        total = first_run + rows + 1
        wait_for(lambda: high_watermark(kafka_bootstrap, topic) >= total, 60)
    finally:
        stop_worker(proc)
    values = [
        json.loads(m.value())["payload"] for m in consume_all(kafka_bootstrap, topic, total, 60)
    ]
    second = values[first_run:]
    assert [v["op"] for v in second] == ["r"] * rows + ["u"]
    assert sorted(v["after"]["id"] for v in second[:-1]) == list(range(1, rows + 1))
    assert second[-1]["after"] == {"id": 7, "note": "changed"}


def test_unsupported_type_fails_until_excluded(
    kafka_bootstrap: str, mariadb_database: DatabaseFactory, tmp_path: Path
) -> None:
    db = mariadb_database()
    db.execute("CREATE TABLE geo (id INT PRIMARY KEY, p POINT)")
    db.execute("INSERT INTO geo VALUES (1, POINT(1, 2))")
    prefix = _prefix()
    with EmbeddedWorker(kafka_bootstrap, tmp_path, JSON_WORKER) as worker:
        worker.create("cdc", _config(db, prefix, kafka_bootstrap))
        trace = _failed_trace(worker, "cdc")
        assert f"Column {db.name}.geo.p has type POINT" in trace
        assert "column.exclude.list" in trace
        excluded = {
            **_config(db, _prefix(), kafka_bootstrap),
            "column.exclude.list": rf"{db.name}\.geo\.p",
        }
        worker.create("cdc2", excluded)
        worker.wait_running("cdc2")
        got = _values(kafka_bootstrap, f"{excluded['topic.prefix']}.{db.name}.geo", 1)
    assert got[0]["payload"]["after"] == {"id": 1}


def test_kill9_mid_stream_loses_nothing(
    kafka_bootstrap: str, mariadb_database: DatabaseFactory, tmp_path: Path
) -> None:
    """Updates run on many keys while the worker is killed and restarted: every committed
    change reaches the topic at least once, and each key's versions arrive in order."""
    db = mariadb_database()
    db.execute("CREATE TABLE k (id INT PRIMARY KEY, v INT NOT NULL)")
    db.executemany("INSERT INTO k VALUES (%s, 0)", [(i,) for i in range(20)])
    prefix = _prefix()
    topic = f"{prefix}.{db.name}.k"
    worker_props = write_props(
        tmp_path / "worker.properties",
        {
            "bootstrap.servers": kafka_bootstrap,
            **JSON_WORKER,
            "offset.storage.file.filename": str(tmp_path / "connect.offsets"),
            "listeners": "http://127.0.0.1:0",
        },
    )
    conn_file = tmp_path / "cdc.json"
    conn_file.write_text(
        json.dumps({"name": "cdc", "config": _config(db, prefix, kafka_bootstrap)})
    )
    stop = threading.Event()
    versions = 0

    def writer() -> None:
        nonlocal versions
        conn = db.connect()
        try:
            while not stop.is_set() and versions < 3000:
                with conn.cursor() as cur:
                    # a transaction of three updates on different keys
                    for _ in range(3):
                        cur.execute("UPDATE k SET v = v + 1 WHERE id = %s", (random.randrange(20),))
                conn.commit()
                versions += 3
        finally:
            conn.close()

    proc = start_worker(tmp_path, worker_props, conn_file)
    thread = threading.Thread(target=writer)
    try:
        wait_for(
            lambda: high_watermark(kafka_bootstrap, topic) >= 20,
            60,
            message=lambda: worker_log(tmp_path),
        )
        thread.start()
        wait_for(
            lambda: (
                (_offset(tmp_path, prefix) or {}).get("snapshot") is None
                and high_watermark(kafka_bootstrap, topic) > 300
            ),
            60,
            message=lambda: worker_log(tmp_path),
        )
    finally:
        kill9(proc)
    committed = _offset(tmp_path, prefix)
    assert committed is not None and "snapshot" not in committed
    proc = start_worker(tmp_path, worker_props, conn_file)
    try:
        stop.set()
        thread.join(60)
        expected = {row[0]: row[1] for row in db.query("SELECT id, v FROM k")}
        seen: dict[int, list[int]] = {}

        def caught_up() -> bool:
            nonlocal seen
            seen = collections.defaultdict(list)
            end = high_watermark(kafka_bootstrap, topic)
            for v in _values(kafka_bootstrap, topic, end):
                after = v["payload"]["after"]
                seen[after["id"]].append(after["v"])
            return all(seen[k] and seen[k][-1] == final for k, final in expected.items())

        wait_for(caught_up, 120, message=lambda: worker_log(tmp_path))
    finally:
        stop_worker(proc)
    redelivered = sum(len(v) for v in seen.values()) - (20 + sum(expected.values()))
    assert redelivered >= 0
    for key, final in expected.items():
        got = seen[key]
        # every version 0..final arrives; after a redelivery the sequence restarts lower but
        # never skips, and each key's last event is its final value
        assert set(got) == set(range(final + 1)), (key, got)
        assert got[-1] == final
        for a, b in itertools.pairwise(got):
            assert b == a + 1 or b <= a, (key, got)
