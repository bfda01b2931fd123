"""``sluice apply``: which requests it sends, in which order, against a recorded fake worker
(the real worker is in ``tests/integration/test_cli_apply.py``)."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from sluice.cli import connectors
from sluice.cli.apply import apply_command
from sluice.cli.rest_client import CliError, RestClient

Capsys = pytest.CaptureFixture[str]


def connector(name: str, spec: str = "") -> str:
    return f"""\
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnector
metadata:
  name: {name}
spec:
  class: FileStreamSource
  config:
    topic: t
{spec}"""


class FakeWorker:
    """Connectors as ``{name: (config, state)}``; every request is recorded as "METHOD path"."""

    def __init__(self, connectors: dict[str, tuple[dict[str, str], str]] | None = None) -> None:
        self.connectors = dict(connectors or {})
        self.calls: list[str] = []
        self.invalid: dict[str, str] = {}

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.calls.append(f"{request.method} {path}")
        body: Any = json.loads(request.content) if request.content else None
        parts = path.strip("/").split("/")
        if parts[0] == "connector-plugins":
            configs = [
                {"value": {"name": k, "errors": [self.invalid[k]] if k in self.invalid else []}}
                for k in body
            ]
            return httpx.Response(200, json={"error_count": len(self.invalid), "configs": configs})
        if request.method == "POST":
            self.connectors[body["name"]] = (body["config"], body.get("initial_state", "RUNNING"))
            return httpx.Response(201, json={})
        name, action = parts[1], parts[2] if len(parts) > 2 else ""
        if action == "config" and request.method == "PUT":
            state = self.connectors.get(name, ({}, "RUNNING"))[1]
            created = name not in self.connectors
            self.connectors[name] = (body, state)
            return httpx.Response(201 if created else 200, json={})
        if name not in self.connectors:
            return httpx.Response(404, json={"error_code": 404, "message": "not found"})
        config, state = self.connectors[name]
        if action == "config":
            return httpx.Response(200, json=config)
        if action == "status":
            return httpx.Response(200, json={"connector": {"state": state}, "tasks": []})
        new_state = {"pause": "PAUSED", "stop": "STOPPED", "resume": "RUNNING"}[action]
        self.connectors[name] = (config, new_state)
        return httpx.Response(202)


def apply(worker: FakeWorker, *files: Path, output: str = "table") -> int:
    """The command as ``runner`` runs it, on the fake worker."""
    client = RestClient("http://worker:8083", transport=httpx.MockTransport(worker.handle))
    with client:
        try:
            return apply_command(
                client, argparse.Namespace(file=[str(f) for f in files], output=output)
            )
        except CliError as e:
            print(f"sluice: {e.message}", file=sys.stderr)
            return 1


def test_creates_connectors_paused_ones_through_initial_state(
    tmp_path: Path, capsys: Capsys
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(connector("a") + "---\n" + connector("b", "  state: paused\n"))
    worker = FakeWorker()

    assert apply(worker, path) == 0

    assert worker.calls == [
        "PUT /connector-plugins/FileStreamSource/config/validate",
        "PUT /connector-plugins/FileStreamSource/config/validate",
        "GET /connectors/a/config",
        "PUT /connectors/a/config",
        "GET /connectors/b/config",
        "POST /connectors",
    ]
    assert worker.connectors["b"][1] == "PAUSED"
    assert capsys.readouterr().out == "Created connector a\nCreated connector b (PAUSED)\n"


def test_a_connector_is_paused_before_its_new_config_and_resumed_after(
    tmp_path: Path, capsys: Capsys
) -> None:
    config = {"topic": "t", "connector.class": "FileStreamSource", "name": "a"}
    worker = FakeWorker({"a": (config, "RUNNING"), "b": (config | {"name": "b"}, "PAUSED")})
    path = tmp_path / "c.yaml"
    path.write_text(
        connector("a", "  state: paused\n").replace("topic: t", "topic: u")
        + "---\n"
        + connector("b")
    )

    assert apply(worker, path) == 0

    assert worker.calls[2:] == [
        "GET /connectors/a/config",
        "GET /connectors/a/status",
        "PUT /connectors/a/pause",
        "PUT /connectors/a/config",
        "GET /connectors/b/config",
        "GET /connectors/b/status",
        "PUT /connectors/b/resume",
    ]
    assert capsys.readouterr().out == (
        "Updated connector a; paused it\nConnector b unchanged; resumed it\n"
    )
    worker.calls.clear()
    assert apply(worker, path, output="json") == 0
    assert "PUT /connectors/a/config" not in worker.calls
    assert json.loads(capsys.readouterr().out)[0] == {
        "name": "a",
        "source": f"{path} document 1 (KafkaConnector a)",
        "config": "unchanged",
        "state": "PAUSED",
        "state_change": None,
    }


def test_properties_files_declare_no_state(tmp_path: Path, capsys: Capsys) -> None:
    config = {"topic": "t", "connector.class": "FileStreamSource", "name": "p"}
    worker = FakeWorker({"p": (config, "PAUSED")})
    path = tmp_path / "p.properties"
    path.write_text("name=p\nconnector.class=FileStreamSource\ntopic=v\n")

    assert apply(worker, path) == 0

    assert worker.calls[1:] == ["GET /connectors/p/config", "PUT /connectors/p/config"]
    assert worker.connectors["p"][1] == "PAUSED"
    assert capsys.readouterr().out == "Updated connector p\n"


def test_nothing_is_applied_when_a_file_or_a_config_is_bad(tmp_path: Path, capsys: Capsys) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(connector("a"))
    bad.write_text(connector("b", "  tasksMax: many\n"))
    worker = FakeWorker()

    assert apply(worker, good, bad) == 1
    assert worker.calls == []
    assert capsys.readouterr().err == (
        f"sluice: {bad} line 9: document 1 (KafkaConnector b): spec.tasksMax must be a whole "
        "number of at least 1, not the string 'many'\n"
    )

    worker.invalid["topic"] = "Missing required configuration"
    assert apply(worker, good) == 1
    assert all("validate" in call for call in worker.calls)
    assert capsys.readouterr().err == (
        f"sluice: {good} document 1 (KafkaConnector a): spec.config.topic: Missing required "
        "configuration\nsluice: nothing applied: 1 problem(s) in the connector configs\n"
    )
    dup = tmp_path / "dup.json"
    dup.write_text('{"name": "a", "connector.class": "FileStreamSource"}')
    assert apply(worker, good, dup) == 1
    assert "connector 'a' is also defined in" in capsys.readouterr().err


def test_stdin_and_connectors_create_on_a_yaml_file(
    tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = FakeWorker()
    stdin = io.TextIOWrapper(io.BytesIO(connector("a", "  state: stopped\n").encode()))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert apply(worker, Path("-")) == 0
    assert worker.connectors["a"][1] == "STOPPED"

    path = tmp_path / "b.yaml"
    path.write_text(connector("b"))
    client = RestClient("http://worker:8083", transport=httpx.MockTransport(worker.handle))
    with client:
        args = argparse.Namespace(file=str(path), output="table")
        assert connectors._create(client, args) == 0
    assert capsys.readouterr().out == "Created connector a (STOPPED)\nCreated connector b\n"
