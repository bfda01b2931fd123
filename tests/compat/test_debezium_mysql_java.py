"""sluice's binlog connectors beside Debezium's, on the same MariaDB and the same changes.

Debian ships MariaDB, not MySQL. Debezium's ``MySqlConnector`` 3.6.1.Final (Maven Central,
``tests/compat/debezium_mysql/pom.xml``) does not accept MariaDB at all: it takes the version
10.11 for a MySQL at least 8.2 and asks for ``SHOW BINARY LOG STATUS``, a syntax error there, so
its validation fails (``test_debezium_mysql_connector_refuses_mariadb``). Debezium's
``MariaDbConnector`` is not served at 3.6.1.Final; 3.5.0.Final is (``mariadb-pom.xml``), and
it is what sluice's ``MariaDbConnector`` is compared with.

Both run against the same table (snapshot, then inserts, updates, deletes, a multi-row
transaction), Debezium in Apache Kafka's own ``ConnectStandalone`` and sluice in an embedded
worker, both writing JsonConverter records; the records are compared field by field, schemas
included, after removing what legitimately differs: the topic prefix in names, processing
timestamps, the connector version, and where each read its snapshot (binlog coordinates, thread).
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
    mariadb_config,
    signal_table,
)
from tests.fixtures.java_connect import (
    log_tail,
    maven_plugins,
)
from tests.fixtures.kafka import consume_all
from tests.fixtures.worker_process import high_watermark

pytestmark = pytest.mark.compat

POM = Path(__file__).with_name("debezium_mysql") / "pom.xml"


def _debezium_plugins() -> Path:
    """The plugin.path folder holding Debezium's jars, fetched with Maven on first use."""
    poms = {"mysql": POM, "mariadb": POM.with_name("mariadb-pom.xml")}
    return maven_plugins(find_pom().parent / ".cache" / "debezium-mysql", poms)


MYSQL = "io.debezium.connector.mysql.MySqlConnector"
MARIADB = "io.debezium.connector.mariadb.MariaDbConnector"


def _config(
    db: TestDatabase, prefix: str, bootstrap: str, connector: str = MARIADB
) -> dict[str, str]:
    return mariadb_config(db, prefix, bootstrap, connector)


@pytest.fixture
def java_worker(kafka_bootstrap: str, tmp_path: Path) -> Iterator[httpx.Client]:
    with java_debezium_worker(kafka_bootstrap, tmp_path, _debezium_plugins()) as api:
        yield api


def _normalized(raw: bytes | None, prefix: str) -> Any:
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
        if source.get("snapshot") not in (None, "false"):  # each snapshot has its own position
            for key in ("file", "pos"):
                source.pop(key, None)
    return doc


KNOWN_DIFFERENCES = """
- Integer display widths in tableChanges: Debezium takes a column's length from the DDL text it
  parses (none for `ADD COLUMN extra INT`), sluice from information_schema (always `int(11)` on
  MariaDB 10.11); the comparison drops the length of integer columns.
- Offsets and history positions of a DDL statement: Debezium points at the start of the DDL's
  transaction and skips one event; sluice points past the statement. Both resume after it.
- Timestamps, the connector version (sluice says 3.6.1.Final, the MariaDB connector compared
  here is 3.5.0.Final) and where each snapshot was read differ by nature and are not compared.
"""
_INTEGERS = {"TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT"}


def _without_integer_widths(changes: list[dict[str, Any]]) -> None:
    for change in changes:
        for column in (change.get("table") or {}).get("columns", []):
            if column["typeName"].split(" ")[0] in _INTEGERS:
                column.pop("length", None)


def _schema_changes(bootstrap: str, prefix: str) -> list[Any]:
    """The schema change topic's records, normalized as ``_normalized`` does and without the
    differences listed in ``KNOWN_DIFFERENCES``."""
    wait_for(lambda: high_watermark(bootstrap, prefix) >= 7, 60)
    out = []
    for m in consume_all(bootstrap, prefix, high_watermark(bootstrap, prefix), 60):
        doc = _normalized(m.value(), prefix)
        doc["payload"].pop("ts_ms", None)
        source = doc["payload"]["source"]
        source.pop("thread", None)
        if source.get("snapshot") in (None, "false"):
            source.pop("file", None), source.pop("pos", None)
        _without_integer_widths(doc["payload"]["tableChanges"])
        out.append((json.loads(m.key()), doc))
    # Kafka orders records per partition, and a record's key picks its partition: compare
    # them key by key, each key's records in the order they were written.
    return sorted(out, key=lambda record: json.dumps(record[0], sort_keys=True))


