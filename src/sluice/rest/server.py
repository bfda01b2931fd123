"""Serves the REST app with uvicorn on a thread of its own, on Kafka Connect's ``listeners``.

The sockets are bound before the app exists (:meth:`RestServer.bind`), because the worker id
Kafka Connect reports is the advertised ``host:port`` of the REST server, and the herder needs it
before the app can be built around the herder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import uvicorn

from sluice.api import ConfigError
from sluice.rest.security import RestTls

__all__ = ["Listener", "RestServer", "parse_listener"]

log = logging.getLogger(__name__)

START_TIMEOUT: Final = 30.0
STOP_TIMEOUT: Final = 30.0


class _UvicornLogName(logging.Filter):
    """uvicorn writes all its server lines ("Started server process", "Shutting down", an error
    in a request) to a logger named ``uvicorn.error``, so a worker's log showed routine start-up
    lines tagged ``(uvicorn.error)``. They are the HTTP server's own lines: they are shown as
    ``(uvicorn)``. The logger keeps its name, so ``/admin/loggers/uvicorn`` still sets its level.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.error":
            record.name = "uvicorn"
        return True


def _name_uvicorn_lines() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _UvicornLogName) for f in logger.filters):
        logger.addFilter(_UvicornLogName())


@dataclass(frozen=True)
class Listener:
    """One ``listeners`` entry: ``http://host:port``; an empty host means every interface."""

    scheme: str
    host: str
    port: int


def parse_listener(value: str) -> Listener:
    """``HTTP://:8083``, ``https://127.0.0.1:0``..."""
    text = value.strip()
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"Invalid value {value} for configuration listeners: expected a URL such as "
            "http://:8083",
            "listeners",
            value,
        )
    host, _, port_text = parts.netloc.rpartition(":")
    try:
        port = int(port_text)
    except ValueError:
        raise ConfigError(
            f"Invalid value {value} for configuration listeners: no port number",
            "listeners",
            value,
        ) from None
    if not 0 <= port <= 65535:
        raise ConfigError(
            f"Invalid value {value} for configuration listeners: port out of range",
            "listeners",
            value,
        )
    return Listener(scheme, host.strip("[]"), port)


