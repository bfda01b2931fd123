"""Validation of the plugins a connector config names: converters (``key.converter``...),
transforms and predicates (``transforms.<alias>.type``...), and the plugin versions they ask for
(KIP-891), as Kafka's ``AbstractHerder`` and ``ConnectorConfig.EnrichablePlugin`` do it.

Each transform or predicate alias adds a group of keys to the
:class:`~sluice.runtime.enriched_definition.EnrichedDefinition`; each converter the connector
config sets adds its own keys to the report, prefixed with ``<kind>.converter.``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
from collections.abc import Mapping
from typing import Any, Final

from sluice.api import (
    NO_DEFAULT,
    ConfigDef,
    ConfigError,
    ConfigKey,
    ConfigType,
    ConfigValue,
    ConnectError,
    Importance,
    Recommender,
    Validator,
    Width,
)
from sluice.plugins.registry import KINDS, PluginError, PluginRegistry
from sluice.runtime.config_infos import prefixed_result
from sluice.runtime.connector_config import aliases, plugin_version_validator
from sluice.runtime.enriched_definition import EnrichedDefinition
from sluice.runtime.plugin_versions import (
    PluginVersionError,
    not_found_message,
    plugin_version,
    version_requirement,
)
from sluice.runtime.worker_config import worker_config_def

__all__ = [
    "CONNECTOR_VERSION",
    "CONVERTERS",
    "PluginClasses",
    "PluginRecommender",
    "check_plugin_versions",
    "class_validator",
    "define_plugin_versions",
    "enrich_plugins",
    "validate_converter",
    "worker_converter",
]

_BASE_NAMES: Final = {
    "transformation": "Transformation",
    "predicate": "Predicate",
    "converter": "Converter",
    "header_converter": "HeaderConverter",
}

CONVERTERS: Final = (
    # (connector key, plugin kind, human name, converter.type default)
    ("header.converter", "header_converter", "header converter", "header"),
    ("key.converter", "converter", "key converter", "key"),
    ("value.converter", "converter", "value converter", "value"),
)


def worker_converter(worker: Mapping[str, Any], key: str, fallback: Any = None) -> Any:
    """The worker's converter class ``key``: as set in ``worker`` (the explicitly set worker
    keys), else the worker config's default, else ``fallback``."""
    if key in worker:
        return worker[key]
    definition = worker_config_def().keys.get(key)
    if definition is not None and definition.has_default:
        return definition.default
    return fallback


# -- recommenders ----------------------------------------------------------------------------
class PluginRecommender(Recommender):
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
        return value if isinstance(value, type) else None

    def valid_values(self, name: str, parsed: Mapping[str, Any]) -> list[Any]:
        cls = self._plugin(parsed)
        version = None if cls is None else plugin_version(cls)
        return [] if version is None else [version]

    def visible(self, name: str, parsed: Mapping[str, Any]) -> bool:
        return self.always_visible or self._plugin(parsed) is not None


# -- plugin classes named in a config ---------------------------------------------------------
class PluginClasses:
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


def class_validator(classes: PluginClasses, kind: str) -> Validator:
    def validate(name: str, value: Any) -> None:
        if isinstance(value, type):
            classes.check_kind(value, kind)
            try:
                value()
            except Exception as e:
                raise ConfigError.invalid(
                    name, classes.name(value), f"Could not instantiate class: {e}"
                ) from e

    return validate


# -- transforms and predicates -----------------------------------------------------------------
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


def enrich_plugins(
    definition: EnrichedDefinition,
    props: Mapping[str, str | None],
    classes: PluginClasses,
    class_kinds: dict[str, str],
    alias_config: str,
    group_base: str,
    kind: str,
) -> None:
    """Kafka's ``ConnectorConfig.EnrichablePlugin.enrich`` for ``transforms`` or ``predicates``."""
    word = "transformation" if kind == "transformation" else "predicate"
    for alias in aliases(props, alias_config):
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
                recommender=PluginRecommender(classes.registry, kind),
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
        if not version_usable(plugin, props.get(prefix + "plugin.version")):
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
    classes: PluginClasses, props: Mapping[str, str | None], prefix: str, kind: str
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
        if isinstance(value, type):
            _instance_config(classes, name, value, kind)

    return validate


def _instance_config(classes: PluginClasses, key: str, cls: type, kind: str) -> ConfigDef:
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


def _plugin_class(classes: PluginClasses, raw: str | None, kind: str) -> type | None:
    """The class a ``transforms.<alias>.type`` (or predicate type) names, if it is one."""
    if raw is None or not raw.strip():
        return None
    try:
        cls = classes.registry.load(raw.strip())
    except Exception:  # reported on the type key
        return None
    return cls if issubclass(cls, KINDS[kind]) and not inspect.isabstract(cls) else None


def _plugin_keys(classes: PluginClasses, raw: str | None, kind: str) -> dict[str, ConfigKey] | None:
    if raw is None or not raw.strip():
        return None
    try:
        cls = classes.load("type", raw.strip())
        return dict(_instance_config(classes, "type", cls, kind).keys)
    except (ConfigError, ConnectError):
        return None


# -- converters -------------------------------------------------------------------------------
def validate_converter(
    classes: PluginClasses,
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
        if not version_usable(cls, props.get(property_name + VERSION_SUFFIX)):
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
    return prefixed_result(definition.keys, results, prefix)


def _close_quietly(instance: Any) -> None:
    close = getattr(instance, "close", None)
    if callable(close):
        with contextlib.suppress(Exception):
            close()


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
        name = worker_converter(worker, key)
    if name is None:
        return None
    try:
        return plugin_version(registry.load(str(name)))
    except PluginError:
        return None


def define_plugin_versions(
    definition: EnrichedDefinition,
    props: Mapping[str, str | None],
    worker: Mapping[str, Any],
    classes: PluginClasses,
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
    for key, _, _, _ in CONVERTERS:
        name = key + VERSION_SUFFIX
        definition.keys[name] = dataclasses.replace(
            definition.keys[name],
            default=_converter_default_version(registry, props, worker, key),
            recommender=_VersionRecommender(registry, class_key=key),
        )


def check_plugin_versions(
    props: Mapping[str, str | None],
    values: dict[str, ConfigValue],
    parsed: Mapping[str, Any],
    classes: PluginClasses,
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
        if requirement is None or not isinstance(cls, type):
            return
        installed = plugin_version(cls)
        if installed is not None and requirement.contains(installed):
            return
        message = not_found_message(classes.name(cls), requirement, installed)
        for name in (class_key, version_key):
            values.setdefault(name, ConfigValue(name, props.get(name))).add_error(message)

    check("connector.class", connector, props.get(CONNECTOR_VERSION), False)
    for key, _, _, _ in CONVERTERS:
        value = values.get(key)
        if props.get(key) is not None and value is not None and not value.errors:
            check(key, parsed.get(key), props.get(key + VERSION_SUFFIX), False)
    for alias_config in ("transforms", "predicates"):
        for alias in aliases(props, alias_config):
            type_key = f"{alias_config}.{alias}.type"
            version = props.get(_version_key(type_key))
            if version is not None:
                check(type_key, parsed.get(type_key), version, True)


def version_usable(cls: type | None, text: str | None) -> bool:
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
