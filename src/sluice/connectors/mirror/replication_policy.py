"""Replication policies: how remote topics are named and where a topic came from.

Kafka's ``DefaultReplicationPolicy`` names the copy of ``orders`` from cluster ``A``
``A.orders`` (``<alias><separator><topic>``), so a topic's history is readable from its name and
cycles can be detected. ``IdentityReplicationPolicy`` keeps names unchanged (except for heartbeats),
which is only safe for one-way flows: it cannot tell a copied topic from an original.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from sluice.api import ConfigError

__all__ = [
    "DEFAULT_POLICY",
    "IDENTITY_POLICY",
    "DefaultReplicationPolicy",
    "IdentityReplicationPolicy",
    "ReplicationPolicy",
    "replication_policy",
]

SEPARATOR_CONFIG: Final = "replication.policy.separator"
SEPARATOR_DEFAULT: Final = "."
INTERNAL_TOPIC_SEPARATOR_ENABLED_CONFIG: Final = (
    "replication.policy.internal.topic.separator.enabled"
)
HEARTBEATS_TOPIC: Final = "heartbeats"

DEFAULT_POLICY: Final = "org.apache.kafka.connect.mirror.DefaultReplicationPolicy"
IDENTITY_POLICY: Final = "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"


def _java_split(text: str, separator: str) -> list[str]:
    """``String.split`` on a literal separator: trailing empty strings are dropped."""
    parts = text.split(separator)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


class ReplicationPolicy:
    """Kafka's ``ReplicationPolicy`` interface with its default methods."""

    def format_remote_topic(self, source_cluster_alias: str, topic: str) -> str:
        raise NotImplementedError

    def topic_source(self, topic: str) -> str | None:
        """The alias of the cluster ``topic`` was copied from, ``None`` for a local topic."""
        raise NotImplementedError

    def upstream_topic(self, topic: str) -> str | None:
        """The name ``topic`` has on its source cluster, ``None`` for a local topic."""
        raise NotImplementedError

    def original_topic(self, topic: str) -> str:
        """The name at the very first cluster, following ``upstream_topic`` all the way."""
        while True:
            upstream = self.upstream_topic(topic)
            if upstream is None or upstream == topic:
                return topic
            topic = upstream

    def heartbeats_topic(self) -> str:
        return HEARTBEATS_TOPIC

    def offset_syncs_topic(self, cluster_alias: str) -> str:
        return f"mm2-offset-syncs.{cluster_alias}.internal"

    def checkpoints_topic(self, cluster_alias: str) -> str:
        return f"{cluster_alias}.checkpoints.internal"

    def is_heartbeats_topic(self, topic: str) -> bool:
        return self.heartbeats_topic() == self.original_topic(topic)

    def is_checkpoints_topic(self, topic: str) -> bool:
        return topic.endswith(".checkpoints.internal")

    def is_mm2_internal_topic(self, topic: str) -> bool:
        return topic.endswith(".internal")

    def is_internal_topic(self, topic: str) -> bool:
        """MM2's own topics, Kafka's (``__consumer_offsets``, ``.``-prefixed) and Connect's."""
        kafka_internal = topic.startswith(("__", "."))
        connect_internal = topic.endswith(("-internal", ".internal"))
        return self.is_mm2_internal_topic(topic) or kafka_internal or connect_internal


class DefaultReplicationPolicy(ReplicationPolicy):
    """``<source alias><separator><topic>``; internal topics use the separator too unless
    ``replication.policy.internal.topic.separator.enabled=false``."""

    def __init__(self, separator: str = SEPARATOR_DEFAULT, internal_separator: bool = True) -> None:
        if not separator:
            raise ConfigError.invalid(SEPARATOR_CONFIG, separator, "must not be empty")
        self.separator = separator
        self._internal = separator if internal_separator else "."

    def format_remote_topic(self, source_cluster_alias: str, topic: str) -> str:
        return source_cluster_alias + self.separator + topic

    def topic_source(self, topic: str) -> str | None:
        parts = _java_split(topic, self.separator)
        return parts[0] if len(parts) >= 2 else None

    def upstream_topic(self, topic: str) -> str | None:
        source = self.topic_source(topic)
        return None if source is None else topic[len(source) + len(self.separator) :]

    def _internal_suffix(self) -> str:
        return self._internal + "internal"

    def _checkpoints_suffix(self) -> str:
        return self._internal + "checkpoints" + self._internal_suffix()

    def offset_syncs_topic(self, cluster_alias: str) -> str:
        return "mm2-offset-syncs" + self._internal + cluster_alias + self._internal_suffix()

    def checkpoints_topic(self, cluster_alias: str) -> str:
        return cluster_alias + self._checkpoints_suffix()

    def is_checkpoints_topic(self, topic: str) -> bool:
        return topic.endswith(self._checkpoints_suffix())

    def is_mm2_internal_topic(self, topic: str) -> bool:
        return topic.endswith(self._internal_suffix())


class IdentityReplicationPolicy(DefaultReplicationPolicy):
    """Remote topics keep their names; only heartbeats are prefixed (``A.heartbeats``).

    ``topic_source`` of any other topic is the configured source alias, so cycles are not
    detectable from names: two flows in opposite directions would copy records back and forth.
    """

    def __init__(
        self,
        source_cluster_alias: str | None,
        separator: str = SEPARATOR_DEFAULT,
        internal_separator: bool = True,
    ) -> None:
        super().__init__(separator, internal_separator)
        self.source_cluster_alias = source_cluster_alias

    def _looks_like_heartbeat(self, topic: str) -> bool:
        return topic.endswith(self.heartbeats_topic())

    def format_remote_topic(self, source_cluster_alias: str, topic: str) -> str:
        if self._looks_like_heartbeat(topic):
            return super().format_remote_topic(source_cluster_alias, topic)
        return topic

    def topic_source(self, topic: str) -> str | None:
        if self._looks_like_heartbeat(topic):
            return super().topic_source(topic)
        return self.source_cluster_alias

    def upstream_topic(self, topic: str) -> str | None:
        if self._looks_like_heartbeat(topic):
            return super().upstream_topic(topic)
        return topic


def replication_policy(
    props: Mapping[str, str], class_key: str = "replication.policy.class"
) -> ReplicationPolicy:
    """The policy ``props`` names (Kafka's class name or the short one), configured from them."""
    name = props.get(class_key, DEFAULT_POLICY).strip()
    separator = props.get(SEPARATOR_CONFIG, SEPARATOR_DEFAULT)
    internal = props.get(INTERNAL_TOPIC_SEPARATOR_ENABLED_CONFIG, "true").strip().lower() != "false"
    short = name.rsplit(".", 1)[-1]
    if short == "DefaultReplicationPolicy":
        return DefaultReplicationPolicy(separator, internal)
    if short == "IdentityReplicationPolicy":
        return IdentityReplicationPolicy(props.get("source.cluster.alias"), separator, internal)
    raise ConfigError.invalid(
        class_key,
        name,
        f"unknown replication policy; use {DEFAULT_POLICY} or {IDENTITY_POLICY}",
    )
