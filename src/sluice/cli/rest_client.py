"""A small client for a worker's REST API that fails with sentences, not stack traces.

The people's commands (``sluice status``, ``sluice connectors ...``) talk to any worker through
this module, so that every failure reads the same way: a worker that cannot be reached is one
line naming the URL and how to pick another, and a REST error shows the server's ``message``
with its HTTP status, since Kafka Connect's messages already say what went wrong.

Errors, all :class:`CliError` (the message is shown after ``sluice: ``):

* :class:`WorkerUnreachableError`: no HTTP answer at all (refused, unknown host, timed out).
* :class:`RestError`: an HTTP error status; carries ``status`` and the server's ``message``.

:func:`client_options` and :func:`runner` give every such command the same ``--url`` and
``--output`` and the same error handling, so a new verb cannot forget either.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import socket
import ssl
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

__all__ = [
    "DEFAULT_URL",
    "CliError",
    "Command",
    "Reply",
    "RestClient",
    "RestError",
    "WorkerUnreachableError",
    "client_options",
    "credentials",
    "member",
    "members",
    "print_json",
    "runner",
    "worker_url",
]

DEFAULT_URL = "http://localhost:8083"
"""Where ``connect-standalone``/``connect-distributed`` listen when ``listeners`` is not set."""

_RETRY_HINT = "the cluster is rebalancing or its config changed meanwhile; try again in a moment"


class CliError(Exception):
    """A failure the command reports as one line and exit status 1."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WorkerUnreachableError(CliError):
    """No HTTP answer from the worker: nothing listens, the host is unknown, or it timed out."""


class RestError(CliError):
    """The worker answered with an error status; ``message`` is the server's, with the status."""

    def __init__(self, status: int, server_message: str) -> None:
        self.status = status
        self.server_message = server_message
        text = f"{server_message} (HTTP {status})"
        if _means_rebalance(status, server_message):
            text += f"; {_RETRY_HINT}"
        super().__init__(text)


def _means_rebalance(status: int, message: str) -> bool:
    # Kafka answers 409 both for "already exists" and for requests that race a rebalance or a
    # config change; only the second kind is worth retrying, and only its message says so.
    lowered = message.lower()
    return status == 409 and any(
        word in lowered for word in ("rebalanc", "stale configuration", "conflicting operation")
    )


@dataclass(frozen=True)
class Reply:
    """A successful answer: its status (200/201/202/204) and decoded JSON body (``None`` if
    empty)."""

    status: int
    body: Any


def worker_url(option: str | None, environ: Mapping[str, str] | None = None) -> str:
    """``--url``, else ``$SLUICE_URL``, else :data:`DEFAULT_URL`; a bare ``host:port`` gets
    ``http://``, as users type it the way they type ``bootstrap.servers``."""
    env = os.environ if environ is None else environ
    url = (option or env.get("SLUICE_URL") or DEFAULT_URL).strip()
    if "://" not in url:
        url = f"http://{url}"
    return url.rstrip("/")


def _reason(exc: httpx.TransportError) -> str:
    """Why no answer came, in the words people search for (the exception chain holds the OS
    error under httpcore's and httpx's wrappers)."""
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError) or (
            isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED
        ):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "unknown host"
        cause = cause.__cause__ or cause.__context__
    text = str(exc).strip()
    if "refused" in text.lower():  # some platforms report it only as text
        return "connection refused"
    return text or type(exc).__name__


def _server_message(response: httpx.Response) -> str:
    """The ``message`` of Kafka Connect's ``{"error_code", "message"}``, else the HTTP reason
    (a proxy or something else than a worker answered)."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        return str(body["message"])
    return response.reason_phrase or "error"


class RestClient:
    """Requests to one worker; use as a context manager.

    ``transport`` replaces the network (``httpx.MockTransport`` in unit tests).
    """

    def __init__(
        self,
        url: str,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        credentials: tuple[str, str] | None = None,
        verify: str | bool = True,
    ) -> None:
        """``credentials`` (user, password) go as HTTP basic authentication (a worker with
        Kafka's ``BasicAuthSecurityRestExtension``); so do those of a URL such as
        ``https://user:password@host:8443``. ``verify``: a CA file (PEM) to trust for
        ``https://`` workers, ``True`` for the system's CAs, ``False`` for none."""
        parts = httpx.URL(url.rstrip("/"))
        if credentials is None and parts.username:
            credentials = (parts.username, parts.password or "")
        self.url = str(parts.copy_with(username=None, password=None)).rstrip("/")
        context: ssl.SSLContext | bool = verify if isinstance(verify, bool) else True
        if isinstance(verify, str):
            try:
                context = ssl.create_default_context(cafile=verify)
            except (OSError, ssl.SSLError) as e:
                raise CliError(f"cannot read the CA file {verify} (--cacert): {e}") from None
        # Connecting fails fast; an answer may take long (a restart waits for the tasks).
        self._client = httpx.Client(
            base_url=self.url,
            timeout=httpx.Timeout(timeout, connect=5.0),
            transport=transport,
            headers={"Accept": "application/json"},
            auth=httpx.BasicAuth(*credentials) if credentials is not None else None,
            verify=context,
        )
        self._has_credentials = credentials is not None

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | list[str]] | None = None,
        body: Any = None,
    ) -> Reply:
        """One request; raises :class:`CliError` unless the status is 2xx."""
        try:
            response = self._client.request(
                method,
                path,
                params=params,
                content=None if body is None else json.dumps(body),
                headers=None if body is None else {"Content-Type": "application/json"},
            )
        except httpx.UnsupportedProtocol:
            raise CliError(
                f"invalid worker URL {self.url!r}: expected http://host:port or https://host:port"
            ) from None
        except httpx.TransportError as e:
            reason = _reason(e)
            if "CERTIFICATE_VERIFY_FAILED" in reason or "certificate verify failed" in reason:
                raise WorkerUnreachableError(
                    f"cannot reach the worker at {self.url}: its TLS certificate is not "
                    "trusted; pass the CA that signed it with --cacert (or SLUICE_CACERT)"
                ) from None
            raise WorkerUnreachableError(
                f"cannot reach the worker at {self.url} ({reason}); is it running? "
                "set --url or SLUICE_URL"
            ) from None
        if response.status_code == 401:
            what = "refused the credentials" if self._has_credentials else "needs credentials"
            raise RestError(
                401,
                f"the worker at {self.url} {what}: pass --user USER:PASSWORD (or set "
                "SLUICE_USER and SLUICE_PASSWORD)",
            )
        if response.status_code >= 400:
            raise RestError(response.status_code, _server_message(response))
        if not response.content:
            return Reply(response.status_code, None)
        try:
            return Reply(response.status_code, response.json())
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise CliError(
                f"{method} {self.url}{path} answered HTTP {response.status_code} with a body "
                "that is not JSON; is this a sluice or Kafka Connect worker?"
            ) from None

    def get(self, path: str, params: Mapping[str, str | list[str]] | None = None) -> Any:
        return self.request("GET", path, params=params).body

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> RestClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# --- what every command that talks to a worker shares ---------------------------------------


