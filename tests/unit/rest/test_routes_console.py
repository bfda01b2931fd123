"""GET /ui: the console's static files, served from package data with their content types."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest
from starlette.testclient import TestClient

CONSOLE = files("sluice.rest").joinpath("console")


def test_index(client: TestClient) -> None:
    r = client.get("/ui")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "<title>sluice console</title>" in r.text
    assert client.get("/ui/").text == r.text, "a trailing slash serves the same page"


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("console.js", "text/javascript; charset=utf-8"),
        ("console.css", "text/css; charset=utf-8"),
    ],
)
def test_assets(client: TestClient, name: str, content_type: str) -> None:
    r = client.get(f"/ui/{name}")
    assert r.status_code == 200
    assert r.headers["content-type"] == content_type
    assert r.content == CONSOLE.joinpath(name).read_bytes()


def test_every_asset_the_page_links_is_served(client: TestClient) -> None:
    """The page works offline: it references only /ui/ files, nothing from another host."""
    page = client.get("/ui").text
    links = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert links, "the page links its script and stylesheet"
    for link in links:
        if link.startswith("data:"):
            continue
        assert link.startswith("/ui/"), f"{link} is not served by the worker"
        assert client.get(link).status_code == 200, link
    for name in ("console.js", "console.css"):
        text = client.get(f"/ui/{name}").text
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text), f"{name} fetches a URL"


@pytest.mark.parametrize(
    "path",
    ["/ui/missing.js", "/ui/.hidden.js", "/ui/routes_console.py", "/ui/..%2Fapp.py", "/ui/a/b.js"],
)
def test_unknown_assets_are_404_errors(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert (r.status_code, r.json()) == (404, {"error_code": 404, "message": "HTTP 404 Not Found"})


def test_wrong_method(client: TestClient) -> None:
    r = client.post("/ui")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD, OPTIONS"


def test_not_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/ui")]


def test_root_is_unchanged(client: TestClient) -> None:
    assert list(client.get("/").json()) == ["version", "commit", "kafka_cluster_id"]
