"""Forwarding a request to the worker that must serve it (the leader, or a connector's owner).

Kafka Connect never redirects; the worker that received the request re-issues it to the target
and answers with the target's response. The hidden ``forward`` query parameter bounds the hops:
a user's request (no ``forward``) is forwarded with ``forward=true``, which may be forwarded once
more with ``forward=false``; a request that still lands on the wrong worker gets 409.
"""

from __future__ import annotations

import atexit
import logging
import threading
from typing import Final

import httpx
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from sluice.rest.entities import error_message
from sluice.rest.security import client_verify
from sluice.runtime.herder import RequestTargetError

__all__ = ["forward_request"]

log = logging.getLogger(__name__)

_TIMEOUT: Final = httpx.Timeout(90.0, connect=10.0)
_KEEP_HEADERS: Final = ("content-type",)

_client: httpx.Client | None = None


@atexit.register
def _close_shared_client() -> None:
    """Close the pooled connections at exit rather than leave them to the collector."""
    with _client_lock:
        if _client is not None:
            _client.close()


_client_lock = threading.Lock()


def _shared_client() -> httpx.Client:
    """One connection pool for every forwarded request of the process: a client per request
    costs tens of milliseconds and megabytes that are not given back. (A synchronous client is
    used on the thread pool because each REST server has an event loop of its own.)"""
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client(timeout=_TIMEOUT, verify=client_verify())
        return _client


async def forward_request(request: Request, error: RequestTargetError) -> Response:
    """Re-issue ``request`` to ``error.forward_url`` and answer with what it answered."""
    forward = request.query_params.get("forward")
    if forward is not None and forward.strip().lower() != "true":
        log.error(
            "Request '%s %s' failed because it couldn't find the target Connect worker within "
            "two hops (between workers).",
            request.method,
            request.url.path,
        )
        return _error(
            409,
            "Cannot complete request because of a conflicting operation (e.g. worker rebalance)",
        )
    if not error.forward_url:
        return _error(
            409,
            "Cannot complete request momentarily due to no known leader URL, likely because a "
            "rebalance was underway.",
        )
    pairs: list[tuple[str, str | int | float | bool | None]] = [
        (k, v) for k, v in request.query_params.multi_items() if k != "forward"
    ]
    pairs.append(("forward", "true" if forward is None else "false"))
    params = httpx.QueryParams(pairs)
    url = error.forward_url.rstrip("/") + request.url.path
    headers = {"User-Agent": "kafka-connect", "Content-Type": "application/json"}
    authorization = request.headers.get("authorization")
    if authorization is not None:
        headers["Authorization"] = authorization
    body = await request.body()
    log.debug("Forwarding %s %s to %s", request.method, request.url.path, url)
    client = _shared_client()
    try:
        answer = await run_in_threadpool(
            client.request,
            request.method,
            url,
            params=params,
            content=body or None,
            headers=headers,
        )
    except httpx.HTTPError as e:
        log.warning("Forwarding %s %s to %s failed: %s", request.method, request.url.path, url, e)
        return _error(
            500,
            f"IO Error trying to forward REST request: cannot reach {error.forward_url} (the "
            "worker that must serve it; its listeners, rest.advertised.host.name and "
            f"rest.advertised.port must be reachable from this worker): {e}",
        )
    out = {k: v for k, v in answer.headers.items() if k.lower() in _KEEP_HEADERS}
    location = answer.headers.get("location")
    if location is not None:
        # The resource is the same on every worker; point at the one the client asked.
        path = location.split("/connectors/", 1)[-1]
        out["Location"] = f"{request.base_url}connectors/{path}"
    return Response(answer.content, answer.status_code, headers=out)


def _error(status: int, message: str) -> Response:
    return JSONResponse(error_message(status, message), status)
