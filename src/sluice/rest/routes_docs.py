"""``GET /docs``: the REST API's reference, interactive, rendered from ``/openapi.json``.

FastAPI's own Swagger UI page loads its script and stylesheet from a CDN, which a worker (or the
browser of its user) without internet access cannot reach; the Swagger UI files on PyPI
(``swagger-ui-bundle``) are a release that cannot read OpenAPI 3.1, the version FastAPI writes.
So sluice ships one self-contained page (``sluice/rest/apidocs/index.html``, its script and styles
inline) that reads the worker's ``/openapi.json`` in the browser and shows every operation grouped
by resource, with its parameters, request body, responses and schemas, and a form that sends the
request and shows the answer and the same request as a ``curl`` command.

The page's Content-Security-Policy lets it load nothing and reach nothing beyond its own worker.
The route is left out of the OpenAPI document, like the console's: the document describes
Kafka Connect's API.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Final

from fastapi import APIRouter
from fastapi.responses import Response

from sluice.rest.errors import ConnectRoute

__all__ = ["DOCS_PATH", "docs_router"]

DOCS_PATH: Final = "/docs"

_HEADERS: Final[dict[str, str]] = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'self'"
    ),
}


def docs_router() -> APIRouter:
    """The route serving the API reference page (read on each request, like the console's)."""
    router = APIRouter(route_class=ConnectRoute, include_in_schema=False)

    @router.get(DOCS_PATH)
    def api_docs() -> Response:
        page = files("sluice.rest").joinpath("apidocs").joinpath("index.html").read_bytes()
        return Response(page, 200, dict(_HEADERS), media_type="text/html; charset=utf-8")

    return router
