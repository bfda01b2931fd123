"""The ConfigInfos report, checked against what Kafka Connect 4.1 answers for the same input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sluice.api import NotFoundError
from sluice.plugins.registry import PluginRegistry
from sluice.runtime.config_infos import config_key_info
from sluice.runtime.connector_config import connector_config_def
from sluice.runtime.connector_validation import (
    connector_type,
    plugin_config,
    validate_connector_config,
)
from sluice.runtime.herder import BadRequestError
from sluice.runtime.status import ConnectorType

PLUGINS = Path(__file__).parent / "config_infos_plugins"
SRC = "cip_plugins.SrcConnector"
SNK = "cip_plugins.SnkConnector"
SOURCE_GROUPS = [
    "Common",
    "Transforms",
    "Predicates",
    "Error Handling",
    "Topic Creation",
    "Exactly Once Support",
    "offsets.topic",
]
SINK_GROUPS = ["Common", "Transforms", "Predicates", "Error Handling"]


@pytest.fixture(scope="module")
def registry() -> PluginRegistry:
    return PluginRegistry([PLUGINS], entry_points=False)


def validate(registry: PluginRegistry, **kwargs: Any) -> dict[str, Any]:
    config = kwargs.pop("config")
    return validate_connector_config(registry, config, **kwargs)


def entry(report: dict[str, Any], name: str) -> dict[str, Any]:
    found = [c for c in report["configs"] if (c["value"] or c["definition"])["name"] == name]
    assert found, f"{name} not in report"
    result: dict[str, Any] = found[-1]
    return result


def errors(report: dict[str, Any]) -> dict[str, list[str]]:
    return {
        c["value"]["name"]: c["value"]["errors"]
        for c in report["configs"]
        if c["value"] and c["value"]["errors"]
    }


def test_missing_name_is_the_only_error(registry: PluginRegistry) -> None:
    report = validate(registry, config={"connector.class": SRC, "topic": "t"})
    assert report["name"] == SRC
    assert report["error_count"] == 1
    assert report["groups"] == SOURCE_GROUPS
    first = report["configs"][0]
    assert first == {
        "definition": {
            "name": "name",
            "type": "STRING",
            "required": True,
            "default_value": None,
            "importance": "HIGH",
            "documentation": "Globally unique name to use for this connector.",
            "group": "Common",
            "width": "MEDIUM",
            "display_name": "Connector name",
            "dependents": [],
            "order": 1,
        },
        "value": {
            "name": "name",
            "value": None,
            "recommended_values": [],
            "errors": ['Missing required configuration "name" which has no default value.'],
            "visible": True,
        },
    }
    assert list(first["definition"]) == [
        "name",
        "type",
        "required",
        "default_value",
        "importance",
        "documentation",
        "group",
        "width",
        "display_name",
        "dependents",
        "order",
    ]


def test_framework_keys_then_connector_keys(registry: PluginRegistry) -> None:
    report = validate(registry, config={"connector.class": SRC, "name": "x", "topic": "t"})
    names = [c["definition"]["name"] for c in report["configs"]]
    framework = list(connector_config_def().keys)
    assert names[: len(framework)] == framework
    assert names[-3:] == ["topic", "batch.size", "secret"]
    assert report["error_count"] == 0
    assert entry(report, "batch.size")["value"]["value"] == "2000"
    assert entry(report, "tasks.max")["value"]["value"] == "1"


def test_values_are_rendered_as_kafka_strings(registry: PluginRegistry) -> None:
    config = {
        "connector.class": SRC,
        "name": "x",
        "topic": "t",
        "tasks.max": " 01 ",
        "transforms": "",
        "errors.log.enable": "TRUE",
        "secret": "s3cret",
    }
    report = validate(registry, config=config)
    assert entry(report, "tasks.max")["value"]["value"] == "1"
    assert entry(report, "errors.log.enable")["value"]["value"] == "true"
    assert entry(report, "transforms")["value"]["value"] == ""
    assert entry(report, "secret")["value"]["value"] == "[hidden]"
    assert "s3cret" not in repr(report)


def test_no_connector_class_is_a_bad_request(registry: PluginRegistry) -> None:
    with pytest.raises(BadRequestError) as e:
        validate(registry, config={"name": "x", "topics": "a"})
    assert str(e.value) == "Connector config {name=x, topics=a} contains no connector type"


def test_unknown_connector_class_lists_the_installed_ones(registry: PluginRegistry) -> None:
    for name in ("Nope", "no.such.module.Klass", "cip_plugins.Upper"):
        with pytest.raises(BadRequestError) as e:
            validate(registry, config={"connector.class": name})
        message = str(e.value)
        assert message.startswith(
            f"Failed to find any class that implements Connector and which name matches {name}, "
            "available connectors are: "
        )
        assert "org.apache.kafka.connect.file.FileStreamSinkConnector" in message


def test_misspelt_connector_class_gets_a_hint(registry: PluginRegistry) -> None:
    with pytest.raises(BadRequestError) as e:
        validate(registry, config={"connector.class": "FileStreamSorce"})

    message = str(e.value)
    assert message.startswith(
        "Failed to find any class that implements Connector and which name matches "
        "FileStreamSorce, available connectors are: "
    )
    assert "org.apache.kafka.connect.file.FileStreamSourceConnector, " in message
    assert message.endswith("Connector. Did you mean 'FileStreamSource'?")


def test_an_abstract_connector_class_is_named_with_what_it_lacks(registry: PluginRegistry) -> None:
    with pytest.raises(BadRequestError) as e:
        validate(registry, config={"connector.class": "HalfConnector"})
    assert str(e.value).endswith(
        f"cip_plugins.HalfConnector ({PLUGINS}) is abstract: it does not implement config()"
    )


def test_parse_and_validator_errors_as_kafka(registry: PluginRegistry) -> None:
    report = validate(
        registry, config={"connector.class": SRC, "name": "x", "topic": "t", "tasks.max": "abc"}
    )
    tasks_max = entry(report, "tasks.max")["value"]
    assert tasks_max["value"] is None
    assert (
        tasks_max["errors"][0]
        == "Invalid value abc for configuration tasks.max: Not a number of type INT"
    )
    assert "Value must be non-null" in tasks_max["errors"][1]
    assert report["error_count"] == 2

    report = validate(
        registry, config={"connector.class": SRC, "name": "x", "topic": "t", "tasks.max": "0"}
    )
    assert entry(report, "tasks.max")["value"] == {
        "name": "tasks.max",
        "value": "0",
        "recommended_values": [],
        "errors": ["Invalid value 0 for configuration tasks.max: Value must be at least 1"],
        "visible": True,
    }


def test_null_values(registry: PluginRegistry) -> None:
    config = {"connector.class": SRC, "name": "x", "topic": "t", "unknown": None, "tasks.max": None}
    report = validate(registry, config=config)
    assert report["configs"][0] == {
        "definition": None,
        "value": {
            "name": "unknown",
            "value": None,
            "recommended_values": [],
            "errors": ["Null value can not be supplied as the configuration value."],
            "visible": True,
        },
    }
    tasks_max = entry(report, "tasks.max")["value"]["errors"]
    assert tasks_max[-1] == "Null value can not be supplied as the configuration value."
    assert report["error_count"] == 1 + len(tasks_max)


def test_sink_topic_rules(registry: PluginRegistry) -> None:
    report = validate(registry, config={"connector.class": SNK, "name": "x"})
    assert report["groups"] == SINK_GROUPS
    assert errors(report) == {
        "topics": ["Must configure one of topics or topics.regex"],
        "topics.regex": ["Must configure one of topics or topics.regex"],
    }
    report = validate(
        registry,
        config={
            "connector.class": SNK,
            "name": "x",
            "topics": "a,b",
            "topics.regex": "a.*",
            "errors.deadletterqueue.topic.name": "a",
        },
    )
    assert errors(report) == {
        "topics": [
            "topics and topics.regex are mutually exclusive options, but both are set.",
            "The DLQ topic 'a' may not be included in the list of topics ('topics=[a, b]') "
            "consumed by the connector",
        ],
        "topics.regex": [
            "topics and topics.regex are mutually exclusive options, but both are set.",
            "The DLQ topic 'a' may not be matched by the regex for the topics "
            "('topics.regex=a.*') consumed by the connector",
        ],
    }
    assert report["error_count"] == 4


def test_transforms_are_enriched_per_alias(registry: PluginRegistry) -> None:
    config = {
        "connector.class": SNK,
        "name": "x",
        "topics": "a",
        "transforms": "u, bad",
        "transforms.u.type": "cip_plugins.Upper",
        "transforms.u.field": "f",
        "transforms.bad.type": "Nope",
    }
    report = validate(registry, config=config)
    assert report["groups"] == [*SINK_GROUPS, "Transforms: u", "Transforms: bad"]
    u = [c for c in report["configs"] if c["definition"]["name"].startswith("transforms.u.")]
    assert [(c["definition"]["name"], c["definition"]["order"]) for c in u] == [
        ("transforms.u.type", 0),
        ("transforms.u.plugin.version", 1),  # Kafka 4.1 (KIP-891)
        ("transforms.u.field", 2),  # required first
        ("transforms.u.mode", 3),  # then by importance and name
        ("transforms.u.negate", 4),
        ("transforms.u.predicate", 5),  # the implicit key masks the transform's own
    ]
    type_entry = u[0]
    assert type_entry["definition"]["type"] == "CLASS"
    assert type_entry["definition"]["required"] is True
    assert type_entry["definition"]["display_name"] == "Transformation type for u"
    assert type_entry["definition"]["documentation"] == "Class for the 'u' transformation."
    assert type_entry["value"]["value"] == "cip_plugins.Upper"
    assert "cip_plugins.Upper" in type_entry["value"]["recommended_values"]
    assert entry(report, "transforms.u.predicate")["definition"]["type"] == "STRING"
    assert errors(report) == {
        "transforms.bad.type": [
            "Invalid value Nope for configuration transforms.bad.type: Class Nope could not be "
            "found."
        ]
    }
    assert entry(report, "transforms.bad.type")["value"]["value"] is None


def test_embedded_validators_name_the_unprefixed_key(registry: PluginRegistry) -> None:
    config = {
        "connector.class": SNK,
        "name": "x",
        "topics": "a",
        "transforms": "u",
        "transforms.u.type": "Upper",
        "transforms.u.mode": "c",
    }
    assert errors(validate(registry, config=config)) == {
        "transforms.u.field": [
            'Missing required configuration "transforms.u.field" which has no default value.'
        ],
        "transforms.u.mode": [
            "Invalid value c for configuration mode: String must be one of: a, b"
        ],
    }


def test_transform_and_predicate_kind_checks(registry: PluginRegistry) -> None:
    base = {"connector.class": SNK, "name": "x", "topics": "a"}
    report = validate(
        registry,
        config={
            **base,
            "transforms": "t",
            "transforms.t.type": "cip_plugins.Matches",
            "transforms.t.negate": "true",
        },
    )
    assert errors(report) == {
        "transforms.t.type": [
            "Config 'transforms.t.negate' was provided but there is no config "
            "'transforms.t.predicate' defining a predicate to be negated."
        ]
    }
    report = validate(
        registry,
        config={**base, "predicates": "p", "predicates.p.type": "cip_plugins.Upper"},
    )
    assert report["groups"] == [*SINK_GROUPS, "Predicates: p"]
    assert errors(report) == {
        "predicates.p.type": [
            "Class class cip_plugins.Upper does not implement the Predicate interface"
        ]
    }
    report = validate(
        registry,
        config={**base, "predicates": "p", "predicates.p.type": "Matches"},
    )
    assert errors(report) == {
        "predicates.p.pattern": [
            'Missing required configuration "predicates.p.pattern" which has no default value.'
        ]
    }


def test_duplicate_aliases(registry: PluginRegistry) -> None:
    report = validate(
        registry,
        config={"connector.class": SNK, "name": "x", "topics": "a", "transforms": "a,b,a"},
    )
    problems = errors(report)
    assert "Duplicate alias provided." in problems["transforms"][0]
    assert set(problems) == {"transforms", "transforms.a.type", "transforms.b.type"}


def test_converters_from_worker_and_connector(registry: PluginRegistry) -> None:
    worker = {
        "key.converter": "cip_plugins.JConverter",
        "value.converter": "cip_plugins.JConverter",
    }
    config = {
        "connector.class": SNK,
        "name": "x",
        "topics": "a",
        "value.converter": "cip_plugins.JConverter",
        "value.converter.schemas.enable": "maybe",
        "header.converter": "cip_plugins.Upper",
    }
    report = validate(registry, config=config, worker_config=worker)
    key = entry(report, "key.converter")
    assert key["definition"]["default_value"] == "cip_plugins.JConverter"
    assert key["value"]["value"] == "cip_plugins.JConverter"
    assert "cip_plugins.JConverter" in key["value"]["recommended_values"]
    assert errors(report) == {
        "header.converter": [
            "Class class cip_plugins.Upper does not implement the HeaderConverter interface"
        ],
        "value.converter.schemas.enable": [
            "Invalid value maybe for configuration schemas.enable: Expected value to be either "
            "true or false"
        ],
    }
    schemas = entry(report, "value.converter.schemas.enable")
    assert schemas["definition"]["name"] == "value.converter.schemas.enable"
    assert schemas["definition"]["group"] == "Schemas"
    assert report["groups"][-1] == "Schemas"
    assert report["error_count"] == 2
    assert [
        c["value"]["name"]
        for c in report["configs"]
        if c["value"] and c["value"]["name"].startswith("key.converter.")
    ] == ["key.converter.plugin.version"]


def test_plugin_versions(registry: PluginRegistry) -> None:
    """KIP-891's keys, as Kafka Connect 4.1.1 answers: the installed version as default, value
    and only recommendation; a version that is not the installed one is an error on the class
    key and the version key; a malformed range is Maven's message."""
    worker = {"key.converter": "cip_plugins.JConverter", "value.converter": "Nope"}
    config = {
        "connector.class": SNK,
        "name": "x",
        "topics": "a",
        "transforms": "u,bad",
        "transforms.u.type": "cip_plugins.Upper",
        "transforms.u.field": "f",
        "transforms.bad.type": "Nope",
    }
    report = validate(registry, config=config, worker_config=worker)
    assert set(errors(report)) == {"transforms.bad.type"}
    version = entry(report, "connector.plugin.version")
    assert {k: version["definition"][k] for k in ("type", "default_value", "group", "order")} == {
        "type": "STRING",
        "default_value": "unknown",  # what cip_plugins' version() says
        "group": "Common",
        "order": 3,
    }
    assert version["value"] == {
        "name": "connector.plugin.version",
        "value": "unknown",
        "recommended_values": ["unknown"],
        "errors": [],
        "visible": True,
    }
    key = entry(report, "key.converter.plugin.version")
    assert (key["definition"]["default_value"], key["definition"]["order"]) == ("unknown", 7)
    # the worker's value converter cannot be loaded: no version, hidden
    value = entry(report, "value.converter.plugin.version")["value"]
    assert (value["value"], value["recommended_values"], value["visible"]) == (None, [], False)
    assert entry(report, "header.converter.plugin.version")["definition"]["order"] == 11
    transform = entry(report, "transforms.u.plugin.version")
    assert transform["definition"]["display_name"] == "Transformation version for u"
    assert transform["value"]["recommended_values"] == ["unknown"]
    assert entry(report, "transforms.bad.plugin.version")["value"]["value"] is None
    assert [
        (c["definition"]["name"], c["definition"]["order"])
        for c in report["configs"]
        if c["definition"] and c["definition"]["group"] == "Error Handling"
    ][:5] == [
        ("errors.retry.timeout", 1),
        ("errors.retry.delay.max.ms", 2),
        ("errors.tolerance", 3),
        ("errors.log.enable", 4),
        ("errors.log.include.messages", 5),
    ]

    wanted = {
        **config,
        "transforms": "u",
        "connector.plugin.version": "[1.0,2.0)",
        "key.converter": "cip_plugins.JConverter",
        "key.converter.plugin.version": "(1.0)",
        "transforms.u.plugin.version": "2.0",
        "value.converter.plugin.version": "latest",
    }
    del wanted["transforms.bad.type"]
    missing = (
        f"Plugin {SNK} not found that matches the version range [1.0,2.0), "
        "available versions: [unknown]"
    )
    exact = (
        "Plugin cip_plugins.Upper not found that matches the version range [2.0,2.0], "
        "available versions: [unknown]"
    )
    assert errors(validate(registry, config=wanted)) == {
        "connector.class": [missing],
        "connector.plugin.version": [missing],
        "key.converter.plugin.version": ["Single version must be surrounded by []: (1.0)"],
        "transforms.u.type": [exact],
        "transforms.u.plugin.version": [exact],
    }
    with pytest.raises(BadRequestError, match="Unbounded range: \\[1.0"):
        validate(registry, config={**wanted, "connector.plugin.version": "[1.0"})
    keys = {k["name"]: k for k in plugin_config(registry, SNK)}
    assert keys["connector.plugin.version"]["default_value"] == "unknown"
    assert keys["key.converter.plugin.version"]["default_value"] is None


