"""``GET /docs``: the interactive API reference, served whole by the worker (no CDN)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from starlette.testclient import TestClient


class _References(HTMLParser):
    """Every URL the page would load or link to, and its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v or "" for k, v in attrs if k in ("src", "href", "action", "data")]
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def test_docs_serves_the_page_that_reads_openapi_json(client: TestClient) -> None:
    r = client.get("/docs")

    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>sluice REST API</title>" in r.text
    assert 'fetch(BASE + "/openapi.json"' in r.text
    assert client.get("/docs/").text == r.text  # as every path, with or without the slash


def test_docs_references_only_its_own_worker(client: TestClient) -> None:
    r = client.get("/docs")
    page = _References()
    page.feed(r.text)

    assert page.scripts, "the script is inline"
    # Links: the spec and the console, relative to the worker; the icon is inline data.
    assert page.urls == ["data:,", "../openapi.json", "../ui"]
    assert not re.search(r"(https?:)?//[a-z0-9]", r.text, re.IGNORECASE), (
        "the page must not name another host"
    )
    policy = r.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy


def test_docs_is_not_an_operation_of_the_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    assert "/docs" not in paths
