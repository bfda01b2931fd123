"""How the people's commands report a worker's answers: the server's message, never a trace."""

from __future__ import annotations

import httpx
import pytest

from sluice.cli.rest_client import CliError, RestClient, RestError, credentials, worker_url


def _client(status: int, body: bytes, content_type: str = "application/json") -> RestClient:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"Content-Type": content_type})

    return RestClient("http://w:8083", transport=httpx.MockTransport(answer))


def test_url_option_then_environment_then_default() -> None:
    assert worker_url("h:1", {"SLUICE_URL": "http://e:2"}) == "http://h:1"
    assert worker_url(None, {"SLUICE_URL": "https://e:2/"}) == "https://e:2"
    assert worker_url(None, {}) == "http://localhost:8083"


def test_rest_error_shows_server_message_and_status() -> None:
    with pytest.raises(RestError) as err, _client(404, b'{"error_code":404,"message":"no c"}') as c:
        c.get("/connectors/c")
    assert err.value.message == "no c (HTTP 404)"


@pytest.mark.parametrize(
    ("message", "hint"),
    [
        ("Cannot complete request because of a conflicting operation (e.g. worker rebalance)", 1),
        ("Cannot complete request momentarily due to stale configuration (typically ...)", 1),
        ("Connector c already exists", 0),
    ],
)
def test_409_says_when_to_retry(message: str, hint: int) -> None:
    body = f'{{"error_code":409,"message":"{message}"}}'.encode()
    with pytest.raises(RestError) as err, _client(409, body) as c:
        c.request("POST", "/connectors", body={})
    assert err.value.message.startswith(f"{message} (HTTP 409)")
    assert err.value.message.count("try again") == hint


def test_answers_that_are_not_connect_json() -> None:
    with pytest.raises(RestError) as err, _client(502, b"<html>", "text/html") as c:
        c.get("/connectors")
    assert err.value.message == "Bad Gateway (HTTP 502)"
    with pytest.raises(CliError, match="not JSON; is this a sluice"), _client(200, b"<h") as c:
        c.get("/connectors")


def test_empty_answer_is_none() -> None:
    with _client(204, b"") as c:
        reply = c.request("DELETE", "/connectors/c")
    assert (reply.status, reply.body) == (204, None)


# -- credentials --------------------------------------------------------------------------------


def test_credentials_from_the_option_or_the_environment() -> None:
    env = {"SLUICE_USER": "alice", "SLUICE_PASSWORD": "s3cret:with:colons"}
    assert credentials(None, env) == ("alice", "s3cret:with:colons")
    assert credentials("bob:pw", env) == ("bob", "pw")
    assert credentials("bob", env) == ("bob", "s3cret:with:colons")
    assert credentials(None, {}) is None


def test_basic_credentials_and_a_401() -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(401, text="User cannot access the resource.")

    transport = httpx.MockTransport(handler)
    with RestClient("https://u:pw-9x@w:8443", transport=transport) as client:
        assert client.url == "https://w:8443"  # the password is not kept in the URL shown
        with pytest.raises(RestError, match="refused the credentials") as e:
            client.get("/connectors")
    assert e.value.status == 401 and "pw-9x" not in e.value.message
    assert seen == ["Basic dTpwdy05eA=="]
    with (
        RestClient("https://w:8443", transport=transport) as client,
        pytest.raises(RestError, match="needs credentials.*--user"),
    ):
        client.get("/connectors")
