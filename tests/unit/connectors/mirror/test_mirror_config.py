"""MirrorMaker settings: defaults, filtering, and clear errors for bad flows."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from sluice.api import ConfigError, TopicPartition
from sluice.connectors.mirror.mirror_config import MirrorSettings, check_flows
from sluice.connectors.mirror.replication_policy import (
    DefaultReplicationPolicy,
    IdentityReplicationPolicy,
)
from sluice.connectors.mirror.source_connector import assign_round_robin
from sluice.connectors.mirror.source_task import (
    PartitionState,
    decode_topic_partition,
    encode_topic_partition,
)

BASE = {
    "source.cluster.alias": "A",
    "target.cluster.alias": "B",
    "source.cluster.bootstrap.servers": "127.0.0.1:9092",
    "target.cluster.bootstrap.servers": "127.0.0.1:9093",
}


def settings(**extra: str) -> MirrorSettings:
    return MirrorSettings.parse({**BASE, **{k.replace("_", "."): v for k, v in extra.items()}})


def test_defaults_are_kafkas() -> None:
    s = settings()
    assert s["replication.factor"] == 2
    assert s["refresh.topics.interval.seconds"] == 600
    assert s["offset.lag.max"] == 100
    assert s["emit.heartbeats.interval.seconds"] == 1
    assert s["heartbeats.topic.replication.factor"] == 3
    assert s["offset-syncs.topic.replication.factor"] == 3
    assert s.offset_syncs_cluster == "source"


def test_client_settings_by_cluster_and_role() -> None:
    s = MirrorSettings.parse(
        {**BASE, "source.cluster.consumer.fetch.min.bytes": "1", "source.cluster.client.id": "x"}
    )

    def settings_of(cluster: str, role: str) -> dict[str, Any]:
        conf = s.client(cluster, role)
        # The client logs through Python logging, under its role's logger.
        assert conf.pop("logger") is logging.getLogger(f"librdkafka.{role}")
        return conf

    assert settings_of("source", "consumer") == {
        "bootstrap.servers": "127.0.0.1:9092",
        "client.id": "x",
        "fetch.min.bytes": "1",
    }
    assert settings_of("source", "admin") == {
        "bootstrap.servers": "127.0.0.1:9092",
        "client.id": "x",
    }
    assert settings_of("target", "producer") == {"bootstrap.servers": "127.0.0.1:9093"}


def test_java_security_settings_reach_librdkafka_translated() -> None:
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule"
    s = MirrorSettings.parse(
        {
            **BASE,
            "source.cluster.security.protocol": "SASL_PLAINTEXT",
            "source.cluster.sasl.mechanism": "SCRAM-SHA-512",
            "source.cluster.sasl.jaas.config": f'{scram} required username="m" password="p\\"w";',
        }
    )
    conf = s.client("source", "consumer")
    assert (conf["sasl.mechanisms"], conf["sasl.username"], conf["sasl.password"]) == (
        "SCRAM-SHA-512",
        "m",
        'p"w',
    )
    assert "sasl.jaas.config" not in conf
    assert "security.protocol" not in s.client("target", "producer")


def test_topic_filter() -> None:
    s = settings(topics="orders.*, pay")
    assert s.should_replicate_topic("orders")
    assert s.should_replicate_topic("orders-eu")
    assert s.should_replicate_topic("pay")
    assert not s.should_replicate_topic("payments")  # full match, as Java's matches()
    assert s.should_replicate_topic("heartbeats")  # heartbeats always, unless disabled
    assert s.should_replicate_topic("C.heartbeats")
    all_topics = settings()
    for topic in ("__consumer_offsets", "x.replica", "connect-configs-internal", "B.orders"):
        assert not all_topics.should_replicate_topic(topic), topic  # internal, or a cycle
    assert all_topics.should_replicate_topic("C.orders")
    assert not settings(topics_exclude="secret.*").should_replicate_topic("secret1")
    assert not MirrorSettings.parse({**BASE, "topics.blacklist": "old"}).should_replicate_topic(
        "old"
    )
    assert not settings(heartbeats_replication_enabled="false", topics="x").should_replicate_topic(
        "heartbeats"
    )


def test_config_properties_exclude() -> None:
    s = settings()
    assert not s.should_replicate_config("min.insync.replicas")
    assert not s.should_replicate_config("message.timestamp.type")
    assert s.should_replicate_config("retention.ms")


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ({"topics": "orders, ([a-z"}, "topics"),
        ({"topics.exclude": "*bad"}, "topics.exclude"),
        ({"target.cluster.alias": "A"}, "target.cluster.alias"),
        (
            {"target.cluster.bootstrap.servers": "127.0.0.1:9092"},
            "target.cluster.bootstrap.servers",
        ),
        ({"source.cluster.bootstrap.servers": ""}, "source.cluster.bootstrap.servers"),
        ({"offset-syncs.topic.location": "elsewhere"}, "offset-syncs.topic.location"),
        ({"replication.policy.class": "x.Y"}, "replication.policy.class"),
    ],
)
def test_bad_settings_name_the_key(extra: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as e:
        MirrorSettings.parse({**BASE, **extra})
    assert e.value.key == key or key in str(e.value)


def test_unknown_alias_message() -> None:
    props = dict(BASE)
    del props["target.cluster.bootstrap.servers"]
    with pytest.raises(ConfigError, match="Unknown cluster alias 'B'"):
        MirrorSettings.parse(props)


def test_identity_flows_both_ways_are_refused() -> None:
    identity = IdentityReplicationPolicy("A")
    check_flows([("A", "B", identity), ("B", "A", DefaultReplicationPolicy())])
    with pytest.raises(ConfigError, match="loop"):
        check_flows([("A", "B", identity), ("B", "A", IdentityReplicationPolicy("B"))])


def test_round_robin_assignment() -> None:
    tps = [TopicPartition(t, p) for t in ("t0", "t1") for p in range(3)]
    tasks = assign_round_robin(tps, 4)
    assert [len(t) for t in tasks] == [2, 2, 1, 1]
    assert tasks[0] == [TopicPartition("t0", 0), TopicPartition("t1", 1)]
    assert assign_round_robin(tps[:2], 8) == [[tps[0]], [tps[1]]]
    assert assign_round_robin([], 3) == []


def test_topic_partition_text_is_javas() -> None:
    tp = TopicPartition("my-topic", 12)
    assert encode_topic_partition(tp) == "my-topic-12"
    assert decode_topic_partition("my-topic-12") == tp


def test_offset_sync_throttling() -> None:
    state = PartitionState(max_offset_lag=10)
    assert state.update(0, 100)  # first sync
    state.should_sync = False
    assert not state.update(1, 101)
    assert state.update(5, 102)  # an upstream record was skipped
    state.should_sync = False
    assert not state.update(6, 110)
    assert state.update(7, 113)  # drifted offset.lag.max beyond the last sync
    state.should_sync = False
    assert state.update(8, 5)  # the downstream topic was truncated
