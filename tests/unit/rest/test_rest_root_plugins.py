"""GET /, /health and the /connector-plugins routes."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

import sluice
from sluice.rest import RestOptions, create_app
from tests.unit.rest.fake_herder import FakeHerder


def test_server_info(client: TestClient) -> None:
    r = client.get("/")
    assert r.json() == {
        "version": sluice.__version__,
        "commit": "unknown",
        "kafka_cluster_id": "cluster-1",
    }
    assert list(r.json()) == ["version", "commit", "kafka_cluster_id"]


def test_server_info_reports_configured_version(herder: FakeHerder) -> None:
    app = create_app(herder, options=RestOptions(version="4.1.1", commit="abc"))
    with TestClient(app) as c:
        assert c.get("/").json()["version"] == "4.1.1"
        assert c.get("/").json()["commit"] == "abc"


def test_health(client: TestClient, herder: FakeHerder) -> None:
    r = client.get("/health")
    assert (r.status_code, r.json()) == (
        200,
        {
            "status": "healthy",
            "message": "Worker has completed startup and is ready to handle requests.",
        },
    )
    herder.is_ready = False
    r = client.get("/health")
    assert (r.status_code, r.json()) == (
        503,
        {"status": "starting", "message": "Worker is still starting up."},
    )


def test_plugins_connectors_only_by_default(client: TestClient) -> None:
    assert client.get("/connector-plugins").json() == [
        {
            "class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
            "type": "sink",
            "version": "1",
        },
        {
            "class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "type": "source",
            "version": "1",
        },
    ]


def test_plugins_all_kinds_in_kafka_order_without_undefined_versions(client: TestClient) -> None:
    for flag in ("false", "FALSE", "nope"):  # Boolean.valueOf: anything but "true" is false
        body: list[dict[str, Any]] = client.get(f"/connector-plugins?connectorsOnly={flag}").json()
        assert [p["type"] for p in body] == [
            "sink",
            "source",
            "transformation",
            "predicate",
            "converter",
            "header_converter",
        ]
        assert "version" not in body[2]  # None
        assert "version" not in body[3]  # "undefined"


def test_validate_checks_the_plugin_in_the_path(client: TestClient) -> None:
    ok = {"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector"}
    for plugin in ("FileStreamSink", "FileStreamSinkConnector", "Sink"):
        r = client.put(f"/connector-plugins/{plugin}/config/validate", json=ok)
        assert r.status_code == 200, plugin
    r = client.put(
        "/connector-plugins/Source/config/validate",
        json={"connector.class": "FileStreamSinkConnector"},
    )
    assert r.json() == {
        "error_code": 400,
        "message": "Included connector type FileStreamSinkConnector does not match request type "
        "Source",
    }


def test_validate_body_must_be_an_object(client: TestClient) -> None:
    # A config without connector.class is the herder's 400 (test_rest_standalone.py).
    r = client.put("/connector-plugins/X/config/validate", json=["x"])
    assert r.status_code == 400
