"""A database server restarted under a streaming CDC connector is survived (issue 17).

Each test runs its own server (never the session's, which other tests use): PostgreSQL with
logical replication, MariaDB with a row binlog, started as the other tests start theirs. A sluice
connector streams a table into Kafka; changes are made, the server is stopped and started again on
the same data folder and port, more changes are made; while it is down the task stays RUNNING
and its status names the problem, and afterwards every change has reached Kafka at least once and
in commit order per key, without the task being restarted by anyone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest

from sluice.runtime.status import State
from sluice.testing import EmbeddedWorker, wait_for
from tests.fixtures.databases import (
    DatabaseServer,
    TestDatabase,
    start_mariadb,
    start_postgres,
    stop_server,
)
from tests.fixtures.debezium import mariadb_config, postgres_config
from tests.fixtures.kafka import consume_all
from tests.fixtures.worker_process import high_watermark

pytestmark = pytest.mark.integration

JSON_WORKER = {
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "offset.flush.interval.ms": "200",
}
KEYS = 4


def _private(start: Callable[[], DatabaseServer], port_env: str) -> Iterator[DatabaseServer]:
    """A server of this test's own, on a free port (not the session's fixed one)."""
    saved = os.environ.pop(port_env, None)
    try:
        server = start()
    finally:
        if saved is not None:
            os.environ[port_env] = saved
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture
def postgres() -> Iterator[DatabaseServer]:
    yield from _private(start_postgres, "SLUICE_TEST_PG_PORT")


@pytest.fixture
def mariadb() -> Iterator[DatabaseServer]:
    yield from _private(start_mariadb, "SLUICE_TEST_MARIADB_PORT")


def _answers(server: DatabaseServer) -> bool:
    try:
        if server.kind == "postgresql":
            psycopg.connect(
                host="127.0.0.1",
                port=server.port,
                user=server.user,
                password=server.password,
                dbname="postgres",
                connect_timeout=2,
            ).close()
        else:
            pymysql.connect(
                host="127.0.0.1",
                port=server.port,
                user=server.user,
                password=server.password,
                connect_timeout=2,
            ).close()
    except (psycopg.Error, pymysql.MySQLError):
        return False
    return True


def _stop(server: DatabaseServer) -> None:
    """Shut the server down as its service would (PostgreSQL's fast mode; MariaDB's normal
    shutdown), keeping its data folder."""
    server.process.send_signal(signal.SIGINT if server.kind == "postgresql" else signal.SIGTERM)
    server.process.wait(60)


def _start_again(server: DatabaseServer) -> None:
    """Start the server with the same command line, data folder and port; wait until it
    answers."""
    args: list[str] = list(server.process.args)  # type: ignore[arg-type]
    # PostgreSQL refuses to run as root: the fixtures run it as the Debian package's user
    user = "postgres" if server.kind == "postgresql" and os.geteuid() == 0 else None
    if server.kind == "postgresql":
        with open(server.log, "ab") as log:
            server.process = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=server.root,
                start_new_session=True,
                user=user,
                group=user,
            )
    else:  # MariaDB writes its own log (--log-error)
        server.process = subprocess.Popen(
            args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=server.root,
            start_new_session=True,
        )
    wait_for(lambda: _answers(server), 60, 0.2, message=server.log_tail)


def _task_status(worker: EmbeddedWorker) -> tuple[State, str | None]:
    status = worker.herder.connector_status("cdc").tasks[0]
    return status.state, status.trace


def _change(db: TestDatabase, version: int) -> tuple[int, int]:
    key = version % KEYS
    db.execute("UPDATE t SET v = %s WHERE id = %s", (version, key))
    return key, version


def _firsts(got: list[Any]) -> dict[int, list[int]]:
    """Per key, the versions in the order of their first arrival."""
    seen: dict[int, list[int]] = {}
    for value in got:
        if value is None or value["payload"]["after"] is None:
            continue
        after = value["payload"]["after"]
        versions = seen.setdefault(after["id"], [])
        if after["v"] not in versions:
            versions.append(after["v"])
    return seen


def _values(bootstrap: str, topic: str, count: int) -> list[Any]:
    values = [m.value() for m in consume_all(bootstrap, topic, count, timeout=60)]
    return [json.loads(v) if v is not None else None for v in values]


def _check_delivery(bootstrap: str, topic: str, expected: list[tuple[int, int]]) -> None:
    """Every (key, version) arrives at least once, and per key the first arrivals are in commit
    order (a change delivered twice is allowed: at least once)."""
    wanted = {key: [v for k, v in expected if k == key] for key in range(KEYS)}
    got: dict[int, list[int]] = {}

    def delivered() -> bool:
        nonlocal got
        end = high_watermark(bootstrap, topic)
        got = _firsts(_values(bootstrap, topic, end)) if end else {}
        return all(len(got.get(k, [])) >= len(w) for k, w in wanted.items())

    wait_for(delivered, 60, 0.2, message=lambda: f"{got} != {wanted}")
    assert got == wanted


def _survives_restart(
    server: DatabaseServer,
    db: TestDatabase,
    worker: EmbeddedWorker,
    bootstrap: str,
    topic: str,
    problem: str,
) -> None:
    expected = [(k, 0) for k in range(KEYS)]  # the snapshot's rows
    worker.wait_running("cdc")
    _values(bootstrap, topic, KEYS)
    expected += [_change(db, n) for n in range(KEYS, 3 * KEYS)]
    _values(bootstrap, topic, len(expected))
    expected += [_change(db, n) for n in range(3 * KEYS, 4 * KEYS)]  # maybe not read yet
    _stop(server)

    def names_the_problem() -> bool:
        state, trace = _task_status(worker)
        assert state is State.RUNNING, trace
        return trace is not None and problem in trace

    wait_for(names_the_problem, 30, message=lambda: str(_task_status(worker)))
    _start_again(server)
    expected += [_change(db, n) for n in range(4 * KEYS, 6 * KEYS)]
    _check_delivery(bootstrap, topic, expected)
    state, _trace = _task_status(worker)
    assert state is State.RUNNING
    expected.append(_change(db, 99))  # and the stream goes on, live
    _check_delivery(bootstrap, topic, expected)


def test_postgres_restart_mid_stream(
    kafka_bootstrap: str, postgres: DatabaseServer, tmp_path: Path
) -> None:
    db = postgres.database("restart")
    db.execute("CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL)")
    db.executemany("INSERT INTO t VALUES (%s, 0)", [(k,) for k in range(KEYS)])
    prefix = f"pgr{uuid.uuid4().hex[:8]}"
    config = postgres_config(
        db, prefix, **{"table.include.list": "public.t", "poll.interval.ms": "100"}
    )
    with EmbeddedWorker(kafka_bootstrap, tmp_path, JSON_WORKER) as worker:
        worker.create("cdc", config)
        _survives_restart(postgres, db, worker, kafka_bootstrap, f"{prefix}.public.t", "PostgreSQL")


def test_mariadb_restart_mid_stream(
    kafka_bootstrap: str, mariadb: DatabaseServer, tmp_path: Path
) -> None:
    db = mariadb.database("restart")
    db.execute("CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL)")
    db.executemany("INSERT INTO t VALUES (%s, 0)", [(k,) for k in range(KEYS)])
    prefix = f"mdr{uuid.uuid4().hex[:8]}"
    config = mariadb_config(db, prefix, kafka_bootstrap, **{"poll.interval.ms": "100"})
    with EmbeddedWorker(kafka_bootstrap, tmp_path, JSON_WORKER) as worker:
        worker.create("cdc", config)
        _survives_restart(mariadb, db, worker, kafka_bootstrap, f"{prefix}.{db.name}.t", "binlog")
