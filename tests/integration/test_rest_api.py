"""The REST API of a real standalone worker on a real broker, driven over HTTP as users do.

The first test replays the seed documents' curl calls (create a FileStreamSource connector,
read its status, list the plugins, delete it) and prints each request with its response, so the
run's output is the evidence that scripts written for Kafka Connect work unchanged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sluice.testing import EmbeddedWorker, wait_for
from tests.fixtures.kafka import consume_all

pytestmark = pytest.mark.integration

PLUGINS = Path(__file__).parent / "plugins"


@pytest.fixture
def worker(kafka_bootstrap: str, tmp_path: Path) -> Iterator[EmbeddedWorker]:
    secrets = tmp_path / "secrets.properties"
    secrets.write_text("password=hunter2\n")
    props = {
        "plugin.path": str(PLUGINS),
        "config.providers": "file",
        "config.providers.file.class": "org.apache.kafka.common.config.provider.FileConfigProvider",
    }
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "w", props) as w:
        yield w


@pytest.fixture
def api(worker: EmbeddedWorker) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=worker.rest_url, timeout=60) as client:
        yield client


def show(response: httpx.Response) -> httpx.Response:
    """Print the exchange as curl users would see it (the closing note quotes it)."""
    request = response.request
    body = request.content.decode() if request.content else ""
    print(f"\n$ curl -X {request.method} {request.url}" + (f" -d '{body}'" if body else ""))
    print(f"HTTP {response.status_code}")
    if "location" in response.headers:
        print(f"Location: {response.headers['location']}")
    if response.content:
        print(response.text)
    return response


def status_of(api: httpx.Client, name: str) -> dict[str, Any]:
    r = api.get(f"/connectors/{name}/status")
    return r.json() if r.status_code == 200 else {}


def wait_state(api: httpx.Client, name: str, connector: str, tasks: list[str]) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        s = status_of(api, name)
        if s and s["connector"]["state"] == connector and [t["state"] for t in s["tasks"]] == tasks:
            return s
        return None

    return wait_for(check, 30, message=lambda: f"{name}: {status_of(api, name)}")


def test_seed_document_curl_session(
    api: httpx.Client, kafka_bootstrap: str, kafka_topic: Any, tmp_path: Path
) -> None:
    topic = kafka_topic("connect-test")
    source_file = tmp_path / "test.txt"
    source_file.write_text("foo\nbar\n")
    config = {
        "connector.class": "FileStreamSource",
        "tasks.max": "1",
        "file": str(source_file),
        "topic": topic,
    }
    body = {"name": "local-file-source", "config": config}
    r = show(api.post("/connectors", json=body))
    assert r.status_code == 201
    assert r.headers["location"] == f"{api.base_url}connectors/local-file-source"
    assert r.json()["name"] == "local-file-source"
    assert r.json()["config"] == {**config, "name": "local-file-source"}
    assert r.json()["type"] == "source"

    status = wait_state(api, "local-file-source", "RUNNING", ["RUNNING"])
    show(api.get("/connectors/local-file-source/status"))
    assert status["name"] == "local-file-source"
    assert status["type"] == "source"
    assert status["tasks"][0]["id"] == 0
    assert status["connector"]["worker_id"] == api.base_url.netloc.decode()

    records = consume_all(kafka_bootstrap, topic, 2)
    assert [m.value() for m in records] == [b"foo", b"bar"]

    r = show(api.get("/connector-plugins"))
    classes = [p["class"] for p in r.json()]
    assert "org.apache.kafka.connect.file.FileStreamSourceConnector" in classes
    assert "org.apache.kafka.connect.file.FileStreamSinkConnector" in classes
    assert {p["type"] for p in r.json()} <= {"source", "sink"}

    assert show(api.get("/connectors")).json() == ["local-file-source"]
    tasks = show(api.get("/connectors/local-file-source/tasks")).json()
    assert tasks[0]["id"] == {"connector": "local-file-source", "task": 0}
    assert show(api.get("/connectors/local-file-source/topics")).json() == {
        "local-file-source": {"topics": [topic]}
    }

    r = show(api.delete("/connectors/local-file-source"))
    assert (r.status_code, r.content) == (204, b"")
    r = show(api.get("/connectors/local-file-source"))
    assert r.json() == {"error_code": 404, "message": "Connector local-file-source not found"}
    assert api.get("/connectors").json() == []


def test_create_errors_and_validation(api: httpx.Client, tmp_path: Path) -> None:
    config = {"connector.class": "FileStreamSource", "file": str(tmp_path / "in.txt")}
    r = show(api.put("/connector-plugins/FileStreamSource/config/validate", json=config))
    assert r.status_code == 200
    report = r.json()
    assert report["name"] == "FileStreamSource"
    assert report["error_count"] == 2  # no name, no topic
    assert report["groups"][:4] == ["Common", "Transforms", "Predicates", "Error Handling"]
    problems = {
        c["value"]["name"]: c["value"]["errors"]
        for c in report["configs"]
        if c["value"] and c["value"]["errors"]
    }
    assert problems["topic"] == [
        'Missing required configuration "topic" which has no default value.'
    ]

    r = show(api.post("/connectors", json={"name": "bad", "config": config}))
    assert r.status_code == 400
    assert r.json()["message"] == (
        "Connector configuration is invalid and contains the following 1 error(s):\n"
        'Missing required configuration "topic" which has no default value.\n'
        "You can also find the above list of errors at the endpoint "
        "`/connector-plugins/{connectorType}/config/validate`"
    )
    r = api.post("/connectors", json={"name": "bad", "config": {"tasks.max": 1}})
    assert r.json() == {
        "error_code": 400,
        "message": "Connector config {tasks.max=1, name=bad} contains no connector type",
    }
    r = api.post("/connectors", json={"name": "bad", "config": {"connector.class": "Nope"}})
    assert r.status_code == 400
    assert r.json()["message"].startswith(
        "Failed to find any class that implements Connector and which name matches Nope"
    )
    assert api.get("/connectors").json() == []


def test_http_errors_on_the_live_server(api: httpx.Client) -> None:
    assert api.get("/nope").json() == {"error_code": 404, "message": "HTTP 404 Not Found"}
    r = api.delete("/")
    assert (r.status_code, r.json()["message"]) == (405, "HTTP 405 Method Not Allowed")
    r = api.post("/connectors", content=b"{oops", headers={"content-type": "application/json"})
    assert (r.status_code, r.json()["error_code"]) == (400, 400)
    r = api.put("/connectors/x/config", json=["not", "a", "map"])
    assert r.status_code == 400
    assert api.get("/connectors/x/tasks/zero/status").status_code == 404
    info = api.get("/").json()
    assert set(info) == {"version", "commit", "kafka_cluster_id"}
    assert info["kafka_cluster_id"]
    assert api.get("/health").json()["status"] == "healthy"


def test_stop_offsets_patch_rewinds_the_file(
    api: httpx.Client, kafka_bootstrap: str, kafka_topic: Any, tmp_path: Path
) -> None:
    topic = kafka_topic()
    source_file = tmp_path / "in.txt"
    source_file.write_text("a\nb\nc\n")
    config = {"connector.class": "FileStreamSource", "file": str(source_file), "topic": topic}
    assert api.put("/connectors/rewind/config", json=config).status_code == 201
    consume_all(kafka_bootstrap, topic, 3)

    r = show(
        api.patch(
            "/connectors/rewind/offsets",
            json={
                "offsets": [
                    {"partition": {"filename": str(source_file)}, "offset": {"position": 0}}
                ]
            },
        )
    )
    assert r.status_code == 400
    assert r.json()["message"].startswith("Connectors must be in the STOPPED state")

    assert show(api.put("/connectors/rewind/stop")).status_code == 204
    stopped = wait_state(api, "rewind", "STOPPED", [])
    assert stopped["tasks"] == []
    assert api.get("/connectors/rewind/tasks").json() == []

    offsets = wait_for(
        lambda: (o := api.get("/connectors/rewind/offsets").json())["offsets"] and o, 30
    )
    show(api.get("/connectors/rewind/offsets"))
    assert offsets == {
        "offsets": [{"partition": {"filename": str(source_file)}, "offset": {"position": 6}}]
    }
    r = show(
        api.patch(
            "/connectors/rewind/offsets",
            json={
                "offsets": [
                    {"partition": {"filename": str(source_file)}, "offset": {"position": 0}}
                ]
            },
        )
    )
    assert r.status_code == 200
    assert "altered successfully" in r.json()["message"]
    assert api.get("/connectors/rewind/offsets").json()["offsets"][0]["offset"] == {"position": 0}

    assert show(api.put("/connectors/rewind/resume")).status_code == 202
    wait_state(api, "rewind", "RUNNING", ["RUNNING"])
    values = [m.value() for m in consume_all(kafka_bootstrap, topic, 6)]
    assert values == [b"a", b"b", b"c", b"a", b"b", b"c"]


def test_restart_only_failed_recovers_a_failed_task(
    api: httpx.Client, kafka_bootstrap: str, kafka_topic: Any, tmp_path: Path
) -> None:
    topic = kafka_topic()
    flag = tmp_path / "fail"
    flag.touch()
    config = {"connector.class": "FailOnceSourceConnector", "topic": topic, "fail.flag": str(flag)}
    assert api.post("/connectors", json={"name": "flaky", "config": config}).status_code == 201
    failed = wait_state(api, "flaky", "RUNNING", ["FAILED"])
    trace = failed["tasks"][0]["trace"]
    # Kafka's layout: the error first (sluice's ConnectError is Kafka's ConnectException)
    assert trace.startswith("org.apache.kafka.connect.errors.ConnectException: failing because")
    r = api.get("/connectors/flaky/tasks/0/status")
    assert r.json()["state"] == "FAILED" and "trace" in r.json()
    flag.unlink()

    r = show(api.post("/connectors/flaky/restart?includeTasks=true&onlyFailed=true"))
    assert r.status_code == 202
    assert r.json()["connector"]["state"] == "RUNNING"
    assert [t["state"] for t in r.json()["tasks"]] == ["RESTARTING"]
    assert r.json()["tasks"][0]["trace"] == trace  # kept, as Kafka keeps it
    wait_state(api, "flaky", "RUNNING", ["RUNNING"])
    consume_all(kafka_bootstrap, topic, 3)

    assert api.post("/connectors/flaky/restart").status_code == 204
    assert api.post("/connectors/flaky/tasks/0/restart").status_code == 204
    wait_state(api, "flaky", "RUNNING", ["RUNNING"])
    r = api.post("/connectors/flaky/tasks/5/restart")
    assert r.status_code == 404


def test_pause_resume_and_patch_config(api: httpx.Client, kafka_topic: Any, tmp_path: Path) -> None:
    source_file = tmp_path / "in.txt"
    source_file.write_text("")
    config = {"connector.class": "FileStreamSource", "file": str(source_file), "topic": "t0"}
    r = api.post("/connectors", json={"name": "p", "config": config, "initial_state": "PAUSED"})
    assert r.status_code == 201
    wait_state(api, "p", "PAUSED", ["PAUSED"])
    assert api.put("/connectors/p/resume").status_code == 202
    wait_state(api, "p", "RUNNING", ["RUNNING"])
    assert api.put("/connectors/p/pause").status_code == 202
    wait_state(api, "p", "PAUSED", ["PAUSED"])
    topic = kafka_topic()
    r = api.patch("/connectors/p/config", json={"topic": topic, "batch.size": 10})
    assert r.status_code == 200
    assert r.json()["config"]["topic"] == topic
    assert r.json()["config"]["batch.size"] == "10"
    assert api.get("/connectors/p/config").json()["batch.size"] == "10"
    r = api.put("/connectors/p/config", json={**config, "topic": topic})
    assert r.status_code == 200
    assert "batch.size" not in r.json()["config"]
    expanded = api.get("/connectors?expand=status&expand=info").json()
    assert expanded["p"]["info"]["name"] == "p"
    assert expanded["p"]["status"]["connector"]["state"] in ("PAUSED", "RUNNING")


def test_config_provider_placeholders_are_never_resolved_in_responses(
    api: httpx.Client, kafka_topic: Any, tmp_path: Path
) -> None:
    secrets = tmp_path / "secrets.properties"
    placeholder = f"${{file:{secrets}:password}}"
    source_file = tmp_path / "in.txt"
    source_file.write_text("")
    config = {
        "connector.class": "FileStreamSource",
        "file": str(source_file),
        "topic": kafka_topic(),
        "secret.thing": placeholder,
    }
    responses = [
        api.post("/connectors", json={"name": "s", "config": config}),
        api.get("/connectors/s"),
        api.get("/connectors/s/config"),
        api.get("/connectors?expand=info"),
        api.put(
            "/connector-plugins/FileStreamSource/config/validate", json={**config, "name": "s"}
        ),
    ]
    wait_state(api, "s", "RUNNING", ["RUNNING"])
    responses.append(api.get("/connectors/s/tasks"))
    for r in responses:
        assert r.status_code in (200, 201), r.text
        assert "hunter2" not in r.text
    assert api.get("/connectors/s/config").json()["secret.thing"] == placeholder


def test_admin_loggers(api: httpx.Client) -> None:
    name = "sluice.resttest.integration"
    try:
        r = show(api.put(f"/admin/loggers/{name}", json={"level": "DEBUG"}))
        assert r.json() == [name]
        assert logging.getLogger(name).level == logging.DEBUG
        level = api.get(f"/admin/loggers/{name}").json()
        assert level["level"] == "DEBUG" and isinstance(level["last_modified"], int)
        assert name in api.get("/admin/loggers").json()
        assert "root" in show(api.get("/admin/loggers")).json()
        r = api.put(f"/admin/loggers/{name}", json={"level": "LOUD"})
        assert r.json() == {"error_code": 404, "message": "invalid log level 'LOUD'."}
    finally:
        logging.getLogger(name).setLevel(logging.NOTSET)


def test_plugins_all_kinds(api: httpx.Client) -> None:
    plugins = api.get("/connector-plugins?connectorsOnly=false").json()
    kinds = [p["type"] for p in plugins]
    assert kinds == sorted(
        kinds,
        key=[
            "sink",
            "source",
            "transformation",
            "predicate",
            "converter",
            "header_converter",
        ].index,
    )
    assert "FailOnceSourceConnector" in json.dumps(plugins)
    keys = api.get("/connector-plugins/FileStreamSource/config").json()
    names = [k["name"] for k in keys]
    assert names.index("topic") < names.index("name")
    assert api.get("/connector-plugins/Nope/config").json() == {
        "error_code": 404,
        "message": "Unknown plugin Nope.",
    }


def test_connectors_given_at_startup_appear_in_the_api(
    kafka_bootstrap: str, kafka_topic: Any, tmp_path: Path
) -> None:
    source_file = tmp_path / "in.txt"
    source_file.write_text("x\n")
    config = {
        "connector.class": "FileStreamSource",
        "file": str(source_file),
        "topic": kafka_topic(),
    }
    worker = EmbeddedWorker(kafka_bootstrap, tmp_path / "w", connectors=[("from-cli", config)])
    with worker as w, httpx.Client(base_url=w.rest_url, timeout=60) as api:
        assert api.get("/connectors").json() == ["from-cli"]
        assert api.get("/connectors/from-cli/config").json() == {**config, "name": "from-cli"}
        wait_state(api, "from-cli", "RUNNING", ["RUNNING"])
