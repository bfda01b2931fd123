"""``connect-distributed.properties`` as Kafka Connect reads it, with one deliberate difference."""

from __future__ import annotations

import pytest

from sluice.api import ConfigError
from sluice.runtime.distributed.config import DistributedConfig
from sluice.runtime.distributed.protocol import Compatibility

BASE = {
    "bootstrap.servers": "localhost:9092",
    "group.id": "connect-cluster",
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "offset.storage.topic": "connect-offsets",
    "config.storage.topic": "connect-configs",
    "status.storage.topic": "connect-status",
}


def test_kafka_defaults_and_the_scheduled_rebalance_difference() -> None:
    config = DistributedConfig(BASE)
    assert config.get_int("session.timeout.ms") == 10000
    assert config.get_int("heartbeat.interval.ms") == 3000
    assert config.get_int("rebalance.timeout.ms") == 60000
    assert config.get_int("offset.storage.partitions") == 25
    assert config.get_int("status.storage.partitions") == 5
    assert config.get_int("config.storage.replication.factor") == 3
    assert config.compatibility is Compatibility.SESSIONED
    assert config.scheduled_rebalance_max_delay == 0.0
    kafka_like = DistributedConfig({**BASE, "scheduled.rebalance.max.delay.ms": "300000"})
    assert kafka_like.scheduled_rebalance_max_delay == 300.0


@pytest.mark.parametrize("key", ["group.id", "config.storage.topic", "offset.storage.topic"])
def test_required_keys_are_named(key: str) -> None:
    props = {k: v for k, v in BASE.items() if k != key}
    with pytest.raises(ConfigError, match=key):
        DistributedConfig(props)


def test_topic_settings_pass_through_and_bad_values_are_named() -> None:
    config = DistributedConfig(
        {**BASE, "config.storage.min.insync.replicas": "1", "offset.storage.segment.ms": "1000"}
    )
    assert config.topic_settings("config.storage.") == {"min.insync.replicas": "1"}
    assert config.topic_settings("offset.storage.") == {"segment.ms": "1000"}
    with pytest.raises(ConfigError, match="offset.storage.replication.factor"):
        DistributedConfig({**BASE, "offset.storage.replication.factor": "0"})
    with pytest.raises(ConfigError, match="connect.protocol"):
        DistributedConfig({**BASE, "connect.protocol": "fancy"})
    with pytest.raises(ConfigError, match="heartbeat.interval.ms"):
        DistributedConfig({**BASE, "heartbeat.interval.ms": "20000"})
    with pytest.raises(ConfigError, match="three different topics"):
        DistributedConfig({**BASE, "status.storage.topic": "connect-configs"})
    with pytest.raises(ConfigError, match="exactly.once.source.support"):
        DistributedConfig({**BASE, "exactly.once.source.support": "enabled"})
    with pytest.raises(ConfigError, match="inter.worker.verification.algorithms"):
        DistributedConfig({**BASE, "inter.worker.signature.algorithm": "HmacSHA512"})
