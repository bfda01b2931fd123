"""Content-Type, Accept, HEAD and OPTIONS as Jersey answers them for Kafka Connect's resources
(checked against Kafka Connect 4.1.1), and sluice's own routes left to serve what they serve."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from sluice.rest.negotiation import accepts_json
from tests.unit.rest.conftest import SOURCE

UNSUPPORTED = {"error_code": 415, "message": "HTTP 415 Unsupported Media Type"}
NOT_ACCEPTABLE = {"error_code": 406, "message": "HTTP 406 Not Acceptable"}


@pytest.mark.parametrize(
    ("method", "path", "headers", "body"),
    [
        ("POST", "/connectors", {}, b'{"name": "a", "config": {}}'),  # a body, no Content-Type
        ("PUT", "/connectors/a/config", {"content-type": "text/plain"}, b"{}"),
        ("PUT", "/connectors/a/config", {"content-type": "application/vnd.x+json"}, b"{}"),
        ("PUT", "/connectors/a/pause", {"content-type": "text/plain"}, b""),
        ("GET", "/connectors", {"content-type": "text/plain"}, b""),
        ("PUT", "/admin/loggers/x", {}, b'{"level": "INFO"}'),
        ("PUT", "/connector-plugins/FileStreamSource/config/validate", {}, b"{}"),
    ],
)
def test_a_body_not_declared_as_json_is_415(
    client: TestClient, method: str, path: str, headers: dict[str, str], body: bytes
) -> None:
    r = client.request(method, path, headers=headers, content=body)
    assert (r.status_code, r.json()) == (415, UNSUPPORTED)


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "*/*", "application/*"]
)
def test_json_content_types_are_accepted(client: TestClient, content_type: str) -> None:
    r = client.put("/connectors/a/config", json=SOURCE, headers={"content-type": content_type})
    assert r.status_code == 201, r.text


def test_no_body_needs_no_content_type(client: TestClient) -> None:
    client.put("/connectors/a/config", json=SOURCE)
    assert client.post("/connectors/a/restart").status_code == 204
    assert client.put("/connectors/a/pause").status_code == 202


def test_a_content_type_that_is_no_media_type_is_400(client: TestClient) -> None:
    r = client.put("/connectors/a/pause", headers={"content-type": "garbage"})
    assert r.status_code == 400


def test_root_and_health_take_any_content_type(client: TestClient) -> None:
    assert client.get("/", headers={"content-type": "text/plain"}).status_code == 200


@pytest.mark.parametrize("path", ["/", "/health", "/connectors", "/connectors/nope/status"])
@pytest.mark.parametrize("accept", ["text/plain", "text/html", "application/xml", "garbage"])
def test_an_accept_without_json_is_406(client: TestClient, path: str, accept: str) -> None:
    r = client.get(path, headers={"accept": accept})
    assert (r.status_code, r.json()) == (406, NOT_ACCEPTABLE)


@pytest.mark.parametrize(
    "accept",
    [
        "application/json",
        "*/*",
        "application/*",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",  # a browser's
        "text/plain, application/json;q=0.1",
    ],
)
def test_an_accept_admitting_json_is_served(client: TestClient, accept: str) -> None:
    r = client.get("/connectors", headers={"accept": accept})
    assert (r.status_code, r.json()) == (200, [])


def test_sluices_own_routes_serve_their_media_types(client: TestClient) -> None:
    r = client.get("/metrics", headers={"accept": "text/plain"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    r = client.get("/ui", headers={"accept": browser})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")


def test_head_is_get_without_the_body(client: TestClient) -> None:
    client.put("/connectors/a/config", json=SOURCE)
    get = client.get("/connectors/a/status")
    head = client.head("/connectors/a/status")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]
    assert client.head("/connectors/nope").status_code == 404
    assert client.head("/metrics").status_code == 200
    r = client.head("/connectors/a/pause")  # PUT only
    assert (r.status_code, r.headers["allow"]) == (405, "OPTIONS, PUT")


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/", "GET, HEAD, OPTIONS"),
        ("/connectors", "GET, HEAD, OPTIONS, POST"),
        ("/connectors/nope", "DELETE, GET, HEAD, OPTIONS"),
        ("/connectors/a/restart", "OPTIONS, POST"),
        ("/connector-plugins/x/config/validate", "OPTIONS, PUT"),
        ("/metrics", "GET, HEAD, OPTIONS"),
    ],
)
def test_options_lists_the_methods(client: TestClient, path: str, allow: str) -> None:
    r = client.options(path, headers={"content-type": "text/plain"})
    assert r.status_code == 200
    assert r.headers["allow"] == allow
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text == allow


def test_options_of_an_unknown_path_is_404(client: TestClient) -> None:
    assert client.options("/nope").status_code == 404


def test_accepts_json() -> None:
    assert accepts_json(None)
    assert accepts_json("")
    assert accepts_json("*")
    assert accepts_json("application/json;q=0")  # as Jersey: q is not looked at
    assert not accepts_json("text/plain, text/html")
