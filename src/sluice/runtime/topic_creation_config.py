"""The ``topic.creation.*`` keys of a source connector (KIP-158), as Kafka's
``TopicCreationConfig`` defines them: one definition for the validate endpoint (which embeds it
once per group) and for the runtime (which parses it into :class:`TopicCreationGroup` objects).

``topic.creation.default.replication.factor`` and ``.partitions`` are required; every other group
listed in ``topic.creation.groups`` inherits them. A group's other ``topic.creation.<group>.*``
keys are topic configs (``cleanup.policy``...) passed to the broker as they are.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from sluice.api import NO_DEFAULT, ConfigDef, ConfigError, ConfigType, Importance, Validator, Width
from sluice.api.config import parse_type
from sluice.runtime.connector_config import aliases

__all__ = [
    "DEFAULT_GROUP",
    "GROUPS_CONFIG",
    "PREFIX",
    "TopicCreationGroup",
    "group_config_def",
    "group_names",
    "parse_groups",
    "uses_topic_creation",
]

PREFIX: Final = "topic.creation."
GROUPS_CONFIG: Final = "topic.creation.groups"
DEFAULT_GROUP: Final = "default"
GROUP_KEYS: Final = frozenset({"include", "exclude", "replication.factor", "partitions"})
"""The keys a group's definition has; any other ``topic.creation.<group>.*`` is a topic config."""


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


def group_config_def(group: str, default_rf: Any, default_partitions: Any) -> ConfigDef:
    """The keys of one group (unprefixed); ``default_rf``/``default_partitions`` are the default
    group's values (:data:`~sluice.api.NO_DEFAULT` for the default group itself)."""
    d = ConfigDef()
    d.define(
        "include",
        ConfigType.LIST,
        ".*" if group == DEFAULT_GROUP else "",
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


def uses_topic_creation(config: Mapping[str, Any]) -> bool:
    """Whether a connector config has any ``topic.creation.*`` key (the runtime then creates
    topics, if the worker's ``topic.creation.enable`` allows it)."""
    return any(k.startswith(PREFIX) for k in config)


def group_names(config: Mapping[str, Any]) -> list[str]:
    """The groups ``topic.creation.groups`` lists, once each, without ``default``."""
    return [g for g in aliases(config, GROUPS_CONFIG) if g != DEFAULT_GROUP]


def default_sizes(config: Mapping[str, Any]) -> tuple[Any, Any]:
    """The default group's replication factor and partitions as far as they parse (``None``
    otherwise): what the other groups inherit."""
    sizes: list[Any] = []
    for key, kind in (("replication.factor", ConfigType.SHORT), ("partitions", ConfigType.INT)):
        raw = config.get(f"{PREFIX}{DEFAULT_GROUP}.{key}")
        try:
            sizes.append(parse_type(key, raw, kind) if raw is not None else None)
        except ConfigError:
            sizes.append(None)
    return sizes[0], sizes[1]


@dataclass
class TopicCreationGroup:
    name: str
    include: list[re.Pattern[str]]
    exclude: list[re.Pattern[str]]
    partitions: int
    replication_factor: int
    configs: dict[str, str] = field(default_factory=dict)

    def matches(self, topic: str) -> bool:
        if any(p.fullmatch(topic) for p in self.exclude):
            return False
        return any(p.fullmatch(topic) for p in self.include)


def _prefixed(definition: ConfigDef, prefix: str) -> ConfigDef:
    """``definition`` with every key renamed ``prefix + name``, so errors name the full key."""
    out = ConfigDef()
    for key in definition.keys.values():
        out.keys[prefix + key.name] = dataclasses.replace(key, name=prefix + key.name)
    return out


def _patterns(items: list[Any]) -> list[re.Pattern[str]]:
    return [re.compile(str(i)) for i in items if str(i)]


def parse_groups(config: Mapping[str, str]) -> list[TopicCreationGroup]:
    """The groups of a connector config, in ``topic.creation.groups`` order, ``default`` last;
    raises :class:`~sluice.api.ConfigError` naming the first missing or bad key."""
    groups: list[TopicCreationGroup] = []
    default_rf: Any = NO_DEFAULT
    default_partitions: Any = NO_DEFAULT
    parsed: dict[str, dict[str, Any]] = {}
    for name in [DEFAULT_GROUP, *group_names(config)]:
        prefix = f"{PREFIX}{name}."
        definition = _prefixed(group_config_def(name, default_rf, default_partitions), prefix)
        values = definition.parse(config)
        parsed[name] = {k[len(prefix) :]: v for k, v in values.items()}
        if name == DEFAULT_GROUP:
            default_rf = parsed[name]["replication.factor"]
            default_partitions = parsed[name]["partitions"]
    for name in [*list(parsed)[1:], DEFAULT_GROUP]:
        prefix = f"{PREFIX}{name}."
        values = parsed[name]
        extra = {
            k[len(prefix) :]: v
            for k, v in config.items()
            if k.startswith(prefix) and k[len(prefix) :] not in GROUP_KEYS and k != GROUPS_CONFIG
        }
        groups.append(
            TopicCreationGroup(
                name,
                _patterns(values["include"]),
                _patterns(values["exclude"]),
                int(values["partitions"]),
                int(values["replication.factor"]),
                extra,
            )
        )
    return groups
