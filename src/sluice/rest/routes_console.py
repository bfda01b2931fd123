"""``GET /ui``: the web console, plain static files shipped inside the package.

The console (``sluice/rest/console/``: one HTML page, one script, one stylesheet) is served by the
worker itself so that it needs nothing at install or run time: no build toolchain, no CDN, no
second server. It is a client of the public REST API only (``/connectors``, ``/connector-plugins``,
``/metrics/summary``), so every action it offers is one a ``curl`` user could make, and it works
against any worker of a distributed cluster.

The routes are left out of the OpenAPI document (``include_in_schema=False``): the document
describes Kafka Connect's API, which is what clients and the schemathesis test rely on.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Final

from fastapi import APIRouter
from fastapi.responses import Response

from sluice.rest.errors import ConnectRoute, RestError, http_reason

__all__ = ["CONSOLE_PATH", "console_router"]

CONSOLE_PATH: Final = "/ui"
"""Where the console is served; its assets are under ``/ui/<name>``."""

_INDEX: Final = "index.html"

_CONTENT_TYPES: Final[dict[str, str]] = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
"""Explicit types rather than :mod:`mimetypes`, whose answers depend on the host's
``/etc/mime.types`` (a ``.js`` served as ``text/plain`` would not run under ``nosniff``)."""

_HEADERS: Final[dict[str, str]] = {
    # Revalidate every time: after an upgrade the browser must not mix old and new files.
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
}


def _assets() -> Traversable:
    """The folder holding the console's files (package data of :mod:`sluice.rest`)."""
    return files("sluice.rest").joinpath("console")


def _content_type(name: str) -> str | None:
    dot = name.rfind(".")
    return _CONTENT_TYPES.get(name[dot:].lower()) if dot > 0 else None


def _serve(name: str) -> Response:
    """The asset ``name`` with its content type, or a Kafka Connect style 404.

    Only plain file names of a known type inside the console folder are served: no hidden
    files, no sub-folders, nothing outside the package.
    """
    content_type = _content_type(name)
    if content_type is None or name.startswith(".") or "/" in name or "\\" in name:
        raise RestError(404, http_reason(404))
    asset = _assets().joinpath(name)
    if not asset.is_file():
        raise RestError(404, http_reason(404))
    return Response(asset.read_bytes(), 200, dict(_HEADERS), media_type=content_type)


def console_router() -> APIRouter:
    """The routes serving the console: ``/ui`` (the page) and ``/ui/{asset}`` (its files).

    Files are read on each request (they are a few kilobytes and the console polls the API,
    not these), so an editable install serves edits without a worker restart.
    """
    router = APIRouter(route_class=ConnectRoute, include_in_schema=False)

    @router.get(CONSOLE_PATH)
    def console_index() -> Response:
        return _serve(_INDEX)

    @router.get(CONSOLE_PATH + "/{asset}")
    def console_asset(asset: str) -> Response:
        return _serve(asset)

    return router
