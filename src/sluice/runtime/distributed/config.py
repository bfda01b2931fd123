"""The distributed worker's settings: Kafka's ``connect-distributed.properties`` keys.

Everything Kafka Connect's ``DistributedConfig`` defines is accepted with Kafka's names and
defaults, with one deliberate difference: ``scheduled.rebalance.max.delay.ms`` defaults to 0, so
the work of a worker that died is reassigned as soon as the group notices (within
``session.timeout.ms``) instead of five minutes later. Setting the key restores Kafka's behaviour.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sluice.api import (
    CaseInsensitiveValidString,
    ConfigDef,
    ConfigError,
    ConfigType,
    Importance,
    Range,
)
from sluice.runtime.distributed.protocol import Compatibility
from sluice.runtime.worker_config import WorkerConfig, worker_config_def

__all__ = [
    "CONFIG_TOPIC",
    "OFFSET_TOPIC",
    "SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT",
    "STATUS_TOPIC",
    "DistributedConfig",
    "distributed_config_def",
]

CONFIG_TOPIC: Final = "config.storage.topic"
OFFSET_TOPIC: Final = "offset.storage.topic"
STATUS_TOPIC: Final = "status.storage.topic"

SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT: Final = 0
"""Kafka's is 300000 (five minutes); see the module docstring."""

_REPLICATION = Range.at_least(-1)
_PARTITIONS = Range.at_least(-1)


def _not_zero(name: str, value: Any) -> None:
    if value == 0:
        raise ConfigError.invalid(name, value, "Value must be -1 or at least 1")


class _AtLeastOneOrMinusOne:
    """Kafka's internal-topic partition and replication settings: -1 (broker default) or >= 1."""

    def __call__(self, name: str, value: Any) -> None:
        _REPLICATION(name, value)
        _not_zero(name, value)

    def __str__(self) -> str:
        return "[-1, 1,...]"


def distributed_config_def() -> ConfigDef:
    d = worker_config_def()
    topic_setting = _AtLeastOneOrMinusOne()
    d.define(
        "group.id",
        ConfigType.STRING,
        importance=Importance.HIGH,
        documentation="A unique string that identifies the Connect cluster group this worker "
        "belongs to.",
    )
    d.define(
        "session.timeout.ms",
        ConfigType.INT,
        10000,
        importance=Importance.HIGH,
        documentation="The timeout used to detect worker failures.",
    )
    d.define(
        "heartbeat.interval.ms",
        ConfigType.INT,
        3000,
        importance=Importance.HIGH,
        documentation="The expected time between heartbeats to the group coordinator.",
    )
    d.define(
        "rebalance.timeout.ms",
        ConfigType.INT,
        60000,
        importance=Importance.HIGH,
        documentation="The maximum allowed time for each worker to join the group once a "
        "rebalance has begun.",
    )
    d.define(
        "worker.sync.timeout.ms",
        ConfigType.INT,
        3000,
        importance=Importance.MEDIUM,
        documentation="How long to wait to resynchronize configurations before leaving the "
        "group and backing off.",
    )
    d.define(
        "worker.unsync.backoff.ms",
        ConfigType.INT,
        300000,
        importance=Importance.MEDIUM,
        documentation="How long to stay out of the group after failing to resynchronize.",
    )
    d.define(
        OFFSET_TOPIC,
        ConfigType.STRING,
        importance=Importance.HIGH,
        documentation="The name of the Kafka topic where source connector offsets are stored",
    )
    d.define(
        "offset.storage.partitions",
        ConfigType.INT,
        25,
        topic_setting,
        Importance.LOW,
        "The number of partitions used when creating the offset storage topic",
    )
    d.define(
        "offset.storage.replication.factor",
        ConfigType.SHORT,
        3,
        topic_setting,
        Importance.LOW,
        "Replication factor used when creating the offset storage topic",
    )
    d.define(
        CONFIG_TOPIC,
        ConfigType.STRING,
        importance=Importance.HIGH,
        documentation="The name of the Kafka topic where connector configurations are stored",
    )
    d.define(
        "config.storage.replication.factor",
        ConfigType.SHORT,
        3,
        topic_setting,
        Importance.LOW,
        "Replication factor used when creating the configuration storage topic",
    )
    d.define(
        STATUS_TOPIC,
        ConfigType.STRING,
        importance=Importance.HIGH,
        documentation="The name of the Kafka topic where connector and task status are stored",
    )
    d.define(
        "status.storage.partitions",
        ConfigType.INT,
        5,
        topic_setting,
        Importance.LOW,
        "The number of partitions used when creating the status storage topic",
    )
    d.define(
        "status.storage.replication.factor",
        ConfigType.SHORT,
        3,
        topic_setting,
        Importance.LOW,
        "Replication factor used when creating the status storage topic",
    )
    d.define(
        "connect.protocol",
        ConfigType.STRING,
        "sessioned",
        CaseInsensitiveValidString("eager", "compatible", "sessioned"),
        Importance.LOW,
        "Compatibility mode for Kafka Connect Protocol",
    )
    d.define(
        "scheduled.rebalance.max.delay.ms",
        ConfigType.INT,
        SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT,
        Range.between(0, 2**31 - 1),
        Importance.LOW,
        "The maximum delay that is scheduled in order to wait for the return of one or more "
        "departed workers before rebalancing and reassigning their connectors and tasks to the "
        "group. sluice's default is 0 (Kafka's is 300000).",
    )
    d.define(
        "inter.worker.key.generation.algorithm",
        ConfigType.STRING,
        "HmacSHA256",
        CaseInsensitiveValidString("HmacSHA256", "HmacSHA384", "HmacSHA512", "HmacSHA1"),
        Importance.LOW,
        "The algorithm to use for generating internal request keys.",
    )
    d.define(
        "inter.worker.key.size",
        ConfigType.INT,
        None,
        importance=Importance.LOW,
        documentation="The size of the key to use for signing internal requests, in bits.",
    )
    d.define(
        "inter.worker.key.ttl.ms",
        ConfigType.INT,
        3600000,
        Range.between(0, 2**31 - 1),
        Importance.LOW,
        "The TTL of generated session keys used for internal request validation.",
    )
    d.define(
        "inter.worker.signature.algorithm",
        ConfigType.STRING,
        "HmacSHA256",
        CaseInsensitiveValidString("HmacSHA256", "HmacSHA384", "HmacSHA512", "HmacSHA1"),
        Importance.LOW,
        "The algorithm used to sign internal requests.",
    )
    d.define(
        "inter.worker.verification.algorithms",
        ConfigType.LIST,
        "HmacSHA256",
        importance=Importance.LOW,
        documentation="A list of permitted algorithms for verifying internal requests.",
    )
    d.define(
        "exactly.once.source.support",
        ConfigType.STRING,
        "disabled",
        CaseInsensitiveValidString("disabled", "preparing", "enabled"),
        Importance.HIGH,
        "Whether to enable exactly-once support for source connectors in the cluster.",
    )
    d.define("metadata.max.age.ms", ConfigType.LONG, 300000, Range.at_least(0), Importance.LOW)
    d.define("client.id", ConfigType.STRING, "", importance=Importance.LOW)
    d.define("request.timeout.ms", ConfigType.INT, 40000, Range.at_least(0), Importance.MEDIUM)
    d.define("retry.backoff.ms", ConfigType.LONG, 100, Range.at_least(0), Importance.LOW)
    d.define("reconnect.backoff.ms", ConfigType.LONG, 50, Range.at_least(0), Importance.LOW)
    d.define("reconnect.backoff.max.ms", ConfigType.LONG, 1000, Range.at_least(0), Importance.LOW)
    return d