def test_client_overrides(registry: PluginRegistry) -> None:
    config = {
        "connector.class": SRC,
        "name": "x",
        "topic": "t",
        "producer.override.acks": "all",
        "producer.override.sasl.jaas.config": (
            'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" '
            'password="secret-jaas";'
        ),
        "consumer.override.max.poll.records": "5",
    }
    report = validate(registry, config=config)
    tail = report["configs"][-2:]
    assert tail == [
        {
            "definition": None,
            "value": {
                "name": "producer.override.acks",
                "value": "all",
                "recommended_values": [],
                "errors": [],
                "visible": True,
            },
        },
        {
            "definition": None,
            "value": {
                "name": "producer.override.sasl.jaas.config",
                "value": "[hidden]",
                "recommended_values": [],
                "errors": [],
                "visible": True,
            },
        },
    ]
    assert "secret-jaas" not in repr(report)
    names = [c["value"]["name"] for c in report["configs"] if c["value"]]
    assert "consumer.override.max.poll.records" not in names  # a source has no consumer

    broken = {**config, "producer.override.sasl.jaas.config": 'x required password="secret-jaas"'}
    broken["producer.override.sasl.mechanism"] = "GSSAPI"
    report = validate(registry, config=broken)
    assert set(errors(report)) == {
        "producer.override.sasl.jaas.config",
        "producer.override.sasl.mechanism",
    }
    assert "secret-jaas" not in repr(report)

    report = validate(
        registry,
        config=config,
        worker_config={
            "connector.client.config.override.policy": "org.apache.kafka.connect.connector."
            "policy.PrincipalConnectorClientConfigOverridePolicy"
        },
    )
    assert errors(report) == {
        "producer.override.acks": [
            "The 'Principal' policy does not allow 'acks' to be overridden in the connector "
            "configuration."
        ]
    }
    assert report["error_count"] == 1


