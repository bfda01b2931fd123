"""The framework's connector keys (``name``, ``connector.class``, ``tasks.max``, converters,
transforms, error handling, topic creation), as Kafka's ``ConnectorConfig`` family defines them.

These keys are validated for every connector on top of the connector's own ``config()``, and are
what the REST validate endpoint lists under the groups ``Common``, ``Transforms``, ``Predicates``,
``Error Handling`` and ``Topic Creation``.
"""

from __future__ import annotations

import re
from typing import Any, Final

from sluice.api import (
    CaseInsensitiveValidString,
    ConfigDef,
    ConfigError,
    ConfigType,
    Importance,
    Range,
    Width,
)
from sluice.runtime.plugin_versions import PluginVersionError, version_requirement

__all__ = [
    "COMMON_GROUP",
    "ERROR_GROUP",
    "PREDICATES_GROUP",
    "TOPIC_CREATION_GROUP",
    "TRANSFORMS_GROUP",
    "connector_config_def",
    "plugin_version_validator",
    "sink_connector_config_def",
    "source_connector_config_def",
    "validate_connector_name",
]

COMMON_GROUP: Final = "Common"
TRANSFORMS_GROUP: Final = "Transforms"
PREDICATES_GROUP: Final = "Predicates"
ERROR_GROUP: Final = "Error Handling"
TOPIC_CREATION_GROUP: Final = "Topic Creation"
EXACTLY_ONCE_GROUP: Final = "Exactly Once Support"
OFFSETS_TOPIC_GROUP: Final = "offsets.topic"

_CONTROL_CHARS: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def validate_connector_name(key: str, value: Any) -> None:
    """Kafka's ``NonEmptyStringWithoutControlChars``."""
    if value is None or not str(value).strip():
        raise ConfigError.invalid(key, value, "String may not be empty")
    if _CONTROL_CHARS.search(str(value)):
        raise ConfigError.invalid(key, value, "String may not contain control sequences")


def plugin_version_validator(key: str, value: Any) -> None:
    """Kafka's ``PluginVersionValidator``: a ``*.plugin.version`` must be a Maven version, a
    version range or ``latest``; the error is Maven's message."""
    try:
        version_requirement(None if value is None else str(value))
    except PluginVersionError as e:
        raise ConfigError(str(e), key, value) from None


def _unique_list(key: str, value: Any) -> None:
    items = list(value or [])
    if len(set(items)) != len(items):
        raise ConfigError.invalid(key, value, "Duplicate alias provided.")


