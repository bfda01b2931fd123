"""The client override policy: one rule for the validate report and for the worker's clients."""

from __future__ import annotations

from pathlib import Path

import pytest

from sluice.api import ConfigError
from sluice.plugins.registry import PluginRegistry
from sluice.runtime.client_overrides import (
    PRINCIPAL_OVERRIDES,
    allows,
    disallowed,
    overrides,
    policy_name,
)
from sluice.runtime.status import ConnectorTaskId
from sluice.runtime.worker import Worker
from sluice.runtime.worker_config import WorkerConfig
from sluice.storage.offsets import MemoryOffsetBackingStore

ID = ConnectorTaskId("c", 0)


@pytest.mark.parametrize(
    ("given", "name"),
    [
        ("All", "All"),
        (" Principal ", "Principal"),
        (
            "org.apache.kafka.connect.connector.policy.NoneConnectorClientConfigOverridePolicy",
            "None",
        ),
        ("ConnectorClientConfigOverridePolicy", "ConnectorClientConfigOverridePolicy"),
    ],
)
def test_policy_names(given: str, name: str) -> None:
    assert policy_name(given) == name


def test_what_each_policy_allows() -> None:
    assert allows("All", "acks") and allows("All", "sasl.jaas.config")
    assert not allows("None", "acks") and not allows("None", "sasl.jaas.config")
    assert all(allows("Principal", n) for n in PRINCIPAL_OVERRIDES)
    assert not allows("Principal", "acks")
    names = ["security.protocol", "linger.ms", "acks"]
    assert disallowed("Principal", names) == ["acks", "linger.ms"]
    assert disallowed("All", names) == []


def test_overrides_strip_the_prefix() -> None:
    config = {"producer.override.acks": "1", "consumer.override.x": "2", "acks": "0"}
    assert overrides(config, "producer.override.") == {"acks": "1"}


def _worker(policy: str, tmp_path: Path) -> Worker:
    config = WorkerConfig(
        {
            "key.converter": "StringConverter",
            "value.converter": "StringConverter",
            "offset.storage.file.filename": str(tmp_path / "offsets"),
            "connector.client.config.override.policy": policy,
        }
    )
    return Worker("w", config, PluginRegistry(), MemoryOffsetBackingStore())


def test_worker_applies_the_policy_to_its_clients(tmp_path: Path) -> None:
    conn = {"producer.override.linger.ms": "7", "consumer.override.security.protocol": "SSL"}
    assert _worker("All", tmp_path).producer_config(ID, conn)["linger.ms"] == "7"
    principal = _worker("Principal", tmp_path)
    assert principal.consumer_config(ID, conn)["security.protocol"] == "SSL"
    with pytest.raises(ConfigError, match="Principal allows only .*; not linger.ms") as e:
        principal.producer_config(ID, conn)
    assert e.value.key == "producer.override.linger.ms"
    with pytest.raises(ConfigError, match="None does not allow consumer.override") as e:
        _worker("None", tmp_path).consumer_config(ID, conn)
    assert e.value.key == "consumer.override.security.protocol"
    assert _worker("None", tmp_path).producer_config(ID, {})["linger.ms"] == "5"  # no overrides


def test_task_producers_get_kafka_connects_settings_unless_overridden(tmp_path: Path) -> None:
    """Worker.baseProducerConfigs: acks=all, no idempotence, one request in flight."""
    producer = _worker("All", tmp_path).producer_config(ID, {})
    assert producer["acks"] == "all"
    assert producer["enable.idempotence"] == "false"
    assert producer["max.in.flight.requests.per.connection"] == "1"
    overridden = _worker("All", tmp_path).producer_config(
        ID, {"producer.override.enable.idempotence": "true"}
    )
    assert overridden["enable.idempotence"] == "true"
