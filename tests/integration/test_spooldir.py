"""Spooldir connectors against the real broker: the seed 004 walkthrough replayed, bad files,
several tasks, and a ``kill -9`` in the middle of a file."""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from confluent_kafka import Consumer, TopicPartition

from sluice.storage.offsets import FileOffsetBackingStore
from sluice.testing import EmbeddedWorker, wait_for
from tests.fixtures.kafka import consume_all

HEADER = (
    "id,first_name,last_name,email,gender,ip_address,last_login,account_balance,country,"
    "favorite_color"
)
SEED_ROW = (
    "1000,Phineas,Frede,pfrederr@weather.com,Male,59.83.98.78,2015-12-04T22:18:07Z,14095.22,PK,"
    "#4f2f2b"
)
# What the seed's kafka-console-consumer printed (key, then value), whitespace removed.
SEED_KEY = (
    '{"schema":{"type":"struct","fields":[],"optional":false,'
    '"name":"com.github.jcustenborder.kafka.connect.model.Key"},"payload":{}}'
)
SEED_VALUE = (
    '{"schema":{"type":"struct","fields":[{"type":"string","optional":true,"field":"id"},'
    '{"type":"string","optional":true,"field":"first_name"},'
    '{"type":"string","optional":true,"field":"last_name"},'
    '{"type":"string","optional":true,"field":"email"},'
    '{"type":"string","optional":true,"field":"gender"},'
    '{"type":"string","optional":true,"field":"ip_address"},'
    '{"type":"string","optional":true,"field":"last_login"},'
    '{"type":"string","optional":true,"field":"account_balance"},'
    '{"type":"string","optional":true,"field":"country"},'
    '{"type":"string","optional":true,"field":"favorite_color"}],'
    '"optional":false,"name":"com.github.jcustenborder.kafka.connect.model.Value"},'
    '"payload":{"id":"1000","first_name":"Phineas","last_name":"Frede",'
    '"email":"pfrederr@weather.com","gender":"Male","ip_address":"59.83.98.78",'
    '"last_login":"2015-12-04T22:18:07Z","account_balance":"14095.22","country":"PK",'
    '"favorite_color":"#4f2f2b"}}'
)
JSON_WORKER = {
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
}
CSV_CLASS = "com.github.jcustenborder.kafka.connect.spooldir.SpoolDirCsvSourceConnector"
CSV_MODULE = "sluice.connectors.spooldir.csv_source:SpoolDirCsvSourceConnector"


def _spool_dir(root: Path) -> Path:
    spool = root / "spool_test_dir"
    (spool / "error").mkdir(parents=True)
    (spool / "finished").mkdir()
    return spool


def _mock_rows(n: int) -> list[str]:
    return [
        f"{i},First{i},Last{i},user{i}@example.com,{'Male' if i % 2 else 'Female'},"
        f"10.0.{i // 256 % 256}.{i % 256},2016-01-{1 + i % 28:02d}T10:00:00Z,{i}.25,FR,#00{i:04x}"
        for i in range(1, n + 1)
    ]


def test_seed_004_walkthrough(kafka_bootstrap: str, kafka_topic, tmp_path: Path) -> None:
    topic = kafka_topic("spooldir-test-topic")
    spool = _spool_dir(tmp_path)
    # Step 4: the CSV file is in place before the connector is created.
    rows = [*_mock_rows(999), SEED_ROW]
    source = spool / "csv-spooldir-source.csv"
    source.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    body = {
        "name": "csv_spooldir_source",
        "config": {
            "tasks.max": "1",
            "connector.class": CSV_CLASS,
            "input.path": str(spool),
            "input.file.pattern": "^.*\\.csv$",
            "error.path": str(spool / "error"),
            "finished.path": str(spool / "finished"),
            "empty.poll.wait.ms": 30000,
            "halt.on.error": "false",
            "topic": topic,
            "csv.first.row.as.header": "true",
            "schema.generation.enabled": "true",
        },
    }
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "worker", JSON_WORKER) as worker:
        # Step 5: register the connector through the REST API.
        created = httpx.post(f"{worker.rest_url.rstrip('/')}/connectors", json=body, timeout=30)
        assert created.status_code == 201, created.text
        answer = created.json()
        assert answer["name"] == "csv_spooldir_source"
        assert answer["type"] == "source"
        assert answer["config"]["connector.class"] == CSV_CLASS
        assert answer["config"]["empty.poll.wait.ms"] == "30000"
        # Step 6: the status is RUNNING for the connector and its task.
        worker.wait_running("csv_spooldir_source")
        status = httpx.get(
            f"{worker.rest_url.rstrip('/')}/connectors/csv_spooldir_source/status", timeout=30
        ).json()
        assert status["connector"]["state"] == "RUNNING"
        assert [(t["id"], t["state"]) for t in status["tasks"]] == [(0, "RUNNING")]
        assert status["type"] == "source"
        # Step 7: the records are in the topic, shaped as the seed shows them.
        messages = consume_all(kafka_bootstrap, topic, 1000)
        # Step 8: the file is moved to finished/ once its records are committed.
        wait_for(
            lambda: (spool / "finished" / "csv-spooldir-source.csv").exists(),
            30,
            message=lambda: f"finished/ holds {os.listdir(spool / 'finished')}",
        )
    assert {m.key() for m in messages} == {SEED_KEY.encode()}
    assert messages[-1].value() == SEED_VALUE.encode()
    payloads = [json.loads(m.value())["payload"] for m in messages]
    assert [p["id"] for p in payloads] == [str(i) for i in range(1, 1001)]
    first = dict(zip(HEADER.split(","), rows[0].split(","), strict=True))
    assert payloads[0] == first
    headers = dict(messages[0].headers() or [])
    assert headers["file.name"] == b"csv-spooldir-source.csv"
    assert sorted(os.listdir(spool)) == ["error", "finished"]
    assert os.listdir(spool / "finished") == ["csv-spooldir-source.csv"]
    assert (spool / "finished" / "csv-spooldir-source.csv").read_text().count("\n") == 1001


