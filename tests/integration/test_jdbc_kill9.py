"""JDBC copies survive ``kill -9`` of the worker process in the middle of a large copy.

Source: every row of a 100k-row PostgreSQL table reaches the topic, and only rows after the
committed offset are sent twice. Sink (upsert by key): after the kill and a restart, the MariaDB
target table equals the source table, though some batches were written twice.
"""

from __future__ import annotations

import collections
import json
import os
import random
from pathlib import Path

from sluice.testing import wait_for
from tests.fixtures.databases import DatabaseFactory, json_envelope, struct_schema
from tests.fixtures.kafka import consume_all, produce_values
from tests.fixtures.worker_process import (
    group_committed,
    high_watermark,
    kill9,
    start_worker,
    stop_worker,
    stored_offset,
    worker_log,
    write_props,
)

# The suite copies 100k rows; SLUICE_JDBC_KILL_ROWS=1000000 runs the full-size check.
ROWS = int(os.environ.get("SLUICE_JDBC_KILL_ROWS", "100000"))
WAIT = max(180.0, ROWS / 1000)  # seconds, scaled for larger copies on a shared machine


def _worker_props(tmp: Path, bootstrap: str) -> Path:
    return write_props(
        tmp / "worker.properties",
        {
            "bootstrap.servers": bootstrap,
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "offset.storage.file.filename": str(tmp / "connect.offsets"),
            "offset.flush.interval.ms": "300",
            "listeners": "http://127.0.0.1:0",
        },
    )


def _connector_file(tmp: Path, name: str, config: dict[str, str]) -> Path:
    path = tmp / f"{name}.json"
    path.write_text(json.dumps({"name": name, "config": config}))
    return path


def _committed_id(tmp: Path, connector: str, table: str) -> int:
    offset = stored_offset(tmp, connector, {"protocol": "1", "table": table})
    return int(offset["incrementing"]) if offset else 0


def test_source_kill9_mid_table(
    kafka_bootstrap: str, postgres_database: DatabaseFactory, tmp_path: Path
) -> None:
    db = postgres_database()
    db.execute(
        "CREATE TABLE big (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, amount NUMERIC(12, 2), "
        "note TEXT, created TIMESTAMPTZ NOT NULL DEFAULT now())"
    )
    db.execute(
        "INSERT INTO big (name, amount, note) SELECT 'name-' || g, g / 100.0, "
        f"repeat('x', 120) FROM generate_series(1, {ROWS}) g"
    )
    topic = f"kill9-{tmp_path.name[-8:]}-big"
    worker = _worker_props(tmp_path, kafka_bootstrap)
    conn = _connector_file(
        tmp_path,
        "big-source",
        {
            "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
            **db.connection_config(),
            "mode": "incrementing",
            "incrementing.column.name": "id",
            "table.whitelist": "public.big",
            "topic.prefix": topic[: -len("big")],
            "batch.max.rows": "500",
        },
    )
    proc = start_worker(tmp_path, worker, conn)
    try:
        wait_for(
            lambda: high_watermark(kafka_bootstrap, topic) > ROWS // 5,
            WAIT,
            message=lambda: worker_log(tmp_path),
        )
        wait_for(lambda: _committed_id(tmp_path, "big-source", "public.big") > 0, 30)
    finally:
        kill9(proc)
    committed = _committed_id(tmp_path, "big-source", "public.big")
    sent_before_kill = high_watermark(kafka_bootstrap, topic)
    assert 0 < committed < ROWS, "the kill must land mid-table"
    assert committed <= sent_before_kill

    proc = start_worker(tmp_path, worker, conn)
    try:
        wait_for(
            lambda: _committed_id(tmp_path, "big-source", "public.big") == ROWS,
            WAIT,
            message=lambda: worker_log(tmp_path),
        )
    finally:
        stop_worker(proc)
    delivered = high_watermark(kafka_bootstrap, topic)
    counts = collections.Counter(
        json.loads(m.value())["payload"]["id"]
        for m in consume_all(kafka_bootstrap, topic, delivered, timeout=WAIT)
    )
    assert set(counts) == set(range(1, ROWS + 1)), "every row arrives"
    duplicated = [i for i, n in counts.items() if n > 1]
    assert all(i > committed for i in duplicated), "rows up to the committed offset not re-sent"
    assert all(n <= 2 for n in counts.values())


def test_sink_upsert_kill9_target_equals_source(
    kafka_bootstrap: str, mariadb_database: DatabaseFactory, kafka_topic, tmp_path: Path
) -> None:
    db = mariadb_database()
    keys_count = 60_000
    db.execute(
        "CREATE TABLE src (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, version INT NOT NULL, "
        "note VARCHAR(200))"
    )
    rng = random.Random(7)
    state: dict[int, tuple[str, int, str]] = {}
    key_schema = {"type": "int32", "optional": False}
    value_schema = struct_schema(
        "src", ("name", "string", False), ("version", "int32", False), ("note", "string", True)
    )
    keys: list[str | None] = []
    values: list[str | None] = []
    for n in range(ROWS):
        key = n if n < keys_count else rng.randrange(keys_count)
        version = state[key][1] + 1 if key in state else 1
        row = (f"name-{key}", version, "y" * rng.randrange(50, 150))
        state[key] = row
        keys.append(json_envelope(key_schema, key))
        values.append(
            json_envelope(value_schema, dict(zip(("name", "version", "note"), row, strict=True)))
        )
    db.executemany("INSERT INTO src VALUES (%s, %s, %s, %s)", [(k, *v) for k, v in state.items()])
    topic = kafka_topic("kill9-sink")
    produce_values(kafka_bootstrap, topic, values, keys, timeout=WAIT)
    worker = _worker_props(tmp_path, kafka_bootstrap)
    conn = _connector_file(
        tmp_path,
        "big-sink",
        {
            "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
            **db.connection_config(),
            "topics": topic,
            "insert.mode": "upsert",
            "pk.mode": "record_key",
            "pk.fields": "id",
            "auto.create": "true",
            "table.name.format": "target",
            "batch.size": "2000",
            "consumer.override.max.poll.records": "2000",
            # The killed worker's member would hold its partitions for the default 45 s.
            "consumer.override.session.timeout.ms": "6000",
        },
    )
    group = "connect-big-sink"
    proc = start_worker(tmp_path, worker, conn)
    try:
        wait_for(
            lambda: group_committed(kafka_bootstrap, group, topic) > ROWS // 5,
            WAIT,
            message=lambda: worker_log(tmp_path),
        )
    finally:
        kill9(proc)
    committed = group_committed(kafka_bootstrap, group, topic)
    assert 0 < committed < ROWS, "the kill must land mid-topic"
    proc = start_worker(tmp_path, worker, conn)
    try:
        wait_for(
            lambda: group_committed(kafka_bootstrap, group, topic) == ROWS,
            WAIT,
            message=lambda: worker_log(tmp_path),
        )
    finally:
        stop_worker(proc)
    target = db.query("SELECT id, name, version, note FROM target ORDER BY id")
    source = db.query("SELECT id, name, version, note FROM src ORDER BY id")
    assert len(target) == keys_count
    assert target == source
