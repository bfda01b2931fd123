"""Errors are always {"error_code", "message"}; client mistakes are never a 5xx."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from sluice.api import AlreadyExistsError, ConfigError, ConnectError, NotFoundError
from sluice.rest import create_app
from sluice.runtime.herder import BadRequestError, ConflictError, ForbiddenError
from tests.unit.rest.fake_herder import FakeHerder


def test_unknown_path_is_jersey_404(client: TestClient) -> None:
    for path in ("/nope", "/connectors/a/b/c/d", "/connectors/fs/tasks-config"):
        r = client.get(path)
        assert r.status_code == 404
        assert r.json() == {"error_code": 404, "message": "HTTP 404 Not Found"}


def test_wrong_method_is_405_with_allow(client: TestClient) -> None:
    for method, path in (("DELETE", "/"), ("POST", "/connectors/x"), ("GET", "/connectors/x/stop")):
        r = client.request(method, path)
        assert r.status_code == 405
        assert r.json() == {"error_code": 405, "message": "HTTP 405 Method Not Allowed"}
    allow = client.post("/connectors/x/config").headers["allow"]
    assert allow == "GET, HEAD, OPTIONS, PATCH, PUT"
    assert client.put("/connectors").headers["allow"] == "GET, HEAD, OPTIONS, POST"
    assert client.request("HEAD", "/connectors/x/stop").headers["allow"] == "OPTIONS, PUT"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFoundError("gone"), 404),
        (AlreadyExistsError("taken"), 409),
        (ConflictError("busy"), 409),
        (ForbiddenError("no"), 403),
        (BadRequestError("bad"), 400),
        (ConfigError("bad value"), 400),
        (ConnectError("broken"), 500),
        (RuntimeError("bug"), 500),
    ],
)
def test_herder_errors_map_to_kafka_codes(error: Exception, status: int) -> None:
    class Failing(FakeHerder):
        def connectors(self) -> list[str]:
            raise error

    with TestClient(create_app(Failing()), raise_server_exceptions=False) as c:
        r = c.get("/connectors")
    assert r.status_code == status
    assert r.json() == {"error_code": status, "message": str(error)}


def test_server_error_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    class Failing(FakeHerder):
        def connectors(self) -> list[str]:
            raise RuntimeError("bug")

    with TestClient(create_app(Failing())) as c:  # would raise if the error escaped the app
        assert c.get("/connectors").status_code == 500
    assert any("Uncaught exception in REST call to /connectors" in m for m in caplog.messages)
