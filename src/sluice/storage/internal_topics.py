"""Create, or check, the three internal topics of a distributed cluster as Kafka Connect does.

Each topic is compacted (``cleanup.policy=compact`` is forced over whatever the worker file says,
because a deleted config or offset record is lost for good), has the partition count and
replication factor of its ``<x>.storage.partitions`` / ``<x>.storage.replication.factor`` settings
(-1 leaves either to the broker), and takes every other ``<x>.storage.*`` setting as a topic
config. The config topic always has one partition: its records must be read in the order they
were written.

A topic that already exists is not altered, only checked: one that is not compacted, or a config
topic with more than one partition, is refused with an error naming the worker setting that
chose it, since carrying on would lose data or order later. Creation fails fast, naming
``<x>.storage.replication.factor``, when the cluster has fewer brokers than the replication factor
asks for (Kafka Connect retries for a minute in case brokers are still starting; a one-broker
development cluster never grows, so waiting only delays the message).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource  # type: ignore[attr-defined]
from confluent_kafka.cimpl import NewTopic

from sluice.api import ConfigError, ConnectError

__all__ = ["InternalTopic", "ensure_topic"]

log = logging.getLogger(__name__)

_SIZING_KEYS: Final = frozenset({"topic", "partitions", "replication.factor"})
_RETRIABLE: Final = frozenset(
    {
        KafkaError._TIMED_OUT,
        KafkaError._TRANSPORT,
        KafkaError.REQUEST_TIMED_OUT,
        KafkaError.NOT_CONTROLLER,
        KafkaError.LEADER_NOT_AVAILABLE,
    }
)
_ASSUME_EXISTS: Final = frozenset(
    {
        KafkaError.TOPIC_AUTHORIZATION_FAILED,
        KafkaError.CLUSTER_AUTHORIZATION_FAILED,
        KafkaError.UNSUPPORTED_VERSION,
    }
)


@dataclass(frozen=True)
class InternalTopic:
    """One internal topic and the worker settings that describe it.

    ``setting`` is the worker key that names the topic (``config.storage.topic``); errors quote
    it and the sizing keys beside it, so a user knows which line of the worker file to change.
    """

    name: str
    setting: str
    purpose: str
    partitions: int
    replication_factor: int
    configs: Mapping[str, str] = field(default_factory=dict)

    @property
    def prefix(self) -> str:
        """``config.storage.`` for ``config.storage.topic``."""
        return self.setting.removesuffix("topic")

    @property
    def single_partition(self) -> bool:
        return self.setting == "config.storage.topic"

    @classmethod
    def _build(
        cls,
        name: str,
        setting: str,
        purpose: str,
        partitions: int,
        replication_factor: int,
        settings: Mapping[str, str] | None,
    ) -> InternalTopic:
        if not name or not name.strip():
            raise ConfigError(f"{setting} must name a topic", setting)
        configs = {k: str(v) for k, v in (settings or {}).items() if k not in _SIZING_KEYS}
        configs["cleanup.policy"] = "compact"  # forced, whatever the worker file says
        return cls(name, setting, purpose, partitions, replication_factor, configs)

    @classmethod
    def config_topic(
        cls, name: str, replication_factor: int = 3, settings: Mapping[str, str] | None = None
    ) -> InternalTopic:
        """``config.storage.topic``: always one partition (``config.storage.partitions`` is
        ignored, as in Kafka Connect)."""
        return cls._build(
            name,
            "config.storage.topic",
            "connector configurations",
            1,
            replication_factor,
            settings,
        )

    @classmethod
    def offsets_topic(
        cls,
        name: str,
        partitions: int = 25,
        replication_factor: int = 3,
        settings: Mapping[str, str] | None = None,
    ) -> InternalTopic:
        return cls._build(
            name,
            "offset.storage.topic",
            "source connector offsets",
            partitions,
            replication_factor,
            settings,
        )

    @classmethod
    def status_topic(
        cls,
        name: str,
        partitions: int = 5,
        replication_factor: int = 3,
        settings: Mapping[str, str] | None = None,
    ) -> InternalTopic:
        return cls._build(
            name,
            "status.storage.topic",
            "connector and task statuses",
            partitions,
            replication_factor,
            settings,
        )


def ensure_topic(admin: AdminClient, topic: InternalTopic, timeout: float = 60.0) -> bool:
    """Create ``topic`` unless it exists, else check it; ``True`` if this call created it.

    Raises :class:`~sluice.api.ConfigError` (with ``key`` the worker setting to change) for a
    topic that cannot serve, and :class:`~sluice.api.ConnectError` when the brokers cannot be
    asked within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    created = _create(admin, topic, deadline)
    if created:
        _wait_for_leaders(admin, topic, deadline)
        log.info(
            "Created topic %s (%s) with %s partition(s), replication factor %s and configs %s",
            topic.name,
            topic.purpose,
            topic.partitions,
            topic.replication_factor,
            dict(topic.configs),
        )
    else:
        log.debug("Found existing topic %s for %s", topic.name, topic.purpose)
        _verify_compacted(admin, topic, deadline)
        if topic.single_partition:
            _verify_single_partition(admin, topic, deadline)
    return created