def test_bad_file_goes_to_error_and_the_connector_keeps_running(
    kafka_bootstrap: str, kafka_topic, tmp_path: Path
) -> None:
    topic = kafka_topic()
    spool = _spool_dir(tmp_path)
    (spool / "a.csv").write_text("id,name\n1,one\n2\n3,three\n")
    (spool / "b.csv").write_text("id,name\n4,four\n")
    config = {
        "connector.class": CSV_MODULE,
        "input.path": str(spool),
        "input.file.pattern": r"^.*\.csv$",
        "error.path": str(spool / "error"),
        "finished.path": str(spool / "finished"),
        "halt.on.error": "false",
        "topic": topic,
        "csv.first.row.as.header": "true",
        "schema.generation.enabled": "true",
        "empty.poll.wait.ms": "100",
    }
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "worker", JSON_WORKER) as worker:
        worker.create("spool", config)
        worker.wait_running("spool")
        messages = consume_all(kafka_bootstrap, topic, 2)
        wait_for(lambda: sorted(os.listdir(spool / "finished")) == ["b.csv"], 30)
        wait_for(lambda: len(os.listdir(spool / "error")) == 2, 30)
        status = worker.herder.connector_status("spool")
        assert [t.state.name for t in status.tasks.values()] == ["RUNNING"]
    assert [json.loads(m.value())["payload"]["id"] for m in messages] == ["1", "4"]
    report = (spool / "error" / "a.csv.error.txt").read_text()
    assert "line: 3\n" in report and "the row has 1 field(s) but the header has 2" in report


def test_halt_on_error_fails_the_task(kafka_bootstrap: str, kafka_topic, tmp_path: Path) -> None:
    topic = kafka_topic()
    spool = _spool_dir(tmp_path)
    (spool / "bad.csv").write_text("id,name\n1,one\n2\n")
    config = {
        "connector.class": CSV_MODULE,
        "input.path": str(spool),
        "input.file.pattern": r"^.*\.csv$",
        "error.path": str(spool / "error"),
        "finished.path": str(spool / "finished"),
        "halt.on.error": "true",
        "topic": topic,
        "csv.first.row.as.header": "true",
        "schema.generation.enabled": "true",
    }
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "worker", JSON_WORKER) as worker:
        worker.create("spool", config)

        def failed() -> str | None:
            tasks = worker.herder.connector_status("spool").tasks
            task = tasks.get(0)
            return task.trace if task is not None and task.state.name == "FAILED" else None

        trace = wait_for(failed, 30, message="the task did not fail")
    assert str(spool / "bad.csv") in trace and "line 3" in trace
    assert "the row has 1 field(s) but the header has 2" in trace
    assert sorted(os.listdir(spool / "error")) == ["bad.csv", "bad.csv.error.txt"]


