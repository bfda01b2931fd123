"""Kafka Connect's ``AbstractHerder.validateConnectorConfig``: the ``ConfigInfos`` report
``PUT /connector-plugins/{p}/config/validate`` returns and the herder checks before it creates or
updates a connector, and ``GET /connector-plugins/{plugin}/config``.

The report lists the framework keys (``Common``, ``Transforms``, ``Predicates``,
``Error Handling``, source/sink extras, from :mod:`sluice.runtime.connector_config`) enriched
with one group per transform, predicate (:mod:`sluice.runtime.plugin_validation`) and
topic-creation group (:mod:`sluice.runtime.topic_creation_validation`), then the connector's own
keys, then the client ``*.override.*`` keys (:mod:`sluice.runtime.client_overrides`) and the
keys of converters set in the connector config. Values without a definition (``null`` values,
unknown override keys) come first, as in Kafka.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from typing import Any, Final

from sluice.api import (
    ConfigDef,
    ConfigKey,
    ConfigValue,
    ConnectError,
    Converter,
    HeaderConverter,
    NotFoundError,
    Predicate,
    SinkConnector,
    SourceConnector,
    Transformation,
)
from sluice.plugins.registry import PluginError, PluginRegistry
from sluice.runtime.client_overrides import (
    ADMIN_OVERRIDES,
    CONSUMER_OVERRIDES,
    POLICY_CONFIG,
    PRODUCER_OVERRIDES,
    allows,
    overrides,
    policy_name,
    security_setting_problem,
)
from sluice.runtime.config_infos import (
    HIDDEN,
    config_key_info,
    generate_result,
    merge_results,
    prefixed_result,
)
from sluice.runtime.connector_config import (
    sink_connector_config_def,
    sink_topic_problems,
    source_connector_config_def,
)
from sluice.runtime.enriched_definition import EnrichedDefinition, validate_all
from sluice.runtime.herder import BadRequestError
from sluice.runtime.plugin_validation import (
    CONNECTOR_VERSION,
    CONVERTERS,
    PluginClasses,
    PluginRecommender,
    check_plugin_versions,
    class_validator,
    define_plugin_versions,
    enrich_plugins,
    validate_converter,
    worker_converter,
)
from sluice.runtime.plugin_versions import PluginVersionError, plugin_version, version_requirement
from sluice.runtime.status import ConnectorType
from sluice.runtime.topic_creation_config import uses_topic_creation
from sluice.runtime.topic_creation_validation import (
    enrich_topic_creation_groups,
    enriches_topic_creation,
)
from sluice.runtime.worker_config import worker_config_def

__all__ = ["connector_type", "plugin_config", "validate_connector_config"]

NULL_VALUE_ERROR: Final = "Null value can not be supplied as the configuration value."


# -- sink checks and client overrides ---------------------------------------------------------
def _validate_sink(props: Mapping[str, str | None], values: dict[str, ConfigValue]) -> None:
    """Kafka's ``SinkConnectorConfig.validate``: topics xor topics.regex, DLQ not consumed."""
    for name, raw, message in sink_topic_problems(props):
        values.setdefault(name, ConfigValue(name, raw)).add_error(message)


def _validate_overrides(
    props: Mapping[str, str | None], prefix: str, policy: str
) -> dict[str, Any]:
    """Kafka's ``validateClientOverrides`` under the worker's override policy."""
    values: list[ConfigValue] = []
    for name, v in overrides(props, prefix).items():
        cv = ConfigValue(name, v)
        if not allows(policy, name):
            cv.add_error(
                f"The '{policy}' policy does not allow '{name}' to be overridden in the "
                "connector configuration."
            )
        elif v is not None and "${" not in v:
            problem = security_setting_problem(name, v)
            if problem is not None:
                cv.add_error(problem)
        values.append(cv)
    return prefixed_result({}, values, prefix)


# -- the entry points -------------------------------------------------------------------------
def _load_connector(registry: PluginRegistry, name: str) -> type:
    def not_found() -> BadRequestError:
        known = ", ".join(d.name for d in registry.plugins(["sink", "source"]))
        return BadRequestError(
            f"Failed to find any class that implements Connector and which name matches "
            f"{name}, available connectors are: {known}"
            f"{registry.not_found_hint(name, 'connector')}"
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
    classes = PluginClasses(registry)

    definition = EnrichedDefinition(
        sink_connector_config_def() if is_sink else source_connector_config_def()
    )
    class_kinds: dict[str, str] = {}
    for key, kind, _, _ in CONVERTERS:
        class_kinds[key] = kind
        if key in definition.keys:
            current = definition.keys[key]
            default = worker_converter(worker, key, current.default)
            definition.keys[key] = dataclasses.replace(
                current,
                default=default,
                validator=class_validator(classes, kind),
                recommender=PluginRecommender(registry, kind),
            )
    define_plugin_versions(definition, props, worker, classes, cls)
    enrich_plugins(
        definition, props, classes, class_kinds, "transforms", "Transforms", "transformation"
    )
    enrich_plugins(definition, props, classes, class_kinds, "predicates", "Predicates", "predicate")
    if not is_sink and enrich_topic_creation and enriches_topic_creation(worker, props):
        enrich_topic_creation_groups(definition, props)

    validation = validate_all(definition, props, class_kinds, classes)
    framework = validation.values
    check_plugin_versions(props, framework, validation.parsed, classes, cls)
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
        validate_converter(classes, props, framework.get(key), key, kind, human, ctype)
        for key, kind, human, ctype in CONVERTERS
    ]
    main = generate_result(conn_type, keys, values, list(groups))

    policy = policy_name(str(worker.get(POLICY_CONFIG, _default_policy())))
    dlq = bool((props.get("errors.deadletterqueue.topic.name") or "").strip())
    producer = (
        _validate_overrides(props, PRODUCER_OVERRIDES, policy) if (not is_sink or dlq) else None
    )
    consumer = _validate_overrides(props, CONSUMER_OVERRIDES, policy) if is_sink else None
    admin = (
        _validate_overrides(props, ADMIN_OVERRIDES, policy)
        if (dlq if is_sink else uses_topic_creation(props))
        else None
    )
    result = merge_results(conn_type, [main, producer, consumer, admin, *converters])
    _restore_placeholders(result, raw_props, props)
    return result


def _default_policy() -> Any:
    return worker_config_def().keys[POLICY_CONFIG].default


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