def _remaining(deadline: float) -> float:
    return max(0.5, deadline - time.monotonic())


def _create(admin: AdminClient, topic: InternalTopic, deadline: float) -> bool:
    new = NewTopic(
        topic.name,
        num_partitions=topic.partitions,
        replication_factor=topic.replication_factor,
        config=dict(topic.configs),
    )
    while True:
        remaining = _remaining(deadline)
        try:
            admin.create_topics([new], operation_timeout=remaining, request_timeout=remaining)[
                topic.name
            ].result(timeout=remaining + 1)
            return True
        except KafkaException as e:
            error: KafkaError = e.args[0]
            code = error.code()
            if code == KafkaError.TOPIC_ALREADY_EXISTS:
                return False
            if code in _ASSUME_EXISTS:
                log.debug(
                    "Cannot create topic %s (%s); assuming it exists", topic.name, error.str()
                )
                return False
            if code == KafkaError.INVALID_REPLICATION_FACTOR:
                raise _replication_error(admin, topic, error) from None
            if code in (KafkaError.INVALID_CONFIG, KafkaError.POLICY_VIOLATION):
                raise ConfigError(
                    f"Cannot create topic '{topic.name}' ({topic.purpose}) named by "
                    f"{topic.setting}: {error.str()}. Check the {topic.prefix}* settings.",
                    topic.setting,
                ) from None
            if code in _RETRIABLE and time.monotonic() < deadline:
                log.info("Creating topic %s failed (%s); retrying", topic.name, error.str())
                time.sleep(0.2)
                continue
            raise ConnectError(
                f"Could not create or find topic '{topic.name}' ({topic.purpose}) named by "
                f"{topic.setting}: {error.str()}"
            ) from None


def _wait_for_leaders(admin: AdminClient, topic: InternalTopic, deadline: float) -> None:
    """Until every partition of a new topic has a leader, so that the first reads and writes
    do not start with "not leader" errors. Not fatal: clients retry those anyway."""
    while time.monotonic() < deadline:
        try:
            meta = admin.list_topics(topic=topic.name, timeout=_remaining(deadline)).topics
        except KafkaException:
            return
        found = meta.get(topic.name)
        if (
            found is not None
            and found.error is None
            and found.partitions
            and all(p.leader >= 0 for p in found.partitions.values())
        ):
            return
        time.sleep(0.05)


def _replication_error(admin: AdminClient, topic: InternalTopic, error: KafkaError) -> ConfigError:
    key = topic.prefix + "replication.factor"
    try:
        brokers: int | str = len(admin.list_topics(timeout=5).brokers)
    except KafkaException:
        brokers = "fewer"
    return ConfigError(
        f"Cannot create topic '{topic.name}' ({topic.purpose}) named by {topic.setting}: "
        f"{key}={topic.replication_factor} asks for more replicas than the {brokers} broker(s) "
        f"of this Kafka cluster can hold ({error.str()}). On a one-broker cluster, such as a "
        f"local development or test broker, set {key}=1 (or -1 for the broker's default).",
        key,
    )


def _verify_compacted(admin: AdminClient, topic: InternalTopic, deadline: float) -> None:
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic.name)
    try:
        described = admin.describe_configs([resource], request_timeout=_remaining(deadline))
        entries = described[resource].result(timeout=_remaining(deadline))
    except KafkaException as e:
        log.info(
            "Could not check that topic '%s' has cleanup.policy=compact (%s): the broker is old "
            "or this principal may not describe topic configs",
            topic.name,
            e.args[0].str() if e.args and isinstance(e.args[0], KafkaError) else e,
        )
        return
    entry = entries.get("cleanup.policy")
    if entry is None or entry.value is None:
        log.info("Topic '%s' reports no cleanup.policy; not checking it", topic.name)
        return
    policies = {p.strip().lower() for p in entry.value.split(",") if p.strip()}
    if policies != {"compact"}:
        raise ConfigError(
            f"Topic '{topic.name}' named by {topic.setting} has cleanup.policy={entry.value}, "
            f"but the {topic.purpose} it holds must be kept: Kafka Connect's internal topics "
            f"need cleanup.policy=compact (exactly), or records are deleted and the cluster "
            f"loses them on its next restart. Point {topic.setting} at a compacted topic, or "
            f"change this topic's cleanup.policy to compact.",
            topic.setting,
        )


def _verify_single_partition(admin: AdminClient, topic: InternalTopic, deadline: float) -> None:
    try:
        found = admin.list_topics(topic=topic.name, timeout=_remaining(deadline)).topics
    except KafkaException as e:
        raise ConnectError(f"Could not describe topic '{topic.name}': {e}") from None
    meta = found.get(topic.name)
    if meta is None or meta.error is not None:
        return  # not visible yet; the config store checks the partition count it reads
    if len(meta.partitions) > 1:
        raise ConfigError(
            f"Topic '{topic.name}' named by {topic.setting} has {len(meta.partitions)} "
            f"partitions, but the config topic must have exactly one so that every worker reads "
            f"connector configurations in the order they were written. Point {topic.setting} at "
            f"a topic with a single partition.",
            topic.setting,
        )