def connector_config_def() -> ConfigDef:
    """Keys every connector has."""
    d = ConfigDef()
    o = iter(range(1, 100))
    d.define(
        "name",
        ConfigType.STRING,
        validator=validate_connector_name,
        importance=Importance.HIGH,
        documentation="Globally unique name to use for this connector.",
        group=COMMON_GROUP,
        order_in_group=next(o),
        width=Width.MEDIUM,
        display_name="Connector name",
    )
    d.define(
        "connector.class",
        ConfigType.STRING,
        importance=Importance.HIGH,
        documentation=(
            "Name or alias of the class for this connector. Must be a subclass of "
            "sluice.api.Connector. The Kafka Connect class name (e.g. "
            "org.apache.kafka.connect.file.FileStreamSinkConnector), its simple name "
            "(FileStreamSinkConnector) or the simple name without 'Connector' (FileStreamSink) "
            "may be used, as may a Python path (package.module:Class)."
        ),
        group=COMMON_GROUP,
        order_in_group=next(o),
        width=Width.LONG,
        display_name="Connector class",
    )
    d.define(
        "connector.plugin.version",
        ConfigType.STRING,
        None,
        plugin_version_validator,
        Importance.MEDIUM,
        "Version of the connector.",
        COMMON_GROUP,
        next(o),
        Width.MEDIUM,
        "Connector version",
    )
    d.define(
        "tasks.max",
        ConfigType.INT,
        1,
        Range.at_least(1),
        Importance.HIGH,
        "Maximum number of tasks to use for this connector.",
        COMMON_GROUP,
        next(o),
        Width.SHORT,
        "Tasks max",
    )
    d.define(
        "tasks.max.enforce",
        ConfigType.BOOLEAN,
        True,
        None,
        Importance.LOW,
        "(Deprecated) Whether to enforce that the tasks.max property is respected.",
        COMMON_GROUP,
        next(o),
        Width.SHORT,
        "Enforce tasks max",
    )
    d.define(
        "key.converter",
        ConfigType.CLASS,
        None,
        None,
        Importance.LOW,
        "Converter class used to convert between Kafka Connect format and the serialized form "
        "that is written to Kafka. Overrides the worker's key.converter.",
        COMMON_GROUP,
        next(o),
        Width.SHORT,
        "Key converter class",
    )
    d.define(
        "key.converter.plugin.version",
        ConfigType.STRING,
        None,
        plugin_version_validator,
        Importance.LOW,
        "Version of the key converter.",
        COMMON_GROUP,
        next(o),
        Width.SHORT,
        "Key converter version",
    )
    d.define(
        "value.converter",
        ConfigType.CLASS,
        None,
        None,
        Importance.LOW,
        "Converter class used to convert between Kafka Connect format and the serialized form "
        "that is written to Kafka. Overrides the worker's value.converter.",
        COMMON_GROUP,
        next(o),
        Width.SHORT,
        "Value converter class",
    )
    d.define(
        "value.converter.plugin.version",
        ConfigType.STRING,
        None,
        plugin_version_validator,
        Importance.LOW,
        "Version of the value converter.",
        COMMON_GROUP,
        next(o),
        Width.SHORT,
        "Value converter version",
    )
    d.define(
        "header.converter",
        ConfigType.CLASS,
        None,
        None,
        Importance.LOW,
        "HeaderConverter class used to convert between Kafka Connect format and the serialized "
        "form that is written to Kafka. Overrides the worker's header.converter.",
        COMMON_GROUP,
        next(o),
        Width.SHORT,
        "Header converter class",
    )
    d.define(
        "header.converter.plugin.version",
        ConfigType.STRING,
        None,
        plugin_version_validator,
        Importance.LOW,
        "Version of the header converter.",
        COMMON_GROUP,
        next(o),
        Width.SHORT,
        "Header converter version",
    )
    d.define(
        "transforms",
        ConfigType.LIST,
        "",
        _unique_list,
        Importance.LOW,
        "Aliases for the transformations to be applied to records.",
        TRANSFORMS_GROUP,
        next(o),
        Width.LONG,
        "Transforms",
    )
    d.define(
        "predicates",
        ConfigType.LIST,
        "",
        _unique_list,
        Importance.LOW,
        "Aliases for the predicates used by transformations.",
        PREDICATES_GROUP,
        next(o),
        Width.LONG,
        "Predicates",
    )
    d.define(
        "config.action.reload",
        ConfigType.STRING,
        "restart",
        CaseInsensitiveValidString("none", "restart"),
        Importance.LOW,
        "The action Connect should take on the connector when changes in external configuration "
        "providers result in a change in the connector's configuration properties.",
        COMMON_GROUP,
        next(o),
        Width.MEDIUM,
        "Reload Action",
    )
    e = iter(range(1, 100))
    d.define(
        "errors.retry.timeout",
        ConfigType.LONG,
        0,
        None,
        Importance.MEDIUM,
        "The maximum duration in milliseconds that a failed operation will be reattempted. "
        "The default is 0, which means no retries will be attempted. Use -1 for infinite retries.",
        ERROR_GROUP,
        next(e),
        Width.MEDIUM,
        "Retry Timeout for Errors",
    )
    d.define(
        "errors.retry.delay.max.ms",
        ConfigType.LONG,
        60000,
        None,
        Importance.MEDIUM,
        "The maximum duration in milliseconds between consecutive retry attempts. Jitter will be "
        "added to the delay once this limit is reached to prevent thundering herd issues.",
        ERROR_GROUP,
        next(e),
        Width.MEDIUM,
        "Maximum Delay Between Retries for Errors",
    )
    d.define(
        "errors.tolerance",
        ConfigType.STRING,
        "none",
        CaseInsensitiveValidString("none", "all"),
        Importance.MEDIUM,
        "Behavior for tolerating errors during connector operation. 'none' is the default value "
        "and signals that any error will result in an immediate connector task failure; 'all' "
        "changes the behavior to skip over problematic records.",
        ERROR_GROUP,
        next(e),
        Width.SHORT,
        "Error Tolerance",
    )
    d.define(
        "errors.log.enable",
        ConfigType.BOOLEAN,
        False,
        None,
        Importance.MEDIUM,
        "If true, write each error and the details of the failed operation and problematic "
        "record to the Connect application log.",
        ERROR_GROUP,
        next(e),
        Width.SHORT,
        "Log Errors",
    )
    d.define(
        "errors.log.include.messages",
        ConfigType.BOOLEAN,
        False,
        None,
        Importance.MEDIUM,
        "Whether to include in the log the Connect record that resulted in a failure.",
        ERROR_GROUP,
        next(e),
        Width.SHORT,
        "Log Error Details",
    )
    return d


