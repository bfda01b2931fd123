"""The Debezium-compatible PostgreSQL connector in a real worker, writing to the real broker.

End to end: the records in Kafka through JsonConverter (Debezium's envelope as consumers read
it), and a worker killed with SIGKILL while changes stream, which after a restart must have
delivered every change at least once and in commit order, without the slot having released
anything that was not acknowledged.
"""

from __future__ import annotations

import collections
import json
import threading
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, TopicPartition

from sluice.runtime.status import State
from sluice.testing import wait_for
from sluice.testing.worker import EmbeddedWorker
from tests.fixtures.databases import DatabaseFactory, TestDatabase
from tests.fixtures.debezium import postgres_config
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

JSON = "org.apache.kafka.connect.json.JsonConverter"


def _config(db: TestDatabase, prefix: str, **extra: str) -> dict[str, str]:
    return postgres_config(db, prefix, **{"poll.interval.ms": "100", **extra})


def _payloads(bootstrap: str, topic: str, count: int) -> list[tuple[Any, Any]]:
    return [
        (
            json.loads(m.key())["payload"] if m.key() else None,
            json.loads(m.value())["payload"] if m.value() else None,
        )
        for m in consume_all(bootstrap, topic, count, timeout=60)
    ]


def test_worker_writes_debezium_json(
    kafka_bootstrap: str, postgres_database: DatabaseFactory, tmp_path: Path
) -> None:
    db = postgres_database()
    prefix = f"e2e{tmp_path.name[-6:]}".replace("_", "")
    db.execute("CREATE TABLE orders (id INT PRIMARY KEY, amount NUMERIC(8, 2), note TEXT)")
    db.execute("INSERT INTO orders VALUES (1, 9.99, 'old')")
    config = _config(
        db, prefix, **{"table.include.list": "public.orders", "slot.drop.on.stop": "true"}
    )
    props = {"key.converter": JSON, "value.converter": JSON}
    with EmbeddedWorker(kafka_bootstrap, tmp_path, props, [("pg", config)]) as worker:
        worker.wait_running("pg")
        topic = f"{prefix}.public.orders"
        wait_for(lambda: high_watermark(kafka_bootstrap, topic) >= 1, 30)
        db.execute("UPDATE orders SET note = 'new' WHERE id = 1")
        db.execute("DELETE FROM orders WHERE id = 1")
        wait_for(lambda: high_watermark(kafka_bootstrap, topic) >= 4, 30)
    (k1, read), (_, update), (_, delete), (k4, tombstone) = _payloads(kafka_bootstrap, topic, 4)
    assert k1 == {"id": 1} and k4 == {"id": 1} and tombstone is None
    assert read["op"] == "r" and read["after"] == {"id": 1, "amount": "A+c=", "note": "old"}
    assert read["source"]["snapshot"] == "last"
    assert update["op"] == "u" and update["after"]["note"] == "new"
    assert update["source"]["snapshot"] == "false"
    assert delete["op"] == "d" and delete["before"]["id"] == 1 and delete["after"] is None
    assert set(update["source"]) >= {
        "version", "connector", "name", "ts_ms", "snapshot", "db", "sequence", "ts_us", "ts_ns",
        "schema", "table", "txId", "lsn", "xmin",
    }  # fmt: skip
    raw = consume_all(kafka_bootstrap, topic, 4, timeout=30)[1]
    schema = json.loads(raw.value())["schema"]
    assert schema["name"] == f"{prefix}.public.orders.Envelope" and schema["version"] == 2
    fields = {f["field"]: f for f in schema["fields"]}
    assert fields["after"]["name"] == f"{prefix}.public.orders.Value"
    amount = next(f for f in fields["after"]["fields"] if f["field"] == "amount")
    assert amount["name"] == "org.apache.kafka.connect.data.Decimal"
    assert amount["parameters"] == {"scale": "2", "connect.decimal.precision": "8"}
    assert fields["source"]["name"] == "io.debezium.connector.postgresql.Source"
    assert not db.query("SELECT 1 FROM pg_replication_slots WHERE slot_name = %s",
                        (config["slot.name"],)), "slot.drop.on.stop"  # fmt: skip


