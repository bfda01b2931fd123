"""The same REST calls to Apache Kafka Connect 4.1.1 (``ConnectStandalone`` from the Maven jars)
and to a sluice standalone worker on the same broker, answers compared.

What is compared is what Kafka 4.1 added or what clients parse: the ``version`` of connector and
task states (KIP-891), the ``*.plugin.version`` keys and group orders of the plugin config and
validate answers, the header converters of ``?connectorsOnly=false``, the first line and
``Caused by:`` sections of a failed task's trace (the frames below are each runtime's own), the
trace a restart answer keeps, and Jersey's 415/406/405, ``HEAD`` and ``OPTIONS``. Versions, worker
ids and documentation texts are each runtime's own and are left out.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bench.java_connect import java_command
from sluice.testing import EmbeddedWorker, wait_for
from tests.fixtures.kafka import create_topic, produce_values
from tests.fixtures.ports import free_port
from tests.fixtures.worker_process import write_props

pytestmark = pytest.mark.compat

CONNECT_STANDALONE = "org.apache.kafka.connect.cli.ConnectStandalone"
START_TIMEOUT = 90.0
SINK = "org.apache.kafka.connect.file.FileStreamSinkConnector"
JSON = "org.apache.kafka.connect.json.JsonConverter"


@pytest.fixture(scope="module")
def sides(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, httpx.Client]]:
    """``{"java": client, "sluice": client}``, each running a failed sink (``bad``: JSON that is
    not JSON) and a running source (``src``)."""
    tmp = tmp_path_factory.mktemp("rest-java")
    (tmp / "in.txt").write_text("a line\n")
    topic = f"rest-java-{uuid.uuid4().hex[:8]}"
    create_topic(kafka_bootstrap, topic)
    produce_values(kafka_bootstrap, topic, [b"not json"])
    port = free_port()
    props = {
        "bootstrap.servers": kafka_bootstrap,
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "offset.storage.file.filename": str(tmp / "java.offsets"),
        "listeners": f"http://127.0.0.1:{port}",
        "plugin.discovery": "service_load",
    }
    worker_file = write_props(tmp / "java-worker.properties", props)
    with open(tmp / "java.log", "ab") as log:
        java = subprocess.Popen(
            java_command(CONNECT_STANDALONE, [str(worker_file)]),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        with (
            EmbeddedWorker(kafka_bootstrap, tmp / "sluice") as worker,
            httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as java_api,
            httpx.Client(base_url=worker.rest_url, timeout=30) as sluice_api,
        ):
            wait_for(lambda: _answers(java_api), START_TIMEOUT, 0.5, message="Java did not start")
            clients = {"java": java_api, "sluice": sluice_api}
            for side, api in clients.items():
                bad = {
                    "connector.class": SINK,
                    "file": str(tmp / f"{side}.out"),
                    "topics": topic,
                    "value.converter": JSON,
                    "consumer.override.auto.offset.reset": "earliest",
                }
                source = {
                    "connector.class": "FileStreamSource",
                    "file": str(tmp / "in.txt"),
                    "topic": topic + "-out",
                }
                for name, config in (("bad", bad), ("src", source)):
                    r = api.put(f"/connectors/{name}/config", json=config)
                    assert r.status_code == 201, (side, r.text)
            for side, api in clients.items():
                wait_for(
                    lambda api=api: (
                        _task_state(api, "bad") == "FAILED" and _task_state(api, "src") == "RUNNING"
                    ),
                    60,
                    message=lambda side=side: f"{side}: connectors did not settle",
                )
            yield clients
    finally:
        java.terminate()
        java.wait(60)


def _answers(api: httpx.Client) -> bool:
    try:
        return api.get("/").status_code == 200
    except httpx.HTTPError:
        return False


def _task_state(api: httpx.Client, name: str) -> str | None:
    r = api.get(f"/connectors/{name}/status")
    tasks = r.json().get("tasks") if r.status_code == 200 else None
    return tasks[0]["state"] if tasks else None


def _both(sides: dict[str, httpx.Client], method: str, path: str, **kw: Any) -> list[Any]:
    return [api.request(method, path, **kw) for api in sides.values()]


def _versions(sides: dict[str, httpx.Client]) -> dict[str, str]:
    """Each side's own version of FileStreamSink (the same class on both)."""
    out = {}
    for side, api in sides.items():
        [entry] = [p for p in api.get("/connector-plugins").json() if p["class"] == SINK]
        out[side] = entry["version"]
    return out


def _state_shape(state: dict[str, Any], version: str) -> dict[str, Any]:
    assert state["version"] == version
    shape = {k: v for k, v in state.items() if k not in ("worker_id", "trace", "version")}
    shape["keys"] = list(state)
    return shape


def _trace_outline(trace: str) -> list[str]:
    """The first line and the ``Caused by:`` headers, without what follows their class name
    after the first cause (their messages come from each runtime's JSON parser)."""
    lines = trace.splitlines()
    causes = [line.split(":")[1].strip() for line in lines if line.startswith("Caused by: ")]
    return [lines[0], *causes[:1]]


