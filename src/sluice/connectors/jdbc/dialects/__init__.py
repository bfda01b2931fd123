"""Per-database SQL and fast paths; :func:`create_dialect` picks one for a connection URL."""

from __future__ import annotations

from sluice.connectors.jdbc.dialects.base import Dialect
from sluice.connectors.jdbc.dialects.mysql import MySqlDialect
from sluice.connectors.jdbc.dialects.postgres import PostgresDialect
from sluice.connectors.jdbc.dialects.sqlite import SqliteDialect
from sluice.connectors.jdbc.urls import DatabaseKind, DatabaseUrl

__all__ = ["Dialect", "MySqlDialect", "PostgresDialect", "SqliteDialect", "create_dialect"]


def create_dialect(url: DatabaseUrl, quote_identifiers: bool = True) -> Dialect:
    """The dialect for ``url``'s database family."""
    if url.kind is DatabaseKind.POSTGRESQL:
        return PostgresDialect(quote_identifiers, url.database)
    if url.kind is DatabaseKind.MYSQL:
        return MySqlDialect(quote_identifiers, url.database)
    memory = url.database in (None, "", ":memory:")
    return SqliteDialect(quote_identifiers, None, memory=memory)
