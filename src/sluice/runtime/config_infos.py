"""Kafka Connect's ``ConfigInfos`` report: what ``PUT /connector-plugins/{p}/config/validate``
returns and what the herder checks before it creates or updates a connector.

The report follows ``AbstractHerder.validateConnectorConfig``: the framework keys (``Common``,
``Transforms``, ``Predicates``, ``Error Handling``, source/sink extras) enriched with one group per
transform, predicate and topic-creation group alias, then the connector's own keys, then the
client ``*.override.*`` keys and the keys of converters set in the connector config. Values
without a definition (``null`` values, unknown override keys) come first, as in Kafka.

The framework keys are validated here with Kafka's ``ConfigDef.validateAll`` rules rather than
:meth:`sluice.api.ConfigDef.validate`, because the report must say what Kafka says: a value that
fails to parse is reported as ``null``, and the validator still sees it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from sluice.api import (
    NO_DEFAULT,
    ConfigDef,
    ConfigError,
    ConfigKey,
    ConfigType,
    ConfigValue,
    ConnectError,
    Converter,
    HeaderConverter,
    Importance,
    NotFoundError,
    Password,
    Predicate,
    Recommender,
    SinkConnector,
    SourceConnector,
    Transformation,
    Validator,
    Width,
)
from sluice.api.config import parse_type
from sluice.plugins.registry import KINDS, PluginError, PluginRegistry
from sluice.runtime.connector_config import (
    plugin_version_validator,
    sink_connector_config_def,
    source_connector_config_def,
)
from sluice.runtime.herder import BadRequestError
from sluice.runtime.plugin_versions import (
    PluginVersionError,
    not_found_message,
    plugin_version,
    version_requirement,
)
from sluice.runtime.status import ConnectorType

__all__ = [
    "config_key_info",
    "config_value_info",
    "connector_type",
    "generate_result",
    "plugin_config",
    "validate_connector_config",
]

HIDDEN: Final = Password.HIDDEN
NULL_VALUE_ERROR: Final = "Null value can not be supplied as the configuration value."

PRODUCER_OVERRIDES: Final = "producer.override."
CONSUMER_OVERRIDES: Final = "consumer.override."
ADMIN_OVERRIDES: Final = "admin.override."
TOPIC_CREATION_PREFIX: Final = "topic.creation."

_SECRET_CLIENT_KEY: Final = re.compile(r"(password|secret|jaas|credentials|\.key$)", re.I)
"""Client override keys whose values Kafka types as PASSWORD (``sasl.jaas.config``,
``ssl.key.password``...) or librdkafka treats as secrets; the report shows them as ``[hidden]``."""

_PRINCIPAL_OVERRIDES: Final = frozenset({"sasl.jaas.config", "sasl.mechanism", "security.protocol"})

_BASE_NAMES: Final = {
    "transformation": "Transformation",
    "predicate": "Predicate",
    "converter": "Converter",
    "header_converter": "HeaderConverter",
}

_WORKER_CONVERTER_DEFAULTS: Final = {
    "header.converter": "org.apache.kafka.connect.storage.SimpleHeaderConverter",
}
"""The worker's defaults, for a ``worker_config`` holding only what was set explicitly."""

_CONVERTERS: Final = (
    # (connector key, plugin kind, human name, converter.type default)
    ("header.converter", "header_converter", "header converter", "header"),
    ("key.converter", "converter", "key converter", "key"),
    ("value.converter", "converter", "value converter", "value"),
)


# -- entity rendering -------------------------------------------------------------------------
def _render(value: Any, type: ConfigType | None) -> str | None:
    """Kafka's ``ConfigDef.convertToString``, tolerant of values that failed to parse."""
    if value is None:
        return None
    if type is ConfigType.PASSWORD or isinstance(value, Password):
        return HIDDEN
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(_render(v, None)) for v in value)
    if isinstance(value, float):
        return _java_double(value)
    if isinstance(value, type_):
        return f"{value.__module__}.{value.__qualname__}"
    return str(value)


type_ = type


