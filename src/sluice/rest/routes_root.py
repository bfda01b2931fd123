"""``GET /`` (version, commit, Kafka cluster id) and ``GET /health`` (KIP-1017)."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from sluice.rest.entities import (
    HEALTHY_MESSAGE,
    STARTING_MESSAGE,
    UNHEALTHY_MESSAGE,
    server_info,
    worker_status,
)
from sluice.rest.errors import ConnectRoute
from sluice.runtime.herder import Herder

__all__ = ["root_router"]

log = logging.getLogger(__name__)


def root_router(herder: Herder, version: str, commit: str) -> APIRouter:
    router = APIRouter(route_class=ConnectRoute)

    @router.get("/", summary="Worker version and the ID of the Kafka cluster it is connected to")
    def server_info_route() -> JSONResponse:
        return JSONResponse(server_info(version, commit, herder.kafka_cluster_id()))

    @router.get("/health", summary="Whether the worker has started and can serve requests")
    def health() -> JSONResponse:
        try:
            ready = herder.ready()
        except Exception as e:
            log.warning("Health check failed: %s", e)
            return JSONResponse(worker_status("unhealthy", UNHEALTHY_MESSAGE), 500)
        if not ready:
            return JSONResponse(worker_status("starting", STARTING_MESSAGE), 503)
        return JSONResponse(worker_status("healthy", HEALTHY_MESSAGE))

    return router
