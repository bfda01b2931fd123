"""Change data capture: sluice's Debezium-compatible connectors beside Debezium's own (issue 17).

sluice's ``io.debezium.connector.postgresql.PostgresConnector`` and
``io.debezium.connector.mariadb.MariaDbConnector`` run in ``sluice standalone``; Debezium's
PostgreSQL connector 3.6.1.Final and its MariaDB connector 3.5.0.Final (3.6.1's MySqlConnector
refuses MariaDB and its MariaDbConnector is not served: see
``tests/compat/test_debezium_mysql_java.py``) run in Apache Kafka's ``ConnectStandalone``, their
jars fetched with Maven into ``.cache/`` as the compat tests fetch them. Both run as separate
processes (:mod:`bench.sides`), with JsonConverter, the connectors' default settings and the same
broker, against the same database in one run, and are measured one after the other so that they
do not share the two cores:

* **changes/s captured from a bulk update**: each side's start position is fixed first (a
  replication slot per side on PostgreSQL; on MariaDB each side is run once and stopped, leaving
  a committed binlog offset), then one ``UPDATE`` changes every row of a table of ``--rows`` rows
  (one transaction); each side is then started and drains those changes into its topic. The rate
  is ``rows`` over the span between the first record and the last being readable in Kafka
  (start-up not counted); the wall-clock time from start to the last record is reported too,
  with the CPU seconds the worker process used over the drain and its peak RSS;
* **end-to-end latency at a steady rate**: with the side still running, single-row inserts are
  committed at ``--rate`` per second for ``--seconds`` (PostgreSQL with ``synchronous_commit=on``
  in that session, so the WAL is flushed, and sent, at commit); a consumer reads the side's
  topic, and the latency of a change is the time from its commit returning to its record being
  read (p50, p99, max; the first second is left out as warm-up);
* the ratios sluice / Debezium of the rate, the latencies, the CPU seconds and the RSS.

Each side captures the bulk table and a latency table of its own (on PostgreSQL through its own
publication), so what one side's latency phase commits is not the other's to deliver.

``python -m bench.cdc`` starts the servers as the tests do (``--databases``, PostgreSQL then
MariaDB) and a broker (``--broker-port``, else a free port), prints a table per database on
stderr and the figures as JSON on stdout. The machine's load average is recorded beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from bench.connector_common import bench_work_dir, print_results, rate, tests_importable
from bench.java_connect import JavaSide
from bench.jdbc import BenchDatabase
from bench.kafka_ops import Broker, bench_broker
from bench.process import WorkerProcess
from bench.progress import Progress
from bench.sides import Side, SluiceSide, free_port

__all__ = ["main", "run_cdc_bench"]

REPO = Path(__file__).resolve().parent.parent
POMS = {
    "postgresql": {"postgres": REPO / "tests" / "compat" / "debezium" / "pom.xml"},
    "mariadb": {
        "mysql": REPO / "tests" / "compat" / "debezium_mysql" / "pom.xml",
        "mariadb": REPO / "tests" / "compat" / "debezium_mysql" / "mariadb-pom.xml",
    },
}
PLUGIN_DIRS = {
    "postgresql": REPO / ".cache" / "debezium",
    "mariadb": REPO / ".cache" / "debezium-mysql",
}
CONNECTORS = {
    "postgresql": "io.debezium.connector.postgresql.PostgresConnector",
    "mariadb": "io.debezium.connector.mariadb.MariaDbConnector",
}
DEBEZIUM = {
    "postgresql": "Debezium PostgresConnector 3.6.1.Final",
    # 3.6.1's MySqlConnector refuses MariaDB and its MariaDbConnector is not served (see
    # tests/compat/test_debezium_mysql_java.py): 3.5.0.Final's MariaDbConnector is compared.
    "mariadb": "Debezium MariaDbConnector 3.5.0.Final",
}
JSON = "org.apache.kafka.connect.json.JsonConverter"
WARMUP_S = 1.0

FILL = {
    "postgresql": (
        "INSERT INTO bench_cdc SELECT g, 'name-' || g, g / 100.0, repeat(md5(g::text), 2), 0 "
        "FROM generate_series(1, {rows}) g"
    ),
    "mariadb": (
        "INSERT INTO bench_cdc SELECT seq, CONCAT('name-', seq), seq / 100, "
        "REPEAT(MD5(seq), 2), 0 FROM seq_1_to_{rows}"
    ),
}


def debezium_plugins(kind: str) -> Path:
    """The ``plugin.path`` folder with Debezium's jars for ``kind``, fetched with Maven (as
    the compat tests fetch them) when missing."""
    folder = PLUGIN_DIRS[kind]
    for name, pom in POMS[kind].items():
        if not any((folder / name).glob("*.jar")):
            subprocess.run(
                ["mvn", "-q", "-f", str(pom), "dependency:copy-dependencies"], check=True
            )
    return folder


def _connector(
    db: BenchDatabase, side: str, prefix: str, bootstrap: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """The same configuration for both sides: the connectors' defaults (or ``extra``), no
    snapshot of rows (the slot made, or the position recorded, before the bulk update holds the
    changes to capture)."""
    config = {
        "name": f"cdc-{side}",
        "connector.class": CONNECTORS[db.kind],
        "tasks.max": "1",
        "database.hostname": db.host,
        "database.port": str(db.port),
        "database.user": db.user,
        "database.password": db.password,
        "topic.prefix": prefix,
        "table.include.list": f"{db.schema}\\.bench_cdc,{db.schema}\\.bench_lat_{side}",
        "snapshot.mode": "no_data",
    }
    if db.kind == "postgresql":
        config.update(
            {
                "database.dbname": db.database,
                "plugin.name": "pgoutput",
                "slot.name": f"bench_{side}",
                "publication.name": f"bench_pub_{side}",
                "publication.autocreate.mode": "disabled",
                "slot.drop.on.stop": "false",
            }
        )
    else:
        config.update(
            {
                "database.server.id": str(random.randint(1000, 2**31)),
                "database.include.list": db.database,
                "schema.history.internal.kafka.topic": f"{prefix}.history",
                "schema.history.internal.kafka.bootstrap.servers": bootstrap,
                "schema.history.internal.store.only.captured.tables.ddl": "true",
                "schema.history.internal.store.only.captured.databases.ddl": "true",
            }
        )
    config.update(extra or {})
    return config


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


class _LatencyReader(threading.Thread):
    """Reads a side's latency topic from the start; notes when each change id is first read."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        super().__init__(name=f"latency-{topic}", daemon=True)
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"bench-cdc-{uuid.uuid4().hex[:8]}",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 10,
                "log_level": 4,
            }
        )
        self.consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        self.read_at: dict[int, float] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                msg = self.consumer.poll(0.05)
                value = None if msg is None or msg.error() is not None else msg.value()
                if value is None:
                    continue
                now = time.time()
                after = json.loads(value)["payload"]["after"]
                # (id -1: the row that recorded MariaDB's start position)
                if after is not None and after["id"] >= 0:
                    self.read_at.setdefault(int(after["id"]), now)
        finally:
            self.consumer.close()