def test_sink_overrides_consumer_and_dlq_producer(registry: PluginRegistry) -> None:
    config = {
        "connector.class": SNK,
        "name": "x",
        "topics": "a",
        "consumer.override.max.poll.records": "5",
        "producer.override.acks": "1",
        "admin.override.x": "1",
    }
    names = [c["value"]["name"] for c in validate(registry, config=config)["configs"] if c["value"]]
    assert "consumer.override.max.poll.records" in names
    assert "producer.override.acks" not in names
    assert "admin.override.x" not in names
    config["errors.deadletterqueue.topic.name"] = "dlq"
    report = validate(
        registry, config=config, worker_config={"connector.client.config.override.policy": "None"}
    )
    names = [c["value"]["name"] for c in report["configs"] if c["value"]]
    assert {"producer.override.acks", "admin.override.x"} <= set(names)
    assert report["error_count"] == 3


def test_topic_creation_groups(registry: PluginRegistry) -> None:
    config = {
        "connector.class": SRC,
        "name": "x",
        "topic": "t",
        "topic.creation.groups": "g1",
        "topic.creation.default.partitions": "3",
        "topic.creation.g1.include": "a.*",
        "topic.creation.g1.exclude": "(",
    }
    report = validate(registry, config=config)
    assert report["groups"][-2:] == ["Topic Creation: default", "Topic Creation: g1"]
    problems = errors(report)
    assert problems["topic.creation.default.replication.factor"] == [
        'Missing required configuration "topic.creation.default.replication.factor" which has no '
        "default value."
    ]
    assert "Syntax error in regular expression" in problems["topic.creation.g1.exclude"][0]
    assert entry(report, "topic.creation.g1.partitions")["definition"]["default_value"] == "3"
    assert entry(report, "topic.creation.g1.include")["value"]["value"] == "a.*"
    assert len(problems) == 2

    plain = validate(registry, config={"connector.class": SRC, "name": "x", "topic": "t"})
    assert "Topic Creation: default" not in plain["groups"]
    disabled = validate(registry, config=config, worker_config={"topic.creation.enable": "false"})
    assert disabled["error_count"] == 0


