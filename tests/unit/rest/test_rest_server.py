"""RestServer: binds listeners first, serves on its own thread, stops cleanly."""

from __future__ import annotations

import socket

import httpx
import pytest

from sluice.api import ConfigError
from sluice.rest import RestServer, create_app
from sluice.rest.server import Listener, parse_listener
from tests.unit.rest.fake_herder import FakeHerder


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://:8083", Listener("http", "", 8083)),
        ("HTTP://127.0.0.1:0", Listener("http", "127.0.0.1", 0)),
        (" http://[::1]:9000 ", Listener("http", "::1", 9000)),
    ],
)
def test_parse_listener(value: str, expected: Listener) -> None:
    assert parse_listener(value) == expected


@pytest.mark.parametrize("value", ["8083", "ftp://:1", "http://host", "http://h:99999"])
def test_parse_listener_rejects(value: str) -> None:
    with pytest.raises(ConfigError, match="listeners"):
        parse_listener(value)


def test_an_https_listener_needs_a_key_store() -> None:
    assert parse_listener("https://:1") == Listener("https", "", 1)
    with pytest.raises(ConfigError, match="keystore"):
        RestServer(None, ["https://127.0.0.1:0"])


def test_serves_on_loopback_and_stops() -> None:
    server = RestServer(None, ["http://127.0.0.1:0"])
    server.bind()
    host, port = server.advertised_address
    assert host == "127.0.0.1" and port > 0
    assert server.worker_id == f"127.0.0.1:{port}"
    assert server.url == f"http://127.0.0.1:{port}/"
    server.start(create_app(FakeHerder()))
    try:
        r = httpx.get(server.url + "connectors", timeout=10)
        assert (r.status_code, r.json()) == (200, [])
        r = httpx.get(server.url + "nope", timeout=10)
        assert r.json() == {"error_code": 404, "message": "HTTP 404 Not Found"}
    finally:
        server.stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(server.url, timeout=2)
    # the port is free again
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


def test_advertised_overrides() -> None:
    server = RestServer(
        None, ["http://127.0.0.1:0"], advertised_host="connect-1", advertised_port=8083
    )
    try:
        assert server.worker_id == "connect-1:8083"
        assert server.url == "http://connect-1:8083/"
    finally:
        server.stop()


def test_port_in_use_fails_with_a_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        server = RestServer(None, [f"http://127.0.0.1:{port}"])
        with pytest.raises(OSError, match=f"Cannot bind REST listener 127.0.0.1:{port}"):
            server.bind()
