"""``sluice status`` and ``sluice connectors ...`` against a real worker on the real broker.

Run in-process through ``main()`` (the output people see is asserted line by line) and once as a
subprocess against a worker process that writes JSON log lines (``log.format=json``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sluice.cli.main import main
from sluice.testing import EmbeddedWorker, wait_for
from tests.fixtures.ports import free_port
from tests.fixtures.worker_process import start_worker, stop_worker, worker_log, write_props

pytestmark = pytest.mark.integration

Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def worker(kafka_bootstrap: str, tmp_path: Path) -> Iterator[EmbeddedWorker]:
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "w") as w:
        yield w


def sluice(capsys: Capsys, url: str, *args: str) -> tuple[int, str, str]:
    """Run ``sluice ARGS --url URL`` in-process: (exit status, stdout, stderr)."""
    capsys.readouterr()
    status = main([*args, "--url", url])
    out, err = capsys.readouterr()
    return status, out, err


def rows(text: str) -> dict[tuple[str, str], list[str]]:
    """A table's lines keyed by their first one or two cells (connector rows by name only)."""
    out = {}
    for line in text.splitlines()[1:]:
        cells = line.split()
        if cells and cells[0] != "Failed:":
            key = (cells[0], cells[1] if cells[1].isdigit() else "")
            out[key] = cells
    return out


def wait_state(url: str, name: str, state: str, tasks: int) -> None:
    def check() -> bool:
        s = httpx.get(f"{url}/connectors/{name}/status", timeout=10).json()
        states = [t["state"] for t in s.get("tasks", [])]
        return bool(s.get("connector", {}).get("state") == state and states == [state] * tasks)

    wait_for(check, 30, message=lambda: f"{name} not {state}")


def test_connector_lifecycle(
    worker: EmbeddedWorker, tmp_path: Path, kafka_topic: Any, capsys: Capsys
) -> None:
    url, topic = worker.rest_url.rstrip("/"), kafka_topic("cli")
    source_file, sink_file = tmp_path / "in.txt", tmp_path / "out.txt"
    source_file.write_text("one\ntwo\n")
    create_json = tmp_path / "src.json"
    create_json.write_text(
        json.dumps(
            {
                "name": "src",
                "config": {"connector.class": "FileStreamSource", "file": str(source_file)}
                | {"topic": topic, "tasks.max": 1},
            }
        )
    )
    sink_props = write_props(
        tmp_path / "sink.properties",
        {
            "name": "sink",
            "connector.class": "FileStreamSink",
            "topics": topic,
            "file": str(sink_file),
        },
    )

    assert sluice(capsys, url, "connectors", "create", "-f", str(create_json)) == (
        0,
        "Created connector src\n",
        "",
    )
    assert sluice(capsys, url, "connectors", "create", "-f", str(sink_props))[1] == (
        "Created connector sink\n"
    )
    # The same flat file again replaces the config (PUT), as kcctl apply does.
    assert (
        "Updated connector sink"
        in sluice(capsys, url, "connectors", "create", "-f", str(sink_props))[1]
    )
    worker.wait_running("src")
    worker.wait_running("sink")
    wait_for(lambda: sink_file.exists() and sink_file.read_text() == "one\ntwo\n", 30)

    _, out, _ = sluice(capsys, url, "connectors", "list")
    assert rows(out)[("src", "")] == [
        "src",
        "source",
        "RUNNING",
        "1",
        "RUNNING",
        "FileStreamSource",
    ]
    assert rows(out)[("sink", "")][:3] == ["sink", "sink", "RUNNING"]

    status, out, err = sluice(capsys, url, "status")
    assert status == 0 and err == ""
    table = rows(out)
    assert out.split("\n", 1)[0].split() == [
        *("CONNECTOR", "TASK", "TYPE", "STATE", "WORKER", "IN/S", "OUT/S", "LAG")
    ]
    worker_id = httpx.get(f"{url}/connectors/src/status").json()["tasks"][0]["worker_id"]
    assert table[("src", "0")][:5] == ["src", "0", "source", "RUNNING", worker_id]
    assert len(table[("sink", "0")]) == 8  # numbers, or "-" while /metrics/summary is missing
    _, out, _ = sluice(capsys, url, "status", "-o", "json")
    assert set(json.loads(out)) == {"connectors", "summary"}

    _, out, _ = sluice(capsys, url, "connectors", "describe", "src")
    assert "State:   RUNNING" in out and f"file             {source_file}" in out
    _, out, _ = sluice(capsys, url, "connectors", "describe", "src", "-o", "json")
    assert json.loads(out)["info"]["config"]["topic"] == topic

    assert sluice(capsys, url, "connectors", "pause", "src")[1] == "Pausing connector src\n"
    wait_state(url, "src", "PAUSED", 1)
    assert sluice(capsys, url, "connectors", "resume", "src")[1] == "Resuming connector src\n"
    wait_state(url, "src", "RUNNING", 1)

    _, out, _ = sluice(capsys, url, "connectors", "restart", "src", "--include-tasks")
    assert out.startswith("Restarting connector src") and "RESTARTING" in out
    wait_state(url, "src", "RUNNING", 1)
    restarted = sluice(capsys, url, "connectors", "restart", "src", "--task", "0")
    assert restarted == (0, "Restarted task 0 of connector src\n", "")
    assert sluice(capsys, url, "connectors", "restart", "src")[1] == "Restarted connector src\n"
    wait_state(url, "src", "RUNNING", 1)

    # Offsets can only be reset when STOPPED: the REST message says so.
    status, out, err = sluice(capsys, url, "connectors", "offsets", "src", "--reset")
    assert status == 1 and "must be in the STOPPED state" in err and "(HTTP 400)" in err
    assert sluice(capsys, url, "connectors", "stop", "src")[1] == "Stopped connector src\n"
    wait_state(url, "src", "STOPPED", 0)
    _, out, _ = sluice(capsys, url, "connectors", "offsets", "src")
    assert out.splitlines()[1].startswith(json.dumps({"filename": str(source_file)}))
    _, out, _ = sluice(capsys, url, "connectors", "offsets", "src", "--reset")
    assert out == "The offsets for this connector have been reset successfully\n"

    assert sluice(capsys, url, "connectors", "delete", "src")[1] == "Deleted connector src\n"
    assert ("src", "") not in rows(sluice(capsys, url, "connectors", "list")[1])
    assert sluice(capsys, url, "connectors", "describe", "src") == (
        1,
        "",
        "sluice: Connector src not found (HTTP 404)\n",
    )


