"""The framework's connector keys (``name``, ``connector.class``, ``tasks.max``, converters,
transforms, error handling, topic creation), as Kafka's ``ConnectorConfig`` family defines them.

These keys are validated for every connector on top of the connector's own ``config()``, and are
what the REST validate endpoint lists under the groups ``Common``, ``Transforms``, ``Predicates``,
``Error Handling`` and ``Topic Creation``.

The same definitions give the runtime its typed view of a connector config:
:func:`parse_connector_config` returns a frozen :class:`SinkConnectorConfig` or
:class:`SourceConnectorConfig` (with an :class:`ErrorHandlingConfig`), so a default lives only in
its ``define`` call and the worker reads fields instead of ``dict.get(key, default)``. The rules
that look at several keys at once (:func:`sink_topic_problems`) live here too, for the validate
endpoint and the runtime alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
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
from sluice.api.config import parse_type
from sluice.runtime.plugin_versions import PluginVersionError, version_requirement

__all__ = [
    "COMMON_GROUP",
    "ERROR_GROUP",
    "PREDICATES_GROUP",
    "TASKS_MAX_DEFAULT",
    "TOPIC_CREATION_GROUP",
    "TRANSFORMS_GROUP",
    "ConnectorConfig",
    "ErrorHandlingConfig",
    "SinkConnectorConfig",
    "SourceConnectorConfig",
    "aliases",
    "check_sink_topics",
    "connector_config_def",
    "parse_connector_config",
    "plugin_version_validator",
    "sink_connector_config_def",
    "sink_topic_problems",
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

TASKS_MAX_DEFAULT: Final = 1
"""``tasks.max`` when a config does not set it (read on its own where a raw config is judged
without parsing it, :mod:`sluice.runtime.task_process.isolation`)."""

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


def aliases(props: Mapping[str, Any], key: str) -> list[str]:
    """The aliases a list key (``transforms``, ``predicates``, ``topic.creation.groups``) names,
    once each; none when it is unset or does not parse (that is reported on the key itself)."""
    raw = props.get(key)
    if raw is None:
        return []
    try:
        items = parse_type(key, raw, ConfigType.LIST)
    except ConfigError:
        return []
    return list(dict.fromkeys(str(i) for i in items))


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
        TASKS_MAX_DEFAULT,
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


# -- the typed view the runtime reads ---------------------------------------------------------
_ERROR_KEYS: Final = (
    "errors.retry.timeout",
    "errors.retry.delay.max.ms",
    "errors.tolerance",
    "errors.log.enable",
    "errors.log.include.messages",
    "errors.deadletterqueue.topic.name",
    "errors.deadletterqueue.topic.replication.factor",
    "errors.deadletterqueue.context.headers.enable",
)


def _parse_keys(definition: ConfigDef, props: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    """Kafka's parse of only the keys ``names`` of ``definition``."""
    subset = ConfigDef()
    for name in names:
        subset.keys[name] = definition.keys[name]
    return subset.parse(props)


@dataclass(frozen=True)
class ErrorHandlingConfig:
    """The ``errors.*`` keys (Kafka's ``ConnectorConfig`` error handling and the sink's DLQ)."""

    retry_timeout_ms: int
    """``errors.retry.timeout``: 0 means no retries, -1 retries for ever."""
    retry_delay_max_ms: int
    """``errors.retry.delay.max.ms``."""
    tolerance: str
    """``errors.tolerance``, lower case: ``none`` or ``all``."""
    log_enable: bool
    log_include_messages: bool
    dlq_topic: str
    """``errors.deadletterqueue.topic.name``; blank means no dead-letter queue."""
    dlq_replication_factor: int
    dlq_context_headers: bool

    @property
    def tolerate_all(self) -> bool:
        return self.tolerance == "all"

    @property
    def retry_timeout(self) -> float:
        """``errors.retry.timeout`` in seconds; infinite for a negative value."""
        return float("inf") if self.retry_timeout_ms < 0 else self.retry_timeout_ms / 1000.0

    @property
    def retry_delay_max(self) -> float:
        """``errors.retry.delay.max.ms`` in seconds."""
        return self.retry_delay_max_ms / 1000.0

    @classmethod
    def from_parsed(cls, parsed: Mapping[str, Any]) -> ErrorHandlingConfig:
        """From values parsed by :func:`source_connector_config_def` or its sink twin."""
        return cls(
            retry_timeout_ms=int(parsed["errors.retry.timeout"]),
            retry_delay_max_ms=int(parsed["errors.retry.delay.max.ms"]),
            tolerance=str(parsed["errors.tolerance"]).lower(),
            log_enable=bool(parsed["errors.log.enable"]),
            log_include_messages=bool(parsed["errors.log.include.messages"]),
            dlq_topic=str(parsed["errors.deadletterqueue.topic.name"] or "").strip(),
            dlq_replication_factor=int(parsed["errors.deadletterqueue.topic.replication.factor"]),
            dlq_context_headers=bool(parsed["errors.deadletterqueue.context.headers.enable"]),
        )

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> ErrorHandlingConfig:
        """Only the ``errors.*`` keys of ``props``, with their defaults; raises
        :class:`~sluice.api.ConfigError` naming the first bad key."""
        return cls.from_parsed(_parse_keys(source_connector_config_def(), props, _ERROR_KEYS))


