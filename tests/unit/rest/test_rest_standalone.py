"""The REST answers that are the standalone herder's own rules, checked against the real herder.

A name taken twice, a null config value, a patch merged, a restart planned, offsets editable only
when stopped, the 404 of an unknown connector, task or plugin: these answers come from the herder,
so they are checked here against :class:`~sluice.runtime.standalone.StandaloneHerder` itself
(its tasks recorded instead of run, see ``standalone.py``), not against the fake herder that the
other REST tests use for the HTTP shape alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from sluice.rest import create_app
from sluice.runtime.loggers import Loggers
from sluice.runtime.standalone import StandaloneHerder
from tests.unit.rest.conftest import SOURCE
from tests.unit.rest.standalone import WORKER_ID, RecordingWorker, standalone_herder

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"


@pytest.fixture
def real() -> Iterator[tuple[StandaloneHerder, RecordingWorker]]:
    herder, worker = standalone_herder()
    herder.start()
    yield herder, worker
    herder.stop()


@pytest.fixture
def api(real: tuple[StandaloneHerder, RecordingWorker]) -> Iterator[TestClient]:
    with TestClient(create_app(real[0], Loggers()), raise_server_exceptions=True) as c:
        yield c


def create(api: TestClient, name: str = "fs", **extra: Any) -> Any:
    return api.post("/connectors", json={"name": name, "config": dict(SOURCE), **extra})


def states(api: TestClient, name: str = "fs") -> tuple[str, list[str]]:
    status = api.get(f"/connectors/{name}/status").json()
    return status["connector"]["state"], [t["state"] for t in status["tasks"]]


def test_create_runs_the_connector_and_its_tasks(
    api: TestClient, real: tuple[StandaloneHerder, RecordingWorker]
) -> None:
    r = create(api)

    assert r.status_code == 201
    assert r.json()["tasks"] == [{"connector": "fs", "task": 0}]
    assert real[1].task_ids("fs") == [real[1].started_tasks[0]]
    assert states(api) == ("RUNNING", ["RUNNING"])
    assert api.get("/connectors/fs/tasks").json() == [
        {
            "id": {"connector": "fs", "task": 0},
            "config": {
                **SOURCE,
                "name": "fs",
                "task.class": "org.apache.kafka.connect.file.FileStreamSourceTask",
            },
        }
    ]


def test_create_twice_is_409(api: TestClient) -> None:
    create(api)
    r = create(api)
    assert r.status_code == 409
    assert r.json() == {"error_code": 409, "message": "Connector fs already exists"}


def test_create_paused_starts_the_connector_paused(api: TestClient) -> None:
    assert create(api, initial_state="PAUSED").status_code == 201
    assert states(api)[0] == "PAUSED"


def test_null_config_value_is_a_validation_error_400(api: TestClient) -> None:
    r = api.put("/connectors/x/config", json={**SOURCE, "k": None})
    assert r.status_code == 400
    assert r.json()["message"].startswith(
        "Connector configuration is invalid and contains the following 1 error(s):\n"
        "Null value can not be supplied as the configuration value."
    )
    assert api.get("/connectors").json() == []


def test_put_config_creates_then_updates(api: TestClient) -> None:
    r = api.put("/connectors/new/config", json=SOURCE)
    assert r.status_code == 201
    assert r.headers["location"] == "http://testserver/connectors/new"
    assert r.json()["config"] == {**SOURCE, "name": "new"}
    r = api.put("/connectors/new/config", json={**SOURCE, "topic": "t2"})
    assert r.status_code == 200
    assert "location" not in r.headers
    assert r.json()["config"]["topic"] == "t2"
    assert api.get("/connectors/new/config").json() == {**SOURCE, "topic": "t2", "name": "new"}


def test_patch_config_merges_and_removes_null_keys(api: TestClient) -> None:
    create(api)
    r = api.patch("/connectors/fs/config", json={"topic": "t3", "file": None})
    assert r.status_code == 200
    merged = {"connector.class": "FileStreamSource", "topic": "t3", "name": "fs"}
    assert r.json()["config"] == merged
    assert api.get("/connectors/fs/config").json() == r.json()["config"]
    r = api.patch("/connectors/nope/config", json={"topic": "t3"})
    assert r.json() == {"error_code": 404, "message": "Connector nope not found"}


def test_unknown_connector_is_404_with_kafkas_messages(api: TestClient) -> None:
    for path in ("/connectors/nope", "/connectors/nope/config", "/connectors/nope/tasks"):
        r = api.get(path)
        assert r.json() == {"error_code": 404, "message": "Connector nope not found"}, path
    r = api.get("/connectors/nope/status")
    assert r.json() == {"error_code": 404, "message": "No status found for connector nope"}
    for verb in ("pause", "resume", "stop"):
        r = api.put(f"/connectors/nope/{verb}")
        assert r.json() == {"error_code": 404, "message": "Unknown connector nope"}, verb
    assert api.post("/connectors/nope/restart").status_code == 404
    r = api.post("/connectors/nope/restart?onlyFailed=true")
    assert r.json() == {"error_code": 404, "message": "Unknown connector: nope"}
    assert api.delete("/connectors/nope").status_code == 404


def test_restart_with_tasks_plans_restarting_states(
    api: TestClient, real: tuple[StandaloneHerder, RecordingWorker]
) -> None:
    create(api)
    worker = real[1]
    assert len(worker.started_tasks) == 1

    r = api.post("/connectors/fs/restart?includeTasks=true")
    assert r.status_code == 202
    assert r.json()["connector"]["state"] == "RESTARTING"
    assert [t["state"] for t in r.json()["tasks"]] == ["RESTARTING"]
    assert len(worker.started_tasks) == 2  # the task was started again
    assert states(api) == ("RUNNING", ["RUNNING"])

    r = api.post("/connectors/fs/restart?includeTasks=true&onlyFailed=true")
    assert r.status_code == 202
    assert r.json()["connector"]["state"] == "RUNNING"  # nothing failed: nothing restarts
    assert [t["state"] for t in r.json()["tasks"]] == ["RUNNING"]
    assert len(worker.started_tasks) == 2


def test_restart_task_and_unknown_task(
    api: TestClient, real: tuple[StandaloneHerder, RecordingWorker]
) -> None:
    create(api)
    assert api.post("/connectors/fs/tasks/0/restart").status_code == 204
    assert len(real[1].started_tasks) == 2
    r = api.post("/connectors/fs/tasks/7/restart")
    assert r.json() == {"error_code": 404, "message": "Task fs-7 not found"}
    r = api.get("/connectors/fs/tasks/7/status")
    assert r.json() == {"error_code": 404, "message": "No status found for task fs-7"}


def test_pause_resume_stop_delete(api: TestClient) -> None:
    create(api)
    assert api.put("/connectors/fs/pause").status_code == 202
    assert states(api)[0] == "PAUSED"
    assert api.put("/connectors/fs/resume").status_code == 202
    assert states(api)[0] == "RUNNING"
    assert api.put("/connectors/fs/stop").status_code == 204
    assert states(api) == ("STOPPED", [])
    assert api.get("/connectors/fs/tasks").json() == []
    assert api.put("/connectors/fs/resume").status_code == 202
    assert states(api) == ("RUNNING", ["RUNNING"])
    r = api.delete("/connectors/fs")
    assert (r.status_code, r.content) == (204, b"")
    assert api.get("/connectors").json() == []
    assert api.delete("/connectors/fs").status_code == 404


def test_offsets_can_be_changed_only_when_stopped(api: TestClient) -> None:
    create(api)
    assert api.get("/connectors/fs/offsets").json() == {"offsets": []}
    body = {"offsets": [{"partition": {"filename": "/tmp/in.txt"}, "offset": {"position": 7}}]}
    r = api.patch("/connectors/fs/offsets", json=body)
    assert r.status_code == 400
    assert r.json()["message"] == (
        "Connectors must be in the STOPPED state before their offsets can be modified. This can "
        "be done for the specified connector by issuing a 'PUT' request to the "
        "'/connectors/fs/stop' endpoint"
    )
    assert api.delete("/connectors/fs/offsets").status_code == 400
    api.put("/connectors/fs/stop")
    r = api.patch("/connectors/fs/offsets", json=body)
    assert r.status_code == 200
    assert r.json() == {"message": "The offsets for this connector have been altered successfully"}
    assert api.get("/connectors/fs/offsets").json() == body
    r = api.delete("/connectors/fs/offsets")
    assert r.json() == {"message": "The offsets for this connector have been reset successfully"}
    assert api.get("/connectors/fs/offsets").json() == {"offsets": []}
    assert api.get("/connectors/nope/offsets").status_code == 404


def test_plugin_config_and_unknown_plugin(api: TestClient) -> None:
    names = [c["name"] for c in api.get("/connector-plugins/FileStreamSource/config").json()]
    assert {"file", "topic"} <= set(names)
    r = api.get("/connector-plugins/Nope/config")
    assert r.json() == {"error_code": 404, "message": "Unknown plugin Nope."}


def test_validate_names_the_class_and_needs_one(api: TestClient) -> None:
    ok = {"connector.class": FILE_SOURCE, "name": "v", "file": "/tmp/in.txt", "topic": "t"}
    r = api.put("/connector-plugins/FileStreamSource/config/validate", json=ok)
    assert r.status_code == 200
    assert (r.json()["name"], r.json()["error_count"]) == (FILE_SOURCE, 0)
    r = api.put("/connector-plugins/X/config/validate", json={"name": "x"})
    assert r.status_code == 400
    assert r.json()["message"] == "Connector config {name=x} contains no connector type"


def test_worker_identity(api: TestClient) -> None:
    assert api.get("/").json()["kafka_cluster_id"] == "cluster-1"
    assert create(api).json()["name"] == "fs"
    assert api.get("/connectors/fs/status").json()["connector"]["worker_id"] == WORKER_ID