def test_two_tasks_deliver_every_file_once(
    kafka_bootstrap: str, kafka_topic, tmp_path: Path
) -> None:
    topic = kafka_topic(partitions=2)
    spool = _spool_dir(tmp_path)
    for f in range(8):
        lines = "".join(f"{f * 100 + i},v\n" for i in range(50))
        (spool / f"part-{f}.csv").write_text("id,v\n" + lines)
    config = {
        "connector.class": CSV_MODULE,
        "tasks.max": "2",
        "input.path": str(spool),
        "input.file.pattern": r"^.*\.csv$",
        "error.path": str(spool / "error"),
        "finished.path": str(spool / "finished"),
        "topic": topic,
        "csv.first.row.as.header": "true",
        "schema.generation.enabled": "true",
        "batch.size": "7",
    }
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "worker", JSON_WORKER) as worker:
        worker.create("spool", config)
        worker.wait_running("spool", tasks=2)
        messages = consume_all(kafka_bootstrap, topic, 400)
        wait_for(lambda: len(os.listdir(spool / "finished")) == 8, 30)
    ids = sorted(int(json.loads(m.value())["payload"]["id"]) for m in messages)
    assert ids == sorted(f * 100 + i for f in range(8) for i in range(50))
    names = {dict(m.headers() or [])["file.name"] for m in messages}
    assert names == {f"part-{f}.csv".encode() for f in range(8)}


def _committed_count(offsets_file: Path) -> int:
    """How many records of big.csv the file offset store says were committed."""
    offset = _committed_offset(offsets_file, "spool", "big.csv")
    return int(str(offset["offset"])) if offset is not None else 0


def _end_offset(bootstrap: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "spooldir-watermarks"})
    try:
        return int(consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1])
    finally:
        consumer.close()


def _committed_offset(offsets_file: Path, name: str, file_name: str) -> dict[str, object] | None:
    store = FileOffsetBackingStore(offsets_file)
    store.start()
    key = json.dumps([name, {"fileName": file_name}], separators=(",", ":")).encode()
    raw = store.get([key]).get(key)
    return json.loads(raw) if raw is not None else None


def test_kill_9_mid_file_resumes_without_loss(
    kafka_bootstrap: str, kafka_topic, tmp_path: Path
) -> None:
    topic = kafka_topic()
    spool = _spool_dir(tmp_path)
    total = 200_000
    with open(spool / "big.csv", "w") as f:
        f.write("id,payload\n")
        f.writelines(f"{i},{'p' * 40}\n" for i in range(total))
    offsets = tmp_path / "connect.offsets"
    worker = tmp_path / "worker.properties"
    worker.write_text(
        f"bootstrap.servers={kafka_bootstrap}\n"
        "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
        "value.converter=org.apache.kafka.connect.storage.StringConverter\n"
        f"offset.storage.file.filename={offsets}\n"
        "offset.flush.interval.ms=200\n"
        "listeners=http://127.0.0.1:0\n"
    )
    connector = tmp_path / "spool.properties"
    connector.write_text(
        "name=spool\n"
        f"connector.class={CSV_MODULE}\n"
        f"input.path={spool}\n"
        "input.file.pattern=^.*\\\\.csv$\n"
        f"error.path={spool / 'error'}\n"
        f"finished.path={spool / 'finished'}\n"
        f"topic={topic}\n"
        "csv.first.row.as.header=true\n"
        'key.schema={"type":"STRUCT","isOptional":false,"fieldSchemas":{}}\n'
        'value.schema={"type":"STRUCT","isOptional":false,"fieldSchemas":'
        '{"id":{"type":"INT64","isOptional":false}}}\n'
        "value.converter=org.apache.kafka.connect.storage.StringConverter\n"
        "transforms=id\n"
        "transforms.id.type=org.apache.kafka.connect.transforms.ExtractField$Value\n"
        "transforms.id.field=id\n"
    )

    def start() -> subprocess.Popen[bytes]:
        with open(tmp_path / "worker.log", "ab") as log:
            return subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "sluice.cli.main",
                    "standalone",
                    str(worker),
                    str(connector),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    proc = start()
    try:
        wait_for(
            lambda: 20_000 < _committed_count(offsets) < total,
            90,
            message=lambda: (tmp_path / "worker.log").read_text()[-3000:],
        )
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    committed = _committed_count(offsets)
    assert (spool / "big.csv.PROCESSING").exists(), "still claimed after the crash"
    assert os.listdir(spool / "finished") == []
    proc = start()
    try:
        wait_for(
            lambda: os.listdir(spool / "finished") == ["big.csv"],
            120,
            message=lambda: (tmp_path / "worker.log").read_text()[-3000:],
        )
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    messages = consume_all(kafka_bootstrap, topic, _end_offset(kafka_bootstrap, topic), 120)
    counts = collections.Counter(int(m.value()) for m in messages)
    assert set(counts) == set(range(total)), "no record lost"
    twice = sorted(i for i, n in counts.items() if n > 1)
    assert max(counts.values()) <= 2
    # Record ids are 0-based: the first ``committed`` ids were committed before the crash.
    assert not twice or twice[0] >= committed, "a committed record was sent again"