def test_config_provider_placeholders_are_shown_not_resolved(registry: PluginRegistry) -> None:
    config = {
        "connector.class": SRC,
        "name": "x",
        "topic": "${env:TOPIC}",
        "tasks.max": "${env:TASKS}",
        "secret": "${file:/s:pw}",
    }
    resolved = {"${env:TOPIC}": "real-topic", "${env:TASKS}": "2", "${file:/s:pw}": "hunter2"}

    def transform(c: Any) -> dict[str, str]:
        return {k: resolved.get(v, v) for k, v in c.items()}

    report = validate(registry, config=config, config_transformer=transform)
    assert report["error_count"] == 0
    assert entry(report, "tasks.max")["value"]["value"] == "${env:TASKS}"
    assert entry(report, "topic")["value"]["value"] == "${env:TOPIC}"
    assert entry(report, "secret")["value"]["value"] == "[hidden]"
    assert "hunter2" not in repr(report) and "real-topic" not in repr(report)


def test_connector_type(registry: PluginRegistry) -> None:
    assert connector_type(registry, {"connector.class": "Src"}) is ConnectorType.SOURCE
    assert connector_type(registry, {"connector.class": "FileStreamSink"}) is ConnectorType.SINK
    assert connector_type(registry, {"connector.class": "Nope"}) is ConnectorType.UNKNOWN
    assert connector_type(registry, {}) is ConnectorType.UNKNOWN


