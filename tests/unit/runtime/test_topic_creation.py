import pytest

from sluice.api import ConfigError
from sluice.runtime.topic_creation import TopicCreation


def _tc(**config: str) -> TopicCreation | None:
    return TopicCreation.from_config(config, True, {})


def test_not_used_without_topic_creation_keys_or_when_worker_forbids() -> None:
    assert _tc(topic="x") is None
    assert (
        TopicCreation.from_config(
            {
                "topic.creation.default.partitions": "1",
                "topic.creation.default.replication.factor": "1",
            },
            False,
            {},
        )
        is None
    )


def test_groups_in_order_with_default_last() -> None:
    tc = _tc(
        **{
            "topic.creation.groups": "a,b",
            "topic.creation.default.replication.factor": "1",
            "topic.creation.default.partitions": "5",
            "topic.creation.a.include": "orders-.*, audit",
            "topic.creation.a.exclude": "orders-tmp",
            "topic.creation.a.partitions": "2",
            "topic.creation.a.cleanup.policy": "compact",
            "topic.creation.b.include": "orders-.*",
            "topic.creation.b.replication.factor": "-1",
        }
    )
    assert tc is not None
    assert [g.name for g in tc.groups] == ["a", "b", "default"]
    a = tc.group_for("orders-eu")
    assert (a.name, a.partitions, a.replication_factor, a.configs) == (
        "a",
        2,
        1,
        {"cleanup.policy": "compact"},
    )
    assert tc.group_for("audit").name == "a"
    assert tc.group_for("orders-tmp").name == "b"  # excluded from a, b inherits partitions
    assert tc.group_for("orders-tmp").partitions == 5
    assert tc.group_for("orders-tmp").replication_factor == -1
    assert tc.group_for("audit-log").name == "default"  # include must match fully


def test_missing_defaults_and_bad_values_name_the_key() -> None:
    with pytest.raises(ConfigError, match="topic.creation.default.partitions"):
        _tc(**{"topic.creation.default.replication.factor": "1"})
    with pytest.raises(ConfigError, match="topic.creation.default.replication.factor"):
        _tc(
            **{
                "topic.creation.default.replication.factor": "0",
                "topic.creation.default.partitions": "1",
            }
        )
    with pytest.raises(ConfigError, match="regular expression"):
        _tc(
            **{
                "topic.creation.groups": "g",
                "topic.creation.g.include": "(",
                "topic.creation.default.replication.factor": "1",
                "topic.creation.default.partitions": "1",
            }
        )


def test_default_group_takes_every_topic_no_other_group_matches() -> None:
    """Kafka's findFirstGroup: the default group is the fallback, whatever its exclude says."""
    tc = _tc(
        **{
            "topic.creation.groups": "a",
            "topic.creation.default.replication.factor": "1",
            "topic.creation.default.partitions": "3",
            "topic.creation.default.exclude": "audit.*",
            "topic.creation.a.include": "orders",
        }
    )
    assert tc is not None
    assert tc.group_for("orders").name == "a"
    assert tc.group_for("audit-log").name == "default"


def test_runtime_and_report_share_one_definition() -> None:
    """The keys the validate endpoint embeds per group are the keys the runtime parses."""
    from sluice.api import NO_DEFAULT
    from sluice.runtime.topic_creation_config import GROUP_KEYS, group_config_def

    assert set(group_config_def("default", NO_DEFAULT, NO_DEFAULT).keys) == GROUP_KEYS
    with pytest.raises(ConfigError, match="topic.creation.a.partitions") as e:
        _tc(
            **{
                "topic.creation.groups": "a",
                "topic.creation.default.replication.factor": "1",
                "topic.creation.default.partitions": "1",
                "topic.creation.a.partitions": "-2",
            }
        )
    assert e.value.key == "topic.creation.a.partitions"