def test_dead_url_is_one_line(capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()  # nothing listens there
    monkeypatch.setenv("SLUICE_URL", f"127.0.0.1:{port}")
    assert main(["connectors", "list"]) == 1
    assert capsys.readouterr().err == (
        f"sluice: cannot reach the worker at http://127.0.0.1:{port} (connection refused); "
        "is it running? set --url or SLUICE_URL\n"
    )


def test_json_logs_and_status_of_a_worker_process(kafka_bootstrap: str, tmp_path: Path) -> None:
    """A worker process with ``log.format=json`` logs JSON lines naming the task, and the CLI,
    run as users run it, reads its status."""
    source_file = tmp_path / "in.txt"
    source_file.write_text("x\n")
    worker_file = write_props(
        tmp_path / "worker.properties",
        {
            "bootstrap.servers": kafka_bootstrap,
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "offset.storage.file.filename": str(tmp_path / "offsets"),
            "listeners": "http://127.0.0.1:0",
            "log.format": "json",
        },
    )
    connector = write_props(
        tmp_path / "src.properties",
        {"name": "logged", "connector.class": "FileStreamSource"}
        | {"file": str(source_file), "topic": "cli-json-logs"},
    )
    proc = start_worker(tmp_path, worker_file, connector)
    try:

        def log_lines() -> list[dict[str, Any]]:
            text = (tmp_path / "worker.log").read_text()
            return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

        def task_line() -> dict[str, Any] | None:
            assert proc.poll() is None, worker_log(tmp_path)
            lines = log_lines()
            return next((x for x in lines if x.get("task") == 0 and "connector" in x), None)

        line = wait_for(task_line, 60, message=lambda: worker_log(tmp_path))
        assert line["connector"] == "logged" and line["level"] in ("INFO", "DEBUG", "WARN")
        assert {"time", "logger", "message", "thread"} <= set(line)
        # Every line of Python logging is one JSON object; librdkafka writes its own warnings
        # ("%4|...") straight to stderr, past Python's logging.
        text = (tmp_path / "worker.log").read_text()
        assert all(json.loads(raw) for raw in text.splitlines() if not raw.startswith("%"))
        started = next(x for x in log_lines() if "REST API at " in x["message"])
        url = started["message"].rsplit("REST API at ", 1)[1].rstrip("/")
        wait_state(url, "logged", "RUNNING", 1)

        result = subprocess.run(
            [sys.executable, "-m", "sluice.cli.main", "status", "--url", url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert rows(result.stdout)[("logged", "0")][:4] == ["logged", "0", "source", "RUNNING"]
        assert "\x1b[" not in result.stdout  # no colour when stdout is a pipe
    finally:
        stop_worker(proc)
