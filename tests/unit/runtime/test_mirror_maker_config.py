"""MirrorMaker 2 dedicated-mode file: flows, herder pairs, worker and connector configs, errors."""

from __future__ import annotations

import pytest

from sluice.runtime.mirror_maker_config import (
    MirrorMakerConfig,
    MirrorMakerConfigError,
    SourceAndTarget,
)

AB = SourceAndTarget("A", "B")
BA = SourceAndTarget("B", "A")


def base(**extra: str) -> dict[str, str]:
    props = {
        "clusters": "A, B",
        "A.bootstrap.servers": "a:9092",
        "B.bootstrap.servers": "b:9092",
        "A->B.enabled": "true",
    }
    props.update(extra)
    return props


def test_pairs_include_heartbeat_only_reverse_flow() -> None:
    config = MirrorMakerConfig(base())
    assert config.enabled_flows() == [AB]
    assert config.cluster_pairs() == [AB, BA]
    assert config.cluster_pairs(["B"]) == [AB]
    assert config.cluster_pairs(["A"]) == [BA]


@pytest.mark.parametrize(
    "extra",
    [{"emit.heartbeats.enabled": "false"}, {"B->A.emit.heartbeats.enabled": "false"}],
)
def test_heartbeats_disabled_drops_reverse_pair(extra: dict[str, str]) -> None:
    assert MirrorMakerConfig(base(**extra)).cluster_pairs() == [AB]


def test_per_flow_heartbeats_override_global() -> None:
    config = MirrorMakerConfig(
        base(**{"emit.heartbeats.enabled": "false", "B->A.emit.heartbeats.enabled": "TRUE"})
    )
    assert config.cluster_pairs() == [AB, BA]


def test_worker_config_is_a_worker_of_the_target() -> None:
    props = base(
        **{
            "B.security.protocol": "PLAINTEXT",
            "config.storage.replication.factor": "1",
            "offset.flush.interval.ms": "1000",
            "tasks.max": "4",
            "replication.factor": "1",
            "B.group.id": "custom",
        }
    )
    worker = MirrorMakerConfig(props).worker_config(AB)
    assert worker["bootstrap.servers"] == "b:9092"
    assert worker["admin.bootstrap.servers"] == "b:9092"
    assert worker["producer.security.protocol"] == "PLAINTEXT"
    assert worker["group.id"] == "custom"
    assert worker["client.id"] == "A->B"
    assert worker["config.storage.topic"] == "mm2-configs.A.internal"
    assert worker["offset.storage.topic"] == "mm2-offsets.A.internal"
    assert worker["status.storage.topic"] == "mm2-status.A.internal"
    assert worker["config.storage.replication.factor"] == "1"
    assert worker["tasks.max"] == "4"  # Kafka's "task" prefix
    assert "offset.flush.interval.ms" not in worker  # top-level worker settings are not copied
    assert "replication.factor" not in worker
    for key in ("key.converter", "value.converter", "header.converter"):
        assert worker[key] == "org.apache.kafka.connect.converters.ByteArrayConverter"
    assert MirrorMakerConfig(base()).worker_config(BA)["group.id"] == "B-mm2"


def test_connector_config_layers() -> None:
    props = base(
        **{
            "replication.factor": "1",
            "tasks.max": "3",
            "sync.group.offsets.enabled": "true",
            "not.a.connector.setting": "x",
            "A.consumer.fetch.min.bytes": "100",
            "A.max.poll": "7",
            "A.client.id": "mm2-a",
            "B.group.id": "not-for-the-connectors",
            "B.producer.linger.ms": "5",
            "A->B.topics": "orders.*",
            "A->B.tasks.max": "2",
            "A->B.producer.override.acks": "all",
        }
    )
    config = MirrorMakerConfig(props)
    source = config.connector_config(AB, "MirrorSourceConnector")
    assert source["name"] == "MirrorSourceConnector"
    assert source["connector.class"] == "org.apache.kafka.connect.mirror.MirrorSourceConnector"
    assert source["source.cluster.alias"] == "A"
    assert source["target.cluster.alias"] == "B"
    assert source["source.cluster.bootstrap.servers"] == "a:9092"
    assert source["target.cluster.bootstrap.servers"] == "b:9092"
    assert source["source.consumer.bootstrap.servers"] == "a:9092"
    assert source["source.consumer.fetch.min.bytes"] == "100"
    # Only client settings reach the clients; a cluster's worker settings stay the worker's.
    assert "source.cluster.max.poll" not in source
    assert source["source.cluster.client.id"] == "mm2-a"
    assert "target.cluster.group.id" not in source
    assert source["target.producer.linger.ms"] == "5"
    assert source["replication.factor"] == "1"
    assert "sync.group.offsets.enabled" not in source  # the checkpoint connector's setting
    checkpoint = config.connector_config(AB, "MirrorCheckpointConnector")
    assert checkpoint["sync.group.offsets.enabled"] == "true"
    assert source["topics"] == "orders.*"
    assert source["tasks.max"] == "2"
    assert source["producer.override.acks"] == "all"
    assert source["enabled"] == "true"
    assert "not.a.connector.setting" not in source
    heartbeat = config.connector_config(BA, "MirrorHeartbeatConnector")
    assert heartbeat["enabled"] == "false"
    assert heartbeat["tasks.max"] == "3"
    assert heartbeat["target.cluster.bootstrap.servers"] == "a:9092"


def test_top_level_client_settings_are_cluster_defaults() -> None:
    config = MirrorMakerConfig(
        base(**{"security.protocol": "SSL", "B.security.protocol": "SASL_SSL"})
    )
    assert config.cluster_props("A")["security.protocol"] == "SSL"
    assert config.cluster_props("A")["consumer.security.protocol"] == "SSL"
    assert config.cluster_props("B")["admin.security.protocol"] == "SASL_SSL"


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"A.bootstrap.servers": "a:9092"}, "clusters: missing"),
        (base(**{"A->C.enabled": "true"}), "A->C.enabled: unknown cluster alias 'C'"),
        (base(**{"A->A.enabled": "true"}), "A->A.enabled: a flow needs two different clusters"),
        (base(**{"A->B.enabled": "false"}), "no replication flow is enabled"),
        ({**base(), "B.bootstrap.servers": ""}, "B.bootstrap.servers: missing"),
        (
            base(
                **{
                    "B->A.enabled": "true",
                    "replication.policy.class": "IdentityReplicationPolicy",
                }
            ),
            "replication.policy.class",
        ),
        (base(**{"A->B.replication.policy.class": "Nope"}), "A->B.replication.policy.class"),
    ],
)
def test_bad_input(props: dict[str, str], message: str) -> None:
    with pytest.raises(MirrorMakerConfigError) as info:
        MirrorMakerConfig(props)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