def sink_connector_config_def() -> ConfigDef:
    """Keys of sink connectors: input topics and the dead-letter queue."""
    d = connector_config_def()
    d.define(
        "topics",
        ConfigType.LIST,
        "",
        None,
        Importance.HIGH,
        "List of topics to consume, separated by commas",
        COMMON_GROUP,
        4,
        Width.LONG,
        "Topics",
    )
    d.define(
        "topics.regex",
        ConfigType.STRING,
        "",
        None,
        Importance.HIGH,
        "Regular expression giving topics to consume. Under the hood, the regex is compiled to "
        "a java.util.regex.Pattern. Only one of topics or topics.regex should be specified.",
        COMMON_GROUP,
        4,
        Width.LONG,
        "Topics regex",
    )
    _define_dead_letter_queue(d)
    return d


def _define_dead_letter_queue(d: ConfigDef) -> None:
    """DLQ keys: Kafka Connect's for sinks; sluice also accepts them for sources."""
    d.define(
        "errors.deadletterqueue.topic.name",
        ConfigType.STRING,
        "",
        None,
        Importance.MEDIUM,
        "The name of the topic to be used as the dead letter queue (DLQ) for messages that "
        "result in an error when processed by this sink connector, or its transformations or "
        "converters. The topic name is blank by default, which means that no messages are to be "
        "recorded in the DLQ.",
        ERROR_GROUP,
        6,
        Width.MEDIUM,
        "Dead Letter Queue Topic Name",
    )
    d.define(
        "errors.deadletterqueue.topic.replication.factor",
        ConfigType.SHORT,
        3,
        None,
        Importance.MEDIUM,
        "Replication factor used to create the dead letter queue topic when it doesn't already "
        "exist.",
        ERROR_GROUP,
        7,
        Width.MEDIUM,
        "Dead Letter Queue Topic Replication Factor",
    )
    d.define(
        "errors.deadletterqueue.context.headers.enable",
        ConfigType.BOOLEAN,
        False,
        None,
        Importance.MEDIUM,
        "If true, add headers containing error context to the messages written to the dead "
        "letter queue. To avoid clashing with headers from the original record, all error "
        "context header keys, all error context header keys will start with __connect.errors.",
        ERROR_GROUP,
        8,
        Width.MEDIUM,
        "Enable Error Context Headers",
    )


def source_connector_config_def() -> ConfigDef:
    """Keys of source connectors: topic creation and exactly-once settings."""
    d = connector_config_def()
    _define_dead_letter_queue(d)
    d.define(
        "topic.creation.groups",
        ConfigType.LIST,
        "",
        _unique_list,
        Importance.LOW,
        "Groups of configurations for topics created by source connectors",
        TOPIC_CREATION_GROUP,
        1,
        Width.LONG,
        "Topic Creation Groups",
    )
    d.define(
        "exactly.once.support",
        ConfigType.STRING,
        "requested",
        CaseInsensitiveValidString("requested", "required"),
        Importance.MEDIUM,
        'Permitted values are requested, required. If set to "required", forces a preflight '
        "check for the connector to ensure that it can provide exactly-once semantics with the "
        "given configuration.",
        EXACTLY_ONCE_GROUP,
        2,
        Width.SHORT,
        "Exactly once support",
    )
    d.define(
        "transaction.boundary",
        ConfigType.STRING,
        "poll",
        CaseInsensitiveValidString("poll", "interval", "connector"),
        Importance.MEDIUM,
        "Permitted values are: poll, interval, connector.",
        EXACTLY_ONCE_GROUP,
        3,
        Width.SHORT,
        "Transaction Boundary",
    )
    d.define(
        "transaction.boundary.interval.ms",
        ConfigType.LONG,
        None,
        None,
        Importance.LOW,
        "If 'transaction.boundary' is set to 'interval', determines the interval for producer "
        "transaction commits by connector tasks.",
        EXACTLY_ONCE_GROUP,
        4,
        Width.SHORT,
        "Transaction boundary interval",
    )
    d.define(
        "offsets.storage.topic",
        ConfigType.STRING,
        None,
        None,
        Importance.LOW,
        "The name of a separate offsets topic to use for this connector.",
        OFFSETS_TOPIC_GROUP,
        1,
        Width.LONG,
        "Offsets topic",
    )
    return d