def _history(bootstrap: str, prefix: str) -> list[Any]:
    topic = f"{prefix}.history"
    out = []
    for m in consume_all(bootstrap, topic, high_watermark(bootstrap, topic), 60):
        doc = json.loads(m.value())
        for key in ("source", "position", "ts_ms"):
            doc.pop(key)
        _without_integer_widths(doc["tableChanges"])
        out.append(doc)
    return out


def _difference(theirs: Any, mine: Any, path: str = "") -> list[str]:
    if isinstance(theirs, dict) and isinstance(mine, dict):
        out = []
        for key in {*theirs, *mine}:
            out += _difference(theirs.get(key), mine.get(key), f"{path}.{key}")
        return out
    if (
        isinstance(theirs, list | tuple)
        and isinstance(mine, list | tuple)
        and len(theirs) == len(mine)
    ):
        out = []
        for i, (a, b) in enumerate(zip(theirs, mine, strict=True)):
            out += _difference(a, b, f"{path}[{i}]")
        return out
    return [] if theirs == mine else [f"{path}: Debezium {theirs!r}, sluice {mine!r}"]


def _assert_same(what: str, theirs: list[Any], mine: list[Any]) -> None:
    assert len(mine) == len(theirs), (
        f"{what}: {len(theirs)} records from Debezium, {len(mine)} from sluice; only there: "
        f"{[t for t in theirs if t not in mine]}, only here: {[m for m in mine if m not in theirs]}"
    )
    differences = _difference(theirs, mine)
    assert not differences, f"{what} records differ:\n" + "\n".join(differences[:20])


def _records(bootstrap: str, topic: str, prefix: str, count: int) -> list[tuple[Any, Any]]:
    return [
        (_normalized(m.key(), prefix), _normalized(m.value(), prefix))
        for m in consume_all(bootstrap, topic, count, timeout=60)
    ]


def test_debezium_mysql_connector_refuses_mariadb(
    kafka_bootstrap: str,
    mariadb_database: DatabaseFactory,
    java_worker: httpx.Client,
    tmp_path: Path,
) -> None:
    db = mariadb_database()
    r = java_worker.put(
        "/connectors/my/config", json=_config(db, "refused", kafka_bootstrap, MYSQL)
    )
    assert r.status_code != 201
    log = (tmp_path / "java.log").read_text(errors="replace")
    assert "should support SHOW BINARY LOG STATUS but it failed" in log