def _java_double(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[repr(value)]
    text = repr(value)
    if "e" in text:
        mantissa, exp = text.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        return f"{mantissa}E{int(exp)}"
    return text


def config_key_info(key: ConfigKey, prefix: str = "") -> dict[str, Any]:
    """A ``ConfigKeyInfo`` object, keys in the order Kafka Connect writes them."""
    return {
        "name": prefix + key.name,
        "type": key.type.value,
        "required": not key.has_default,
        "default_value": _render(key.default, key.type) if key.has_default else None,
        "importance": key.importance.value,
        "documentation": key.documentation,
        "group": key.group,
        "width": key.width.value,
        "display_name": key.display_name,
        "dependents": list(key.dependents),
        "order": key.order_in_group,
    }


def config_value_info(value: ConfigValue, type: ConfigType | None) -> dict[str, Any]:
    """A ``ConfigValueInfo`` object; LIST recommendations render as strings, as in Kafka."""
    rec_type = ConfigType.STRING if type is ConfigType.LIST else type
    return {
        "name": value.name,
        "value": _render(value.value, type),
        "recommended_values": [_render(v, rec_type) for v in value.recommended_values],
        "errors": list(value.errors),
        "visible": value.visible,
    }


def generate_result(
    conn_type: str,
    keys: Mapping[str, ConfigKey],
    values: Sequence[ConfigValue],
    groups: Sequence[str],
) -> dict[str, Any]:
    """Kafka's ``AbstractHerder.generateResult``: values without a definition first (each error
    counted), then one entry per definition; a later value for a name replaces an earlier one."""
    error_count = 0
    configs: list[dict[str, Any]] = []
    by_name: dict[str, ConfigValue] = {}
    for v in values:
        by_name[v.name] = v
        if v.name not in keys:
            configs.append({"definition": None, "value": config_value_info(v, None)})
            error_count += len(v.errors)
    for name, key in keys.items():
        info: dict[str, Any] | None = None
        if name in by_name:
            info = config_value_info(by_name[name], key.type)
            error_count += len(by_name[name].errors)
        configs.append({"definition": config_key_info(key), "value": info})
    return {
        "name": conn_type,
        "error_count": error_count,
        "groups": list(groups),
        "configs": configs,
    }


def _prefixed_result(
    keys: Mapping[str, ConfigKey], values: Iterable[ConfigValue], prefix: str
) -> dict[str, Any]:
    """Kafka's ``prefixedConfigInfos``: here a value with errors counts once, however many."""
    error_count = 0
    groups: dict[str, None] = {}
    configs: list[dict[str, Any]] = []
    for v in values:
        key = keys.get(v.name)
        if key is not None and key.group is not None:
            groups[key.group] = None
        renamed = ConfigValue(prefix + v.name, v.value, list(v.recommended_values), list(v.errors))
        renamed.visible = v.visible
        if v.errors:
            error_count += 1
        value = config_value_info(renamed, key.type if key is not None else None)
        if key is None and _SECRET_CLIENT_KEY.search(v.name) and value["value"] is not None:
            value["value"] = HIDDEN
        configs.append(
            {
                "definition": config_key_info(key, prefix) if key is not None else None,
                "value": value,
            }
        )
    return {"name": "", "error_count": error_count, "groups": list(groups), "configs": configs}


def _merge(conn_type: str, results: Iterable[dict[str, Any] | None]) -> dict[str, Any]:
    error_count = 0
    groups: dict[str, None] = {}
    configs: list[dict[str, Any]] = []
    for r in results:
        if r is None:
            continue
        error_count += r["error_count"]
        configs.extend(r["configs"])
        groups.update(dict.fromkeys(r["groups"]))
    return {
        "name": conn_type,
        "error_count": error_count,
        "groups": list(groups),
        "configs": configs,
    }


# -- a ConfigDef under construction, with Kafka's embed and sort ------------------------------
class _Definition:
    """Ordered keys and groups; ``embed`` prefixes a child definition as Kafka's ``embed``."""

    def __init__(self, base: ConfigDef) -> None:
        self.keys: dict[str, ConfigKey] = dict(base.keys)
        self.groups: list[str] = list(base.groups)

    def add(self, key: ConfigKey) -> None:
        if key.name in self.keys:
            return
        self.keys[key.name] = key
        if key.group is not None and key.group not in self.groups:
            self.groups.append(key.group)

    def embed(self, prefix: str, group: str, start: int, child: Mapping[str, ConfigKey]) -> None:
        order = start
        for key in _sorted_keys(child.values()):
            self.add(
                dataclasses.replace(
                    key,
                    name=prefix + key.name,
                    validator=_embedded_validator(prefix, key.validator),
                    group=group + ("" if key.group is None else ": " + key.group),
                    order_in_group=order,
                    dependents=[prefix + d for d in key.dependents],
                    recommender=_EmbeddedRecommender(prefix, key.recommender)
                    if key.recommender is not None
                    else None,
                )
            )
            order += 1


_IMPORTANCE_RANK: Final = {Importance.HIGH: 0, Importance.MEDIUM: 1, Importance.LOW: 2}


def _sorted_keys(keys: Iterable[ConfigKey]) -> list[ConfigKey]:
    """Kafka's ``ConfigDef.sortedConfigs`` for a child without groups of its own: group (keys
    without one first), order in group, required first, importance, name."""
    group_rank: dict[str, int] = {}
    for k in keys:
        if k.group is not None:
            group_rank.setdefault(k.group, len(group_rank))
    return sorted(
        keys,
        key=lambda k: (
            -1 if k.group is None else group_rank[k.group],
            k.order_in_group,
            k.has_default,
            _IMPORTANCE_RANK[k.importance],
            k.name,
        ),
    )


def _embedded_validator(prefix: str, base: Validator | None) -> Validator | None:
    if base is None:
        return None

    def validate(name: str, value: Any) -> None:
        base(name[len(prefix) :] if name.startswith(prefix) else name, value)

    return validate


class _EmbeddedRecommender(Recommender):
    def __init__(self, prefix: str, base: Recommender) -> None:
        self.prefix = prefix
        self.base = base

    def _unprefixed(self, parsed: Mapping[str, Any]) -> dict[str, Any]:
        n = len(self.prefix)
        return {k[n:]: v for k, v in parsed.items() if k.startswith(self.prefix)}

    def valid_values(self, name: str, parsed: Mapping[str, Any]) -> list[Any]:
        return self.base.valid_values(name[len(self.prefix) :], self._unprefixed(parsed))

    def visible(self, name: str, parsed: Mapping[str, Any]) -> bool:
        return self.base.visible(name[len(self.prefix) :], self._unprefixed(parsed))


class _PluginRecommender(Recommender):
    """Recommends every installed plugin of one kind, as Kafka's class recommenders do.

    A class implementing both converter interfaces counts for both (Kafka's converters are also
    header converters), whichever kind the registry filed it under.
    """

    def __init__(self, registry: PluginRegistry, kind: str) -> None:
        self.registry = registry
        self.kind = kind

    def valid_values(self, name: str, parsed: Mapping[str, Any]) -> list[Any]:
        if self.kind not in ("converter", "header_converter"):
            return [d.name for d in self.registry.plugins([self.kind])]
        base = KINDS[self.kind]
        names = []
        for d in self.registry.plugins(["converter", "header_converter"]):
            try:
                if issubclass(self.registry.load(d.name), base):
                    names.append(d.name)
            except PluginError:
                continue
        return sorted(names)


class _VersionRecommender(Recommender):
    """Kafka's plugin version recommenders: the installed version of the plugin a key names
    (``class_key``'s parsed value) or of a given class; visible while there is such a class,
    or always."""

    def __init__(
        self,
        registry: PluginRegistry,
        class_key: str | None = None,
        plugin: type | None = None,
        always_visible: bool = False,
    ) -> None:
        self.registry = registry
        self.class_key = class_key
        self.plugin = plugin
        self.always_visible = always_visible

    def _plugin(self, parsed: Mapping[str, Any]) -> type | None:
        if self.class_key is None:
            return self.plugin
        value = parsed.get(self.class_key)
        if isinstance(value, str):
            try:
                value = self.registry.load(value)
            except PluginError:
                return None
        return value if isinstance(value, type_) else None

    def valid_values(self, name: str, parsed: Mapping[str, Any]) -> list[Any]:
        cls = self._plugin(parsed)
        version = None if cls is None else plugin_version(cls)
        return [] if version is None else [version]

    def visible(self, name: str, parsed: Mapping[str, Any]) -> bool:
        return self.always_visible or self._plugin(parsed) is not None


# -- plugin classes named in a config ---------------------------------------------------------
class _Classes:
    """Resolves CLASS values through the registry, with Kafka's messages."""

    def __init__(self, registry: PluginRegistry) -> None:
        self.registry = registry

    def load(self, key: str, value: str) -> type:
        try:
            cls = self.registry.load(value)
        except PluginError:
            raise ConfigError.invalid(key, value, f"Class {value} could not be found.") from None
        return cls

    def check_kind(self, cls: type, kind: str) -> None:
        """Kafka's ``ensureConcreteSubclass``."""
        if not issubclass(cls, KINDS[kind]):
            raise ConfigError(
                f"Class class {self.name(cls)} does not implement the {_BASE_NAMES[kind]} interface"
            )
        if inspect.isabstract(cls):
            raise ConfigError("This class is abstract and cannot be created.")

    def name(self, cls: type) -> str:
        return self.registry.display_name(cls)


# -- Kafka's ConfigDef.validateAll over the framework definition ------------------------------
@dataclasses.dataclass
class _Validation:
    values: dict[str, ConfigValue]
    parsed: dict[str, Any]


def _validate_all(
    definition: _Definition,
    props: Mapping[str, str | None],
    class_kinds: Mapping[str, str],
    classes: _Classes,
) -> _Validation:
    values: dict[str, ConfigValue] = {}
    parsed: dict[str, Any] = {}
    for key in definition.keys.values():
        cv = ConfigValue(key.name)
        values[key.name] = cv
        value: Any = None
        is_set = key.name in props
        if is_set:
            raw = props[key.name]
            if raw is not None:
                try:
                    value = parse_type(key.name, raw, key.type)
                    if key.name in class_kinds and value is not None:
                        value = classes.load(key.name, str(value))
                except ConfigError as e:
                    cv.add_error(str(e))
                    value = None
        elif not key.has_default:
            cv.add_error(f'Missing required configuration "{key.name}" which has no default value.')
        else:
            value = key.default
        if key.validator is not None and (is_set or key.has_default):
            try:
                key.validator(key.name, value)
            except ConfigError as e:
                cv.add_error(str(e))
            except Exception as e:  # a plugin's validator must not turn a report into a 500
                cv.add_error(
                    f"Invalid value {_render(value, key.type)} for configuration {key.name}: {e}"
                )
        cv.value = classes.name(value) if isinstance(value, type_) else value
        parsed[key.name] = value
    for key in definition.keys.values():
        if key.recommender is None:
            continue
        cv = values[key.name]
        try:
            cv.recommended_values = list(key.recommender.valid_values(key.name, parsed))
            cv.visible = key.recommender.visible(key.name, parsed)
        except ConfigError as e:
            cv.add_error(str(e))
    return _Validation(values, parsed)


def _class_validator(classes: _Classes, kind: str) -> Validator:
    def validate(name: str, value: Any) -> None:
        if isinstance(value, type_):
            classes.check_kind(value, kind)
            try:
                value()
            except Exception as e:
                raise ConfigError.invalid(
                    name, classes.name(value), f"Could not instantiate class: {e}"
                ) from e

    return validate


# -- enrichment: transforms, predicates, topic creation ---------------------------------------
def _aliases(props: Mapping[str, str | None], key: str) -> list[str]:
    raw = props.get(key)
    if raw is None:
        return []
    try:
        items = parse_type(key, raw, ConfigType.LIST)
    except ConfigError:
        return []
    return list(dict.fromkeys(str(i) for i in items))


def _transform_base(alias_kind: str) -> ConfigDef:
    d = ConfigDef()
    if alias_kind == "transformation":
        d.define(
            "predicate",
            ConfigType.STRING,
            None,
            importance=Importance.MEDIUM,
            documentation=(
                "The alias of a predicate used to determine whether to apply this transformation."
            ),
        )
        d.define(
            "negate",
            ConfigType.BOOLEAN,
            False,
            importance=Importance.MEDIUM,
            documentation="Whether the configured predicate should be negated.",
        )
    return d


def _enrich_plugins(
    definition: _Definition,
    props: Mapping[str, str | None],
    classes: _Classes,
    class_kinds: dict[str, str],
    alias_config: str,
    group_base: str,
    kind: str,
) -> None:
    """Kafka's ``ConnectorConfig.EnrichablePlugin.enrich`` for ``transforms`` or ``predicates``."""
    word = "transformation" if kind == "transformation" else "predicate"
    for alias in _aliases(props, alias_config):
        prefix = f"{alias_config}.{alias}."
        group = f"{group_base}: {alias}"
        type_key = prefix + "type"
        class_kinds[type_key] = kind
        definition.add(
            ConfigKey(
                name=type_key,
                type=ConfigType.CLASS,
                default=NO_DEFAULT,
                validator=_alias_type_validator(classes, props, prefix, kind),
                importance=Importance.HIGH,
                documentation=f"Class for the '{alias}' {word}.",
                group=group,
                order_in_group=0,
                width=Width.LONG,
                display_name=f"{_BASE_NAMES[kind]} type for {alias}",
                recommender=_PluginRecommender(classes.registry, kind),
            )
        )
        plugin = _plugin_class(classes, props.get(type_key), kind)
        definition.add(
            ConfigKey(
                name=prefix + "plugin.version",
                type=ConfigType.STRING,
                default=None if plugin is None else plugin_version(plugin),
                validator=plugin_version_validator,
                importance=Importance.HIGH,
                documentation=f"Version of the '{alias}' {word}.",
                group=group,
                order_in_group=1,
                width=Width.LONG,
                display_name=f"{_BASE_NAMES[kind]} version for {alias}",
                recommender=_VersionRecommender(
                    classes.registry, plugin=plugin, always_visible=True
                ),
            )
        )
        if not _version_usable(plugin, props.get(prefix + "plugin.version")):
            continue  # Kafka cannot load the plugin, so it has no keys to add
        child = _plugin_keys(classes, props.get(type_key), kind)
        if child is None:
            continue
        base = _transform_base(kind)
        keys = dict(base.keys)
        for name, key in child.items():
            if name in keys:  # the implicit predicate/negate keys mask the plugin's own
                continue
            keys[name] = key
        definition.embed(prefix, group, 2, keys)


def _alias_type_validator(
    classes: _Classes, props: Mapping[str, str | None], prefix: str, kind: str
) -> Validator:
    def validate(name: str, value: Any) -> None:
        if (
            kind == "transformation"
            and prefix + "negate" in props
            and (prefix + "predicate" not in props)
        ):
            raise ConfigError(
                f"Config '{prefix}negate' was provided but there is no config "
                f"'{prefix}predicate' defining a predicate to be negated."
            )
        if isinstance(value, type_):
            _instance_config(classes, name, value, kind)

    return validate


def _instance_config(classes: _Classes, key: str, cls: type, kind: str) -> ConfigDef:
    classes.check_kind(cls, kind)
    try:
        instance = cls()
    except Exception as e:
        raise ConfigError.invalid(
            key,
            classes.name(cls),
            f"Error getting config definition from {_BASE_NAMES[kind]}: {e}",
        ) from e
    definition = instance.config()
    if definition is None:
        raise ConfigError(f"{classes.name(cls)}.config() must return a ConfigDef that is not null.")
    return definition  # type: ignore[no-any-return]


def _plugin_class(classes: _Classes, raw: str | None, kind: str) -> type | None:
    """The class a ``transforms.<alias>.type`` (or predicate type) names, if it is one."""
    if raw is None or not raw.strip():
        return None
    try:
        cls = classes.registry.load(raw.strip())
    except Exception:  # reported on the type key
        return None
    return cls if issubclass(cls, KINDS[kind]) and not inspect.isabstract(cls) else None


def _plugin_keys(classes: _Classes, raw: str | None, kind: str) -> dict[str, ConfigKey] | None:
    if raw is None or not raw.strip():
        return None
    try:
        cls = classes.load("type", raw.strip())
        return dict(_instance_config(classes, "type", cls, kind).keys)
    except (ConfigError, ConnectError):
        return None


def _topic_creation_group(group: str, default_rf: Any, default_partitions: Any) -> ConfigDef:
    """Kafka's ``TopicCreationConfig`` keys; other groups inherit the default group's sizes."""
    d = ConfigDef()
    d.define(
        "include",
        ConfigType.LIST,
        ".*" if group == "default" else "",
        _regex_list,
        Importance.LOW,
        "A list of regular expression literals used to match the topic names used by the source "
        "connector. This list is used to include topics that should be created using the topic "
        "settings defined by this group.",
        None,
        1,
        Width.LONG,
        f"Inclusion Topic Pattern for {group}",
    )
    d.define(
        "exclude",
        ConfigType.LIST,
        "",
        _regex_list,
        Importance.LOW,
        "A list of regular expression literals used to match the topic names used by the source "
        "connector. This list is used to exclude topics from being created with the topic "
        "settings defined by this group. Note that exclusion rules have precedent and override "
        "any inclusion rules for the topics.",
        None,
        2,
        Width.LONG,
        f"Exclusion Topic Pattern for {group}",
    )
    d.define(
        "replication.factor",
        ConfigType.SHORT,
        default_rf,
        _topic_size(
            "Replication factor must be positive and not larger than the number of "
            "brokers in the Kafka cluster, or -1 to use the broker's default"
        ),
        Importance.LOW,
        "The replication factor for new topics created for this connector using this group. "
        "This value may be -1 to use the broker's default replication factor, or may be a "
        "positive number not larger than the number of brokers in the Kafka cluster. For the "
        "default group this configuration is required; other groups inherit it.",
        None,
        3,
        Width.LONG,
        f"Replication Factor for Topics in {group}",
    )
    d.define(
        "partitions",
        ConfigType.INT,
        default_partitions,
        _topic_size("Number of partitions must be positive, or -1 to use the broker's default"),
        Importance.LOW,
        "The number of partitions new topics created for this connector. This value may be -1 "
        "to use the broker's default number of partitions, or a positive number. For the "
        "default group this configuration is required; other groups inherit it.",
        None,
        4,
        Width.LONG,
        f"Partition Count for Topics in {group}",
    )
    return d


def _regex_list(name: str, value: Any) -> None:
    for item in value or []:
        try:
            re.compile(str(item))
        except re.error as e:
            raise ConfigError.invalid(
                name, value, f"Syntax error in regular expression: {e}"
            ) from None


def _topic_size(message: str) -> Validator:
    def validate(name: str, value: Any) -> None:
        if value is None:
            return
        if value != -1 and value < 1:
            raise ConfigError.invalid(name, value, message)

    return validate


def _enrich_topic_creation(definition: _Definition, props: Mapping[str, str | None]) -> None:
    groups = [g for g in _aliases(props, "topic.creation.groups") if g != "default"]
    sizes: dict[str, Any] = {}
    for key, kind in (("replication.factor", ConfigType.SHORT), ("partitions", ConfigType.INT)):
        raw = props.get(f"{TOPIC_CREATION_PREFIX}default.{key}")
        try:
            sizes[key] = parse_type(key, raw, kind) if raw is not None else None
        except ConfigError:
            sizes[key] = None
    default = _topic_creation_group("default", NO_DEFAULT, NO_DEFAULT)
    definition.embed(f"{TOPIC_CREATION_PREFIX}default.", "Topic Creation: default", 1, default.keys)
    for g in groups:
        child = _topic_creation_group(g, sizes["replication.factor"], sizes["partitions"])
        definition.embed(f"{TOPIC_CREATION_PREFIX}{g}.", f"Topic Creation: {g}", 1, child.keys)


# -- sink checks ------------------------------------------------------------------------------
def _validate_sink(props: Mapping[str, str | None], values: dict[str, ConfigValue]) -> None:
    """Kafka's ``SinkConnectorConfig.validate``: topics xor topics.regex, DLQ not consumed."""
    topics = props.get("topics")
    regex = props.get("topics.regex")
    dlq = (props.get("errors.deadletterqueue.topic.name") or "").strip()
    has_topics = bool(topics and topics.strip())
    has_regex = bool(regex and regex.strip())

    def add(name: str, raw: str | None, message: str) -> None:
        values.setdefault(name, ConfigValue(name, raw)).add_error(message)

    if has_topics and has_regex:
        msg = "topics and topics.regex are mutually exclusive options, but both are set."
        add("topics", topics, msg)
        add("topics.regex", regex, msg)
    if not has_topics and not has_regex:
        msg = "Must configure one of topics or topics.regex"
        add("topics", topics, msg)
        add("topics.regex", regex, msg)
    if dlq:
        if has_topics and topics is not None:
            listed = [t.strip() for t in topics.split(",") if t.strip()]
            if dlq in listed:
                add(
                    "topics",
                    topics,
                    f"The DLQ topic '{dlq}' may not be included in the list of topics "
                    f"('topics=[{', '.join(listed)}]') consumed by the connector",
                )
        if has_regex and regex is not None:
            try:
                matches = re.fullmatch(regex, dlq) is not None
            except re.error:
                matches = False
            if matches:
                add(
                    "topics.regex",
                    regex,
                    f"The DLQ topic '{dlq}' may not be matched by the regex for the topics "
                    f"('topics.regex={regex}') consumed by the connector",
                )


# -- converters and client overrides ----------------------------------------------------------
def _validate_converter(
    classes: _Classes,
    props: Mapping[str, str | None],
    value: ConfigValue | None,
    property_name: str,
    kind: str,
    human: str,
    converter_type: str,
) -> dict[str, Any] | None:
    """Kafka's ``validateConverterConfig``: only for a converter set in the connector config."""
    class_name = props.get(property_name)
    if class_name is None or value is None or value.errors:
        return None
    try:
        cls = classes.registry.load(class_name)
        if not _version_usable(cls, props.get(property_name + VERSION_SUFFIX)):
            return None  # reported on the version key; Kafka cannot load this converter
        instance = cls()
    except Exception as e:
        value.add_error(f"Failed to load class {class_name}: {e}")
        return None
    try:
        definition = instance.config()
    except Exception as e:
        value.add_error(f"Failed to load ConfigDef from {human}: {e}")
        return None
    finally:
        _close_quietly(instance)
    if definition is None:
        return None
    prefix = property_name + "."
    plugin_props: dict[str, Any] = {
        k[len(prefix) :]: v for k, v in props.items() if k.startswith(prefix)
    }
    plugin_props.setdefault("converter.type", converter_type)
    try:
        results = definition.validate(plugin_props)
    except Exception as e:
        value.add_error(f"Failed to perform config validation for {human}: {e}")
        return None
    return _prefixed_result(definition.keys, results, prefix)


def _close_quietly(instance: Any) -> None:
    close = getattr(instance, "close", None)
    if callable(close):
        with contextlib.suppress(Exception):
            close()


def _policy_name(policy: str) -> str:
    simple = policy.strip().rsplit(".", 1)[-1]
    suffix = "ConnectorClientConfigOverridePolicy"
    return simple[: -len(suffix)] if simple.endswith(suffix) and simple != suffix else simple


def security_setting_problem(name: str, value: str) -> str | None:
    """What is wrong with one security setting on its own (a JAAS line that does not parse, a
    mechanism or protocol sluice's clients cannot use), never repeating the value; the rest
    is checked when the task builds its clients from every layer of settings."""
    from sluice.kafka.jaas import JaasError, parse_jaas_config
    from sluice.kafka.security import SASL_MECHANISMS, SECURITY_PROTOCOLS

    if name == "sasl.jaas.config":
        try:
            parse_jaas_config(value)
        except JaasError:
            return (
                "sasl.jaas.config does not parse as a JAAS login module line "
                '(<LoginModule class> required username="..." password="...";)'
            )
    elif name == "sasl.mechanism" and value.strip().upper() not in SASL_MECHANISMS:
        supported = ", ".join(SASL_MECHANISMS)
        return f"sasl.mechanism {value.strip()} is not supported (supported: {supported})"
    elif name == "security.protocol" and value.strip().upper() not in SECURITY_PROTOCOLS:
        return f"security.protocol {value.strip()} is not one of {', '.join(SECURITY_PROTOCOLS)}"
    return None


def _validate_overrides(
    props: Mapping[str, str | None], prefix: str, policy: str
) -> dict[str, Any]:
    """Kafka's ``validateClientOverrides`` under the worker's override policy."""
    values: list[ConfigValue] = []
    for k, v in props.items():
        if not k.startswith(prefix):
            continue
        name = k[len(prefix) :]
        cv = ConfigValue(name, v)
        allowed = policy == "All" or (policy == "Principal" and name in _PRINCIPAL_OVERRIDES)
        if not allowed:
            cv.add_error(
                f"The '{policy}' policy does not allow '{name}' to be overridden in the "
                "connector configuration."
            )
        elif v is not None and "${" not in v:
            problem = security_setting_problem(name, v)
            if problem is not None:
                cv.add_error(problem)
        values.append(cv)
    return _prefixed_result({}, values, prefix)


# -- plugin versions (KIP-891) ---------------------------------------------------------------
CONNECTOR_VERSION: Final = "connector.plugin.version"
VERSION_SUFFIX: Final = ".plugin.version"


def _converter_default_version(
    registry: PluginRegistry,
    props: Mapping[str, str | None],
    worker: Mapping[str, Any],
    key: str,
) -> str | None:
    """Kafka's ``ConnectorConfig.converterDefaults``: the version of the connector's converter,
    else the worker's ``<key>.plugin.version``, else the version of the worker's converter."""
    name = props.get(key)
    if name is None:
        configured = worker.get(key + VERSION_SUFFIX)
        if configured is not None:
            return str(configured)
        name = worker.get(key, _WORKER_CONVERTER_DEFAULTS.get(key))
    if name is None:
        return None
    try:
        return plugin_version(registry.load(str(name)))
    except PluginError:
        return None


def _define_plugin_versions(
    definition: _Definition,
    props: Mapping[str, str | None],
    worker: Mapping[str, Any],
    classes: _Classes,
    connector: type,
) -> None:
    """Defaults and recommenders of the connector's and converters' ``*.plugin.version`` keys:
    the installed version of the plugin each names."""
    registry = classes.registry
    current = definition.keys[CONNECTOR_VERSION]
    definition.keys[CONNECTOR_VERSION] = dataclasses.replace(
        current,
        default=plugin_version(connector),
        recommender=_VersionRecommender(registry, plugin=connector, always_visible=True),
    )
    for key, _, _, _ in _CONVERTERS:
        name = key + VERSION_SUFFIX
        definition.keys[name] = dataclasses.replace(
            definition.keys[name],
            default=_converter_default_version(registry, props, worker, key),
            recommender=_VersionRecommender(registry, class_key=key),
        )


def _check_plugin_versions(
    props: Mapping[str, str | None],
    values: dict[str, ConfigValue],
    parsed: Mapping[str, Any],
    classes: _Classes,
    connector: type,
) -> None:
    """A version a config asks for must be the installed one: Kafka's "Plugin ... not found that
    matches the version range" on the class key and the version key. Converters are checked
    only when the connector config names them; a transform or predicate version that is not a
    range is reported on its type key too (the validator reports it on the version key)."""

    def check(class_key: str, cls: Any, text: str | None, invalid_on_type: bool) -> None:
        version_key = (
            CONNECTOR_VERSION if class_key == "connector.class" else _version_key(class_key)
        )
        try:
            requirement = version_requirement(text)
        except PluginVersionError as e:
            if invalid_on_type:
                values.setdefault(class_key, ConfigValue(class_key)).add_error(str(e))
            return
        if requirement is None or not isinstance(cls, type_):
            return
        installed = plugin_version(cls)
        if installed is not None and requirement.contains(installed):
            return
        message = not_found_message(classes.name(cls), requirement, installed)
        for name in (class_key, version_key):
            values.setdefault(name, ConfigValue(name, props.get(name))).add_error(message)

    check("connector.class", connector, props.get(CONNECTOR_VERSION), False)
    for key, _, _, _ in _CONVERTERS:
        value = values.get(key)
        if props.get(key) is not None and value is not None and not value.errors:
            check(key, parsed.get(key), props.get(key + VERSION_SUFFIX), False)
    for alias_config in ("transforms", "predicates"):
        for alias in _aliases(props, alias_config):
            type_key = f"{alias_config}.{alias}.type"
            version = props.get(_version_key(type_key))
            if version is not None:
                check(type_key, parsed.get(type_key), version, True)


def _version_usable(cls: type | None, text: str | None) -> bool:
    """Whether the installed ``cls`` satisfies the version a config asks for (a malformed or
    unmatched requirement is reported elsewhere)."""
    try:
        requirement = version_requirement(text)
    except PluginVersionError:
        return False
    if requirement is None or cls is None:
        return True
    installed = plugin_version(cls)
    return installed is not None and requirement.contains(installed)


def _version_key(class_key: str) -> str:
    """``key.converter`` -> ``key.converter.plugin.version``; ``transforms.a.type`` ->
    ``transforms.a.plugin.version``."""
    base = class_key[: -len(".type")] if class_key.endswith(".type") else class_key
    return base + VERSION_SUFFIX


# -- the entry points -------------------------------------------------------------------------
def _load_connector(registry: PluginRegistry, name: str) -> type:
    def not_found() -> BadRequestError:
        known = ", ".join(d.name for d in registry.plugins(["sink", "source"]))
        suggestion = registry.suggest(name, "connector")
        hint = "" if suggestion is None else f". Did you mean '{suggestion}'?"
        return BadRequestError(
            f"Failed to find any class that implements Connector and which name matches "
            f"{name}, available connectors are: {known}{hint}"
        )

    try:
        registry.resolve(name)
    except PluginError:
        raise not_found() from None
    try:
        cls = registry.load(name)
    except PluginError as e:
        if name.strip() in registry.aliases():
            raise BadRequestError(str(e)) from e  # installed but broken: say why
        raise not_found() from None
    if not issubclass(cls, (SourceConnector, SinkConnector)) or inspect.isabstract(cls):
        raise not_found()
    return cls


def connector_type(
    registry: PluginRegistry, config: Mapping[str, str | None] | None
) -> ConnectorType:
    """``source``/``sink`` from the config's ``connector.class``; ``unknown`` if unresolvable."""
    name = (config or {}).get("connector.class")
    if not name:
        return ConnectorType.UNKNOWN
    try:
        cls = registry.load(name, "connector")
    except Exception:
        return ConnectorType.UNKNOWN
    return ConnectorType.SINK if issubclass(cls, SinkConnector) else ConnectorType.SOURCE


def validate_connector_config(
    registry: PluginRegistry,
    config: Mapping[str, str | None],
    *,
    worker_config: Mapping[str, Any] | None = None,
    config_transformer: Callable[[Mapping[str, str]], Mapping[str, str]] | None = None,
    enrich_topic_creation: bool = True,
) -> dict[str, Any]:
    """The ``ConfigInfos`` JSON object for a connector configuration.

    ``worker_config`` supplies the worker's ``key.converter``/``value.converter``/
    ``header.converter`` (shown as the defaults), ``connector.client.config.override.policy``
    and ``topic.creation.enable``. ``config_transformer`` resolves config-provider placeholders
    before validation, as Kafka does; the report still shows the placeholders, never the
    resolved secrets. Raises :class:`BadRequestError` when there is no ``connector.class`` or it
    names no installed connector.
    """
    worker = dict(worker_config or {})
    raw_props = dict(config)
    props: dict[str, str | None] = dict(raw_props)
    if config_transformer is not None:
        resolvable = {k: v for k, v in raw_props.items() if v is not None}
        resolved = dict(config_transformer(resolvable))
        props = {k: (resolved.get(k, v) if v is not None else None) for k, v in raw_props.items()}

    conn_type = props.get("connector.class")
    if conn_type is None:
        rendered = ", ".join(f"{k}={v}" for k, v in raw_props.items())
        raise BadRequestError(f"Connector config {{{rendered}}} contains no connector type")
    cls = _load_connector(registry, conn_type)
    try:
        version_requirement(props.get(CONNECTOR_VERSION))
    except PluginVersionError as e:
        raise BadRequestError(str(e)) from None  # Kafka: a BadRequestException (as a 500)
    is_sink = issubclass(cls, SinkConnector)
    classes = _Classes(registry)

    definition = _Definition(
        sink_connector_config_def() if is_sink else source_connector_config_def()
    )
    class_kinds: dict[str, str] = {}
    for key, kind, _, _ in _CONVERTERS:
        class_kinds[key] = kind
        if key in definition.keys:
            current = definition.keys[key]
            default = worker.get(key, _WORKER_CONVERTER_DEFAULTS.get(key, current.default))
            definition.keys[key] = dataclasses.replace(
                current,
                default=default,
                validator=_class_validator(classes, kind),
                recommender=_PluginRecommender(registry, kind),
            )
    _define_plugin_versions(definition, props, worker, classes, cls)
    _enrich_plugins(
        definition, props, classes, class_kinds, "transforms", "Transforms", "transformation"
    )
    _enrich_plugins(
        definition, props, classes, class_kinds, "predicates", "Predicates", "predicate"
    )
    topic_creation = (
        not is_sink
        and enrich_topic_creation
        and str(worker.get("topic.creation.enable", "true")).strip().lower() != "false"
        and any(k.startswith(TOPIC_CREATION_PREFIX) and k != "topic.creation.groups" for k in props)
    )
    if topic_creation:
        _enrich_topic_creation(definition, props)

    validation = _validate_all(definition, props, class_kinds, classes)
    framework = validation.values
    _check_plugin_versions(props, framework, validation.parsed, classes, cls)
    if is_sink:
        _validate_sink(props, framework)
    for k, v in props.items():
        if v is None:
            framework.setdefault(k, ConfigValue(k)).add_error(NULL_VALUE_ERROR)

    try:
        connector = cls()
    except Exception as e:
        raise BadRequestError(f"Failed to instantiate connector {conn_type}: {e}") from e
    connector_def = connector.config()
    if connector_def is None:
        raise BadRequestError(
            f"{classes.name(cls)}.config() must return a ConfigDef that is not null."
        )
    connector_values = connector.validate(props)
    if connector_values is None:
        raise BadRequestError(
            f"{classes.name(cls)}.validate() must return a Config that is not null."
        )

    keys = dict(definition.keys)
    keys.update(connector_def.keys)
    groups = dict.fromkeys(definition.groups)
    groups.update(dict.fromkeys(connector_def.groups))
    values = [*framework.values(), *connector_values]

    converters = [
        _validate_converter(classes, props, framework.get(key), key, kind, human, ctype)
        for key, kind, human, ctype in _CONVERTERS
    ]
    main = generate_result(conn_type, keys, values, list(groups))

    policy = _policy_name(str(worker.get("connector.client.config.override.policy", "All")))
    dlq = bool((props.get("errors.deadletterqueue.topic.name") or "").strip())
    uses_topic_creation = any(k.startswith(TOPIC_CREATION_PREFIX) for k in props)
    producer = (
        _validate_overrides(props, PRODUCER_OVERRIDES, policy) if (not is_sink or dlq) else None
    )
    consumer = _validate_overrides(props, CONSUMER_OVERRIDES, policy) if is_sink else None
    admin = (
        _validate_overrides(props, ADMIN_OVERRIDES, policy)
        if (dlq if is_sink else uses_topic_creation)
        else None
    )
    result = _merge(conn_type, [main, producer, consumer, admin, *converters])
    _restore_placeholders(result, raw_props, props)
    return result


def _restore_placeholders(
    result: dict[str, Any], raw: Mapping[str, str | None], resolved: Mapping[str, str | None]
) -> None:
    """Show submitted values for keys whose value came from a config provider."""
    for entry in result["configs"]:
        value = entry["value"]
        if value is None:
            continue
        name = value["name"]
        if name in raw and raw[name] != resolved.get(name) and value["value"] not in (None, HIDDEN):
            value["value"] = raw[name]


def plugin_config(registry: PluginRegistry, plugin: str) -> list[dict[str, Any]]:
    """``ConfigKeyInfo`` objects for ``GET /connector-plugins/{plugin}/config``: the plugin's keys
    first, then (for connectors) the framework keys it does not redefine.

    Only installed plugins are looked up: a path in a URL never imports an arbitrary module.
    """
    if plugin.strip() not in registry.aliases():
        raise NotFoundError(f"Unknown plugin {plugin}.")
    try:
        cls = registry.load(plugin)
    except PluginError as e:
        raise ConnectError(f"Failed to load plugin class or one of its dependencies: {e}") from e
    base: ConfigDef | None = None
    if issubclass(cls, SinkConnector):
        base = sink_connector_config_def()
    elif issubclass(cls, SourceConnector):
        base = source_connector_config_def()
    elif not issubclass(cls, (Converter, HeaderConverter, Transformation, Predicate)):
        raise BadRequestError(
            f"Invalid plugin class {plugin}. Valid types are sink, source, converter, "
            "header_converter, transformation, predicate."
        )
    try:
        own: ConfigDef | None = cls().config()
    except Exception as e:
        raise ConnectError(f"Failed to load the configuration of plugin {plugin}: {e}") from e
    keys: dict[str, ConfigKey] = dict(own.keys) if own is not None else {}
    if base is not None:
        # Kafka's enrichedConfigDef: the connector's version is the default of its version key.
        version_key = base.keys[CONNECTOR_VERSION]
        base.keys[CONNECTOR_VERSION] = dataclasses.replace(version_key, default=plugin_version(cls))
        for name, key in base.keys.items():
            keys.setdefault(name, key)
    return [config_key_info(k) for k in keys.values()]
