"""MongoDB source and sink connectors, configured as MongoDB's official Kafka connector is.

The source copies existing documents (``copy.existing`` / ``startup.mode=copy_existing``) and then
follows a change stream, writing to ``<database>.<collection>`` topics with resume tokens as
offsets. The sink writes records as documents with bulk writes, choosing ids and write models as
the official connector's strategies do, and applies MongoDB change-stream events from a source.

``ALIASES`` maps the class names configs use to where the classes live here.
"""

from typing import Final

__all__ = ["ALIASES", "PLUGINS"]

ALIASES: Final[dict[str, str]] = {
    "com.mongodb.kafka.connect.MongoSourceConnector": (
        "sluice.connectors.mongodb.source_connector:MongoSourceConnector"
    ),
    "com.mongodb.kafka.connect.MongoSinkConnector": (
        "sluice.connectors.mongodb.sink_connector:MongoSinkConnector"
    ),
    "sluice.connectors.mongodb.MongoSourceConnector": (
        "sluice.connectors.mongodb.source_connector:MongoSourceConnector"
    ),
    "sluice.connectors.mongodb.MongoSinkConnector": (
        "sluice.connectors.mongodb.sink_connector:MongoSinkConnector"
    ),
}
"""Class names (MongoDB's and sluice's own) to ``module:Class``; the registry derives the short
aliases (``MongoSourceConnector``, ``MongoSource``) from them."""

PLUGINS: Final[dict[str, dict[str, str]]] = {"connector": ALIASES}
"""The family's plugins by kind, as the ``sluice.plugins`` entry point hands them to the
registry."""
