"""Debezium-compatible change data capture connectors.

``io.debezium.connector.postgresql.PostgresConnector`` reads PostgreSQL's logical replication
stream (``pgoutput``) through a replication slot and a publication, after an optional snapshot,
and writes Debezium's change events (topics, keys, envelopes, schema names, offsets) so that
consumers of Debezium move over unchanged.

``ALIASES`` maps the class names configs use to where the classes live; reading it imports no
database driver.
"""

from typing import Final

__all__ = ["ALIASES", "PLUGINS"]

ALIASES: Final[dict[str, str]] = {
    "io.debezium.connector.postgresql.PostgresConnector": (
        "sluice.connectors.debezium.postgres_connector:PostgresConnector"
    ),
    "sluice.connectors.debezium.PostgresConnector": (
        "sluice.connectors.debezium.postgres_connector:PostgresConnector"
    ),
}
"""Class names (Debezium's and sluice's own) to ``module:Class``; the registry derives the short
aliases (``PostgresConnector``, ``Postgres``) from them."""

PLUGINS: Final[dict[str, dict[str, str]]] = {"connector": ALIASES}
"""The family's plugins by kind, as the ``sluice.plugins`` entry point hands them to the
registry."""
