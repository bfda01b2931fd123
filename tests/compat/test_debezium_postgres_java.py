"""sluice's PostgreSQL connector beside Debezium 3.6.1.Final's, on the same database and changes.

Debezium's jars come from Maven Central (``tests/compat/debezium/pom.xml``) and run in Apache
Kafka's own ``ConnectStandalone``; sluice's connector runs in an embedded worker. Both capture the
same table (snapshot, then inserts, updates, deletes, a multi-row transaction) through their own
slot, both write JsonConverter records, and the records are compared field by field, schemas
included, after removing what legitimately differs: the topic prefix in names, processing
timestamps, the connector version, and the snapshot's LSN/transaction (each slot was created at its
own moment). Streamed changes must agree on LSN and transaction id too: both read the same WAL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sluice.cli.local_kafka import find_pom
from sluice.testing import EmbeddedWorker, wait_for
from tests.fixtures.databases import DatabaseFactory, TestDatabase
from tests.fixtures.java_connect import (
    connector_running,
    java_standalone,
    log_tail,
    maven_plugins,
)
from tests.fixtures.kafka import consume_all
from tests.fixtures.worker_process import high_watermark

pytestmark = pytest.mark.compat

JSON = "org.apache.kafka.connect.json.JsonConverter"
POM = Path(__file__).with_name("debezium") / "pom.xml"


def _debezium_plugins() -> Path:
    """The plugin.path folder holding Debezium's jars, fetched with Maven on first use."""
    return maven_plugins(find_pom().parent / ".cache" / "debezium", {"postgres": POM})


def _config(db: TestDatabase, prefix: str) -> dict[str, str]:
    return {
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": db.host,
        "database.port": str(db.port),
        "database.user": db.user,
        "database.password": db.password,
        "database.dbname": db.name,
        "topic.prefix": prefix,
        "plugin.name": "pgoutput",
        "slot.name": f"slot_{prefix}",
        "publication.name": f"pub_{prefix}",
        "table.include.list": "public\\.(cmp|nopk|toasty|parted.*)",
        "slot.drop.on.stop": "true",
    }


@pytest.fixture
def java_worker(kafka_bootstrap: str, tmp_path: Path) -> Iterator[httpx.Client]:
    props = {
        "bootstrap.servers": kafka_bootstrap,
        "key.converter": JSON,
        "value.converter": JSON,
        "offset.storage.file.filename": str(tmp_path / "java.offsets"),
        "offset.flush.interval.ms": "1000",
        "plugin.path": str(_debezium_plugins()),
    }
    with java_standalone(tmp_path, props) as api:
        yield api


def _normalized(raw: bytes | None, prefix: str, snapshot: bool) -> Any:
    if raw is None:
        return None
    doc = json.loads(json.dumps(json.loads(raw)).replace(prefix, "PREFIX"))
    payload = doc.get("payload")
    if isinstance(payload, dict) and "source" in payload:
        for key in ("ts_ms", "ts_us", "ts_ns"):
            payload.pop(key, None)
        source = payload["source"]
        for key in ("version", "ts_ms", "ts_us", "ts_ns"):
            source.pop(key, None)
        if snapshot or source.get("snapshot") not in (None, "false"):
            for key in ("lsn", "txId", "sequence"):
                source.pop(key, None)
    return doc


def _records(bootstrap: str, topic: str, prefix: str, count: int) -> list[tuple[Any, Any]]:
    return [
        (_normalized(m.key(), prefix, False), _normalized(m.value(), prefix, False))
        for m in consume_all(bootstrap, topic, count, timeout=60)
    ]