def test_plugin_config(registry: PluginRegistry) -> None:
    keys = plugin_config(registry, "SrcConnector")
    names = [k["name"] for k in keys]
    assert names[:3] == ["topic", "batch.size", "secret"]
    assert names[3:5] == ["name", "connector.class"]
    assert "topic.creation.groups" in names
    assert keys[0] == {
        "name": "topic",
        "type": "STRING",
        "required": True,
        "default_value": None,
        "importance": "HIGH",
        "documentation": "Topic",
        "group": None,
        "width": "NONE",
        "display_name": "topic",
        "dependents": [],
        "order": -1,
    }
    assert [k["name"] for k in plugin_config(registry, "Upper")] == ["mode", "field", "predicate"]
    assert [k["name"] for k in plugin_config(registry, "cip_plugins.JConverter")] == [
        "schemas.enable"
    ]
    with pytest.raises(NotFoundError, match=r"^Unknown plugin Nope\.$"):
        plugin_config(registry, "Nope")
    with pytest.raises(NotFoundError):
        plugin_config(registry, "os.path")  # never imports what is not installed
    with pytest.raises(BadRequestError) as e:
        plugin_config(registry, "cip_plugins.Secrets")
    assert str(e.value) == (
        "Invalid plugin class cip_plugins.Secrets. Valid types are sink, source, converter, "
        "header_converter, transformation, predicate."
    )


def test_config_key_info_renders_defaults() -> None:
    key = connector_config_def().keys["errors.retry.delay.max.ms"]
    info = config_key_info(key)
    assert (info["type"], info["default_value"], info["required"]) == ("LONG", "60000", False)
    assert config_key_info(key, "x.")["name"] == "x.errors.retry.delay.max.ms"
