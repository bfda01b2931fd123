"""sluice's PostgreSQL connector beside Debezium 3.6.1.Final's, on the same database and changes.

Debezium's jars come from Maven Central (``tests/compat/debezium/pom.xml``) and run in Apache
Kafka's own ``ConnectStandalone``; sluice's connector runs in an embedded worker. Both capture the
same table (snapshot, then inserts, updates, deletes, a multi-row transaction) through their own
slot, both write JsonConverter records, and the records are compared field by field, schemas
included, after removing what legitimately differs: the topic prefix in names, processing
timestamps, the connector version, and the snapshot's LSN/transaction (each slot was created at its
own moment). Streamed changes must agree on LSN and transaction id too: both read the same WAL.
An incremental snapshot started by an ``execute-snapshot`` signal is compared the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sluice.devkafka import find_pom
from sluice.testing import wait_for
from tests.fixtures.databases import DatabaseFactory, TestDatabase
from tests.fixtures.debezium import (
    both_sides,
    java_debezium_worker,
    postgres_config,
    signal_table,
)
from tests.fixtures.java_connect import (
    maven_plugins,
)
from tests.fixtures.kafka import consume_all
from tests.fixtures.worker_process import high_watermark

pytestmark = pytest.mark.compat

POM = Path(__file__).with_name("debezium") / "pom.xml"


def _debezium_plugins() -> Path:
    """The plugin.path folder holding Debezium's jars, fetched with Maven on first use."""
    return maven_plugins(find_pom().parent / ".cache" / "debezium", {"postgres": POM})


def _config(db: TestDatabase, prefix: str) -> dict[str, str]:
    return postgres_config(
        db,
        prefix,
        **{
            "plugin.name": "pgoutput",
            "table.include.list": "public\\.(cmp|nopk|toasty|parted.*)",
            "slot.drop.on.stop": "true",
        },
    )