def _throughput(
    side: Side,
    proc: WorkerProcess,
    broker: Broker,
    topic: str,
    rows: int,
    launched: float,
    timeout: float,
    progress: Progress,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    seen = 0
    first: float | None = None
    first_seen = 0
    while seen < rows:
        proc.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{side.label}: {seen:,} of {rows:,} changes in {topic} after {timeout:.0f}s; "
                f"worker log:\n{proc.log_tail()}"
            )
        time.sleep(0.02)
        seen = broker.end_offset(topic, 0)
        if seen and first is None:
            first, first_seen = time.time(), seen
        progress.update(f"{side.name}: bulk update captured", seen, rows)
    last = time.time()
    # Watched from outside, every 20 ms (record timestamps would do only where the connector
    # leaves them to the producer; the binlog connectors stamp records with the commit time).
    assert first is not None
    cpu = proc.cpu_at(last) - proc.cpu_at(first)
    span = max(last - first, 0.001)
    progress.done(f"{side.name}: {rows:,} changes in {span:.1f} s ({rows / span:,.0f}/s)")
    return {
        # None when every change was already there at the first look (20 ms apart): too few
        # rows for this to time them
        "changes_per_s": rate(rows - first_seen, span) if first_seen < rows else None,
        "drain_s": round(span, 2),
        "wall_s_from_start": round(last - launched, 2),
        "cpu_s": round(cpu, 2),
        "cpu_s_per_m_changes": round(cpu * 1e6 / rows, 1),
        "records_in_topic": broker.end_offset(topic, 0),
    }


