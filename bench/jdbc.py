"""JDBC throughput beside each database's own bulk limit (issue 6's evidence).

For PostgreSQL and MariaDB, with a table of ``rows`` rows of about 200 bytes:

* source rows/s: the JDBC source connector (incrementing mode) copying the table into a topic
  through a real worker with JsonConverter, beside the database's bulk export of the same table
  (``COPY ... TO STDOUT``; ``SELECT ... INTO OUTFILE``);
* sink rows/s, insert and upsert: the JDBC sink writing that topic into a new table, beside the
  database's bulk load of the same rows (``COPY ... FROM STDIN``; ``LOAD DATA INFILE``);
* the ratio of each figure to its bulk limit;
* the same three figures for the connector's tasks alone (``task_*``): the tasks driven directly,
  without a worker, converters or broker, to tell the connector's share of the time from the
  runtime's (the sink tasks get the source task's records, in batches of 5000), each with the
  CPU seconds per million rows its thread spent (``task_*_cpu_s_per_million``: the connector's
  and its driver's work, not the database server's).

``run_jdbc_bench`` takes a running broker and running servers. ``python -m bench.jdbc`` starts
everything itself (the servers as the tests do, a broker on a free port) and prints the result.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pymysql  # type: ignore[import-untyped]
from confluent_kafka import Consumer, TopicPartition

from bench.connector_common import (
    bench_session,
    print_results,
    rate,
    tests_importable,
    wait,
)
from sluice.api import SinkRecord, SinkRecordBatch
from sluice.api import TopicPartition as SinkPartition
from sluice.connectors.jdbc import JdbcSinkTask, JdbcSourceTask
from sluice.testing import EmbeddedWorker, SinkTaskHarness, SourceTaskHarness

__all__ = ["BenchDatabase", "main", "run_jdbc_bench"]

JSON_CONVERTERS = {
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
}


@dataclass(frozen=True)
class BenchDatabase:
    """A server to measure: ``kind`` is ``postgresql`` or ``mariadb``.

    ``file_dir`` is a folder the MariaDB server may write and read (its ``secure_file_priv``),
    for ``SELECT ... INTO OUTFILE``/``LOAD DATA INFILE``; PostgreSQL streams through the client.
    """

    kind: str
    host: str
    port: int
    user: str
    password: str
    database: str
    file_dir: Path | None = None

    def jdbc_url(self) -> str:
        scheme = "postgresql" if self.kind == "postgresql" else "mariadb"
        return f"jdbc:{scheme}://{self.host}:{self.port}/{self.database}"

    @property
    def schema(self) -> str:
        """The namespace of the tables: PostgreSQL's schema, MariaDB's database."""
        return "public" if self.kind == "postgresql" else self.database

    def connect(self, autocommit: bool = False) -> Any:
        if self.kind == "postgresql":
            return psycopg.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self.password,
                dbname=self.database,
                autocommit=autocommit,
            )
        return pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            database=self.database,
            local_infile=True,
            autocommit=autocommit,
        )

    def execute(self, *statements: str, autocommit: bool = False) -> None:
        """The statements in one transaction, committed; or each on its own (``autocommit``),
        as PostgreSQL wants for a replication slot created after other statements."""
        conn = self.connect(autocommit)
        try:
            with conn.cursor() as cur:
                for statement in statements:
                    cur.execute(statement)
            if not autocommit:
                conn.commit()
        finally:
            conn.close()


SOURCE_DDL = {
    "postgresql": (
        "CREATE TABLE bench_src (id BIGINT PRIMARY KEY, name VARCHAR(40) NOT NULL, "
        "email VARCHAR(60) NOT NULL, amount NUMERIC(12, 2) NOT NULL, "
        "created TIMESTAMP NOT NULL, note VARCHAR(140) NOT NULL)"
    ),
    "mariadb": (
        "CREATE TABLE bench_src (id BIGINT PRIMARY KEY, name VARCHAR(40) NOT NULL, "
        "email VARCHAR(60) NOT NULL, amount DECIMAL(12, 2) NOT NULL, "
        "created DATETIME(3) NOT NULL, note VARCHAR(140) NOT NULL)"
    ),
}

SOURCE_FILL = {
    "postgresql": (
        "INSERT INTO bench_src SELECT g, 'name-' || g, 'user' || g || '@example.com', "
        "g / 100.0, TIMESTAMP '2024-01-01' + g * INTERVAL '1 second', "
        "repeat(md5(g::text), 4) FROM generate_series(1, {rows}) g"
    ),
    "mariadb": (
        "INSERT INTO bench_src SELECT seq, CONCAT('name-', seq), "
        "CONCAT('user', seq, '@example.com'), seq / 100, "
        "TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq SECOND, "
        "REPEAT(MD5(seq), 4) FROM seq_1_to_{rows}"
    ),
}


def _scalar(db: BenchDatabase, sql: str) -> Any:
    conn = db.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            row = cur.fetchone()
        conn.rollback()
        return row[0] if row else None
    finally:
        conn.close()


def _timed(action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


# -- the databases' own limits -----------------------------------------------------------------


def _bulk_export(db: BenchDatabase, work: Path) -> tuple[float, Path]:
    """Seconds to export ``bench_src`` with the database's bulk path, and the file written."""
    if db.kind == "postgresql":
        out = work / f"pg-export-{uuid.uuid4().hex[:6]}.tsv"
        conn = db.connect()
        try:
            with conn.cursor() as cur, out.open("wb") as f:
                started = time.perf_counter()
                with cur.copy("COPY (SELECT * FROM bench_src) TO STDOUT") as copy:
                    for chunk in copy:
                        f.write(chunk)
                elapsed = time.perf_counter() - started
        finally:
            conn.close()
        return elapsed, out
    assert db.file_dir is not None, "MariaDB needs file_dir (its secure_file_priv folder)"
    out = db.file_dir / f"maria-export-{uuid.uuid4().hex[:6]}.tsv"
    elapsed = _timed(lambda: db.execute(f"SELECT * FROM bench_src INTO OUTFILE '{out}'"))
    return elapsed, out


