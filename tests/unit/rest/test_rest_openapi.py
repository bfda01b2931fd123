"""/openapi.json documents every route with the statuses and bodies it really produces."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from sluice.rest import create_app
from sluice.rest.openapi import OPERATIONS
from tests.unit.rest.fake_herder import FakeHerder


def test_every_route_is_documented_and_nothing_else(client: TestClient) -> None:
    doc: dict[str, Any] = client.get("/openapi.json").json()
    operations = {(method, path) for path, methods in doc["paths"].items() for method in methods}
    assert operations == set(OPERATIONS)
    assert len(operations) == 32  # Kafka Connect's 30, and /metrics, /metrics/summary


def test_no_fastapi_422_and_every_ref_resolves(client: TestClient) -> None:
    text = client.get("/openapi.json").text
    doc = client.get("/openapi.json").json()
    assert "422" not in text
    assert "HTTPValidationError" not in text
    schemas = doc["components"]["schemas"]

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if "$ref" in node else []
            return found + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    for ref in refs(doc):
        assert ref.startswith("#/components/schemas/")
        assert ref.rsplit("/", 1)[1] in schemas


def test_bodies_and_params_are_declared(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    post = doc["paths"]["/connectors"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreateConnectorRequest"
    }
    assert set(post["responses"]) == {"201", "400", "406", "409", "415"}
    assert set(doc["paths"]["/"]["get"]["responses"]) == {"200", "406"}
    assert set(doc["paths"]["/metrics"]["get"]["responses"]) == {"200"}
    restart = doc["paths"]["/connectors/{connector}/restart"]["post"]
    assert {p["name"] for p in restart["parameters"]} == {"connector", "includeTasks", "onlyFailed"}
    assert "requestBody" not in doc["paths"]["/connectors/{connector}"]["get"]


def test_admin_routes_absent_when_disabled() -> None:
    from sluice.rest import RestOptions

    app = create_app(FakeHerder(), options=RestOptions(admin_enabled=False))
    assert not any(p.startswith("/admin") for p in app.openapi()["paths"])
