"""The typed connector config: the defaults of Kafka's ConnectorConfig definitions, and bad values
refused with an error that names the key."""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

import pytest

from sluice.api import ConfigError
from sluice.runtime.connector_config import (
    TASKS_MAX_DEFAULT,
    ConnectorConfig,
    ErrorHandlingConfig,
    SinkConnectorConfig,
    SourceConnectorConfig,
    check_sink_topics,
    connector_config_def,
    parse_connector_config,
    sink_connector_config_def,
    source_connector_config_def,
)

BASE = {"name": "c", "connector.class": "FileStreamSource"}
SINK = {"name": "s", "connector.class": "FileStreamSink", "topics": "t"}


def test_source_defaults_are_kafka_connects() -> None:
    config = SourceConnectorConfig.parse(BASE)
    assert config == SourceConnectorConfig(
        name="c",
        connector_class="FileStreamSource",
        tasks_max=1,
        tasks_max_enforce=True,
        key_converter=None,
        value_converter=None,
        header_converter=None,
        transforms=(),
        predicates=(),
        config_action_reload="restart",
        errors=ErrorHandlingConfig(
            retry_timeout_ms=0,
            retry_delay_max_ms=60000,
            tolerance="none",
            log_enable=False,
            log_include_messages=False,
            dlq_topic="",
            dlq_replication_factor=3,
            dlq_context_headers=False,
        ),
        topic_creation_groups=(),
        exactly_once_support="requested",
        transaction_boundary="poll",
        transaction_boundary_interval_ms=None,
        offsets_storage_topic=None,
    )
    assert config.errors.retry_timeout == 0.0
    assert config.errors.retry_delay_max == 60.0
    assert not config.errors.tolerate_all


def test_defaults_come_from_the_definitions() -> None:
    """What the validate endpoint shows as a default is what the runtime uses."""
    keys = source_connector_config_def().keys
    config = SourceConnectorConfig.parse(BASE)
    assert config.tasks_max == keys["tasks.max"].default == TASKS_MAX_DEFAULT
    assert config.tasks_max_enforce is keys["tasks.max.enforce"].default
    assert config.errors.retry_timeout_ms == keys["errors.retry.timeout"].default
    assert config.errors.retry_delay_max_ms == keys["errors.retry.delay.max.ms"].default
    assert config.errors.tolerance == keys["errors.tolerance"].default
    replication = keys["errors.deadletterqueue.topic.replication.factor"].default
    assert config.errors.dlq_replication_factor == replication
    assert config.exactly_once_support == keys["exactly.once.support"].default
    assert config.transaction_boundary == keys["transaction.boundary"].default
    assert config.config_action_reload == keys["config.action.reload"].default
    assert set(connector_config_def().keys) < set(keys)


def test_sink_topics_and_regex() -> None:
    config = SinkConnectorConfig.parse({**SINK, "topics": " a, ,b "})
    assert (config.topics, config.topics_regex) == (("a", "b"), None)
    regex = SinkConnectorConfig.parse({**SINK, "topics": "", "topics.regex": "orders-.*"})
    assert (regex.topics, regex.topics_regex) == ((), "orders-.*")
    assert isinstance(parse_connector_config(SINK, is_sink=True), SinkConnectorConfig)
    assert isinstance(parse_connector_config(BASE, is_sink=False), SourceConnectorConfig)


def test_values_are_parsed_and_normalised() -> None:
    config = SourceConnectorConfig.parse(
        {
            **BASE,
            "tasks.max": " 4 ",
            "key.converter": "StringConverter",
            "header.converter": "",
            "transforms": "a, b",
            "errors.tolerance": "ALL",
            "errors.retry.timeout": "-1",
            "errors.retry.delay.max.ms": "250",
            "errors.log.enable": "true",
            "errors.deadletterqueue.topic.name": " dlq ",
            "exactly.once.support": "REQUIRED",
            "transaction.boundary.interval.ms": "500",
        }
    )
    assert config.tasks_max == 4
    assert config.converter("key") == "StringConverter"
    assert config.converter("value") is None
    assert config.converter("header") is None  # blank means "use the worker's"
    assert config.transforms == ("a", "b")
    assert config.errors.tolerate_all
    assert math.isinf(config.errors.retry_timeout)
    assert config.errors.retry_delay_max == 0.25
    assert config.errors.log_enable and config.errors.dlq_topic == "dlq"
    assert config.exactly_once_support == "required"
    assert config.transaction_boundary_interval_ms == 500


def test_frozen() -> None:
    config: ConnectorConfig = SourceConnectorConfig.parse(BASE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.tasks_max = 2  # type: ignore[misc]


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("tasks.max", "0", "Value must be at least 1"),
        ("tasks.max", "many", "Not a number of type INT"),
        ("tasks.max.enforce", "maybe", "Expected value to be either true or false"),
        ("errors.tolerance", "some", "String must be one of"),
        ("errors.retry.timeout", "soon", "Not a number of type LONG"),
        ("errors.deadletterqueue.topic.replication.factor", "70000", "Not a number of type SHORT"),
        ("exactly.once.support", "always", "String must be one of"),
        ("transforms", "a,a", "Duplicate alias provided."),
    ],
)
def test_bad_values_name_the_key(key: str, value: str, reason: str) -> None:
    pattern = rf"^Invalid value .+ for configuration {re.escape(key)}: "
    with pytest.raises(ConfigError, match=pattern) as e:
        SourceConnectorConfig.parse({**BASE, key: value})
    assert e.value.key == key
    assert reason in str(e.value)


def test_missing_required_keys_are_named() -> None:
    with pytest.raises(ConfigError, match='"connector.class" which has no default value') as e:
        SourceConnectorConfig.parse({"name": "c"})
    assert e.value.key == "connector.class"
    with pytest.raises(ConfigError, match="name") as e:
        SinkConnectorConfig.parse({"connector.class": "FileStreamSink", "topics": "t"})
    assert e.value.key == "name"


def test_error_handling_alone() -> None:
    errors = ErrorHandlingConfig.parse({"errors.tolerance": "all", "unrelated": "x"})
    assert errors.tolerate_all and errors.retry_timeout_ms == 0
    with pytest.raises(ConfigError, match="errors.retry.delay.max.ms") as e:
        ErrorHandlingConfig.parse({"errors.retry.delay.max.ms": "1.5"})
    assert e.value.key == "errors.retry.delay.max.ms"


@pytest.mark.parametrize(
    ("extra", "key", "message"),
    [
        ({"topics.regex": "t.*"}, "topics", "mutually exclusive"),
        ({"topics": ""}, "topics", "Must configure one of topics or topics.regex"),
        (
            {"topics": "a,dlq", "errors.deadletterqueue.topic.name": "dlq"},
            "topics",
            "The DLQ topic 'dlq' may not be included in the list of topics",
        ),
        (
            {"topics": "", "topics.regex": "d.*", "errors.deadletterqueue.topic.name": "dlq"},
            "topics.regex",
            "may not be matched by the regex",
        ),
    ],
)
def test_sink_topic_rules(extra: dict[str, Any], key: str, message: str) -> None:
    props = {**SINK, **extra}
    SinkConnectorConfig.parse(props)  # each key parses on its own
    with pytest.raises(ConfigError, match=message) as e:
        check_sink_topics(props)
    assert e.value.key == key


def test_sink_keys_only_for_sinks() -> None:
    assert "topics" in sink_connector_config_def().keys
    assert "topics" not in source_connector_config_def().keys
    assert "exactly.once.support" not in sink_connector_config_def().keys
