"""Remote topic names and internal topics, as Kafka's DefaultReplicationPolicy and
IdentityReplicationPolicy give them."""

from __future__ import annotations

import pytest

from sluice.api import ConfigError
from sluice.connectors.mirror.replication_policy import (
    DefaultReplicationPolicy,
    IdentityReplicationPolicy,
    replication_policy,
)


def test_default_policy_names() -> None:
    p = DefaultReplicationPolicy()
    assert p.format_remote_topic("A", "orders") == "A.orders"
    assert p.topic_source("A.orders") == "A"
    assert p.upstream_topic("A.orders") == "orders"
    assert p.topic_source("orders") is None
    assert p.upstream_topic("orders") is None
    assert p.topic_source("A.") is None  # Java's split drops the trailing empty part
    assert p.original_topic("B.A.orders") == "orders"
    assert p.heartbeats_topic() == "heartbeats"
    assert p.offset_syncs_topic("B") == "mm2-offset-syncs.B.internal"
    assert p.checkpoints_topic("A") == "A.checkpoints.internal"
    assert p.is_heartbeats_topic("B.A.heartbeats")
    assert not p.is_heartbeats_topic("heartbeats2")
    assert p.is_checkpoints_topic("A.checkpoints.internal")


@pytest.mark.parametrize(
    ("topic", "internal"),
    [
        ("__consumer_offsets", True),
        (".hidden", True),
        ("connect-offsets-internal", True),
        ("mm2-offset-syncs.B.internal", True),
        ("A.checkpoints.internal", True),
        ("orders", False),
        ("A.orders", False),
    ],
)
def test_internal_topics(topic: str, internal: bool) -> None:
    assert DefaultReplicationPolicy().is_internal_topic(topic) is internal


def test_custom_separator() -> None:
    p = replication_policy({"replication.policy.separator": "_"})
    assert isinstance(p, DefaultReplicationPolicy)
    assert p.format_remote_topic("A", "my.orders") == "A_my.orders"
    assert p.topic_source("A_my.orders") == "A"
    assert p.upstream_topic("A_my.orders") == "my.orders"
    assert p.offset_syncs_topic("B") == "mm2-offset-syncs_B_internal"
    assert p.checkpoints_topic("A") == "A_checkpoints_internal"
    off = replication_policy(
        {
            "replication.policy.separator": "_",
            "replication.policy.internal.topic.separator.enabled": "false",
        }
    )
    assert off.offset_syncs_topic("B") == "mm2-offset-syncs.B.internal"


def test_identity_policy() -> None:
    p = replication_policy(
        {
            "replication.policy.class": "org.apache.kafka.connect.mirror.IdentityReplicationPolicy",
            "source.cluster.alias": "A",
        }
    )
    assert isinstance(p, IdentityReplicationPolicy)
    assert p.format_remote_topic("A", "orders") == "orders"
    assert p.format_remote_topic("A", "heartbeats") == "A.heartbeats"
    assert p.topic_source("orders") == "A"
    assert p.upstream_topic("orders") == "orders"
    assert p.original_topic("orders") == "orders"
    assert p.topic_source("A.heartbeats") == "A"


def test_unknown_policy_names_the_setting() -> None:
    with pytest.raises(ConfigError) as e:
        replication_policy({"replication.policy.class": "com.example.Nope"})
    assert e.value.key == "replication.policy.class"