@pytest.fixture
def java_worker(kafka_bootstrap: str, tmp_path: Path) -> Iterator[httpx.Client]:
    with java_debezium_worker(kafka_bootstrap, tmp_path, _debezium_plugins()) as api:
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
        "big BIGINT, r REAL, b1 BIT, b3 BIT(3), bn BIT(10) NOT NULL DEFAULT B'1000000001', "
        "vb VARBIT, vb1 VARBIT(1), vb12 VARBIT(12), pt POINT, ptn POINT NOT NULL)"
    )
    row = (
        "'n{i}', {i}.25, 1.5, 2.5, true, '\\x0102', '{{\"k\": {i}}}', '2024-01-0{i}', "
        "'10:11:12.5', '10:11:12+02', '2024-01-01 10:11:12.123456', '2024-01-01 10:11:12+00', "
        "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1{i}', '{{a,b}}', '{{1,2}}', 'happy', "
        "'1 year 2 mons -3 days 04:05:06.5', DEFAULT, DEFAULT, DEFAULT, 'infinity', '<a>1</a>', "
        "'ab', -3, 9007199254740993, 1.25, B'1', B'101', DEFAULT, B'10000000000000001', "
        "B'0', B'000000000101', '(1.5,-2.2{i})', '(-0.1,1e+300)'"
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
    with both_sides(
        java_worker,
        kafka_bootstrap,
        tmp_path,
        "pg",
        _config(db, prefixes["java"]),
        _config(db, prefixes["sluice"]),
    ):
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
    # Debezium does map the bit strings and points (the comparison below is not of two omissions)
    snapshot_row = pairs[0][0][1]["payload"]["after"]
    wkb = "AQEAAAAAAAAAAAD4P65H4XoUrgHA"  # 01 01000000 then 1.5 and -2.21 as little-endian doubles
    assert {k: snapshot_row[k] for k in ("b1", "b3", "bn", "vb", "vb1", "vb12", "pt")} == {
        "b1": True,
        "b3": "BQ==",
        "bn": "AQI=",
        "vb": "AQAB",
        "vb1": False,
        "vb12": "BQ==",
        "pt": {"x": 1.5, "y": -2.21, "wkb": wkb, "srid": None},
    }
    deleted = pairs[4][0][1]["payload"]["before"]  # the key only: others fall back
    assert (deleted["bn"], deleted["ptn"]["x"], deleted["ptn"]["y"]) == ("AQI=", 0.0, 0.0)
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


def test_incremental_snapshot_matches_debezium(
    kafka_bootstrap: str,
    postgres_database: DatabaseFactory,
    java_worker: httpx.Client,
    tmp_path: Path,
) -> None:
    """An ``execute-snapshot`` signal to a streaming connector (``snapshot.mode=no_data``): the
    same read events, positioned at the close watermark, and the same records of the signal
    table (the signal and the window watermarks: Debezium emits them like any captured row)."""
    db = postgres_database()
    db.execute(
        "CREATE TABLE inc (id INT PRIMARY KEY, name TEXT, price NUMERIC(10, 2), "
        "at TIMESTAMPTZ, tags TEXT[], doc JSONB)"
    )
    rows = 40  # one chunk (incremental.snapshot.chunk.size is 1024 on both sides)
    db.execute(
        "INSERT INTO inc SELECT g, 'n' || g, g * 1.25, '2024-01-01'::timestamptz + g * "
        "interval '1 hour', ARRAY['t' || g], jsonb_build_object('k', g) "
        f"FROM generate_series(1, {rows}) g"
    )
    prefixes = {"java": f"ij{tmp_path.name[-6:]}", "sluice": f"is{tmp_path.name[-6:]}"}
    configs = {}
    for prefix in prefixes.values():
        # A signal table per side (named after its prefix, which the comparison replaces): a
        # connector acts on every row of its signal table, so one shared table would have each
        # side snapshot on the other's watermarks too.
        signal_table(db, f"{prefix}_signal")
        configs[prefix] = postgres_config(
            db,
            prefix,
            **{
                "plugin.name": "pgoutput",
                "table.include.list": f"public\\.(inc|{prefix}_signal)",
                "slot.drop.on.stop": "true",
                "snapshot.mode": "no_data",
                "signal.data.collection": f"public.{prefix}_signal",
            },
        )
    with both_sides(
        java_worker,
        kafka_bootstrap,
        tmp_path,
        "pg",
        configs[prefixes["java"]],
        configs[prefixes["sluice"]],
    ):
        # both streams are up (their slots keep the WAL from here on): the signals reach them
        slots = [f"slot_{p}" for p in prefixes.values()]
        streaming = "SELECT count(*) FROM pg_replication_slots WHERE active AND slot_name = ANY(%s)"
        wait_for(lambda: db.query(streaming, (slots,))[0][0] == 2, 90, 0.2)
        signal = json.dumps({"data-collections": ["public.inc"], "type": "incremental"})
        for prefix in prefixes.values():
            db.execute(
                f"INSERT INTO {prefix}_signal VALUES ('ad-hoc-1', 'execute-snapshot', %s)",
                (signal,),
            )
        # execute-snapshot; open, chunk, close; open, nothing left, close
        signals_count = 5
        got: dict[str, dict[str, list[tuple[Any, Any]]]] = {}
        for side, prefix in prefixes.items():
            topics = {"inc": (f"{prefix}.public.inc", rows)}
            topics["signal"] = (f"{prefix}.public.{prefix}_signal", signals_count)
            for topic, n in topics.values():
                wait_for(lambda t=topic, n=n: high_watermark(kafka_bootstrap, t) >= n, 60)
            got[side] = {k: _records(kafka_bootstrap, t, prefix, n) for k, (t, n) in topics.items()}
            # the read events are where the chunk's close watermark is: they carry its
            # sequence, and no lsn or txId of their own
            close = json.loads(consume_all(kafka_bootstrap, topics["signal"][0], 3)[2].value())
            expected = (close["payload"]["source"]["sequence"], None, None)
            for m in consume_all(kafka_bootstrap, topics["inc"][0], rows):
                source = json.loads(m.value())["payload"]["source"]
                assert (source["sequence"], source["lsn"], source["txId"]) == expected, side
        for side, prefix in prefixes.items():  # and nothing more
            assert high_watermark(kafka_bootstrap, f"{prefix}.public.inc") == rows, side
            signal_topic = f"{prefix}.public.{prefix}_signal"
            assert high_watermark(kafka_bootstrap, signal_topic) == signals_count, side
    reads = list(zip(got["java"]["inc"], got["sluice"]["inc"], strict=True))
    signals = [
        (_watermark_free(theirs), _watermark_free(mine))
        for theirs, mine in zip(got["java"]["signal"], got["sluice"]["signal"], strict=True)
    ]
    assert [theirs[1]["payload"]["after"]["type"] for theirs, _ in signals] == [
        "execute-snapshot",
        *["snapshot-window-open", "snapshot-window-close"] * 2,
    ]
    for index, (theirs, mine) in enumerate(reads + signals):
        assert mine[0] == theirs[0], f"key of record {index}"
        assert mine[1]["schema"] == theirs[1]["schema"], f"value schema of record {index}"
        assert mine[1]["payload"] == theirs[1]["payload"], (
            f"value of record {index}",
            _differences(theirs[1]["payload"], mine[1]["payload"]),
        )
    assert reads[0][0][1]["payload"]["source"]["snapshot"] == "incremental"
    assert [k["payload"]["id"] for k, _ in got["java"]["inc"]] == list(range(1, rows + 1))


def _watermark_free(record: tuple[Any, Any]) -> tuple[Any, Any]:
    """A signal-table record without what legitimately differs: the chunk ids (random UUIDs),
    the window timestamps (the clock; Java's have nanoseconds), and the row's WAL position
    (each side's watermarks are WAL records of their own)."""
    text = re.sub(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", "UUID", json.dumps(record))
    key, value = json.loads(re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z", "TIME", text))
    for field in ("lsn", "txId", "sequence"):
        value["payload"]["source"].pop(field)
    return key, value
