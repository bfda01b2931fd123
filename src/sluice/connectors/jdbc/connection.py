"""Connections to the database: an engine per connector/task, retries on connect.

The engine (SQLAlchemy) owns pooling and reflection; data moves over plain driver connections
taken from it (``raw_connection``), because the fast paths (COPY, server-side cursors, multi-row
inserts) live in the drivers. Every new connection gets the dialect's session set-up (UTC session
time zone, JSON as text) before first use.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

import sqlalchemy
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from sluice.api import ConnectError
from sluice.connectors.jdbc.dialects import Dialect, create_dialect
from sluice.connectors.jdbc.urls import DatabaseUrl, parse_connection_url

__all__ = ["Database", "DatabaseConnectError"]

log = logging.getLogger(__name__)


class DatabaseConnectError(ConnectError):
    """The database could not be reached within ``connection.attempts``."""


class Database:
    """One connection URL: the dialect, the engine and connection attempts with back-off."""

    def __init__(
        self,
        url: str,
        user: str | None,
        password: str | None,
        quote_identifiers: bool = True,
        attempts: int = 3,
        backoff: float = 10.0,
        stopping: threading.Event | None = None,
    ) -> None:
        self.url: DatabaseUrl = parse_connection_url(url, user, password)
        self.dialect: Dialect = create_dialect(self.url, quote_identifiers)
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.stopping = stopping or threading.Event()
        options: dict[str, Any] = {"pool_pre_ping": True}
        options.update(self.dialect.engine_options())
        self.engine: Engine = sqlalchemy.create_engine(self.url.url, **options)
        dialect = self.dialect

        @event.listens_for(self.engine, "connect")
        def _prepare(dbapi_connection: Any, _record: Any) -> None:
            dialect.prepare_connection(dbapi_connection)

    def describe(self) -> str:
        return self.url.safe()

    def _retrying(self, what: str, action: Any) -> Any:
        last: Exception | None = None
        for attempt in range(1, self.attempts + 1):
            try:
                return action()
            except (SQLAlchemyError, OSError) as e:
                last = e
                log.warning(
                    "Unable to %s %s (attempt %d of %d): %s",
                    what,
                    self.describe(),
                    attempt,
                    self.attempts,
                    _short(e),
                )
                if attempt < self.attempts and self.stopping.wait(self.backoff):
                    break
        raise DatabaseConnectError(
            f"Could not connect to {self.describe()}: {_short(last)}"
        ) from last

    def raw_connection(self) -> Any:
        """A pooled driver connection (``.dbapi_connection`` is the driver's own object)."""
        return self._retrying("connect to", self.engine.raw_connection)

    @contextlib.contextmanager
    def metadata(self) -> Iterator[Connection]:
        """A short-lived SQLAlchemy connection for reflection and DDL-free metadata reads."""
        conn: Connection = self._retrying("connect to", self.engine.connect)
        try:
            yield conn
        finally:
            try:
                conn.rollback()
            finally:
                conn.close()

    def close(self) -> None:
        self.engine.dispose()


def _short(error: BaseException | None) -> str:
    if error is None:
        return "unknown error"
    orig = getattr(error, "orig", None)
    text = str(orig if orig is not None else error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__