def _bulk_load(db: BenchDatabase, data: Path) -> float:
    """Seconds to load the exported rows into an empty copy of ``bench_src``."""
    db.execute(
        "DROP TABLE IF EXISTS bench_load",
        SOURCE_DDL[db.kind].replace("bench_src", "bench_load"),
    )
    if db.kind == "postgresql":

        def load() -> None:
            conn = db.connect()
            try:
                with (
                    conn.cursor() as cur,
                    data.open("rb") as f,
                    cur.copy("COPY bench_load FROM STDIN") as copy,
                ):
                    while chunk := f.read(1 << 20):
                        copy.write(chunk)
                conn.commit()
            finally:
                conn.close()

        return _timed(load)
    return _timed(lambda: db.execute(f"LOAD DATA INFILE '{data}' INTO TABLE bench_load"))


# -- the connectors ----------------------------------------------------------------------------


class _Probe:
    """One consumer reused for every progress check of a run (creating one per check would
    cost more than the work it measures)."""

    def __init__(self, bootstrap: str, group: str) -> None:
        self.consumer = Consumer(
            {"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False}
        )

    def end_offset(self, topic: str) -> int:
        try:
            _low, high = self.consumer.get_watermark_offsets(
                TopicPartition(topic, 0), timeout=10, cached=False
            )
        except Exception:
            return 0
        return max(0, int(high))

    def committed(self, topic: str) -> int:
        tp = self.consumer.committed([TopicPartition(topic, 0)], timeout=10)[0]
        return max(int(tp.offset), 0)

    def close(self) -> None:
        self.consumer.close()


def _connection(db: BenchDatabase) -> dict[str, str]:
    return {
        "connection.url": db.jdbc_url(),
        "connection.user": db.user,
        "connection.password": db.password,
    }


def _source_run(
    db: BenchDatabase, bootstrap: str, work: Path, rows: int, timeout: float
) -> tuple[float, str]:
    prefix = f"bench-jdbc-{db.kind}-{uuid.uuid4().hex[:6]}-"
    topic = prefix + "bench_src"
    with EmbeddedWorker(bootstrap, work / f"src-{db.kind}", JSON_CONVERTERS) as worker:
        started = time.perf_counter()
        worker.create(
            "bench-source",
            {
                "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
                **_connection(db),
                "mode": "incrementing",
                "incrementing.column.name": "id",
                "table.whitelist": "bench_src",
                "topic.prefix": prefix,
                "batch.max.rows": "5000",
            },
        )
        probe = _Probe(bootstrap, "bench-jdbc-probe")
        try:
            wait(lambda: probe.end_offset(topic) >= rows, timeout, "source copy")
        finally:
            probe.close()
        elapsed = time.perf_counter() - started
    return elapsed, topic


def _sink_run(
    db: BenchDatabase,
    bootstrap: str,
    work: Path,
    topic: str,
    rows: int,
    mode: str,
    timeout: float,
) -> float:
    table = f"bench_sink_{mode}"
    db.execute(f"DROP TABLE IF EXISTS {table}")
    name = f"bench-sink-{mode}-{uuid.uuid4().hex[:6]}"
    config = {
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        **_connection(db),
        "topics": topic,
        "auto.create": "true",
        "table.name.format": table,
        "insert.mode": mode,
        "batch.size": "5000",
        "consumer.override.max.poll.records": "5000",
    }
    if mode == "upsert":
        config.update({"pk.mode": "record_value", "pk.fields": "id"})
    props = {**JSON_CONVERTERS, "offset.flush.interval.ms": "500"}
    with EmbeddedWorker(bootstrap, work / f"sink-{db.kind}-{mode}", props) as worker:
        started = time.perf_counter()
        worker.create(name, config)
        probe = _Probe(bootstrap, f"connect-{name}")
        try:
            wait(lambda: probe.committed(topic) >= rows, timeout, f"sink {mode}")
        finally:
            probe.close()
        elapsed = time.perf_counter() - started
    count = _scalar(db, f"SELECT count(*) FROM {table}")
    if int(count) != rows:
        raise AssertionError(f"sink {mode} wrote {count} rows, expected {rows}")
    return elapsed


def _task_config(db: BenchDatabase) -> dict[str, str]:
    return {
        **_connection(db),
        "mode": "incrementing",
        "incrementing.column.name": "id",
        "tables": "bench_src",
        "tables.fetched": "true",
        "topic.prefix": "task-",
        "batch.max.rows": "5000",
    }


def _task_rates(db: BenchDatabase, rows: int) -> dict[str, float]:
    """Rows/s of the source task, then of the sink task (insert, upsert) fed its records."""
    source = SourceTaskHarness(JdbcSourceTask(), _task_config(db)).start()
    values: list[Any] = []
    started, cpu = time.perf_counter(), time.thread_time()
    while len(values) < rows:
        values.extend(r.value for r in source.poll(commit=False))
    source_s = time.perf_counter() - started
    source_cpu = time.thread_time() - cpu
    source.stop()
    out = {
        "task_source_rows_per_s": rate(rows, source_s),
        "task_source_cpu_s_per_million": _per_million(source_cpu, rows),
    }
    schema = values[0].schema
    for mode in ("insert", "upsert"):
        table = f"bench_task_{mode}"
        db.execute(f"DROP TABLE IF EXISTS {table}")
        config = {
            **_connection(db),
            "topics": "task",
            "auto.create": "true",
            "table.name.format": table,
            "insert.mode": mode,
            "batch.size": "5000",
        }
        if mode == "upsert":
            config.update({"pk.mode": "record_value", "pk.fields": "id"})
        sink = SinkTaskHarness(JdbcSinkTask(), config).start([SinkPartition("task", 0)])
        started, cpu = time.perf_counter(), time.thread_time()
        for first in range(0, rows, 5000):
            chunk = values[first : first + 5000]
            sink.put(
                SinkRecordBatch(
                    [
                        SinkRecord("task", 0, None, None, schema, v, first + n)
                        for n, v in enumerate(chunk)
                    ]
                )
            )
        sink.commit()
        elapsed = time.perf_counter() - started
        sink_cpu = time.thread_time() - cpu
        sink.stop()
        count = _scalar(db, f"SELECT count(*) FROM {table}")
        if int(count) != rows:
            raise AssertionError(f"sink task {mode} wrote {count} rows, expected {rows}")
        out[f"task_sink_{mode}_rows_per_s"] = rate(rows, elapsed)
        out[f"task_sink_{mode}_cpu_s_per_million"] = _per_million(sink_cpu, rows)
    return out


def _per_million(cpu_seconds: float, rows: int) -> float:
    """CPU seconds of the measuring thread per million rows: the connector's own work (and the
    driver's), without the database server's, and steadier than rows/s on a loaded machine."""
    return round(cpu_seconds * 1_000_000 / rows, 2) if rows else 0.0


def run_jdbc_bench(
    bootstrap: str,
    databases: Sequence[BenchDatabase],
    rows: int = 1_000_000,
    work_dir: Path | None = None,
    timeout: float = 1800.0,
) -> dict[str, Any]:
    """Measure every database in ``databases``; returns figures per database kind.

    Each entry holds ``source_rows_per_s``, ``export_rows_per_s`` (COPY TO / INTO OUTFILE),
    ``source_ratio``, ``sink_insert_rows_per_s``, ``sink_upsert_rows_per_s``,
    ``load_rows_per_s`` (COPY FROM / LOAD DATA) and ``sink_insert_ratio``/``sink_upsert_ratio``,
    then the tasks alone: ``task_source_rows_per_s``, ``task_sink_insert_rows_per_s``,
    ``task_sink_upsert_rows_per_s``, their ratios to the same bulk figures and the CPU seconds
    per million rows of each (``task_source_cpu_s_per_million``...).
    """
    work = Path(work_dir or tempfile.mkdtemp(prefix="sluice-bench-jdbc-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"rows": rows}
    for db in databases:
        db.execute("DROP TABLE IF EXISTS bench_src", SOURCE_DDL[db.kind])
        db.execute(SOURCE_FILL[db.kind].format(rows=rows))
        row_bytes = _scalar(
            db,
            "SELECT avg(length(name) + length(email) + length(note) + 8 + 8 + 8) FROM bench_src",
        )
        export_s, exported = _bulk_export(db, work)
        load_s = _bulk_load(db, exported)
        source_s, topic = _source_run(db, bootstrap, work, rows, timeout)
        insert_s = _sink_run(db, bootstrap, work, topic, rows, "insert", timeout)
        upsert_s = _sink_run(db, bootstrap, work, topic, rows, "upsert", timeout)
        tasks = _task_rates(db, rows)
        exported.unlink(missing_ok=True)
        export_rate, load_rate = rate(rows, export_s), rate(rows, load_s)
        entry = {
            "row_bytes": round(float(row_bytes), 1),
            "source_rows_per_s": rate(rows, source_s),
            "export_rows_per_s": export_rate,
            "export_method": "COPY TO" if db.kind == "postgresql" else "SELECT INTO OUTFILE",
            "sink_insert_rows_per_s": rate(rows, insert_s),
            "sink_upsert_rows_per_s": rate(rows, upsert_s),
            "load_rows_per_s": load_rate,
            "load_method": "COPY FROM" if db.kind == "postgresql" else "LOAD DATA INFILE",
        }
        entry["source_ratio"] = round(entry["source_rows_per_s"] / export_rate, 4)
        entry["sink_insert_ratio"] = round(entry["sink_insert_rows_per_s"] / load_rate, 4)
        entry["sink_upsert_ratio"] = round(entry["sink_upsert_rows_per_s"] / load_rate, 4)
        entry.update(tasks)
        entry["task_source_ratio"] = round(tasks["task_source_rows_per_s"] / export_rate, 4)
        for mode in ("insert", "upsert"):
            entry[f"task_sink_{mode}_ratio"] = round(
                tasks[f"task_sink_{mode}_rows_per_s"] / load_rate, 4
            )
        results[db.kind] = entry
    return results


def main(argv: Sequence[str] | None = None) -> int:
    """Start servers and a broker, run the bench, print JSON (``--rows`` to size it)."""
    tests_importable()
    from tests.fixtures.databases import start_mariadb, start_postgres, stop_server

    parser = argparse.ArgumentParser(
        prog="python -m bench.jdbc", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--bootstrap", help="use this broker instead of starting one")
    parser.add_argument("--only", choices=["postgresql", "mariadb"])
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    with bench_session("sluice-bench-jdbc-", args.bootstrap) as (work, bootstrap):
        servers = []
        try:
            databases = []
            if args.only in (None, "postgresql"):
                pg = start_postgres()
                servers.append(pg)
                d = pg.database("bench")
                databases.append(
                    BenchDatabase("postgresql", d.host, d.port, d.user, d.password, d.name)
                )
            if args.only in (None, "mariadb"):
                maria = start_mariadb()
                servers.append(maria)
                d = maria.database("bench")
                databases.append(
                    BenchDatabase("mariadb", d.host, d.port, d.user, d.password, d.name, maria.root)
                )
            results = run_jdbc_bench(bootstrap, databases, args.rows, work)
        finally:
            for server in servers:
                stop_server(server)
    print_results(results, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
