"""Topic creation for source connectors (KIP-158): ``topic.creation.*`` groups.

When the worker allows it (``topic.creation.enable``, default true) and a source connector sets
``topic.creation.*`` keys, each topic the connector writes to is created before its first
record, with the settings of the first group (in ``topic.creation.groups`` order) whose
``include`` regexes match it fully and whose ``exclude`` regexes do not, else of the ``default``
group. The keys are defined and parsed in :mod:`sluice.runtime.topic_creation_config`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from sluice.kafka.client_logs import new_admin
from sluice.runtime.topic_creation_config import (
    DEFAULT_GROUP,
    TopicCreationGroup,
    parse_groups,
    uses_topic_creation,
)

__all__ = ["TopicCreation", "TopicCreationGroup"]

log = logging.getLogger(__name__)


class TopicCreation:
    """The groups of one connector and the topics already known to exist."""

    def __init__(self, groups: list[TopicCreationGroup], admin_config: dict[str, Any]) -> None:
        self.groups = groups
        self.admin_config = admin_config
        self._known: set[str] = set()
        self._admin: AdminClient | None = None

    @classmethod
    def from_config(
        cls, config: Mapping[str, str], worker_enabled: bool, admin_config: dict[str, Any]
    ) -> TopicCreation | None:
        """``None`` when the connector does not use topic creation (or the worker forbids it)."""
        if not worker_enabled or not uses_topic_creation(config):
            return None
        return cls(parse_groups(config), admin_config)

    def group_for(self, topic: str) -> TopicCreationGroup:
        """Kafka's ``TopicCreation.findFirstGroup``: the first listed group that matches, else
        the default group (whatever its own include and exclude say)."""
        others = (g for g in self.groups if g.name != DEFAULT_GROUP and g.matches(topic))
        return next(others, None) or next(g for g in self.groups if g.name == DEFAULT_GROUP)

    def ensure(self, topic: str) -> None:
        """Create ``topic`` with its group's settings unless it exists already."""
        if topic in self._known:
            return
        if self._admin is None:
            self._admin = new_admin(self.admin_config)
        # Ask for all topics: a metadata request naming the topic would make a broker with
        # auto.create.topics.enable create it with its defaults before we could.
        meta = self._admin.list_topics(timeout=30).topics.get(topic)
        if meta is not None and meta.error is None:
            self._known.add(topic)
            return
        group = self.group_for(topic)
        new = NewTopic(topic, group.partitions, group.replication_factor, config=group.configs)
        futures = self._admin.create_topics([new], operation_timeout=30)
        try:
            futures[topic].result(timeout=60)
            log.info(
                "Created topic %s with %s partitions, replication factor %s (group %s)",
                topic,
                group.partitions,
                group.replication_factor,
                group.name,
            )
        except KafkaException as e:
            err = e.args[0] if e.args else None
            if not (isinstance(err, KafkaError) and err.code() == KafkaError.TOPIC_ALREADY_EXISTS):
                raise
        self._known.add(topic)