def _latency(
    db: BenchDatabase,
    side: str,
    proc: WorkerProcess,
    bootstrap: str,
    topic: str,
    per_second: float,
    seconds: float,
    progress: Progress,
) -> dict[str, Any]:
    reader = _LatencyReader(bootstrap, topic)
    reader.start()
    count = max(1, int(per_second * seconds))
    committed: dict[int, float] = {}
    table = f"bench_lat_{side}"
    conn = db.connect(autocommit=True)
    try:
        with conn.cursor() as cur:
            if db.kind == "postgresql":  # the WAL is flushed, and so sent, at commit
                cur.execute("SET synchronous_commit = on")
            started = time.time()
            for k in range(count):
                pause = started + k / per_second - time.time()
                if pause > 0:
                    time.sleep(pause)
                cur.execute(f"INSERT INTO {table} VALUES (%s, 'x')", (k,))
                committed[k] = time.time()
                if k % 200 == 0:
                    proc.check_alive()
                    progress.update(f"{side}: steady changes", k, count)
        ended = time.time()
        deadline = time.monotonic() + 60
        while len(reader.read_at) < count and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        conn.close()
        reader.stopping.set()
        reader.join(10)
    cpu = proc.cpu_at(ended) - proc.cpu_at(started)
    latencies = sorted(
        (reader.read_at[k] - t) * 1000.0
        for k, t in committed.items()
        if k in reader.read_at and t - started >= WARMUP_S
    )
    progress.done(
        f"{side}: {len(reader.read_at):,}/{count:,} steady changes read, "
        f"p50 {_percentile(latencies, 0.5):.1f} ms, p99 {_percentile(latencies, 0.99):.1f} ms"
    )
    return {
        "latency_changes": count,
        "latency_changes_read": len(reader.read_at),
        "latency_rate_per_s": round(count / (ended - started), 1),
        "latency_p50_ms": round(_percentile(latencies, 0.5), 1),
        "latency_p99_ms": round(_percentile(latencies, 0.99), 1),
        "latency_max_ms": round(latencies[-1], 1) if latencies else None,
        "latency_mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
        "latency_cpu_s": round(cpu, 2),
    }


def _prime(
    side: Side,
    db: BenchDatabase,
    broker: Broker,
    run_dir: Path,
    props: dict[str, str],
    config: dict[str, str],
    timeout: float,
    progress: Progress,
) -> None:
    """MariaDB: run the side once so that its committed offset is a binlog position before the
    bulk update (a row of its latency table, id -1, makes it a streaming one), then stop it."""
    progress.done(f"{side.name}: recording its binlog position")
    proc = side.launch(run_dir, props, [config])
    try:
        deadline = time.monotonic() + timeout
        inserted = False
        partition = {"server": config["topic.prefix"]}
        while True:
            proc.check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{side.label}: no offset stored:\n{proc.log_tail()}")
            if not inserted and broker.end_offset(config["topic.prefix"], 0) > 0:
                db.execute(
                    f"INSERT INTO bench_lat_{side.name} VALUES (-1, 'prime')", autocommit=True
                )
                inserted = True
            offset = side.committed_source_offset(config["name"], partition)
            if inserted and offset is not None and not offset.get("snapshot"):
                break
            time.sleep(0.2)
    finally:
        proc.stop()


def _run_side(
    side: Side,
    db: BenchDatabase,
    broker: Broker,
    run_dir: Path,
    props: dict[str, str],
    config: dict[str, str],
    rows: int,
    per_second: float,
    seconds: float,
    timeout: float,
    progress: Progress,
) -> dict[str, Any]:
    prefix = config["topic.prefix"]
    bulk_topic = f"{prefix}.{db.schema}.bench_cdc"
    lat_topic = f"{prefix}.{db.schema}.bench_lat_{side.name}"
    progress.done(f"{side.name}: starting {side.label}")
    launched = time.time()
    proc = side.launch(run_dir, props, [config])
    try:
        entry = _throughput(side, proc, broker, bulk_topic, rows, launched, timeout, progress)
        time.sleep(2.0)  # settle: the drain's batches and commits are over
        entry.update(
            _latency(
                db, side.name, proc, broker.bootstrap, lat_topic, per_second, seconds, progress
            )
        )
        entry["peak_rss_mb"] = round(proc.peak_rss() / 2**20, 1)
        entry["cpu_s_total"] = round(proc.samples[-1].cpu if proc.samples else 0.0, 2)
    finally:
        proc.stop()
    return entry