def test_postgres_records_match_debezium(
    kafka_bootstrap: str,
    postgres_database: DatabaseFactory,
    java_worker: httpx.Client,
    tmp_path: Path,
) -> None:
    db = postgres_database()
    db.execute("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')")
    db.execute(
        "CREATE TABLE cmp (id INT PRIMARY KEY, name TEXT NOT NULL, price NUMERIC(10, 2), "
        "ratio NUMERIC, f DOUBLE PRECISION, ok BOOLEAN, raw BYTEA, doc JSONB, day DATE, "
        "at TIME, atz TIMETZ, ts TIMESTAMP, tstz TIMESTAMPTZ, u UUID, tags TEXT[], nums INT[], "
        "feel mood, span INTERVAL, qty INT NOT NULL DEFAULT 7, label VARCHAR(10) DEFAULT 'x', "
        "made TIMESTAMPTZ DEFAULT now(), far TIMESTAMP, x XML, c CHAR(4), sm SMALLINT, "
        "big BIGINT, r REAL)"
    )
    row = (
        "'n{i}', {i}.25, 1.5, 2.5, true, '\\x0102', '{{\"k\": {i}}}', '2024-01-0{i}', "
        "'10:11:12.5', '10:11:12+02', '2024-01-01 10:11:12.123456', '2024-01-01 10:11:12+00', "
        "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1{i}', '{{a,b}}', '{{1,2}}', 'happy', "
        "'1 year 2 mons -3 days 04:05:06.5', DEFAULT, DEFAULT, DEFAULT, 'infinity', '<a>1</a>', "
        "'ab', -3, 9007199254740993, 1.25"
    )
    for i in (1, 2):
        db.execute(f"INSERT INTO cmp VALUES ({i}, {row.format(i=i)})")
    db.execute("CREATE TABLE nopk (a INT, b TEXT)")
    db.execute("ALTER TABLE nopk REPLICA IDENTITY FULL")
    db.execute("CREATE TABLE toasty (id INT PRIMARY KEY, body TEXT, n INT)")
    db.execute("CREATE TABLE parted (id INT, k INT, PRIMARY KEY (id, k)) PARTITION BY LIST (k)")
    db.execute("CREATE TABLE parted_1 PARTITION OF parted FOR VALUES IN (1)")
    db.execute("INSERT INTO parted VALUES (1, 1)")
    prefixes = {"java": f"dj{tmp_path.name[-6:]}", "sluice": f"ds{tmp_path.name[-6:]}"}
    r = java_worker.put("/connectors/pg/config", json=_config(db, prefixes["java"]))
    assert r.status_code == 201, r.text
    with EmbeddedWorker(
        kafka_bootstrap,
        tmp_path / "sluice",
        {"key.converter": JSON, "value.converter": JSON},
        [("pg", _config(db, prefixes["sluice"]))],
    ) as worker:
        worker.wait_running("pg")
        wait_for(
            lambda: connector_running(java_worker, "pg"),
            90,
            0.5,
            message=lambda: log_tail(tmp_path / "java.log"),
        )
        topics = {side: f"{p}.public.cmp" for side, p in prefixes.items()}
        for topic in topics.values():
            wait_for(lambda t=topic: high_watermark(kafka_bootstrap, t) >= 2, 90)
        # both streams are past their snapshots: the changes below reach both
        db.execute(f"INSERT INTO cmp VALUES (3, {row.format(i=3)})")
        db.execute("UPDATE cmp SET name = 'changed', tags = '{x}' WHERE id = 1")
        db.execute("DELETE FROM cmp WHERE id = 2")
        with db.connect() as conn:
            with conn.cursor() as cur:
                cur.execute(f"INSERT INTO cmp VALUES (4, {row.format(i=4)})")
                cur.execute("UPDATE cmp SET price = NULL WHERE id = 4")
            conn.commit()
        db.execute("UPDATE cmp SET id = 10 WHERE id = 3")  # a new key: d, tombstone, c
        db.execute("INSERT INTO nopk VALUES (1, 'one')")
        db.execute("UPDATE nopk SET b = 'uno' WHERE a = 1")
        db.execute("DELETE FROM nopk WHERE a = 1")
        # a TOASTed value an update leaves alone is not sent: Debezium's placeholder stands in
        db.execute("INSERT INTO toasty SELECT 1, string_agg(md5(g::text), '') , 1 "
                   "FROM generate_series(1, 400) g")  # fmt: skip
        db.execute("UPDATE toasty SET n = 2 WHERE id = 1")
        db.execute("INSERT INTO parted VALUES (2, 1)")
        counts = {"cmp": 2 + 1 + 1 + 2 + 2 + 3, "nopk": 4, "toasty": 2, "parted_1": 2}
        pairs = []
        for table, expected in counts.items():
            java_topic, our_topic = (f"{p}.public.{table}" for p in prefixes.values())
            for topic in (java_topic, our_topic):
                wait_for(lambda t=topic, n=expected: high_watermark(kafka_bootstrap, t) >= n, 90)
            java = _records(kafka_bootstrap, java_topic, prefixes["java"], expected)
            ours = _records(kafka_bootstrap, our_topic, prefixes["sluice"], expected)
            pairs += list(zip(java, ours, strict=True))
    toasted = pairs[-3][0][1]["payload"]["after"]["body"]
    assert toasted == "__debezium_unavailable_value"
    for index, (theirs, mine) in enumerate(pairs):
        assert mine[0] == theirs[0], f"key of record {index}"
        if theirs[1] is None or mine[1] is None:
            assert mine[1] == theirs[1], f"tombstone {index}"
            continue
        assert mine[1]["schema"] == theirs[1]["schema"], (
            f"value schema of record {index}",
            json.dumps(theirs[1]["schema"]["fields"][0]["fields"][15:]),
            json.dumps(mine[1]["schema"]["fields"][0]["fields"][15:]),
        )
        assert mine[1]["payload"] == theirs[1]["payload"], (
            f"value of record {index}",
            _differences(theirs[1]["payload"], mine[1]["payload"]),
        )


def _differences(theirs: Any, mine: Any, path: str = "") -> list[str]:
    """Where two JSON values differ, as ``path: theirs != mine`` lines."""
    if isinstance(theirs, dict) and isinstance(mine, dict):
        out = []
        for key in sorted(set(theirs) | set(mine)):
            out += _differences(theirs.get(key), mine.get(key), f"{path}.{key}")
        return out
    return [] if theirs == mine else [f"{path}: {theirs!r} != {mine!r}"]
