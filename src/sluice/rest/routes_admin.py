"""``/admin/loggers``: read and change logger levels at run time (KIP-495, KIP-976)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response

from sluice.rest import entities
from sluice.rest.bodies import logger_level_request, parse_json, raw_body
from sluice.rest.errors import ConnectRoute, RestError
from sluice.runtime.herder import Herder
from sluice.runtime.loggers import Loggers

__all__ = ["admin_router"]

log = logging.getLogger(__name__)


def admin_router(loggers: Loggers, herder: Herder) -> APIRouter:
    router = APIRouter(prefix="/admin/loggers", route_class=ConnectRoute)

    @router.get("", summary="Loggers with an explicitly set level, and root")
    def list_loggers() -> JSONResponse:
        return JSONResponse(entities.logger_levels(loggers.all_levels()))

    @router.get("/{logger}", summary="The level of one logger")
    def get_logger(logger: str) -> JSONResponse:
        level = loggers.level(logger)
        if level is None:
            raise RestError(404, f"Logger {logger} not found.")
        return JSONResponse(level.to_json())

    @router.put("/{logger}", summary="Set the level of a logger and its children")
    def set_level(
        logger: str,
        body: Annotated[bytes, Depends(raw_body)],
        scope: Annotated[str | None, Query(description="worker (default) or cluster")] = None,
    ) -> Response:
        level = logger_level_request(parse_json(body, numbers_as_text=True))
        if not Loggers.is_valid_level(level):
            raise RestError(404, f"invalid log level '{level}'.")
        effective_scope = (scope or "worker").lower()
        if effective_scope not in ("worker", "cluster"):
            log.warning(
                "Received invalid scope '%s' in request to adjust logging level; will default to "
                "worker",
                scope,
            )
        if effective_scope == "cluster":
            # Every worker applies it when it reads it from the config topic (KIP-976).
            herder.set_cluster_logger_level(logger, level)
            return Response(status_code=204)
        return JSONResponse(loggers.set_level(logger, level))

    return router
