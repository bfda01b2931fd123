"""JDBC source and sink against a real PostgreSQL server and broker, through a real worker."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
from pathlib import Path

from sluice.testing import EmbeddedWorker, wait_for
from tests.fixtures.databases import (
    JSON_WORKER_PROPS,
    DatabaseFactory,
    json_envelope,
    struct_schema,
)
from tests.fixtures.kafka import consume_all, produce_values


def _payloads(bootstrap: str, topic: str, count: int) -> list[dict[str, object]]:
    return [json.loads(m.value())["payload"] for m in consume_all(bootstrap, topic, count, 60)]


def _schema_of(bootstrap: str, topic: str) -> dict[str, object]:
    schema: dict[str, object] = json.loads(consume_all(bootstrap, topic, 1, 60)[0].value())[
        "schema"
    ]
    return schema


def test_source_maps_postgres_types(
    kafka_bootstrap: str, postgres_database: DatabaseFactory, tmp_path: Path
) -> None:
    db = postgres_database()
    db.execute(
        """CREATE TABLE typed (
            id BIGSERIAL PRIMARY KEY,
            small SMALLINT NOT NULL,
            regular INTEGER,
            price NUMERIC(10, 2),
            unbounded NUMERIC,
            ratio REAL,
            measure DOUBLE PRECISION,
            flag BOOLEAN,
            label VARCHAR(20),
            body TEXT,
            blob BYTEA,
            day DATE,
            clock TIME,
            wall TIMESTAMP,
            instant TIMESTAMPTZ,
            ident UUID,
            doc JSONB)"""
    )
    db.execute(
        "INSERT INTO typed (small, regular, price, unbounded, ratio, measure, flag, label, body, "
        "blob, day, clock, wall, instant, ident, doc) VALUES (7, -3, 1234.5, 3.14159265358979, "
        "0.5, 2.25, true, 'héllo', 'long text', '\\x00ff', '2024-02-29', '13:14:15.678', "
        "'2024-03-01 10:00:00.123', '2024-03-01 10:00:00.5+02', "
        "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"k\": [1, 2]}')"
    )
    db.execute("INSERT INTO typed (small) VALUES (1)")
    topic_prefix = f"pg-typed-{tmp_path.name[-6:]}-"
    with EmbeddedWorker(kafka_bootstrap, tmp_path, JSON_WORKER_PROPS) as worker:
        worker.create(
            "pg-typed",
            {
                "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
                **db.connection_config(),
                "mode": "incrementing",
                "incrementing.column.name": "id",
                "table.whitelist": "public.typed",
                "topic.prefix": topic_prefix,
            },
        )
        worker.wait_running("pg-typed")
        rows = _payloads(kafka_bootstrap, topic_prefix + "typed", 2)
        schema = _schema_of(kafka_bootstrap, topic_prefix + "typed")
    assert schema["name"] == "typed"
    fields = {f["field"]: f for f in schema["fields"]}  # type: ignore[attr-defined]
    assert fields["id"]["type"] == "int64" and fields["id"]["optional"] is False
    assert fields["small"]["type"] == "int16" and fields["small"]["optional"] is False
    assert fields["regular"]["type"] == "int32" and fields["regular"]["optional"] is True
    assert fields["price"]["name"] == "org.apache.kafka.connect.data.Decimal"
    assert fields["price"]["parameters"]["scale"] == "2"
    assert fields["ratio"]["type"] == "float" and fields["measure"]["type"] == "double"
    assert fields["flag"]["type"] == "boolean" and fields["blob"]["type"] == "bytes"
    assert fields["day"]["name"] == "org.apache.kafka.connect.data.Date"
    assert fields["clock"]["name"] == "org.apache.kafka.connect.data.Time"
    assert fields["wall"]["name"] == "org.apache.kafka.connect.data.Timestamp"
    assert fields["instant"]["name"] == "org.apache.kafka.connect.data.Timestamp"
    assert fields["ident"]["type"] == "string" and fields["doc"]["type"] == "string"
    assert fields["unbounded"]["type"] == "string"  # no fixed scale: kept exact as text
    first = rows[0]
    assert first["small"] == 7 and first["regular"] == -3
    # Decimal(scale 2) travels as base64 of the unscaled two's-complement integer.
    unscaled = int.from_bytes(base64.b64decode(str(first["price"])), "big", signed=True)
    assert decimal.Decimal(unscaled).scaleb(-2) == decimal.Decimal("1234.50")
    assert first["unbounded"] == "3.14159265358979"
    assert first["ratio"] == 0.5 and first["measure"] == 2.25 and first["flag"] is True
    assert first["label"] == "héllo" and base64.b64decode(str(first["blob"])) == b"\x00\xff"
    assert first["day"] == (dt.date(2024, 2, 29) - dt.date(1970, 1, 1)).days
    assert first["clock"] == ((13 * 60 + 14) * 60 + 15) * 1000 + 678
    wall = dt.datetime(2024, 3, 1, 10, 0, 0, 123000, tzinfo=dt.UTC)
    assert first["wall"] == int(wall.timestamp() * 1000)
    instant = dt.datetime(2024, 3, 1, 8, 0, 0, 500000, tzinfo=dt.UTC)
    assert first["instant"] == int(instant.timestamp() * 1000)
    assert first["ident"] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    assert json.loads(str(first["doc"])) == {"k": [1, 2]}
    assert rows[1]["regular"] is None and rows[1]["doc"] is None


def test_source_timestamp_incrementing_sees_updates_and_query_with_where(
    kafka_bootstrap: str, postgres_database: DatabaseFactory, tmp_path: Path
) -> None:
    db = postgres_database()
    db.execute(
        "CREATE TABLE items (id SERIAL PRIMARY KEY, name TEXT NOT NULL, "
        "kind TEXT NOT NULL, updated TIMESTAMP NOT NULL DEFAULT now())"
    )
    db.executemany(
        "INSERT INTO items (name, kind, updated) VALUES (%s, %s, now() - interval '1 hour')",
        [(f"n{i}", "even" if i % 2 == 0 else "odd") for i in range(10)],
    )
    suffix = tmp_path.name[-6:]
    with EmbeddedWorker(kafka_bootstrap, tmp_path, JSON_WORKER_PROPS) as worker:
        worker.create(
            "pg-tsinc",
            {
                "connector.class": "JdbcSourceConnector",
                **db.connection_config(),
                "mode": "timestamp+incrementing",
                "incrementing.column.name": "id",
                "timestamp.column.name": "updated",
                "table.whitelist": "items",
                "topic.prefix": f"pg-tsinc-{suffix}-",
                "poll.interval.ms": "200",
            },
        )
        # A custom query with its own WHERE: the mode's condition must wrap it, not break it.
        worker.create(
            "pg-query",
            {
                "connector.class": "JdbcSource",
                **db.connection_config(),
                "mode": "incrementing",
                "incrementing.column.name": "id",
                "query": "SELECT id, name FROM items WHERE kind = 'even'",
                "topic.prefix": f"pg-query-{suffix}",
                "poll.interval.ms": "200",
            },
        )
        worker.wait_running("pg-tsinc")
        worker.wait_running("pg-query")
        assert len(_payloads(kafka_bootstrap, f"pg-tsinc-{suffix}-items", 10)) == 10
        db.execute("UPDATE items SET name = 'renamed', updated = now() WHERE id = 3")
        db.execute("INSERT INTO items (name, kind) VALUES ('new', 'even')")
        rows = _payloads(kafka_bootstrap, f"pg-tsinc-{suffix}-items", 12)
        query_rows = _payloads(kafka_bootstrap, f"pg-query-{suffix}", 6)
    assert {(r["id"], r["name"]) for r in rows[10:]} == {(3, "renamed"), (11, "new")}
    assert sorted(r["id"] for r in query_rows) == [1, 3, 5, 7, 9, 11]


def test_sink_copy_insert_auto_create_and_evolve(
    kafka_bootstrap: str, postgres_database: DatabaseFactory, kafka_topic, tmp_path: Path
) -> None:
    db = postgres_database()
    topic = kafka_topic("pg-sink-events")
    v1 = struct_schema("event", ("id", "int64", False), ("name", "string", True))
    v2 = struct_schema(
        "event", ("id", "int64", False), ("name", "string", True), ("score", "double", True)
    )
    when = {
        "type": "int64",
        "optional": True,
        "name": "org.apache.kafka.connect.data.Timestamp",
        "version": 1,
        "field": "at",
    }
    v2["fields"].append(when)  # type: ignore[attr-defined]
    produce_values(
        kafka_bootstrap,
        topic,
        [json_envelope(v1, {"id": i, "name": f"e{i}"}) for i in range(500)]
        + [
            json_envelope(v2, {"id": i, "name": None, "score": i / 4, "at": 1700000000123})
            for i in range(500, 600)
        ],
    )
    with EmbeddedWorker(kafka_bootstrap, tmp_path, JSON_WORKER_PROPS) as worker:
        worker.create(
            "pg-sink",
            {
                "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
                **db.connection_config(),
                "topics": topic,
                "auto.create": "true",
                "auto.evolve": "true",
                "table.name.format": "events_${topic}",
            },
        )
        worker.wait_running("pg-sink")
        table = f'"events_{topic}"'
        wait_for(
            lambda: (
                db.query(f"SELECT count(*) FROM {table}")[0][0] == 600
                if _exists(db, table)
                else False
            ),
            60,
            message="600 rows in the auto-created table",
        )
    assert db.query(f"SELECT name FROM {table} WHERE id = 7") == [("e7",)]
    assert db.query(f"SELECT score, at FROM {table} WHERE id = 599") == [
        (599 / 4, dt.datetime(2023, 11, 14, 22, 13, 20, 123000))
    ]
    assert db.query(f"SELECT score FROM {table} WHERE id = 1") == [(None,)]


def _exists(db, table: str) -> bool:  # type: ignore[no-untyped-def]
    return bool(db.query("SELECT to_regclass(%s) IS NOT NULL", (table,))[0][0])


def test_sink_upsert_by_record_key_with_deletes(
    kafka_bootstrap: str, postgres_database: DatabaseFactory, kafka_topic, tmp_path: Path
) -> None:
    db = postgres_database()
    db.execute("CREATE TABLE accounts (id INT PRIMARY KEY, owner TEXT NOT NULL, balance NUMERIC)")
    topic = kafka_topic("pg-accounts")
    key_schema = {"type": "int32", "optional": False}
    value_schema = struct_schema("account", ("owner", "string", False), ("balance", "double", True))
    keys, values = [], []
    expected: dict[int, tuple[str, float]] = {}
    for round_ in range(3):
        for i in range(300):
            keys.append(json_envelope(key_schema, i))
            values.append(json_envelope(value_schema, {"owner": f"o{i}", "balance": i + round_}))
            expected[i] = (f"o{i}", float(i + round_))
    for i in range(0, 300, 7):  # tombstones delete by key
        keys.append(json_envelope(key_schema, i))
        values.append(None)
        expected.pop(i)
    produce_values(kafka_bootstrap, topic, values, keys)
    with EmbeddedWorker(kafka_bootstrap, tmp_path, JSON_WORKER_PROPS) as worker:
        worker.create(
            "pg-upsert",
            {
                "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
                **db.connection_config(),
                "topics": topic,
                "insert.mode": "upsert",
                "pk.mode": "record_key",
                "pk.fields": "id",
                "delete.enabled": "true",
                "table.name.format": "accounts",
                "batch.size": "250",
            },
        )
        worker.wait_running("pg-upsert")
        wait_for(
            lambda: (
                db.query("SELECT count(*) FROM accounts")[0][0] == len(expected)
                and db.query("SELECT max(balance) FROM accounts")[0][0] == 301
            ),
            60,
            message=lambda: f"accounts: {db.query('SELECT count(*) FROM accounts')}",
        )
    got = {
        r[0]: (r[1], float(r[2]))  # type: ignore[arg-type]
        for r in db.query("SELECT id, owner, balance FROM accounts")
    }
    assert got == expected
