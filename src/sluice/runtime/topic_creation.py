"""Topic creation for source connectors (KIP-158): ``topic.creation.*`` groups.

When the worker allows it (``topic.creation.enable``, default true) and a source connector sets
``topic.creation.*`` keys, each topic the connector writes to is created before its first
record, with the settings of the first group (in ``topic.creation.groups`` order, ``default``
last) whose ``include`` regexes match it fully and whose ``exclude`` regexes do not.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from sluice.api import ConfigError
from sluice.kafka.client_logs import new_admin

__all__ = ["TopicCreation", "TopicCreationGroup"]

log = logging.getLogger(__name__)

PREFIX: Final = "topic.creation."
_GROUP_KEYS: Final = frozenset({"include", "exclude", "replication.factor", "partitions"})


def _regexes(key: str, value: str | None) -> list[re.Pattern[str]]:
    out = []
    for part in (value or "").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            out.append(re.compile(part))
        except re.error as e:
            raise ConfigError.invalid(key, part, f"not a valid regular expression: {e}") from e
    return out


def _count(key: str, value: str | None, fallback: int | None) -> int:
    if value is None or value.strip() == "":
        if fallback is None:
            raise ConfigError(
                f'Missing required configuration "{key}" which has no default value.', key
            )
        return fallback
    try:
        n = int(value.strip())
    except ValueError:
        raise ConfigError.invalid(key, value, "Not a number of type INT") from None
    if n == 0 or n < -1:
        raise ConfigError.invalid(
            key, value, "Value must be -1 (the broker's default) or a positive number"
        )
    return n


@dataclass
class TopicCreationGroup:
    name: str
    include: list[re.Pattern[str]]
    exclude: list[re.Pattern[str]]
    partitions: int
    replication_factor: int
    configs: dict[str, str] = field(default_factory=dict)

    def matches(self, topic: str) -> bool:
        if any(p.fullmatch(topic) for p in self.exclude):
            return False
        return any(p.fullmatch(topic) for p in self.include)


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
        if not worker_enabled or not any(k.startswith(PREFIX) for k in config):
            return None
        default_rf = _count(
            PREFIX + "default.replication.factor",
            config.get(PREFIX + "default.replication.factor"),
            None,
        )
        default_parts = _count(
            PREFIX + "default.partitions", config.get(PREFIX + "default.partitions"), None
        )
        names = [g.strip() for g in config.get(PREFIX + "groups", "").split(",") if g.strip()]
        groups: list[TopicCreationGroup] = []
        for name in [*[n for n in names if n != "default"], "default"]:
            p = f"{PREFIX}{name}."
            extra = {
                k[len(p) :]: v
                for k, v in config.items()
                if k.startswith(p) and k[len(p) :] not in _GROUP_KEYS and k != PREFIX + "groups"
            }
            include = _regexes(p + "include", config.get(p + "include"))
            if name == "default":
                include = [re.compile(".*")]
            groups.append(
                TopicCreationGroup(
                    name,
                    include,
                    _regexes(p + "exclude", config.get(p + "exclude")),
                    _count(p + "partitions", config.get(p + "partitions"), default_parts),
                    _count(
                        p + "replication.factor", config.get(p + "replication.factor"), default_rf
                    ),
                    extra,
                )
            )
        return cls(groups, admin_config)

    def group_for(self, topic: str) -> TopicCreationGroup:
        return next(g for g in self.groups if g.matches(topic))

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
