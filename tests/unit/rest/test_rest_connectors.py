"""The /connectors routes: Kafka Connect's status codes, headers and JSON bodies."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from sluice.runtime.herder import RestartRequest
from sluice.runtime.status import ConnectorTaskId, State, StateInfo, TargetState
from tests.unit.rest.conftest import SOURCE
from tests.unit.rest.fake_herder import WORKER, FakeHerder


def last_call(herder: FakeHerder) -> tuple[str, Any]:
    return herder.calls[-1]


def target(herder: FakeHerder, name: str = "fs") -> TargetState:
    return herder.targets[name]


def create(client: TestClient, name: str = "fs", **extra: Any) -> Any:
    return client.post("/connectors", json={"name": name, "config": dict(SOURCE), **extra})


def test_create_returns_201_location_and_connector_info(client: TestClient) -> None:
    r = create(client)
    assert r.status_code == 201
    assert r.headers["location"] == "http://testserver/connectors/fs"
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {
        "name": "fs",
        "config": {**SOURCE, "name": "fs"},
        "tasks": [{"connector": "fs", "task": 0}],
        "type": "source",
    }
    assert list(r.json()) == ["name", "config", "tasks", "type"]


def test_create_trims_name_and_applies_initial_state_case_insensitively(
    client: TestClient, herder: FakeHerder
) -> None:
    r = create(client, name="  fs2 ", initial_state="paused")
    assert r.status_code == 201
    assert r.headers["location"].endswith("/connectors/fs2")
    assert last_call(herder) == (
        "put",
        ("fs2", {**SOURCE, "name": "fs2"}, False, TargetState.PAUSED),
    )


def test_create_location_percent_encodes_the_name(client: TestClient) -> None:
    r = create(client, name="a b/c")
    assert r.status_code == 201
    assert r.headers["location"] == "http://testserver/connectors/a%20b%2Fc"


def test_create_coerces_numbers_and_booleans_to_strings(
    client: TestClient, herder: FakeHerder
) -> None:
    config = {**SOURCE, "tasks.max": 2, "batch.size": 1.50, "flag": True}
    r = client.post("/connectors", json={"name": "n", "config": config})
    assert r.status_code == 201
    assert r.json()["config"]["tasks.max"] == "2"
    assert r.json()["config"]["batch.size"] == "1.5"
    assert r.json()["config"]["flag"] == "true"


def test_create_name_mismatch_is_400(client: TestClient) -> None:
    r = client.post("/connectors", json={"name": "a", "config": {**SOURCE, "name": "b"}})
    assert r.status_code == 400
    assert r.json() == {
        "error_code": 400,
        "message": "Connector name configuration (b) doesn't match connector name in the URL (a)",
    }


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"name": "a"}, "'config'"),
        ({"name": "a", "config": "x"}, "JSON string"),
        ({"name": "a", "config": [1]}, "JSON array"),
        ({"name": "a", "config": {"k": {"x": 1}}}, "The value of 'k' must be a string"),
        ({"name": "a", "config": {}, "initial_state": "bogus"}, "initial_state"),
        ({"name": "a", "config": {}, "extra": 1}, 'Unrecognized field "extra"'),
        ({"name": {"x": 1}, "config": {}}, "'name' must be a string"),
        ([], "JSON array"),
    ],
)
def test_create_with_malformed_body_is_400(client: TestClient, body: Any, fragment: str) -> None:
    r = client.post("/connectors", json=body)
    assert r.status_code == 400
    assert r.json()["error_code"] == 400
    assert fragment in r.json()["message"]


@pytest.mark.parametrize("raw", [b"{bad json", b"", b"NaN", b"\xff\xfe"])
def test_unparsable_body_is_400(client: TestClient, raw: bytes) -> None:
    r = client.post("/connectors", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error_code"] == 400


def test_body_declared_as_other_media_type_is_415(client: TestClient) -> None:
    r = client.put("/connectors/x/config", content=b"{}", headers={"content-type": "text/plain"})
    assert r.status_code == 415
    assert r.json() == {"error_code": 415, "message": "HTTP 415 Unsupported Media Type"}


def test_body_without_content_type_is_415(client: TestClient) -> None:
    r = client.put("/connectors/x/config", content=b'{"connector.class": "FileStreamSource"}')
    assert r.status_code == 415


def test_null_config_value_reaches_the_herder(client: TestClient, herder: FakeHerder) -> None:
    # The herder's validation rejects it (test_rest_standalone.py), as Kafka Connect's does.
    client.put("/connectors/x/config", json={**SOURCE, "k": None})
    assert last_call(herder) == ("put", ("x", {**SOURCE, "k": None, "name": "x"}, True, None))


def test_list_and_expand(client: TestClient, herder: FakeHerder) -> None:
    assert client.get("/connectors").json() == []
    create(client, "b")
    create(client, "a")
    assert client.get("/connectors").json() == ["a", "b"]
    assert client.get("/connectors?expand=").json() == {"a": {}, "b": {}}
    expanded = client.get("/connectors?expand=status&expand=info&expand=bogus").json()
    assert set(expanded) == {"a", "b"}
    assert expanded["a"]["status"] == {
        "name": "a",
        "connector": {"state": "RUNNING", "worker_id": WORKER, "version": None},
        "tasks": [{"id": 0, "state": "RUNNING", "worker_id": WORKER, "version": None}],
        "type": "source",
    }
    assert expanded["a"]["info"]["name"] == "a"


def test_expand_skips_connectors_without_status(client: TestClient, herder: FakeHerder) -> None:
    create(client, "a")
    create(client, "b")
    del herder.states["b"]
    assert set(client.get("/connectors?expand=status").json()) == {"a"}


def test_trailing_slash_is_served_without_redirect(client: TestClient) -> None:
    create(client, "a")
    r = client.get("/connectors/", follow_redirects=False)
    assert r.status_code == 200
    assert r.json() == ["a"]


def test_put_config_name_mismatch_is_400(client: TestClient) -> None:
    r = client.put("/connectors/new/config", json={**SOURCE, "name": "zz"})
    assert r.status_code == 400
    assert r.json()["message"] == (
        "Connector name configuration (zz) doesn't match connector name in the URL (new)"
    )


def test_status_task_status_and_trace(client: TestClient, herder: FakeHerder) -> None:
    create(client)
    herder.task_states["fs"][0] = StateInfo(State.FAILED, WORKER, "boom\n\tat x", 0, "3.2.1")
    status = client.get("/connectors/fs/status").json()
    expected = {
        "id": 0,
        "state": "FAILED",
        "worker_id": WORKER,
        "version": "3.2.1",
        "trace": "boom\n\tat x",
    }
    assert status["tasks"] == [expected]
    r = client.get("/connectors/fs/tasks/0/status")
    assert r.json() == expected
    assert list(r.json()) == list(expected)  # Kafka's key order
    # Kafka leaves out the version of a plugin that has none ("undefined")
    herder.task_states["fs"][0] = StateInfo(State.RUNNING, WORKER, None, 0, "undefined")
    assert "version" not in client.get("/connectors/fs/tasks/0/status").json()


def test_status_lists_tasks_sorted_by_id(client: TestClient, herder: FakeHerder) -> None:
    create(client)
    herder.task_states["fs"] = {
        2: StateInfo(State.RUNNING, WORKER),
        1: StateInfo(State.PAUSED, WORKER),
    }
    ids = [t["id"] for t in client.get("/connectors/fs/status").json()["tasks"]]
    assert ids == [1, 2]


@pytest.mark.parametrize("task", ["x", "1.5", "99999999999", " 1"])
def test_non_integer_task_is_404_like_jersey(client: TestClient, task: str) -> None:
    create(client)
    r = client.get(f"/connectors/fs/tasks/{task}/status")
    assert r.status_code == 404
    assert r.json() == {"error_code": 404, "message": "HTTP 404 Not Found"}


def test_tasks(client: TestClient) -> None:
    create(client)
    assert client.get("/connectors/fs/tasks").json() == [
        {
            "id": {"connector": "fs", "task": 0},
            "config": {**SOURCE, "name": "fs", "task.class": "x.Task"},
        }
    ]


def test_restart_variants(client: TestClient, herder: FakeHerder) -> None:
    create(client)
    r = client.post("/connectors/fs/restart")
    assert r.status_code == 204
    assert r.content == b""
    assert last_call(herder) == ("restart_connector", "fs")

    r = client.post("/connectors/fs/restart?includeTasks=yes")  # Boolean.valueOf: false
    assert r.status_code == 204

    r = client.post("/connectors/fs/restart?includeTasks=TRUE")
    assert r.status_code == 202
    assert last_call(herder) == ("restart_connector_and_tasks", RestartRequest("fs", True, False))
    assert r.json()["name"] == "fs"  # the herder's plan, as a status body

    r = client.post("/connectors/fs/restart?onlyFailed=true")
    assert r.status_code == 202
    assert last_call(herder) == ("restart_connector_and_tasks", RestartRequest("fs", False, True))


def test_restart_task(client: TestClient, herder: FakeHerder) -> None:
    create(client)
    r = client.post("/connectors/fs/tasks/0/restart")
    assert r.status_code == 204
    assert last_call(herder) == ("restart_task", ConnectorTaskId("fs", 0))


def test_pause_resume_stop_delete(client: TestClient, herder: FakeHerder) -> None:
    create(client)
    r = client.put("/connectors/fs/pause")
    assert (r.status_code, r.content) == (202, b"")
    assert target(herder) is TargetState.PAUSED
    assert client.put("/connectors/fs/resume").status_code == 202
    assert target(herder) is TargetState.STARTED
    r = client.put("/connectors/fs/stop")
    assert (r.status_code, r.content) == (204, b"")
    assert target(herder) is TargetState.STOPPED
    r = client.delete("/connectors/fs")
    assert (r.status_code, r.content) == (204, b"")
    assert "fs" not in herder.configs


def test_topics_and_reset(client: TestClient, herder: FakeHerder) -> None:
    assert client.get("/connectors/nope/topics").json() == {"nope": {"topics": []}}
    herder.topics["fs"] = ["t1"]
    assert client.get("/connectors/fs/topics").json() == {"fs": {"topics": ["t1"]}}
    r = client.put("/connectors/fs/topics/reset")
    assert (r.status_code, r.content) == (202, b"")
    assert herder.topics == {}


def test_topic_tracking_disabled_is_403(herder: FakeHerder) -> None:
    from sluice.rest import RestOptions, create_app

    options = RestOptions(topic_tracking_enable=False)
    with TestClient(create_app(herder, options=options)) as c:
        r = c.get("/connectors/fs/topics")
        assert r.json() == {"error_code": 403, "message": "Topic tracking is disabled."}
    options = RestOptions(topic_tracking_allow_reset=False)
    with TestClient(create_app(herder, options=options)) as c:
        assert c.get("/connectors/fs/topics").status_code == 200
        r = c.put("/connectors/fs/topics/reset")
        assert r.json() == {"error_code": 403, "message": "Topic tracking reset is disabled."}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Partitions / offsets need to be provided for an alter offsets request"),
        ({"offsets": []}, "Partitions / offsets need to be provided for an alter offsets request"),
        ({"offsets": [{"offset": {"p": 1}}]}, "Partition objects cannot be null"),
        ({"offsets": [1]}, "offsets[0] must be a JSON object, but it was a JSON number"),
        ({"offsets": [{"partition": {}, "offset": 3}]}, "offsets[0].offset must be"),
        ({"offsets": [{"partition": {}, "x": 3}]}, 'Unrecognized field "x" in offsets[0]'),
        ({"offsets": {}}, "'offsets' must be a JSON array"),
        ({"offsets": [], "y": 1}, 'Unrecognized field "y"'),
    ],
)
def test_offsets_patch_bad_bodies_are_400(client: TestClient, body: Any, message: str) -> None:
    create(client)
    client.put("/connectors/fs/stop")
    r = client.patch("/connectors/fs/offsets", json=body)
    assert r.status_code == 400
    assert message in r.json()["message"]


def test_offsets_patch_keeps_numbers_as_numbers(client: TestClient, herder: FakeHerder) -> None:
    create(client)
    client.put("/connectors/fs/stop")
    body = {
        "offsets": [
            {"partition": {"kafka_topic": "t", "kafka_partition": 0}, "offset": {"kafka_offset": 5}}
        ]
    }
    client.patch("/connectors/fs/offsets", json=body)
    assert herder.offsets["fs"][0]["offset"] == {"kafka_offset": 5}
