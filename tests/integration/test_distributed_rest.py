"""Three real ``sluice distributed`` workers in one group, driven over REST on any of them.

One cluster serves the whole module: every test works with connectors of its own, created
through different workers, so at least two of every three requests of a kind go to a follower
and are forwarded to the leader.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sluice.testing import wait_for
from tests.fixtures.distributed import DistributedCluster, running_cluster
from tests.fixtures.kafka import consume_all, create_topic

pytestmark = pytest.mark.integration

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"


@pytest.fixture(scope="module")
def cluster(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DistributedCluster]:
    with running_cluster(kafka_bootstrap, tmp_path_factory.mktemp("distributed-rest")) as cluster:
        yield cluster


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def _source(path: Path, topic: str) -> dict[str, str]:
    return {"connector.class": FILE_SOURCE, "file": str(path), "topic": topic}


def _everywhere(cluster: DistributedCluster, path: str, check: Any, timeout: float = 30) -> None:
    """Wait until ``check(json)`` holds for ``GET path`` on every worker."""
    for worker in cluster.workers:

        def ok(worker: Any = worker) -> bool:
            response = worker.request("GET", path)
            return bool(check(response.status_code, response.json()))

        wait_for(ok, timeout, 0.2, message=lambda w=worker: f"{path} on worker {w.index}")


def test_create_through_every_worker_and_read_everywhere(
    cluster: DistributedCluster, kafka_bootstrap: str, tmp_path: Path
) -> None:
    topic = create_topic(kafka_bootstrap, _name("dist-create"))
    names = []
    for worker in cluster.workers:
        name = _name(f"create-via-{worker.index}")
        source = tmp_path / f"{name}.txt"
        source.write_text("".join(f"{worker.index}-{i}\n" for i in range(10)))
        response = worker.request(
            "POST", "/connectors", json={"name": name, "config": _source(source, topic)}
        )
        assert response.status_code == 201, response.text
        assert response.headers["location"] == f"{worker.url}/connectors/{name}"
        body = response.json()
        assert body["name"] == name and body["type"] == "source"
        assert body["config"]["name"] == name
        names.append(name)
    for name in names:
        status = cluster.wait_running(name)
        assert status["connector"]["worker_id"] in {w.worker_id for w in cluster.workers}
        _everywhere(cluster, "/connectors", lambda code, body, n=name: code == 200 and n in body)
        _everywhere(
            cluster,
            f"/connectors/{name}/tasks",
            lambda code, body, n=name: (
                code == 200
                and body[0]["id"] == {"connector": n, "task": 0}
                and body[0]["config"]["task.class"].endswith("FileStreamSourceTask")
            ),
        )
    values = {m.value() for m in consume_all(kafka_bootstrap, topic, 30)}
    assert values == {f"{w}-{i}".encode() for w in range(3) for i in range(10)}
    duplicate = cluster.workers[2].request(
        "POST", "/connectors", json={"name": names[0], "config": {"connector.class": FILE_SOURCE}}
    )
    assert duplicate.status_code in (400, 409)
    ok = cluster.workers[2].request(
        "POST",
        "/connectors",
        json={"name": names[0], "config": _source(tmp_path / "x.txt", topic)},
    )
    assert ok.status_code == 409
    assert ok.json() == {"error_code": 409, "message": f"Connector {names[0]} already exists"}
    for name in names:
        assert cluster.workers[1].request("DELETE", f"/connectors/{name}").status_code == 204


def test_update_pause_resume_and_delete_are_seen_by_all(
    cluster: DistributedCluster, kafka_bootstrap: str, tmp_path: Path
) -> None:
    first, second = (create_topic(kafka_bootstrap, _name("dist-update")) for _ in range(2))
    name = _name("update")
    source = tmp_path / "in.txt"
    source.write_text("a\nb\n")
    w0, w1, w2 = cluster.workers
    assert (
        w0.request("PUT", f"/connectors/{name}/config", json=_source(source, first)).status_code
        == 201
    )
    cluster.wait_running(name)
    assert {m.value() for m in consume_all(kafka_bootstrap, first, 2)} == {b"a", b"b"}

    replaced = w1.request("PUT", f"/connectors/{name}/config", json=_source(source, second))
    assert replaced.status_code == 200, replaced.text
    _everywhere(
        cluster, f"/connectors/{name}/config", lambda code, body: body.get("topic") == second
    )
    # The restarted task has the new config: its offsets are kept, so only new lines move.
    with open(source, "a") as f:
        f.write("c\n")
    assert [m.value() for m in consume_all(kafka_bootstrap, second, 1)] == [b"c"]

    assert w2.request("PUT", f"/connectors/{name}/pause").status_code == 202
    _everywhere(
        cluster,
        f"/connectors/{name}/status",
        lambda code, body: (
            body["connector"]["state"] == "PAUSED"
            and [t["state"] for t in body["tasks"]] == ["PAUSED"]
        ),
    )
    assert w0.request("PUT", f"/connectors/{name}/resume").status_code == 202
    cluster.wait_running(name)

    patched = w2.request("PATCH", f"/connectors/{name}/config", json={"batch.size": "5"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["config"]["batch.size"] == "5"

    assert w1.request("DELETE", f"/connectors/{name}").status_code == 204
    _everywhere(cluster, f"/connectors/{name}", lambda code, body: code == 404)
    _everywhere(cluster, f"/connectors/{name}/status", lambda code, body: code == 404)
    missing = w2.request("DELETE", f"/connectors/{name}")
    assert missing.status_code == 404
    assert missing.json()["message"] == f"Connector {name} not found"


def test_stop_offsets_and_restart(
    cluster: DistributedCluster, kafka_bootstrap: str, tmp_path: Path
) -> None:
    topic = create_topic(kafka_bootstrap, _name("dist-offsets"))
    name = _name("offsets")
    source = tmp_path / "in.txt"
    source.write_text("one\ntwo\n")
    w0, w1, w2 = cluster.workers
    assert (
        w1.request(
            "POST", "/connectors", json={"name": name, "config": _source(source, topic)}
        ).status_code
        == 201
    )
    cluster.wait_running(name)
    consume_all(kafka_bootstrap, topic, 2)
    not_stopped = w2.request("DELETE", f"/connectors/{name}/offsets")
    assert not_stopped.status_code == 400
    assert "must be in the STOPPED state" in not_stopped.json()["message"]

    assert w2.request("PUT", f"/connectors/{name}/stop").status_code == 204
    _everywhere(
        cluster,
        f"/connectors/{name}/status",
        lambda code, body: body["connector"]["state"] == "STOPPED" and body["tasks"] == [],
    )
    offsets = w0.get(f"/connectors/{name}/offsets")
    assert offsets == {
        "offsets": [{"partition": {"filename": str(source)}, "offset": {"position": 8}}]
    }
    altered = w0.request(
        "PATCH",
        f"/connectors/{name}/offsets",
        json={"offsets": [{"partition": {"filename": str(source)}, "offset": {"position": 4}}]},
    )
    assert altered.status_code == 200, altered.text
    assert altered.json()["message"] == (
        "The offsets for this connector have been altered successfully"
    )
    _everywhere(
        cluster,
        f"/connectors/{name}/offsets",
        lambda code, body: body["offsets"][0]["offset"] == {"position": 4},
    )
    assert w1.request("PUT", f"/connectors/{name}/resume").status_code == 202
    cluster.wait_running(name)
    # Resumed from position 4: "two" is sent again.
    assert [m.value() for m in consume_all(kafka_bootstrap, topic, 3)][-1] == b"two"

    restarted = w2.request("POST", f"/connectors/{name}/restart?includeTasks=true")
    assert restarted.status_code == 202, restarted.text
    planned = restarted.json()
    assert planned["connector"]["state"] == "RESTARTING"
    assert [t["state"] for t in planned["tasks"]] == ["RESTARTING"]
    cluster.wait_running(name)
    assert w0.request("POST", f"/connectors/{name}/restart").status_code == 204
    assert w1.request("POST", f"/connectors/{name}/tasks/0/restart").status_code == 204
    unknown = w2.request("POST", f"/connectors/{name}/tasks/7/restart")
    assert unknown.status_code == 404
    cluster.wait_running(name)
    assert w0.request("DELETE", f"/connectors/{name}").status_code == 204


def test_hops_signatures_and_cluster_wide_settings(cluster: DistributedCluster) -> None:
    w0, w1, w2 = cluster.workers
    infos = [w.get("/") for w in cluster.workers]
    assert len({i["kafka_cluster_id"] for i in infos}) == 1 and infos[0]["kafka_cluster_id"]

    # A write that still lands on a follower after the last hop is refused, as Kafka does.
    followers = []
    for worker in cluster.workers:
        response = worker.request("DELETE", "/connectors/no-such-connector?forward=false")
        if response.status_code == 409:
            followers.append(worker)
            assert response.json()["message"] == (
                "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"
            )
        else:
            assert response.status_code == 404  # the leader answers itself
    assert len(followers) == 2

    unsigned = w0.request("POST", "/connectors/anything/tasks", json=[])
    assert unsigned.status_code == 400
    assert unsigned.json()["message"] == "Internal request missing required signature"
    forged = w1.request(
        "POST",
        "/connectors/anything/tasks",
        json=[],
        headers={
            "X-Connect-Authorization": "AAAA",
            "X-Connect-Request-Signature-Algorithm": "HmacSHA256",
        },
    )
    assert forged.status_code == 403
    assert forged.json()["message"] == "Internal request contained invalid signature."

    logger = f"sluice.test.cluster.{uuid.uuid4().hex[:6]}"
    set_level = w2.request("PUT", f"/admin/loggers/{logger}?scope=cluster", json={"level": "DEBUG"})
    assert set_level.status_code == 204
    _everywhere(
        cluster, f"/admin/loggers/{logger}", lambda code, body: body.get("level") == "DEBUG"
    )

    sink_named_like_the_group = w1.request(
        "PUT",
        "/connector-plugins/FileStreamSinkConnector/config/validate",
        json={
            "connector.class": "FileStreamSink",
            "name": cluster.group.removeprefix("connect-"),
            "topics": "t",
            "consumer.override.group.id": cluster.group,
        },
    )
    assert sink_named_like_the_group.status_code == 200
    errors = [
        e
        for c in sink_named_like_the_group.json()["configs"]
        for e in (c["value"] or {}).get("errors", [])
    ]
    assert (
        f"Consumer group {cluster.group} conflicts with Connect worker group {cluster.group}"
        in errors
    )
    plugins = w2.get("/connector-plugins")
    assert FILE_SOURCE in {p["class"] for p in plugins}


def test_metrics_and_the_cluster_summary_from_any_worker(
    cluster: DistributedCluster, kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Each worker reports its rebalances; any worker's summary covers every worker's tasks."""
    from prometheus_client.parser import text_string_to_metric_families

    topic = create_topic(kafka_bootstrap, _name("dist-metrics"))
    source = tmp_path / "metrics.txt"
    source.write_text("".join(f"line-{i}\n" for i in range(25)))
    name = _name("metrics")
    config = {**_source(source, topic), "tasks.max": "1"}
    assert cluster.workers[0].request("PUT", f"/connectors/{name}/config", json=config).is_success
    status = cluster.wait_running(name)
    owner = status["tasks"][0]["worker_id"]

    for worker in cluster.workers:
        text = worker.request("GET", "/metrics").text
        samples = {
            (s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }
        assert (
            samples[("kafka_connect_worker_rebalance_completed_rebalances_total", frozenset())] >= 1
        )
        assert samples[("kafka_connect_worker_rebalance_rebalancing", frozenset())] in (0.0, 1.0)
        protocol = frozenset({("connect_protocol", "sessioned")})
        assert samples[("kafka_connect_worker_rebalance_connect_protocol", protocol)] == 1
        assigned = [
            v for (n, _), v in samples.items() if n == "kafka_connect_coordinator_assigned_tasks"
        ]
        assert len(assigned) == 1

        # The summary asked of any worker lists the task, wherever it runs, once it has moved
        # every line (the owner fetched on the asking worker's behalf).
        def moved(worker: Any = worker) -> dict[str, Any] | None:
            body = worker.request("GET", "/metrics/summary").json()
            mine = [t for t in body["tasks"] if t["connector"] == name]
            return body if mine and mine[0]["records_out_total"] == 25 else None

        body = wait_for(moved, 30, 0.2, message=f"summary on worker {worker.index}")
        (task,) = [t for t in body["tasks"] if t["connector"] == name]
        assert task["worker_id"] == owner
        assert all(w["reachable"] for w in body["workers"])
        local = worker.request("GET", "/metrics/summary", params={"scope": "worker"}).json()
        assert (name in {t["connector"] for t in local["tasks"]}) == (worker.worker_id == owner)
    assert cluster.workers[0].request("DELETE", f"/connectors/{name}").status_code == 204
