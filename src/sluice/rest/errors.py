"""Every failure becomes ``{"error_code": N, "message": "..."}``, with Kafka Connect's codes.

Herder errors map as Kafka's ``ConnectExceptionMapper`` maps them (not found 404, already exists
409, bad request 400...). Framework errors (unknown path, wrong method, bad parameters) keep
Jersey's ``HTTP <code> <reason>`` messages. Bad client input is always a 4xx: request validation
errors are 400, never FastAPI's 422.
"""

from __future__ import annotations

import http
import logging
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from sluice.api import AlreadyExistsError, ConfigError, ConnectError, NotFoundError
from sluice.plugins.registry import PluginError
from sluice.rest.entities import error_message
from sluice.rest.forwarding import forward_request
from sluice.runtime.herder import (
    BadRequestError,
    ConflictError,
    ForbiddenError,
    RebalanceNeededError,
    RequestTargetError,
    ServiceUnavailableError,
)

__all__ = [
    "ConnectRoute",
    "RestError",
    "allowed_methods",
    "error_response",
    "http_reason",
    "install_error_handlers",
]

log = logging.getLogger(__name__)


class RestError(Exception):
    """An error raised by the REST layer itself, with the status to answer."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


def http_reason(status: int) -> str:
    """Jersey's message for a bare HTTP error: ``HTTP 404 Not Found``."""
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return f"HTTP {status} {phrase}"


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err.get('msg', 'invalid')}" if where else str(err.get("msg")))
    return "Invalid request: " + "; ".join(parts) if parts else "Invalid request"


_STALE_CONFIG: Final = (
    "Cannot complete request momentarily due to stale configuration (typically caused by a "
    "concurrent config change)"
)

_STATUS_BY_ERROR: tuple[tuple[type[BaseException], int], ...] = (
    (NotFoundError, 404),
    (ServiceUnavailableError, 503),
    (AlreadyExistsError, 409),
    (ConflictError, 409),
    (ForbiddenError, 403),
    (BadRequestError, 400),
    (ConfigError, 400),
    (PluginError, 400),
)


def error_response(exc: BaseException, path: str = "") -> JSONResponse:
    """The response for any exception raised while serving a request."""
    if isinstance(exc, RestError):
        return JSONResponse(error_message(exc.status, exc.message), exc.status, exc.headers)
    if isinstance(exc, StarletteHTTPException):
        headers = dict(exc.headers) if exc.headers else None
        return JSONResponse(
            error_message(exc.status_code, http_reason(exc.status_code)), exc.status_code, headers
        )
    if isinstance(exc, RequestValidationError):
        return JSONResponse(error_message(400, _validation_message(exc)), 400)
    if isinstance(exc, RebalanceNeededError):
        return JSONResponse(error_message(409, _STALE_CONFIG), 409)
    for kind, status in _STATUS_BY_ERROR:
        if isinstance(exc, kind):
            return JSONResponse(error_message(status, str(exc)), status)
    if isinstance(exc, ConnectError):
        log.error("Uncaught exception in REST call to %s", path, exc_info=exc)
        return JSONResponse(error_message(500, str(exc)), 500)
    log.error("Uncaught exception in REST call to %s", path, exc_info=exc)
    return JSONResponse(error_message(500, str(exc) or type(exc).__name__), 500)


class ConnectRoute(APIRoute):
    """A route whose errors, including parameter validation, become Kafka Connect error bodies.

    Handling them here rather than in app-level exception handlers keeps unexpected errors from
    propagating past the app (Starlette re-raises them after answering 500).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestTargetError as e:
                return await forward_request(request, e)
            except Exception as e:
                return error_response(e, request.url.path)

        return handle


def allowed_methods(methods: Iterable[str]) -> list[str]:
    """The ``Allow`` list of a path whose routes serve ``methods``: with ``HEAD`` wherever
    ``GET`` is, and ``OPTIONS`` everywhere (both are answered for every route)."""
    allowed = {m.upper() for m in methods} | {"OPTIONS"}
    if "GET" in allowed:
        allowed.add("HEAD")
    return sorted(allowed)


def _allowed_methods(routes: Sequence[APIRoute], path: str) -> list[str]:
    """Every method served at ``path`` (Starlette's 405 names only the first route's)."""
    methods: set[str] = set()
    for route in routes:
        if route.path_regex.match(path) and route.methods:
            methods.update(route.methods)
    return allowed_methods(methods)


def install_error_handlers(app: FastAPI, routes: Sequence[APIRoute]) -> None:
    """Errors raised outside routes: unknown paths (404) and wrong methods (405, with every
    method of the path in ``Allow``)."""

    async def http_error(request: Request, exc: Exception) -> Response:
        response = error_response(exc, request.url.path)
        if response.status_code == 405:
            response.headers["Allow"] = ", ".join(_allowed_methods(routes, request.url.path))
        return response

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, http_error)
