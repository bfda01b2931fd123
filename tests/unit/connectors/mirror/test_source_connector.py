"""MirrorSourceConnector's topic planning against in-memory clusters."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pytest

from sluice.api import ConfigError, ConnectorContext, TopicPartition
from sluice.connectors.mirror import source_connector
from sluice.connectors.mirror.source_connector import MirrorSourceConnector

CLUSTERS: dict[str, dict[str, Any]] = {}


class FakeAdmin:
    """A cluster as a dict: ``topics`` name -> partitions, ``configs`` name -> configs."""

    def __init__(self, alias: str, conf: Mapping[str, str]) -> None:
        self.state = CLUSTERS.setdefault(alias, {"topics": {}, "configs": {}})

    def partition_counts(self) -> dict[str, int]:
        return dict(self.state["topics"])

    def topic_configs(
        self, topics: Iterable[str], keep: Callable[[str], bool]
    ) -> dict[str, dict[str, str]]:
        return {
            t: {k: v for k, v in self.state["configs"].get(t, {}).items() if keep(k)}
            for t in topics
        }

    def create_topics(self, topics: Iterable[Any]) -> None:
        for t in topics:
            self.state["topics"][t.topic] = t.num_partitions
            self.state["configs"][t.topic] = dict(t.config)

    def create_compacted_topic(self, name: str, replication_factor: int) -> None:
        self.state["topics"][name] = 1

    def add_partitions(self, counts: Mapping[str, int]) -> None:
        self.state["topics"].update(counts)

    def set_topic_configs(self, configs: Mapping[str, Mapping[str, str]]) -> None:
        for t, c in configs.items():
            self.state["configs"].setdefault(t, {}).update(c)


class Context(ConnectorContext):
    def __init__(self) -> None:
        self.reconfigurations = 0
        self.errors: list[Exception] = []

    def request_task_reconfiguration(self) -> None:
        self.reconfigurations += 1

    def raise_error(self, error: Exception) -> None:
        self.errors.append(error)


PROPS = {
    "source.cluster.alias": "A",
    "target.cluster.alias": "B",
    "source.cluster.bootstrap.servers": "a:9092",
    "target.cluster.bootstrap.servers": "b:9092",
    "refresh.topics.enabled": "false",
    "sync.topic.configs.enabled": "true",
}


@pytest.fixture(autouse=True)
def clusters(monkeypatch: pytest.MonkeyPatch) -> None:
    CLUSTERS.clear()
    CLUSTERS["A"] = {
        "topics": {"orders": 3, "pay": 1, "__consumer_offsets": 50, "B.orders": 3},
        "configs": {"orders": {"retention.ms": "1000", "min.insync.replicas": "2"}},
    }
    monkeypatch.setattr(source_connector, "ClusterAdmin", FakeAdmin)


def started(**extra: str) -> MirrorSourceConnector:
    connector = MirrorSourceConnector()
    connector.initialize(Context())
    connector.start({**PROPS, **extra})
    return connector


def test_remote_topics_created_with_partitions_and_configs() -> None:
    connector = started()
    try:
        b = CLUSTERS["B"]
        assert b["topics"]["A.orders"] == 3
        assert b["topics"]["A.pay"] == 1
        assert "A.B.orders" not in b["topics"]  # came from B: a cycle
        assert "A.__consumer_offsets" not in b["topics"]
        assert b["configs"]["A.orders"] == {"retention.ms": "1000"}  # min.insync excluded
        assert CLUSTERS["A"]["topics"]["mm2-offset-syncs.B.internal"] == 1
        configs = connector.task_configs(2)
        assert [c["task.assigned.partitions"] for c in configs] == [
            "orders-0,orders-2",
            "orders-1,pay-0",
        ]
        assert configs[0]["task.index"] == "0"
    finally:
        connector.stop()


def test_refresh_follows_new_topics_and_partitions() -> None:
    connector = started()
    try:
        CLUSTERS["A"]["topics"]["orders"] = 5
        CLUSTERS["A"]["topics"]["late"] = 2
        found = connector.refresh()
        assert CLUSTERS["B"]["topics"]["A.orders"] == 5
        assert CLUSTERS["B"]["topics"]["A.late"] == 2
        assert TopicPartition("orders", 4) in found and TopicPartition("late", 1) in found
    finally:
        connector.stop()


def test_offset_syncs_on_target() -> None:
    connector = started(**{"offset-syncs.topic.location": "target"})
    connector.stop()
    assert "mm2-offset-syncs.B.internal" in CLUSTERS["B"]["topics"]


def test_identity_policy_refuses_a_reverse_flow() -> None:
    CLUSTERS["A"]["topics"]["B.heartbeats"] = 1  # B -> A replicates into A
    with pytest.raises(ConfigError, match="loop"):
        started(**{"replication.policy.class": "IdentityReplicationPolicy"})


def test_no_topics_no_tasks() -> None:
    connector = started(topics="nothing-matches")
    try:
        assert connector.task_configs(4) == []
    finally:
        connector.stop()


def test_validate_reports_on_the_key() -> None:
    values = MirrorSourceConnector().validate({**PROPS, "topics": "([unclosed"})
    errors = {v.name: v.errors for v in values if v.errors}
    assert list(errors) == ["topics"]
    values = MirrorSourceConnector().validate(
        {**PROPS, "target.cluster.bootstrap.servers": "A:9092"}
    )
    assert [v.name for v in values if v.errors] == ["target.cluster.bootstrap.servers"]