def client_options() -> argparse.ArgumentParser:
    """``--url`` and ``--output``, for every level of the command line.

    Defaults are suppressed so that ``sluice connectors --url X list`` and ``sluice connectors
    list --url X`` both work: argparse would otherwise let the inner parser's default overwrite
    the value the outer one parsed.
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url",
        default=argparse.SUPPRESS,
        help=f"a worker's REST URL (default $SLUICE_URL, else {DEFAULT_URL})",
    )
    common.add_argument(
        "--user",
        default=argparse.SUPPRESS,
        metavar="USER[:PASSWORD]",
        help="HTTP basic credentials for a worker with Kafka's BasicAuthSecurityRestExtension "
        "(default $SLUICE_USER and $SLUICE_PASSWORD)",
    )
    common.add_argument(
        "--cacert",
        default=argparse.SUPPRESS,
        metavar="FILE",
        help="PEM file of the CA that signed an https:// worker's certificate (default "
        "$SLUICE_CACERT, else the system's CAs)",
    )
    common.add_argument(
        "--insecure",
        action="store_true",
        default=argparse.SUPPRESS,
        help="do not verify an https:// worker's certificate",
    )
    common.add_argument(
        "-o",
        "--output",
        choices=("table", "json"),
        default=argparse.SUPPRESS,
        help="table for people (default) or the REST API's JSON for scripts",
    )
    return common


Command = Callable[[RestClient, argparse.Namespace], int]


def runner(command: Command) -> Callable[[argparse.Namespace], int]:
    """``command`` with a client on the chosen worker; a :class:`CliError` becomes one line on
    stderr and exit status 1, never a stack trace."""

    def run(args: argparse.Namespace) -> int:
        if not hasattr(args, "output"):
            args.output = "table"
        try:
            with RestClient(
                worker_url(getattr(args, "url", None)),
                credentials=credentials(getattr(args, "user", None)),
                verify=_verify(args),
            ) as client:
                return command(client, args)
        except CliError as e:
            print(f"sluice: {e.message}", file=sys.stderr)
            return 1

    return run


def credentials(
    option: str | None, environ: Mapping[str, str] | None = None
) -> tuple[str, str] | None:
    """``--user USER[:PASSWORD]``, else ``$SLUICE_USER``; the password after the first colon,
    else ``$SLUICE_PASSWORD`` (which keeps it out of the process list and shell history)."""
    env = os.environ if environ is None else environ
    text = option if option is not None else env.get("SLUICE_USER")
    if not text:
        return None
    user, colon, password = text.partition(":")
    return user, password if colon else env.get("SLUICE_PASSWORD", "")


def _verify(args: argparse.Namespace) -> str | bool:
    if getattr(args, "insecure", False):
        return False
    cacert = getattr(args, "cacert", None) or os.environ.get("SLUICE_CACERT")
    return cacert or True


def print_json(value: Any) -> None:
    """JSON for scripts: the REST API's document, indented, keys in the server's order."""
    print(json.dumps(value, indent=2))


def member(document: Any, key: str) -> dict[str, Any]:
    """``document[key]`` if both are JSON objects, else ``{}``: tables read what a worker sent
    (possibly an older or a Java one) and show ``-`` for what is missing instead of failing."""
    value = document.get(key) if isinstance(document, dict) else None
    return value if isinstance(value, dict) else {}


def members(document: Any, key: str) -> list[dict[str, Any]]:
    """The objects of the array ``document[key]``; anything else is skipped, as in
    :func:`member`."""
    value = document.get(key) if isinstance(document, dict) else None
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