@dataclass(frozen=True)
class ConnectorConfig:
    """The framework keys every connector has, parsed (Kafka's ``ConnectorConfig``)."""

    name: str
    connector_class: str
    tasks_max: int
    tasks_max_enforce: bool
    key_converter: str | None
    """``key.converter`` if the connector sets one (else the worker's is used)."""
    value_converter: str | None
    header_converter: str | None
    transforms: tuple[str, ...]
    predicates: tuple[str, ...]
    config_action_reload: str
    errors: ErrorHandlingConfig

    def converter(self, kind: str) -> str | None:
        """The connector's ``<kind>.converter`` (``key``, ``value`` or ``header``), if set."""
        value: str | None = {
            "key": self.key_converter,
            "value": self.value_converter,
            "header": self.header_converter,
        }[kind]
        return value or None

    @staticmethod
    def _common(parsed: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "name": str(parsed["name"]),
            "connector_class": str(parsed["connector.class"]),
            "tasks_max": int(parsed["tasks.max"]),
            "tasks_max_enforce": bool(parsed["tasks.max.enforce"]),
            "key_converter": parsed["key.converter"] or None,
            "value_converter": parsed["value.converter"] or None,
            "header_converter": parsed["header.converter"] or None,
            "transforms": tuple(str(a) for a in parsed["transforms"] or ()),
            "predicates": tuple(str(a) for a in parsed["predicates"] or ()),
            "config_action_reload": str(parsed["config.action.reload"]).lower(),
            "errors": ErrorHandlingConfig.from_parsed(parsed),
        }


@dataclass(frozen=True)
class SinkConnectorConfig(ConnectorConfig):
    """A sink connector's framework keys (Kafka's ``SinkConnectorConfig``)."""

    topics: tuple[str, ...]
    """``topics``, blank entries dropped."""
    topics_regex: str | None
    """``topics.regex``, ``None`` when blank."""

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> SinkConnectorConfig:
        """Parse ``props``; raises :class:`~sluice.api.ConfigError` naming the first bad key.
        The rules across keys are :func:`check_sink_topics`, which a sink task applies."""
        parsed = sink_connector_config_def().parse(props)
        return cls(
            **cls._common(parsed),
            topics=tuple(str(t) for t in parsed["topics"] or () if t),
            topics_regex=parsed["topics.regex"] or None,
        )


@dataclass(frozen=True)
class SourceConnectorConfig(ConnectorConfig):
    """A source connector's framework keys (Kafka's ``SourceConnectorConfig``); the
    ``topic.creation.<group>.*`` keys are parsed by :mod:`sluice.runtime.topic_creation_config`."""

    topic_creation_groups: tuple[str, ...]
    exactly_once_support: str
    transaction_boundary: str
    transaction_boundary_interval_ms: int | None
    offsets_storage_topic: str | None

    @classmethod
    def parse(cls, props: Mapping[str, Any]) -> SourceConnectorConfig:
        """Parse ``props``; raises :class:`~sluice.api.ConfigError` naming the first bad key."""
        parsed = source_connector_config_def().parse(props)
        interval = parsed["transaction.boundary.interval.ms"]
        return cls(
            **cls._common(parsed),
            topic_creation_groups=tuple(str(g) for g in parsed["topic.creation.groups"] or ()),
            exactly_once_support=str(parsed["exactly.once.support"]).lower(),
            transaction_boundary=str(parsed["transaction.boundary"]).lower(),
            transaction_boundary_interval_ms=None if interval is None else int(interval),
            offsets_storage_topic=parsed["offsets.storage.topic"] or None,
        )


def parse_connector_config(
    props: Mapping[str, Any], is_sink: bool
) -> SinkConnectorConfig | SourceConnectorConfig:
    """The typed framework config of a sink or source connector."""
    return SinkConnectorConfig.parse(props) if is_sink else SourceConnectorConfig.parse(props)


def check_sink_topics(props: Mapping[str, Any]) -> None:
    """Raise :class:`~sluice.api.ConfigError` for the first of :func:`sink_topic_problems`
    (Kafka's ``WorkerSinkTask`` checks them so before it subscribes)."""
    problems = sink_topic_problems(props)
    if problems:
        key, value, message = problems[0]
        raise ConfigError(message, key, value)


def sink_topic_problems(props: Mapping[str, Any]) -> list[tuple[str, str | None, str]]:
    """Kafka's ``SinkConnectorConfig.validate``: ``topics`` xor ``topics.regex``, and the DLQ
    topic neither listed nor matched. Each problem is (key, its raw value, message)."""
    topics = props.get("topics")
    regex = props.get("topics.regex")
    dlq = str(props.get("errors.deadletterqueue.topic.name") or "").strip()
    has_topics = bool(topics and str(topics).strip())
    has_regex = bool(regex and str(regex).strip())
    problems: list[tuple[str, str | None, str]] = []
    if has_topics and has_regex:
        msg = "topics and topics.regex are mutually exclusive options, but both are set."
        problems += [("topics", topics, msg), ("topics.regex", regex, msg)]
    if not has_topics and not has_regex:
        msg = "Must configure one of topics or topics.regex"
        problems += [("topics", topics, msg), ("topics.regex", regex, msg)]
    if dlq:
        if has_topics and topics is not None:
            listed = [t.strip() for t in str(topics).split(",") if t.strip()]
            if dlq in listed:
                problems.append(
                    (
                        "topics",
                        topics,
                        f"The DLQ topic '{dlq}' may not be included in the list of topics "
                        f"('topics=[{', '.join(listed)}]') consumed by the connector",
                    )
                )
        if has_regex and regex is not None:
            try:
                matches = re.fullmatch(str(regex), dlq) is not None
            except re.error:
                matches = False
            if matches:
                problems.append(
                    (
                        "topics.regex",
                        regex,
                        f"The DLQ topic '{dlq}' may not be matched by the regex for the topics "
                        f"('topics.regex={regex}') consumed by the connector",
                    )
                )
    return problems
