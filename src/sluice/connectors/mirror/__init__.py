"""MirrorMaker 2's connectors: replicate topics, heartbeats and consumer-group offsets between
Kafka clusters, configured as Kafka's ``connect-mirror`` connectors are.

``MirrorSourceConnector`` copies topics (``A.orders`` on the target for ``orders`` on cluster
``A``) partition for partition with their configs and writes offset syncs;
``MirrorHeartbeatConnector`` writes ``heartbeats``; ``MirrorCheckpointConnector`` translates
consumer-group offsets. Record formats and topic names are Kafka's, so either end can be Java.

``ALIASES`` maps the class names configs use to where the classes live here.
"""

from typing import Final

__all__ = ["ALIASES", "PLUGINS"]

ALIASES: Final[dict[str, str]] = {
    "org.apache.kafka.connect.mirror.MirrorSourceConnector": (
        "sluice.connectors.mirror.source_connector:MirrorSourceConnector"
    ),
    "org.apache.kafka.connect.mirror.MirrorHeartbeatConnector": (
        "sluice.connectors.mirror.heartbeat_connector:MirrorHeartbeatConnector"
    ),
    "org.apache.kafka.connect.mirror.MirrorCheckpointConnector": (
        "sluice.connectors.mirror.checkpoint_connector:MirrorCheckpointConnector"
    ),
}
"""Kafka's class names to ``module:Class``; the registry derives the short aliases
(``MirrorSourceConnector``, ``MirrorSource``) from them."""

PLUGINS: Final[dict[str, dict[str, str]]] = {"connector": ALIASES}
"""The family's plugins by kind, as the ``sluice.plugins`` entry point hands them to the
registry."""