def _prepare(db: BenchDatabase, names: list[str], rows: int) -> None:
    """The bulk table with ``rows`` rows and a latency table per side; for PostgreSQL a
    publication and a slot per side too (the slots hold the bulk update for later)."""
    text = "TEXT" if db.kind == "postgresql" else "VARCHAR(40)"
    db.execute(
        "DROP TABLE IF EXISTS bench_cdc",
        "CREATE TABLE bench_cdc (id BIGINT PRIMARY KEY, name VARCHAR(40) NOT NULL, "
        "amount NUMERIC(12, 2) NOT NULL, note VARCHAR(140) NOT NULL, version INT NOT NULL)",
        FILL[db.kind].format(rows=rows),
        *[f"DROP TABLE IF EXISTS bench_lat_{n}" for n in names],
        *[f"CREATE TABLE bench_lat_{n} (id BIGINT PRIMARY KEY, note {text})" for n in names],
        autocommit=True,
    )
    if db.kind != "postgresql":
        return
    db.execute(
        *[f"DROP PUBLICATION IF EXISTS bench_pub_{n}" for n in names],
        *[f"CREATE PUBLICATION bench_pub_{n} FOR TABLE bench_cdc, bench_lat_{n}" for n in names],
        *[
            f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
            f"WHERE slot_name = 'bench_{n}'"
            for n in names
        ],
        *[f"SELECT pg_create_logical_replication_slot('bench_{n}', 'pgoutput')" for n in names],
        autocommit=True,
    )


