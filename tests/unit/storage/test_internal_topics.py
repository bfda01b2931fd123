"""The internal topics' specifications, as Kafka Connect derives them from worker settings."""

from __future__ import annotations

import pytest

from sluice.api import ConfigError
from sluice.storage.internal_topics import InternalTopic


def test_defaults_and_forced_settings() -> None:
    settings = {"cleanup.policy": "delete", "partitions": "9", "replication.factor": "7", "x": "1"}
    configs = InternalTopic.config_topic("connect-configs", settings=settings)
    offsets = InternalTopic.offsets_topic("connect-offsets", settings=settings)
    status = InternalTopic.status_topic("connect-status", settings=settings)
    assert (configs.partitions, offsets.partitions, status.partitions) == (1, 25, 5)
    assert {configs.replication_factor, offsets.replication_factor, status.replication_factor} == {
        3
    }
    for topic in (configs, offsets, status):
        # compaction is forced; sizing keys are not topic configs; the rest passes through
        assert dict(topic.configs) == {"cleanup.policy": "compact", "x": "1"}
    assert (configs.setting, offsets.setting, status.setting) == (
        "config.storage.topic",
        "offset.storage.topic",
        "status.storage.topic",
    )
    assert offsets.prefix == "offset.storage."
    assert configs.single_partition and not offsets.single_partition


def test_broker_defaults_and_a_topic_name_is_required() -> None:
    topic = InternalTopic.offsets_topic("o", partitions=-1, replication_factor=-1)
    assert (topic.partitions, topic.replication_factor) == (-1, -1)
    with pytest.raises(ConfigError) as caught:
        InternalTopic.status_topic("  ")
    assert caught.value.key == "status.storage.topic"
