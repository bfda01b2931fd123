"""JDBC source and sink connectors: Confluent's configs, on PostgreSQL, MySQL/MariaDB and SQLite.

The source copies tables (or a custom query) into topics in ``bulk``, ``incrementing``,
``timestamp`` or ``timestamp+incrementing`` mode, streaming rows through server-side cursors and
storing offsets in the Confluent connector's shapes. The sink writes topics into tables with
``insert``, each database's own ``upsert``, or ``update``, creating and widening tables on demand,
deleting on tombstones, in one transaction per batch (``COPY`` on PostgreSQL). Connection URLs may
be JDBC URLs as written for the Confluent connector, or SQLAlchemy URLs.

``ALIASES`` maps the class names configs use to where the classes live here.
"""

from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from sluice.connectors.jdbc.sink_connector import JdbcSinkConnector
    from sluice.connectors.jdbc.sink_task import JdbcSinkTask
    from sluice.connectors.jdbc.source_connector import JdbcSourceConnector
    from sluice.connectors.jdbc.source_task import JdbcSourceTask

__all__ = [
    "ALIASES",
    "PLUGINS",
    "JdbcSinkConnector",
    "JdbcSinkTask",
    "JdbcSourceConnector",
    "JdbcSourceTask",
]

_LAZY: Final = {
    "JdbcSinkConnector": "sluice.connectors.jdbc.sink_connector",
    "JdbcSinkTask": "sluice.connectors.jdbc.sink_task",
    "JdbcSourceConnector": "sluice.connectors.jdbc.source_connector",
    "JdbcSourceTask": "sluice.connectors.jdbc.source_task",
}


def __getattr__(name: str) -> Any:
    """The classes load on first use: reading ``ALIASES`` must not import the drivers."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


ALIASES: Final[dict[str, str]] = {
    "io.confluent.connect.jdbc.JdbcSourceConnector": (
        "sluice.connectors.jdbc.source_connector:JdbcSourceConnector"
    ),
    "io.confluent.connect.jdbc.JdbcSinkConnector": (
        "sluice.connectors.jdbc.sink_connector:JdbcSinkConnector"
    ),
    "sluice.connectors.jdbc.JdbcSourceConnector": (
        "sluice.connectors.jdbc.source_connector:JdbcSourceConnector"
    ),
    "sluice.connectors.jdbc.JdbcSinkConnector": (
        "sluice.connectors.jdbc.sink_connector:JdbcSinkConnector"
    ),
}
"""Class names (Confluent's and sluice's own) to ``module:Class``; the registry derives the
short aliases (``JdbcSourceConnector``, ``JdbcSource``) from them."""

PLUGINS: Final[dict[str, dict[str, str]]] = {"connector": ALIASES}
"""The family's plugins by kind, as the ``sluice.plugins`` entry point hands them to the
registry."""
