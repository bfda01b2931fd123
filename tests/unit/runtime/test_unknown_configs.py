"""Misspelt worker and connector keys are named with the nearest known one; real keys stay quiet."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import pytest

from sluice.api import ConfigDef, ConfigType
from sluice.api.did_you_mean import closest_name
from sluice.plugins.registry import PluginRegistry
from sluice.runtime import log_context
from sluice.runtime.connector_config import sink_connector_config_def, source_connector_config_def
from sluice.runtime.connector_validation import validate_connector_config
from sluice.runtime.distributed.config import distributed_config_def
from sluice.runtime.herder import BadRequestError
from sluice.runtime.unknown_configs import (
    UnknownConfig,
    connector_unknown_configs,
    unknown_connector_configs,
    unknown_worker_configs,
)
from sluice.runtime.validation import validate_or_raise
from sluice.runtime.worker_config import standalone_config_def

LOGGER = "sluice.runtime.unknown_configs"


@pytest.fixture(scope="module")
def registry() -> PluginRegistry:
    return PluginRegistry(entry_points=False)


def messages(unknown: list[UnknownConfig]) -> list[str]:
    return [str(u) for u in unknown]


# --- the nearest name


@pytest.mark.parametrize(
    ("name", "candidates", "expected"),
    [
        ("batch.sise", ["batch.size", "linger.ms"], "batch.size"),
        ("topc", ["topic", "file"], "topic"),
        ("filestreamsource", ["FileStreamSource", "FileStreamSink"], "FileStreamSource"),
        ("foo", ["batch.size", "topic", "file"], None),
        ("topic", ["topic", "topics"], None),  # a known name needs no hint
    ],
)
def test_closest_name(name: str, candidates: list[str], expected: str | None) -> None:
    assert closest_name(name, candidates) == expected


# --- worker configs


def test_worker_typos_are_named_with_the_nearest_key() -> None:
    props = {
        "bootstrap.servers": "localhost:9092",
        "offset.flush.intervall.ms": "1000",
        "batch.sise": "10",
        "rest.port": "8083",
        "foo": "bar",
    }

    assert messages(unknown_worker_configs(props, standalone_config_def())) == [
        "The configuration 'offset.flush.intervall.ms' was supplied but isn't a known config. "
        "Did you mean 'offset.flush.interval.ms'?",
        "The configuration 'batch.sise' was supplied but isn't a known config. "
        "Did you mean 'batch.size'?",
        "The configuration 'rest.port' was supplied but isn't a known config. "
        "Did you mean 'listeners'?",
        "The configuration 'foo' was supplied but isn't a known config.",
    ]


def test_kafka_worker_and_client_keys_are_not_reported() -> None:
    props = [
        # Kafka's worker keys, those sluice defines and those it does not act on
        "key.converter",
        "plugin.discovery",
        "rest.extension.classes",
        "access.control.allow.origin",
        "exactly.once.source.support",
        "log.format",
        # client settings a Kafka worker passes to its clients
        "client.id",
        "security.protocol",
        "metadata.max.age.ms",
        "group.id",
        # families
        "producer.linger.ms",
        "consumer.max.poll.records",
        "admin.request.timeout.ms",
        "key.converter.schemas.enable",
        "config.providers",
        "config.providers.file.class",
        "config.providers.vault.param.address",
        "listeners.https.ssl.keystore.location",
        "admin.listeners.https.ssl.key.password",
        "ssl.ca.location",
        "sasl.username",
        "metrics.context.cluster",
    ]

    assert unknown_worker_configs(props, standalone_config_def()) == []


def test_distributed_worker_keys_and_internal_topic_settings() -> None:
    props = ["group.id", "config.storage.topic", "status.storage.cleanup.policy", "offset.storge"]

    assert unknown_worker_configs(props, distributed_config_def()) == [
        UnknownConfig("offset.storge", "offset.storage.topic")
    ]


# --- connector configs

OWN = (
    ConfigDef()
    .define("connection.url", ConfigType.STRING, "")
    .define("connection.user", ConfigType.STRING, "")
    .define("batch.size", ConfigType.INT, 1)
    .define("file", ConfigType.STRING, "")
)


def test_connector_typos_are_named_with_the_nearest_key() -> None:
    props = [
        "name",
        "connector.class",
        "batch.sise",
        "fiel",
        "connection.usr",
        "errors.tolerence",
        "transform.route.type",
        "value.convertor.schemas.enable",
        "producer.overide.acks",
    ]

    assert unknown_connector_configs(props, source_connector_config_def(), OWN) == [
        UnknownConfig("batch.sise", "batch.size"),
        UnknownConfig("fiel", "file"),
        UnknownConfig("connection.usr", "connection.user"),
        UnknownConfig("errors.tolerence", "errors.tolerance"),
        UnknownConfig("transform.route.type", "transforms.route.type"),
        UnknownConfig("value.convertor.schemas.enable", "value.converter.schemas.enable"),
        UnknownConfig("producer.overide.acks", "producer.override.acks"),
    ]


def test_framework_families_and_pass_through_keys_are_not_reported() -> None:
    props = [
        "tasks.max",
        "topics",
        "errors.deadletterqueue.topic.name",
        "connector.plugin.version",  # Kafka 4.1's, whether or not sluice defines it yet
        "transforms",
        "transforms.route.type",
        "transforms.route.regex",
        "predicates.p.type",
        "key.converter.schemas.enable",
        "header.converter.converter.type",
        "producer.override.acks",
        "consumer.override.max.poll.records",
        "admin.override.request.timeout.ms",
        "topic.creation.default.partitions",
        # a driver property inside a family the connector declares, far from its names
        "connection.sslmode",
    ]

    assert unknown_connector_configs(props, sink_connector_config_def(), OWN) == []


def test_a_key_known_only_to_another_connector_gets_no_hint() -> None:
    unknown = unknown_connector_configs(["batch.sise"], sink_connector_config_def(), None)

    assert messages(unknown) == [
        "The configuration 'batch.sise' was supplied but isn't a known config."
    ]


def test_keys_come_from_the_connector_class(registry: PluginRegistry) -> None:
    config = {
        "name": "sink",
        "connector.class": "FileStreamSink",
        "topics": "t",
        "file": "/tmp/out",
        "fiel": "/tmp/out",
    }

    assert connector_unknown_configs(registry, config) == [UnknownConfig("fiel", "file")]
    missing = {**config, "connector.class": "NoSuchConnector"}
    assert connector_unknown_configs(registry, missing) == []  # validation says why


# --- where the warning appears


class _Herder:
    def __init__(self, registry: PluginRegistry) -> None:
        self.worker = SimpleNamespace(registry=registry)
        self.registry = registry

    def validate_connector_config(self, config: Mapping[str, str]) -> dict[str, Any]:
        return validate_connector_config(self.registry, config)


def test_creating_a_connector_logs_each_unknown_key_once(
    registry: PluginRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    herder: Any = _Herder(registry)
    config = {
        "name": "src",
        "connector.class": "FileStreamSource",
        "topic": "t",
        "file": "/tmp/in",
        "batch.sise": "10",
    }
    records: list[tuple[str, str]] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append((log_context.current().prefix, record.getMessage()))

    handler = Capture(logging.WARNING)
    logging.getLogger(LOGGER).addHandler(handler)
    try:
        validate_or_raise(herder, config)
        with pytest.raises(BadRequestError):  # invalid too: the warning still comes
            validate_or_raise(herder, {**config, "tasks.max": "zero"})
    finally:
        logging.getLogger(LOGGER).removeHandler(handler)

    warning = (
        "[src|worker] ",
        "The configuration 'batch.sise' was supplied but isn't a known config. "
        "Did you mean 'batch.size'?",
    )
    assert records == [warning, warning]