def test_kill9_mid_stream_delivers_every_change_in_order(
    kafka_bootstrap: str, postgres_database: DatabaseFactory, tmp_path: Path
) -> None:
    db = postgres_database()
    prefix = f"k9{tmp_path.name[-6:]}".replace("_", "")
    existing, per_tx, txs = 300, 10, 400
    total = existing + per_tx * txs
    db.execute("CREATE TABLE ev (id INT PRIMARY KEY, v INT NOT NULL)")
    db.execute(f"INSERT INTO ev SELECT g, 0 FROM generate_series(1, {existing}) g")
    topic = f"{prefix}.public.ev"
    worker = write_props(
        tmp_path / "worker.properties",
        {
            "bootstrap.servers": kafka_bootstrap,
            "key.converter": JSON,
            "value.converter": JSON,
            "offset.storage.file.filename": str(tmp_path / "connect.offsets"),
            "offset.flush.interval.ms": "200",
            "listeners": "http://127.0.0.1:0",
        },
    )
    config = _config(db, prefix, **{"max.batch.size": "50"})
    conn_file = tmp_path / "pg.json"
    conn_file.write_text(json.dumps({"name": "pg", "config": config}))
    partition = {"server": prefix}

    writing = threading.Event()

    def write() -> None:
        with db.connect() as conn:
            for t in range(txs):
                with conn.cursor() as cur:
                    first = existing + t * per_tx + 1
                    cur.execute(
                        "INSERT INTO ev SELECT g, 1 FROM generate_series(%s::int, %s::int) g",
                        (first, first + per_tx - 1),
                    )
                conn.commit()
                if t == txs // 4:
                    writing.set()

    proc = start_worker(tmp_path, worker, conn_file)
    writer = threading.Thread(target=write, daemon=True)
    try:
        wait_for(lambda: high_watermark(kafka_bootstrap, topic) >= existing, 60,
                 message=lambda: worker_log(tmp_path))  # fmt: skip
        writer.start()
        writing.wait(60)

        def streamed_and_committed() -> bool:
            offset = stored_offset(tmp_path, "pg", partition)
            return offset is not None and "lsn_commit" in offset

        wait_for(streamed_and_committed, 60, message=lambda: worker_log(tmp_path))
    finally:
        kill9(proc)
    committed = stored_offset(tmp_path, "pg", partition)
    assert committed is not None
    # The slot may be confirmed past the stored lsn_commit: between transactions, with all it
    # handed out stored, the task confirms the server's end of WAL (WAL without captured
    # changes). Had it confirmed past an unstored change, the server would skip that
    # transaction after the restart, which the check that every change arrives would catch.
    writer.join(120)
    sent_before = high_watermark(kafka_bootstrap, topic)
    assert sent_before < total, "the kill must land mid-stream"

    proc = start_worker(tmp_path, worker, conn_file)
    try:
        # the last insert is the last change in commit order: once it is the topic's last
        # record, everything before it was sent
        wait_for(lambda: _last_id(kafka_bootstrap, topic) == total, 120,
                 message=lambda: worker_log(tmp_path))  # fmt: skip
    finally:
        stop_worker(proc)
    values = [
        v
        for _, v in _payloads(kafka_bootstrap, topic, high_watermark(kafka_bootstrap, topic))
        if v is not None
    ]
    ids = [v["after"]["id"] for v in values]
    assert set(ids) == set(range(1, total + 1)), "every row and change arrives"
    first_seen = list(dict.fromkeys(ids))
    assert first_seen == sorted(first_seen), "in commit order"
    # The change the committed offset names, and everything before it, is not sent again.
    stored_at = next(
        i
        for i, v in enumerate(values)
        if v["source"]["lsn"] == committed["lsn"] and v["source"]["txId"] == committed["txId"]
    )
    first_index: dict[int, int] = {}
    for index, i in enumerate(ids):
        first_index.setdefault(i, index)
    resent = [i for i, n in collections.Counter(ids).items() if n > 1]
    assert all(first_index[i] > stored_at for i in resent), "committed changes not re-sent"
    db.execute("SELECT pg_drop_replication_slot(%s)", (config["slot.name"],))


