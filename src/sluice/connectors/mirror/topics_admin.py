"""The admin work MirrorMaker's connectors do on a cluster, over confluent-kafka's AdminClient."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._config import (
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ConfigSource,
)
from confluent_kafka.cimpl import NewPartitions, NewTopic

from sluice.api import ConnectError

__all__ = ["ClusterAdmin"]

log = logging.getLogger(__name__)

TIMEOUT = 30.0


class ClusterAdmin:
    """One cluster's admin client: topics, partition counts, topic configs."""

    def __init__(self, alias: str, conf: Mapping[str, str]) -> None:
        self.alias = alias
        self._admin = AdminClient(dict(conf))

    def partition_counts(self) -> dict[str, int]:
        """Every topic of the cluster with its partition count."""
        try:
            md = self._admin.list_topics(timeout=TIMEOUT)
        except KafkaException as e:
            raise ConnectError(f"Cluster '{self.alias}' cannot be reached: {e}") from e
        return {name: len(t.partitions) for name, t in md.topics.items() if t.error is None}

    def topic_configs(
        self, topics: Iterable[str], keep: Callable[[str], bool]
    ) -> dict[str, dict[str, str]]:
        """Each topic's configs set on the topic itself (not defaults), filtered by ``keep``."""
        resources = [ConfigResource(ConfigResource.Type.TOPIC, t) for t in topics]
        if not resources:
            return {}
        result: dict[str, dict[str, str]] = {}
        for res, future in self._admin.describe_configs(resources).items():
            try:
                entries: dict[str, ConfigEntry] = future.result(timeout=TIMEOUT)
            except KafkaException as e:
                log.warning("Cannot read the configs of %s on '%s': %s", res.name, self.alias, e)
                continue
            result[res.name] = {
                name: e.value
                for name, e in entries.items()
                if e.source == ConfigSource.DYNAMIC_TOPIC_CONFIG
                and not e.is_sensitive
                and e.value is not None
                and keep(name)
            }
        return result

    def create_topics(self, topics: Iterable[NewTopic]) -> None:
        """Create ``topics``; ones that exist already are left alone."""
        todo = list(topics)
        if not todo:
            return
        for name, future in self._admin.create_topics(todo, request_timeout=TIMEOUT).items():
            try:
                future.result(timeout=TIMEOUT)
                log.info("Created topic %s on cluster '%s'", name, self.alias)
            except KafkaException as e:
                if e.args[0].name() != "TOPIC_ALREADY_EXISTS":
                    raise ConnectError(
                        f"Cannot create topic {name} on cluster '{self.alias}': {e}"
                    ) from e

    def create_compacted_topic(self, name: str, replication_factor: int) -> None:
        """A single-partition compacted topic, as MirrorMaker's internal topics are."""
        self.create_topics(
            [NewTopic(name, 1, replication_factor, config={"cleanup.policy": "compact"})]
        )

    def add_partitions(self, counts: Mapping[str, int]) -> None:
        if not counts:
            return
        parts = [NewPartitions(t, n) for t, n in counts.items()]
        for name, future in self._admin.create_partitions(parts, request_timeout=TIMEOUT).items():
            try:
                future.result(timeout=TIMEOUT)
                log.info(
                    "Grew topic %s on cluster '%s' to %d partitions", name, self.alias, counts[name]
                )
            except KafkaException as e:
                log.warning("Cannot add partitions to %s on '%s': %s", name, self.alias, e)

    def set_topic_configs(self, configs: Mapping[str, Mapping[str, str]]) -> None:
        """Set each topic's given configs (incrementally: others are left as they are)."""
        resources = [
            ConfigResource(
                ConfigResource.Type.TOPIC,
                topic,
                incremental_configs=[
                    ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET)
                    for k, v in values.items()
                ],
            )
            for topic, values in configs.items()
            if values
        ]
        if not resources:
            return
        for res, future in self._admin.incremental_alter_configs(resources).items():
            try:
                future.result(timeout=TIMEOUT)
            except KafkaException as e:
                log.warning("Cannot sync configs of %s on '%s': %s", res.name, self.alias, e)