class RestServer:
    """Binds the listeners, then serves an ASGI app until :meth:`stop`.

    ``advertised_host``/``advertised_port``/``advertised_listener`` are Kafka's
    ``rest.advertised.host.name``, ``rest.advertised.port`` and ``rest.advertised.listener``; by
    default the first listener's bound address is advertised. ``tls`` serves the ``https://``
    listeners (:func:`sluice.rest.security.rest_tls`); plain and TLS listeners get a uvicorn
    server each, on one event loop.
    """

    def __init__(
        self,
        app: Any,
        listeners: Sequence[str],
        advertised_host: str | None = None,
        advertised_port: int | None = None,
        tls: RestTls | None = None,
        advertised_listener: str | None = None,
    ) -> None:
        if not listeners:
            raise ConfigError("No REST listeners are configured", "listeners", "")
        self.app = app
        self.listeners = [parse_listener(value) for value in listeners]
        if tls is None and any(listener.scheme == "https" for listener in self.listeners):
            raise ConfigError(
                "https:// listeners need a key store: set listeners.https.ssl.keystore.location "
                "(or ssl.keystore.location) and its password",
                "listeners",
                ",".join(listeners),
            )
        self.tls = tls
        self.advertised_host = advertised_host
        self.advertised_port = advertised_port
        wanted = (advertised_listener or "").strip().lower()
        self._advertised_index = next(
            (i for i, listener in enumerate(self.listeners) if listener.scheme == wanted), 0
        )
        self._sockets: list[socket.socket] = []
        self._bound: list[tuple[str, int]] = []
        self._servers: list[uvicorn.Server] = []
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    # -- binding ------------------------------------------------------------------------------
    def bind(self) -> None:
        """Bind every listener now (idempotent), so :attr:`url` is known before serving."""
        if self._bound:
            return
        try:
            for listener in self.listeners:
                self._sockets.append(self._bind(listener))
        except OSError:
            self._close_sockets()
            raise
        self._bound = [sock.getsockname()[:2] for sock in self._sockets]

    @staticmethod
    def _bind(listener: Listener) -> socket.socket:
        host = listener.host or "0.0.0.0"
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, listener.port))
            sock.listen(128)
            sock.set_inheritable(True)
        except OSError as e:
            sock.close()
            raise OSError(
                e.errno, f"Cannot bind REST listener {host}:{listener.port}: {e.strerror}"
            ) from e
        return sock

    def _close_sockets(self) -> None:
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()
        self._sockets = []

    @property
    def bound_addresses(self) -> list[tuple[str, int]]:
        """``(host, port)`` of each listener; binds them if that has not happened yet."""
        self.bind()
        return list(self._bound)

    @property
    def advertised_address(self) -> tuple[str, int]:
        """The ``(host, port)`` others reach this worker at; its ``host:port`` is the worker id."""
        host, port = self.bound_addresses[self._advertised_index]
        if self.listeners[self._advertised_index].host:
            host = self.listeners[self._advertised_index].host
        elif host in ("0.0.0.0", "::"):
            host = _local_address()
        return (
            self.advertised_host or host,
            self.advertised_port if self.advertised_port is not None else port,
        )

    @property
    def worker_id(self) -> str:
        host, port = self.advertised_address
        return f"{host}:{port}"

    @property
    def url(self) -> str:
        """The advertised base URL, with a trailing slash: ``http://127.0.0.1:8083/``."""
        host, port = self.advertised_address
        if ":" in host:
            host = f"[{host}]"
        return f"{self.listeners[self._advertised_index].scheme}://{host}:{port}/"

    # -- serving ------------------------------------------------------------------------------
    def start(self, app: Any = None) -> None:
        """Serve ``app`` (or the one given at construction) and return once requests are served."""
        if app is not None:
            self.app = app
        if self.app is None:
            raise RuntimeError("RestServer.start needs an ASGI app")
        if self._thread is not None:
            raise RuntimeError("RestServer already started")
        if self._bound and not self._sockets:
            raise RuntimeError("A stopped RestServer cannot be started again")
        self.bind()
        _name_uvicorn_lines()
        groups: list[tuple[uvicorn.Server, list[socket.socket]]] = []
        for scheme in ("http", "https"):
            sockets = [
                sock
                for sock, listener in zip(self._sockets, self.listeners, strict=True)
                if listener.scheme == scheme
            ]
            if not sockets:
                continue
            tls = self.tls.uvicorn_options() if scheme == "https" and self.tls else {}
            config = uvicorn.Config(
                self.app,
                log_config=None,
                access_log=False,
                lifespan="off",
                timeout_graceful_shutdown=5,
                **tls,
            )
            groups.append((uvicorn.Server(config), sockets))
        self._servers = [server for server, _ in groups]
        self._thread = threading.Thread(target=self._run, args=(groups,), name="rest-server")
        self._thread.daemon = True
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not all(server.started for server in self._servers):
            if self._failure is not None or not self._thread.is_alive():
                raise RuntimeError(f"REST server failed to start: {self._failure}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"REST server did not start within {START_TIMEOUT:.0f}s")
            time.sleep(0.01)
        log.info("REST server listening at %s (worker id %s)", self.url, self.worker_id)

    def _run(self, groups: list[tuple[uvicorn.Server, list[socket.socket]]]) -> None:
        async def serve() -> None:
            await asyncio.gather(*(server.serve(sockets=sockets) for server, sockets in groups))
            # Connections still open after the graceful period (an idle keep-alive client that
            # never answers a TLS close_notify) are aborted here, while the loop still runs:
            # otherwise their sockets outlive it, unclosed.
            for server, _ in groups:
                for connection in list(server.server_state.connections):
                    transport = getattr(connection, "transport", None)
                    if transport is not None:
                        transport.abort()
            await asyncio.sleep(0)

        try:
            asyncio.run(serve())
        except BaseException as e:  # reported to start() or logged; never kills the process
            self._failure = e
            log.error("REST server stopped with an error", exc_info=e)

    def stop(self) -> None:
        """Stop serving and release the sockets; in-flight requests get a few seconds."""
        servers, thread = self._servers, self._thread
        for server in servers:
            server.should_exit = True
        if thread is not None:
            thread.join(STOP_TIMEOUT)
            if thread.is_alive():
                log.warning("REST server thread did not stop within %.0fs", STOP_TIMEOUT)
        self._servers = []
        self._thread = None
        self._close_sockets()


def _local_address() -> str:
    """This host's address, for a listener bound to every interface."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent; this only picks a route
            address: str = s.getsockname()[0]
            return address
    except OSError:
        return socket.gethostname()