def _last_id(bootstrap: str, topic: str) -> int | None:
    end = high_watermark(bootstrap, topic)
    if end == 0:
        return None
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "last", "enable.auto.commit": False})
    try:
        c.assign([TopicPartition(topic, 0, end - 1)])
        m = c.poll(10)
        if m is None or m.error() or not m.value():
            return None
        return int(json.loads(m.value())["payload"]["after"]["id"])
    finally:
        c.close()


def test_bad_setup_fails_the_task_with_the_reason(
    kafka_bootstrap: str, postgres_database: DatabaseFactory, tmp_path: Path
) -> None:
    db = postgres_database()
    prefix = f"bad{tmp_path.name[-6:]}".replace("_", "")
    config = _config(db, prefix, **{"publication.autocreate.mode": "disabled"})
    with EmbeddedWorker(kafka_bootstrap, tmp_path, {}, [("pg", config)]) as worker:

        def failed_trace() -> str | None:
            tasks = worker.herder.connector_status("pg").tasks.values()
            return next((t.trace for t in tasks if t.state is State.FAILED and t.trace), None)

        trace = wait_for(failed_trace, 30)
    assert f"Publication 'pub_{prefix}' (publication.name) does not exist" in trace
    assert "publication.autocreate.mode" in trace


def test_kill9_during_snapshot_then_stream(
    kafka_bootstrap: str, postgres_database: DatabaseFactory, tmp_path: Path
) -> None:
    db = postgres_database()
    prefix = f"ks{tmp_path.name[-6:]}".replace("_", "")
    rows = 20_000
    db.execute("CREATE TABLE big (id INT PRIMARY KEY, pad TEXT NOT NULL)")
    db.execute(f"INSERT INTO big SELECT g, repeat('p', 50) FROM generate_series(1, {rows}) g")
    topic = f"{prefix}.public.big"
    worker = write_props(
        tmp_path / "worker.properties",
        {
            "bootstrap.servers": kafka_bootstrap,
            "key.converter": JSON,
            "value.converter": JSON,
            "offset.storage.file.filename": str(tmp_path / "connect.offsets"),
            "offset.flush.interval.ms": "100",
            "listeners": "http://127.0.0.1:0",
        },
    )
    config = _config(db, prefix, **{"max.batch.size": "100", "snapshot.fetch.size": "500"})
    conn_file = tmp_path / "pg.json"
    conn_file.write_text(json.dumps({"name": "pg", "config": config}))
    partition = {"server": prefix}
    proc = start_worker(tmp_path, worker, conn_file)
    try:
        wait_for(lambda: stored_offset(tmp_path, "pg", partition) is not None, 60,
                 message=lambda: worker_log(tmp_path))  # fmt: skip
    finally:
        kill9(proc)
    offset = stored_offset(tmp_path, "pg", partition)
    assert offset is not None and offset.get("snapshot") == "INITIAL"
    assert not offset["last_snapshot_record"], "the kill must land mid-snapshot"
    db.execute("UPDATE big SET pad = 'changed' WHERE id = 1")  # after the slot was created

    proc = start_worker(tmp_path, worker, conn_file)
    try:
        db.execute(f"INSERT INTO big VALUES ({rows + 1}, 'new')")
        wait_for(lambda: _last_id(kafka_bootstrap, topic) == rows + 1, 120,
                 message=lambda: worker_log(tmp_path))  # fmt: skip
    finally:
        stop_worker(proc)
    records = [
        v for _, v in _payloads(kafka_bootstrap, topic, high_watermark(kafka_bootstrap, topic))
    ]
    ids = {v["after"]["id"] for v in records}
    assert ids == set(range(1, rows + 2)), "every row, and the changes after the snapshot"
    updates = [v for v in records if v["op"] == "u"]
    assert [u["after"]["pad"] for u in updates] == ["changed"], "the change in the slot is kept"
    db.execute("SELECT pg_drop_replication_slot(%s)", (config["slot.name"],))
