"""The REST API of a sluice worker: Kafka Connect's paths, status codes and JSON bodies.

Routes call only the :class:`~sluice.runtime.herder.Herder` interface (and :class:`Loggers` for
``/admin/loggers``), so standalone and distributed workers serve the same API. Handlers are plain
functions: FastAPI runs them on its thread pool, and herder calls may block.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

import sluice
from sluice.rest.errors import ConnectRoute, install_error_handlers
from sluice.rest.negotiation import ContentNegotiation
from sluice.rest.openapi import install_openapi
from sluice.rest.routes_admin import admin_router
from sluice.rest.routes_connectors import connectors_router
from sluice.rest.routes_console import console_router
from sluice.rest.routes_docs import docs_router
from sluice.rest.routes_metrics import metrics_router
from sluice.rest.routes_plugins import plugins_router
from sluice.rest.routes_root import root_router
from sluice.runtime.herder import Herder
from sluice.runtime.loggers import Loggers

__all__ = ["RestOptions", "create_app"]


@dataclass(frozen=True)
class RestOptions:
    """Worker settings that shape the API (Kafka's ``RestServerConfig``)."""

    version: str = sluice.__version__
    commit: str = "unknown"
    topic_tracking_enable: bool = True
    """``topic.tracking.enable``: when false, the topics endpoints answer 403."""
    topic_tracking_allow_reset: bool = True
    """``topic.tracking.allow.reset``: when false, ``PUT .../topics/reset`` answers 403."""
    admin_enabled: bool = True
    """False when ``admin.listeners`` is empty: ``/admin/loggers`` is then not served (404)."""


class _TrailingSlash:
    """Serves ``/connectors/`` as ``/connectors``, as Jersey does (no redirect)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            if len(path) > 1 and path.endswith("/"):
                scope = dict(scope)
                scope["path"] = path.rstrip("/") or "/"
                raw = scope.get("raw_path")
                if isinstance(raw, bytes):
                    scope["raw_path"] = raw.rstrip(b"/") or b"/"
        await self.app(scope, receive, send)


def create_app(
    herder: Herder,
    loggers: Loggers | None = None,
    options: RestOptions | None = None,
) -> FastAPI:
    """The ASGI application serving Kafka Connect's REST API over ``herder``.

    ``loggers`` defaults to the herder's :class:`Loggers` (or a new one over this process's
    Python loggers).
    """
    opts = options or RestOptions()
    app = FastAPI(
        title="sluice REST API",
        description="Kafka Connect's REST API, served by sluice.",
        version=opts.version,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
    )
    app.router.route_class = ConnectRoute
    routers = [
        root_router(herder, opts.version, opts.commit),
        connectors_router(herder, opts.topic_tracking_enable, opts.topic_tracking_allow_reset),
        plugins_router(herder),
        metrics_router(herder),
        console_router(),
        docs_router(),
    ]
    if opts.admin_enabled:
        if loggers is None:
            loggers = getattr(herder, "loggers", None) or Loggers()
        routers.append(admin_router(loggers, herder))
    for router in routers:
        app.include_router(router)
    api_routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]
    install_error_handlers(app, api_routes)
    own_routes = [r for r in app.router.routes if isinstance(r, Route)]  # /openapi.json
    app.add_middleware(ContentNegotiation, routes=[*api_routes, *own_routes])
    app.add_middleware(_TrailingSlash)  # added last, so it runs first
    install_openapi(app)
    return app