def run_cdc_bench(
    broker: Broker,
    db: BenchDatabase,
    rows: int = 1_000_000,
    per_second: float = 200.0,
    seconds: float = 20.0,
    work_dir: Path | None = None,
    sides: Sequence[Side] | None = None,
    timeout: float = 3600.0,
    progress: Progress | None = None,
    connector_settings: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Capture a bulk update of ``rows`` rows, then ``per_second`` changes for ``seconds``, with
    each side in turn; returns the figures per side and the ratios sluice / Debezium.
    ``connector_settings`` are added to both sides' connector configurations."""
    progress = progress or Progress()
    work = Path(work_dir or tempfile.mkdtemp(prefix="sluice-bench-cdc-")) / db.kind
    if sides is None:
        sides = [SluiceSide(), JavaSide(work / "java-cache")]
    worker_props = {
        "bootstrap.servers": broker.bootstrap,
        "key.converter": JSON,
        "value.converter": JSON,
        "offset.flush.interval.ms": "10000" if db.kind == "postgresql" else "1000",
        "plugin.path": str(debezium_plugins(db.kind)),
        "plugin.discovery": "service_load",
    }
    names = [s.name for s in sides]
    _prepare(db, names, rows)
    plans = []
    for side in sides:
        prefix = f"cdc{side.name}{uuid.uuid4().hex[:4]}"
        # created here, so that the probes never ask for a topic before it exists
        for table in ("bench_cdc", f"bench_lat_{side.name}"):
            broker.create_topic(f"{prefix}.{db.schema}.{table}")
        if db.kind == "mariadb":
            broker.create_topic(prefix)  # the schema change topic
        run_dir = work / side.name
        props = {**worker_props, "offset.storage.file.filename": str(run_dir / "offsets")}
        config = _connector(db, side.name, prefix, broker.bootstrap, connector_settings)
        if db.kind == "mariadb":
            _prime(side, db, broker, run_dir, props, config, timeout, progress)
        plans.append((side, run_dir, props, config))
    started = time.perf_counter()
    db.execute("UPDATE bench_cdc SET amount = amount + 1, version = version + 1", autocommit=True)
    update_s = time.perf_counter() - started
    progress.done(f"bulk UPDATE of {rows:,} rows committed in {update_s:.1f} s")
    results: dict[str, Any] = {
        "database": db.kind,
        "debezium": DEBEZIUM[db.kind],
        "rows": rows,
        "update_rows_per_s": rate(rows, update_s),
        "latency_target_rate_per_s": per_second,
        "latency_seconds": seconds,
        "connector_settings": dict(connector_settings or {}),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        for side, run_dir, props, config in plans:
            results[side.name] = _run_side(
                side,
                db,
                broker,
                run_dir,
                props,
                config,
                rows,
                per_second,
                seconds,
                timeout,
                progress,
            )
    finally:
        if db.kind == "postgresql":
            db.execute(
                *[
                    f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                    f"WHERE slot_name = 'bench_{n}' AND NOT active"
                    for n in names
                ],
                autocommit=True,
            )
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    if "sluice" in results and "java" in results:
        ours, theirs = results["sluice"], results["java"]
        results["ratios_sluice_vs_debezium"] = {
            key: round(ours[key] / theirs[key], 3)
            if theirs.get(key) and ours.get(key) is not None
            else None
            for key in (
                "changes_per_s",
                "latency_p50_ms",
                "latency_p99_ms",
                "cpu_s_per_m_changes",
                "latency_cpu_s",
                "peak_rss_mb",
            )
        }
    return results


ROWS = [
    ("changes/s (bulk update)", "changes_per_s", "{:,.0f}"),
    ("drain s (first→last record)", "drain_s", "{:.1f}"),
    ("wall s from start", "wall_s_from_start", "{:.1f}"),
    ("CPU s per M changes", "cpu_s_per_m_changes", "{:.1f}"),
    ("latency p50 ms", "latency_p50_ms", "{:.1f}"),
    ("latency p99 ms", "latency_p99_ms", "{:.1f}"),
    ("latency max ms", "latency_max_ms", "{:.1f}"),
    ("CPU s at the steady rate", "latency_cpu_s", "{:.2f}"),
    ("peak RSS MB", "peak_rss_mb", "{:,.0f}"),
]


def format_table(results: dict[str, Any]) -> str:
    """The figures side by side, one line per measure, with the ratio sluice / Debezium."""
    sluice, java = results.get("sluice", {}), results.get("java", {})
    lines = [
        f"{results['database']} CDC, {results['rows']:,} rows, steady rate "
        f"{results['latency_target_rate_per_s']:g}/s for {results['latency_seconds']:g} s; "
        f"load average {results['load_average_at_start']} → {results['load_average_at_end']}",
        f"{'':30} {'sluice':>12} {'Debezium':>12} {'ratio':>7}   ({results['debezium']})",
    ]
    for label, key, fmt in ROWS:
        a, b = sluice.get(key), java.get(key)
        ratio = f"{a / b:.2f}" if a is not None and b else ""
        cell_a = fmt.format(a) if a is not None else "-"
        cell_b = fmt.format(b) if b is not None else "-"
        lines.append(f"{label:30} {cell_a:>12} {cell_b:>12} {ratio:>7}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Start the servers and a broker, run the bench, print the tables and the JSON."""
    tests_importable()
    from tests.fixtures.databases import start_mariadb, start_postgres, stop_server

    parser = argparse.ArgumentParser(
        prog="python -m bench.cdc", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the bulk update")
    parser.add_argument("--rate", type=float, default=200.0, help="steady changes per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="of the steady rate")
    parser.add_argument(
        "--databases",
        default="postgresql,mariadb",
        help="comma-separated: postgresql, mariadb (default both, PostgreSQL first)",
    )
    parser.add_argument("--bootstrap", help="use this broker instead of starting one")
    parser.add_argument("--broker-port", type=int, help="port of the broker started (else free)")
    parser.add_argument("--only", choices=["sluice", "java"], help="measure one side only")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a connector setting for both sides (e.g. poll.interval.ms=50); repeatable",
    )
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    settings = dict(item.split("=", 1) for item in args.set)
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    unknown = set(kinds) - set(CONNECTORS)
    if unknown:
        parser.error(f"unknown database {sorted(unknown)}: postgresql or mariadb")
    with bench_work_dir("sluice-bench-cdc-") as work:
        progress = Progress()
        sides: list[Side] = []
        if args.only in (None, "sluice"):
            sides.append(SluiceSide())
        if args.only in (None, "java"):
            sides.append(JavaSide(work / "java-cache"))
        starts = {"postgresql": start_postgres, "mariadb": start_mariadb}
        results: dict[str, Any] = {}
        port = args.broker_port or free_port()
        with bench_broker(args.bootstrap, port, work, progress) as broker:
            for kind in kinds:
                server = starts[kind]()
                try:
                    d = server.database("bench_cdc")
                    db = BenchDatabase(kind, d.host, d.port, d.user, d.password, d.name)
                    results[kind] = run_cdc_bench(
                        broker,
                        db,
                        args.rows,
                        args.rate,
                        args.seconds,
                        work,
                        sides,
                        progress=progress,
                        connector_settings=settings,
                    )
                finally:
                    stop_server(server)
                progress.done(format_table(results[kind]))
        print_results(results, args.out)
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
