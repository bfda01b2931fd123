"""``GET /metrics`` (Prometheus text, Strimzi's names) and ``GET /metrics/summary`` (JSON for
the console and ``sluice status``).

The summary of a distributed cluster is gathered here: the worker that is asked fetches each
other worker's own figures (``scope=worker``) from the REST URL its tasks' status names, so
any worker shows the whole cluster. A worker that does not answer is listed as unreachable
rather than failing the whole answer.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

import httpx
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from sluice.rest.errors import ConnectRoute
from sluice.runtime.herder import Herder

__all__ = ["metrics_router"]

log = logging.getLogger(__name__)

_PEER_TIMEOUT: Final = httpx.Timeout(3.0, connect=1.0)


def _cluster_worker_ids(herder: Herder) -> set[str]:
    """Workers that run something, as the status store names them (``host:port``)."""
    ids: set[str] = set()
    for name in herder.connectors():
        try:
            status = herder.connector_status(name)
        except Exception:  # deleted meanwhile: nothing to show for it
            continue
        ids.add(status.connector.worker_id)
        ids.update(t.worker_id for t in status.tasks.values())
    ids.discard("")
    return ids


def _fetch_peer(client: httpx.Client, scheme: str, worker_id: str) -> dict[str, Any]:
    try:
        response = client.get(f"{scheme}://{worker_id}/metrics/summary", params={"scope": "worker"})
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body
    except (httpx.HTTPError, ValueError) as e:
        return {"worker_id": worker_id, "error": f"{type(e).__name__}: {e}"}


def metrics_router(herder: Herder, scheme: str = "http") -> APIRouter:
    router = APIRouter(route_class=ConnectRoute)

    @router.get(
        "/metrics",
        summary="The worker's metrics in Prometheus' text format, named as Strimzi's exporter "
        "names Kafka Connect's",
        response_class=Response,
    )
    def metrics() -> Response:
        registry = herder.metrics_registry()
        if registry is None:
            return Response(b"", media_type=CONTENT_TYPE_LATEST)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @router.get(
        "/metrics/summary",
        summary="Records/s in and out, sink lag and error counts of every task, with ten "
        "minutes of history",
    )
    def summary(
        scope: str = Query("cluster", pattern="^(worker|cluster)$"),
    ) -> JSONResponse:
        local = herder.metrics_summary() or {
            "worker_id": herder.worker_id(),
            "time_ms": 0,
            "workers": [],
            "tasks": [],
        }
        if scope == "worker":
            return JSONResponse(local)
        peers = sorted(_cluster_worker_ids(herder) - {herder.worker_id()})
        if not peers:
            return JSONResponse(local)
        with (
            httpx.Client(timeout=_PEER_TIMEOUT) as client,
            ThreadPoolExecutor(max_workers=min(8, len(peers))) as pool,
        ):
            answers = list(pool.map(lambda w: _fetch_peer(client, scheme, w), peers))
        for worker_id, answer in zip(peers, answers, strict=True):
            error = answer.get("error")
            local["workers"].append(
                {"worker_id": worker_id, "reachable": error is None, "error": error}
            )
            if error is None:
                local["tasks"].extend(answer.get("tasks", []))
        local["tasks"].sort(key=lambda t: (t["connector"], t["task"]))
        return JSONResponse(local)

    return router