def test_records_match_debezium(
    kafka_bootstrap: str,
    mariadb_database: DatabaseFactory,
    java_worker: httpx.Client,
    tmp_path: Path,
) -> None:
    db = mariadb_database()
    db.execute(
        "CREATE TABLE cmp (id INT PRIMARY KEY, u INT UNSIGNED, big BIGINT UNSIGNED, "
        "price DECIMAL(10,2), name VARCHAR(20) NOT NULL DEFAULT 'none', note TEXT, data BLOB, "
        "day DATE, at DATETIME(3), at6 DATETIME(6), stamp TIMESTAMP(6) NULL, dur TIME(2), "
        "color ENUM('red','green'), tags SET('a','b','c'), flags BIT(10), flag BIT(1), yr YEAR, "
        "small TINYINT, f FLOAT, d DOUBLE, bin VARBINARY(8))"
    )
    row = (
        "{i}, 4294967295, 18446744073709551615, {i}.25, 'n{i}', 'text', x'00ff10', '2024-02-03', "
        "'2024-02-03 04:05:06.789', '2024-02-03 04:05:06.000001', '2024-02-03 04:05:06.123456', "
        "'-12:34:56.78', 'green', 'a,c', b'1010101010', b'1', 2024, -5, 1.5, 2.25, x'0102'"
    )
    for i in (1, 2):
        db.execute(f"INSERT INTO cmp VALUES ({row.format(i=i)})")
    tag = tmp_path.name[-6:].replace("_", "")
    prefixes = {"java": f"mj{tag}", "sluice": f"ms{tag}"}
    with both_sides(
        java_worker,
        kafka_bootstrap,
        tmp_path,
        "my",
        _config(db, prefixes["java"], kafka_bootstrap),
        _config(db, prefixes["sluice"], kafka_bootstrap),
    ):
        topics = {side: f"{p}.{db.name}.cmp" for side, p in prefixes.items()}
        for topic in topics.values():
            wait_for(
                lambda t=topic: high_watermark(kafka_bootstrap, t) >= 2,
                90,
                message=lambda: log_tail(tmp_path / "java.log"),
            )
        db.execute(f"INSERT INTO cmp VALUES ({row.format(i=3)})")
        db.execute("UPDATE cmp SET name = 'changed', tags = 'b' WHERE id = 1")
        db.execute("DELETE FROM cmp WHERE id = 2")
        with db.connect() as conn:
            with conn.cursor() as cur:
                cur.execute(f"INSERT INTO cmp VALUES ({row.format(i=4)})")
                cur.execute("UPDATE cmp SET price = NULL WHERE id = 4")
            conn.commit()
        db.execute("ALTER TABLE cmp ADD COLUMN extra INT NOT NULL DEFAULT 7")
        db.execute("UPDATE cmp SET extra = 8 WHERE id = 3")
        expected = 2 + 1 + 1 + 2 + 2 + 1
        for topic in topics.values():
            wait_for(
                lambda t=topic: high_watermark(kafka_bootstrap, t) >= expected,
                90,
                message=lambda: log_tail(tmp_path / "java.log"),
            )
        java_changes = _schema_changes(kafka_bootstrap, prefixes["java"])
        our_changes = _schema_changes(kafka_bootstrap, prefixes["sluice"])
        java_history = _history(kafka_bootstrap, prefixes["java"])
        our_history = _history(kafka_bootstrap, prefixes["sluice"])
        java = _records(kafka_bootstrap, topics["java"], prefixes["java"], expected)
        ours = _records(kafka_bootstrap, topics["sluice"], prefixes["sluice"], expected)
    _assert_same("schema change", java_changes, our_changes)
    _assert_same("history", java_history, our_history)
    for index, (theirs, mine) in enumerate(zip(java, ours, strict=True)):
        assert mine[0] == theirs[0], f"key of record {index}"
        if theirs[1] is None or mine[1] is None:
            assert mine[1] == theirs[1], f"tombstone {index}"
            continue
        assert mine[1]["schema"] == theirs[1]["schema"], (
            f"value schema of record {index}",
            json.dumps(theirs[1]["schema"]),
            json.dumps(mine[1]["schema"]),
        )
        theirs_source = theirs[1]["payload"].pop("source")
        mine_source = mine[1]["payload"].pop("source")
        differ = {
            k: (theirs_source.get(k), mine_source.get(k))
            for k in {*theirs_source, *mine_source}
            if theirs_source.get(k) != mine_source.get(k)
        }
        assert not differ, f"source of record {index} (Debezium, sluice): {differ}"
        assert mine[1]["payload"] == theirs[1]["payload"], f"value of record {index}"