def test_states_carry_the_plugin_version(sides: dict[str, httpx.Client]) -> None:
    versions = _versions(sides)
    java, ours = _both(sides, "GET", "/connectors/src/status")
    assert java.status_code == ours.status_code == 200
    java_body, our_body = java.json(), ours.json()
    assert _state_shape(java_body["connector"], versions["java"]) == _state_shape(
        our_body["connector"], versions["sluice"]
    )
    assert [_state_shape(t, versions["java"]) for t in java_body["tasks"]] == [
        _state_shape(t, versions["sluice"]) for t in our_body["tasks"]
    ]
    java, ours = _both(sides, "GET", "/connectors/bad/tasks/0/status")
    assert _state_shape(java.json(), versions["java"]) == _state_shape(
        ours.json(), versions["sluice"]
    )
    assert (
        list(ours.json()) == list(java.json()) == ["id", "state", "worker_id", "version", "trace"]
    )


def test_failure_traces_read_like_kafkas(sides: dict[str, httpx.Client]) -> None:
    java, ours = (r.json()["trace"] for r in _both(sides, "GET", "/connectors/bad/tasks/0/status"))
    assert (
        _trace_outline(ours)
        == _trace_outline(java)
        == [
            "org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler",
            "org.apache.kafka.connect.errors.DataException",
        ]
    )
    assert ours.splitlines()[1].startswith("\tat ")
    # the restart answer keeps the trace of the instance it restarts
    answers = _both(sides, "POST", "/connectors/bad/restart?includeTasks=true&onlyFailed=true")
    assert [r.status_code for r in answers] == [202, 202]
    java_task, our_task = (r.json()["tasks"][0] for r in answers)
    assert java_task["state"] == our_task["state"] == "RESTARTING"
    assert _trace_outline(our_task["trace"]) == _trace_outline(java_task["trace"])


def _normalized(value: Any, version: str) -> Any:
    """``value`` with the runtime's own plugin version as ``V`` and documentation left out."""
    if isinstance(value, dict):
        return {k: _normalized(v, version) for k, v in value.items() if k != "documentation"}
    if isinstance(value, list):
        return [_normalized(v, version) for v in value]
    return "V" if value == version else value


def test_plugin_config_and_validate_list_the_plugin_version_keys(
    sides: dict[str, httpx.Client],
) -> None:
    versions = _versions(sides)
    java, ours = (
        _normalized(api.get(f"/connector-plugins/{SINK}/config").json(), versions[side])
        for side, api in sides.items()
    )
    assert ours == java
    config = {
        "connector.class": SINK,
        "topics": "t",
        "transforms": "a",
        "transforms.a.type": "org.apache.kafka.connect.transforms.Filter",
        "transforms.a.predicate": "p",
        "predicates": "p",
        "predicates.p.type": "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
    }
    path = f"/connector-plugins/{SINK}/config/validate"
    java, ours = (
        _normalized(api.put(path, json=config).json(), versions[side])
        for side, api in sides.items()
    )
    assert (ours["groups"], ours["error_count"]) == (java["groups"], java["error_count"])

    def compared(report: dict[str, Any]) -> list[Any]:
        return [
            c
            for c in report["configs"]
            if c["definition"]["name"].endswith(".plugin.version")
            or c["definition"]["group"] == "Error Handling"
        ]

    assert compared(ours) == compared(java)
    assert len(compared(java)) == 14


def test_header_converters_are_listed(sides: dict[str, httpx.Client]) -> None:
    java, ours = (
        [(p["class"], p["type"]) for p in r.json()]
        for r in _both(sides, "GET", "/connector-plugins?connectorsOnly=false")
    )
    assert [p for p in ours if p in java] == java  # sluice has more plugins; Java's are all there
    assert sum(t == "header_converter" for _, t in java) == 10


@pytest.mark.parametrize(
    ("method", "path", "headers", "body"),
    [
        ("POST", "/connectors", {}, b'{"name": "x", "config": {}}'),
        ("PUT", "/connectors/src/pause", {"content-type": "text/plain"}, b""),
        ("PUT", "/connectors/src/resume", {"content-type": "application/vnd.x+json"}, b""),
        ("GET", "/connectors", {"content-type": "text/plain"}, b""),
        ("GET", "/", {"content-type": "text/plain"}, b""),
        ("GET", "/connectors", {"accept": "text/plain"}, b""),
        ("GET", "/health", {"accept": "text/html"}, b""),
        ("GET", "/connectors", {"accept": "text/html,*/*;q=0.8"}, b""),
        ("HEAD", "/connectors/src/status", {}, b""),
        ("HEAD", "/connectors/src/pause", {}, b""),
        ("OPTIONS", "/connectors/src", {}, b""),
        ("OPTIONS", "/connectors/src/restart", {}, b""),
    ],
)
def test_media_types_and_methods(
    sides: dict[str, httpx.Client], method: str, path: str, headers: dict[str, str], body: bytes
) -> None:
    java, ours = _both(sides, method, path, headers=headers, content=body or None)
    assert ours.status_code == java.status_code, (java.text, ours.text)
    if method == "OPTIONS":
        methods = [{m.strip() for m in r.headers["allow"].split(",")} for r in (java, ours)]
        assert methods[0] == methods[1]
    if method == "HEAD":
        assert ours.content == java.content == b""
