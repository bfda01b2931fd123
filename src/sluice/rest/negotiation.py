"""Media types and methods as Jersey serves Kafka Connect's resources.

Kafka Connect's resources declare ``@Consumes`` and ``@Produces`` ``application/json``, and Jersey
answers around them before any resource code runs:

* a request with a ``Content-Type`` that is not JSON, or with a body but no ``Content-Type``,
  is refused with 415 (``/`` and ``/health`` take any); a ``Content-Type`` that is not a media
  type at all is a 400;
* a request whose ``Accept`` admits no JSON (``text/plain``, ``text/html``) is refused with 406;
* ``HEAD`` is served wherever ``GET`` is, without the body;
* ``OPTIONS`` answers 200 with the path's methods in ``Allow`` (and as a ``text/plain`` body).

These rules cover only Kafka Connect's own paths. sluice's additions (``/metrics`` in
Prometheus' text format, ``/metrics/summary``, the console under ``/ui``, ``/openapi.json``,
``/docs``) serve what browsers and scrapers ask for, and get ``HEAD`` and ``OPTIONS`` alike.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Final

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sluice.rest.entities import error_message
from sluice.rest.errors import allowed_methods, http_reason

__all__ = ["ContentNegotiation", "accepts_json", "is_json_media_type", "jersey_media_types"]

_JSON_RESOURCES: Final = ("/connectors", "/connector-plugins", "/admin")
"""Prefixes of Kafka Connect's resources that both consume and produce JSON."""
_PRODUCES_ONLY: Final = frozenset({"/", "/health"})
"""Kafka Connect's resources that produce JSON and declare no ``@Consumes``."""


def jersey_media_types(template: str) -> tuple[bool, bool]:
    """``(consumes JSON, produces JSON)`` for a route template, as Kafka Connect's resource
    declares them; ``(False, False)`` for sluice's own routes."""
    if template in _PRODUCES_ONLY:
        return (False, True)
    if template.startswith(_JSON_RESOURCES):
        return (True, True)
    return (False, False)


def _media_range(text: str) -> tuple[str, str] | None:
    """``("application", "json")`` for ``application/json; charset=utf-8``; ``None`` when the
    text is not a media type."""
    media = text.split(";", 1)[0].strip().lower()
    if media == "*":
        return ("*", "*")
    kind, slash, subtype = media.partition("/")
    if not slash or not kind or not subtype:
        return None
    return (kind, subtype)


def is_json_media_type(kind: str, subtype: str) -> bool:
    """Whether a media type is compatible with ``application/json`` (wildcards included)."""
    return kind in ("application", "*") and subtype in ("json", "*")


def accepts_json(accept: str | None) -> bool:
    """Whether an ``Accept`` header admits ``application/json``: no header does, and so do
    ``*/*`` and ``application/*`` (Jersey ignores a ``q=0`` here, and so does this)."""
    if accept is None or not accept.strip():
        return True
    for part in accept.split(","):
        media = _media_range(part)
        if media is not None and is_json_media_type(*media):
            return True
    return False


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _has_body(headers: dict[str, str]) -> bool:
    length = headers.get("content-length", "").strip()
    return "transfer-encoding" in headers or (length not in ("", "0"))


class ContentNegotiation:
    """ASGI middleware applying Jersey's ``Content-Type``/``Accept`` checks, ``HEAD`` and
    ``OPTIONS`` in front of the routes (see the module documentation)."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes
        """The application's routes, read at each request (routes added later count)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        templates, methods = self._match(scope)
        if not templates:
            await self.app(scope, receive, send)  # unknown path: the router's 404
            return
        method = scope["method"].upper()
        headers = _headers(scope)
        if method == "OPTIONS":
            await self._options(allowed_methods(methods), headers, send)
            return
        served = "GET" if method == "HEAD" else method
        if served in methods:
            kinds = [jersey_media_types(t) for t in templates]
            consumes = any(c for c, _ in kinds)
            produces = any(p for _, p in kinds)
            status = self._refusal(consumes, produces, headers)
            if status is not None:
                await _error(status, send, body=method != "HEAD")
                return
        if method == "HEAD" and "GET" in methods:
            await self.app({**scope, "method": "GET"}, receive, _without_body(send))
            return
        await self.app(scope, receive, send)

    def _match(self, scope: Scope) -> tuple[list[str], set[str]]:
        """The route templates matching the path, and every method they serve."""
        templates: list[str] = []
        methods: set[str] = set()
        probe = {**scope, "method": "GET"}
        for route in self.routes:
            match, _ = route.matches(probe)
            route_methods = getattr(route, "methods", None)
            if match is Match.NONE or not route_methods:
                continue
            templates.append(str(getattr(route, "path", "")))
            methods.update(m.upper() for m in route_methods)
        return templates, methods

    @staticmethod
    def _refusal(consumes: bool, produces: bool, headers: dict[str, str]) -> int | None:
        """415, 400 or 406 as Jersey would answer, or ``None`` when the request may pass."""
        if consumes:
            content_type = headers.get("content-type")
            if content_type is not None and content_type.strip():
                media = _media_range(content_type)
                if media is None:
                    return 400
                if not is_json_media_type(*media):
                    return 415
            elif _has_body(headers):
                return 415
        if produces and not accepts_json(headers.get("accept")):
            return 406
        return None

    @staticmethod
    async def _options(allow: list[str], headers: dict[str, str], send: Send) -> None:
        """Jersey's default ``OPTIONS`` answer: the methods, in ``Allow`` and as plain text."""
        accept = headers.get("accept")
        plain = accept is None or any(
            media is not None and media[0] in ("text", "*") and media[1] in ("plain", "*")
            for media in (_media_range(p) for p in accept.split(","))
        )
        body = ", ".join(allow).encode() if plain else b""
        response_headers = [(b"allow", ", ".join(allow).encode())]
        if plain:
            response_headers.append((b"content-type", b"text/plain"))
        response_headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": response_headers})
        await send({"type": "http.response.body", "body": body})


async def _error(status: int, send: Send, body: bool = True) -> None:
    """A Kafka Connect error body: ``{"error_code": 406, "message": "HTTP 406 Not Acceptable"}``."""
    content = json.dumps(error_message(status, http_reason(status)), separators=(",", ":"))
    payload = content.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload if body else b""})


def _without_body(send: Send) -> Send:
    """A ``send`` that keeps the status and headers of a ``GET`` answer and drops its body."""

    async def send_head(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b""}
        await send(message)

    return send_head