def test_incremental_snapshot_matches_debezium(
    kafka_bootstrap: str,
    mariadb_database: DatabaseFactory,
    java_worker: httpx.Client,
    tmp_path: Path,
) -> None:
    """An ``execute-snapshot`` signal to a streaming connector (``snapshot.mode=no_data``): the
    same read events, positioned at the chunk's close watermark, and the same records of the
    signal table (the signal and the window watermarks: Debezium emits them like any row)."""
    db = mariadb_database()
    db.execute(
        "CREATE TABLE inc (id INT PRIMARY KEY, name VARCHAR(20), price DECIMAL(10,2), "
        "at DATETIME(3), stamp TIMESTAMP(6) NULL, color ENUM('red','green'), data BLOB, "
        "d DOUBLE, flag BIT(1), yr YEAR)"
    )
    rows = 40  # one chunk (incremental.snapshot.chunk.size is 1024 on both sides)
    db.executemany(
        "INSERT INTO inc VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [
            (i, f"n{i}", i * 1.25, f"2024-02-03 04:05:{i:02}.789", f"2024-02-03 04:{i:02}:06.5",
             ("red", "green")[i % 2], bytes([i, 255]), i / 3, i % 2, 2000 + i)
            for i in range(1, rows + 1)
        ],
    )  # fmt: skip
    tag = tmp_path.name[-6:].replace("_", "")
    prefixes = {"java": f"ij{tag}", "sluice": f"is{tag}"}
    configs = {}
    for prefix in prefixes.values():
        # A signal table per side (named after its prefix, which the normalization replaces): a
        # connector acts on every row of its signal table, so one shared table would have each
        # side snapshot on the other's watermarks too.
        signal_table(db, f"{prefix}_signal")
        configs[prefix] = mariadb_config(
            db,
            prefix,
            kafka_bootstrap,
            **{
                "table.include.list": f"{db.name}\\.(inc|{prefix}_signal)",
                "snapshot.mode": "no_data",
                "signal.data.collection": f"{db.name}.{prefix}_signal",
            },
        )
    with both_sides(
        java_worker,
        kafka_bootstrap,
        tmp_path,
        "my",
        configs[prefixes["java"]],
        configs[prefixes["sluice"]],
    ):
        # both took their binlog position (the schema changes come after it): the signals,
        # inserted later, reach both streams
        for prefix in prefixes.values():
            wait_for(lambda p=prefix: high_watermark(kafka_bootstrap, p) >= 1, 90)
        signal = json.dumps({"data-collections": [f"{db.name}.inc"], "type": "incremental"})
        for prefix in prefixes.values():
            db.execute(
                f"INSERT INTO {prefix}_signal VALUES ('ad-hoc-1', 'execute-snapshot', %s)",
                (signal,),
            )
        # execute-snapshot; open, chunk, close; open, nothing left, close
        signals_count = 5
        got: dict[str, dict[str, list[tuple[Any, Any]]]] = {}
        for side, prefix in prefixes.items():
            topics = {"inc": (f"{prefix}.{db.name}.inc", rows)}
            topics["signal"] = (f"{prefix}.{db.name}.{prefix}_signal", signals_count)
            for topic, n in topics.values():
                wait_for(
                    lambda t=topic, n=n: high_watermark(kafka_bootstrap, t) >= n,
                    60,
                    message=lambda: log_tail(tmp_path / "java.log"),
                )
            got[side] = {k: _records(kafka_bootstrap, t, prefix, n) for k, (t, n) in topics.items()}
            # the read events are where the chunk's close watermark is in the binlog: its
            # file, pos, row, gtid, thread and server id (each side's watermark is its own;
            # Debezium's BinlogSourceInfo takes them from the offset at the close event)
            where = ("file", "pos", "row", "gtid", "thread", "server_id")
            close = json.loads(consume_all(kafka_bootstrap, topics["signal"][0], 3)[2].value())
            expected = tuple(close["payload"]["source"][k] for k in where)
            assert close["payload"]["after"]["type"] == "snapshot-window-close", side
            for m in consume_all(kafka_bootstrap, topics["inc"][0], rows):
                source = json.loads(m.value())["payload"]["source"]
                assert tuple(source[k] for k in where) == expected, side
        for side, prefix in prefixes.items():  # and nothing more
            assert high_watermark(kafka_bootstrap, f"{prefix}.{db.name}.inc") == rows, side
            signal_topic = f"{prefix}.{db.name}.{prefix}_signal"
            assert high_watermark(kafka_bootstrap, signal_topic) == signals_count, side
    reads = [
        (_positionless(theirs), _positionless(mine))
        for theirs, mine in zip(got["java"]["inc"], got["sluice"]["inc"], strict=True)
    ]
    signals = [
        (_positionless(_watermark_free(theirs)), _positionless(_watermark_free(mine)))
        for theirs, mine in zip(got["java"]["signal"], got["sluice"]["signal"], strict=True)
    ]
    assert [theirs[1]["payload"]["after"]["type"] for theirs, _ in signals] == [
        "execute-snapshot",
        *["snapshot-window-open", "snapshot-window-close"] * 2,
    ]
    for index, (theirs, mine) in enumerate(reads + signals):
        assert mine[0] == theirs[0], f"key of record {index}"
        assert mine[1]["schema"] == theirs[1]["schema"], f"value schema of record {index}"
        differences = _difference(theirs[1]["payload"], mine[1]["payload"])
        assert not differences, (f"value of record {index}", differences)
    assert reads[0][0][1]["payload"]["source"]["snapshot"] == "incremental"
    assert [k["payload"]["id"] for k, _ in got["java"]["inc"]] == list(range(1, rows + 1))


def _positionless(record: tuple[Any, Any]) -> tuple[Any, Any]:
    """A normalized record without the binlog coordinates and GTID of its event: each side's
    signal and watermark rows are binlog transactions of their own (and the read events take
    their close watermark's, checked per side)."""
    for field in ("file", "pos", "gtid"):
        record[1]["payload"]["source"].pop(field, None)
    return record


def _watermark_free(record: tuple[Any, Any]) -> tuple[Any, Any]:
    """A signal-table record without the chunk ids (random UUIDs) and the window timestamps
    (each side's clock) its watermarks carry."""
    text = re.sub(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", "UUID", json.dumps(record))
    key, value = json.loads(re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z", "TIME", text))
    return key, value