class DistributedConfig(WorkerConfig):
    """Parsed ``connect-distributed.properties``; cross-key rules are checked here so a bad file
    fails at start-up with the key named."""

    def __init__(self, props: Mapping[str, Any]) -> None:
        super().__init__(props, distributed_config_def())
        for key in ("group.id", CONFIG_TOPIC, OFFSET_TOPIC, STATUS_TOPIC):
            if not self.get_string(key):
                raise ConfigError(
                    f'Missing required configuration "{key}" which has no default value.', key
                )
        topics = {k: self.get_string(k) for k in (CONFIG_TOPIC, OFFSET_TOPIC, STATUS_TOPIC)}
        if len(set(topics.values())) < 3:
            raise ConfigError(
                "config.storage.topic, offset.storage.topic and status.storage.topic must name "
                f"three different topics; got {topics}",
                CONFIG_TOPIC,
            )
        if self.get_int("heartbeat.interval.ms") >= self.get_int("session.timeout.ms"):
            raise ConfigError.invalid(
                "heartbeat.interval.ms",
                self.get_int("heartbeat.interval.ms"),
                "must be lower than session.timeout.ms",
            )
        algorithm = str(self.get_string("inter.worker.signature.algorithm"))
        allowed = [a.lower() for a in self.get_list("inter.worker.verification.algorithms")]
        if algorithm.lower() not in allowed:
            raise ConfigError.invalid(
                "inter.worker.verification.algorithms",
                ",".join(self.get_list("inter.worker.verification.algorithms")),
                f"Signature algorithm '{algorithm}' must be present in the list of permitted "
                "verification algorithms",
            )
        if self.exactly_once_source_support != "disabled":
            raise ConfigError.invalid(
                "exactly.once.source.support",
                self.exactly_once_source_support,
                "exactly-once source support is not available in sluice yet; use 'disabled'",
            )

    @property
    def group_id(self) -> str:
        return str(self.get_string("group.id"))

    @property
    def compatibility(self) -> Compatibility:
        return Compatibility.from_config(str(self.get_string("connect.protocol")))

    @property
    def scheduled_rebalance_max_delay(self) -> float:
        return self.get_int("scheduled.rebalance.max.delay.ms") / 1000.0

    @property
    def worker_sync_timeout(self) -> float:
        return self.get_int("worker.sync.timeout.ms") / 1000.0

    @property
    def worker_unsync_backoff(self) -> float:
        return self.get_int("worker.unsync.backoff.ms") / 1000.0

    @property
    def key_ttl(self) -> float:
        return self.get_int("inter.worker.key.ttl.ms") / 1000.0

    @property
    def exactly_once_source_support(self) -> str:
        return str(self.get_string("exactly.once.source.support")).lower()

    def topic_settings(self, prefix: str) -> dict[str, str]:
        """``config.storage.*`` etc. other than the topic name, partitions and replication
        factor: passed to CreateTopics as topic configs, as Kafka Connect does."""
        skip = {"topic", "partitions", "replication.factor"}
        return {
            k[len(prefix) :]: str(v)
            for k, v in self.originals().items()
            if k.startswith(prefix) and k[len(prefix) :] not in skip
        }
