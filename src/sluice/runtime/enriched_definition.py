"""The connector's config definition as the validate endpoint builds it: the framework keys
enriched with one embedded group per transform, predicate and topic-creation group (Kafka's
``ConfigDef.embed``), then validated with Kafka's ``ConfigDef.validateAll`` rules.

Those rules differ from :meth:`sluice.api.ConfigDef.validate` because the report must say what
Kafka says: a value that fails to parse is reported as ``null``, and the validator still sees it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from sluice.api import (
    ConfigDef,
    ConfigError,
    ConfigKey,
    ConfigValue,
    Importance,
    Recommender,
    Validator,
)
from sluice.api.config import parse_type
from sluice.runtime.config_infos import render

if TYPE_CHECKING:
    from sluice.runtime.plugin_validation import PluginClasses

__all__ = ["EnrichedDefinition", "Validation", "validate_all"]


class EnrichedDefinition:
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


# -- Kafka's ConfigDef.validateAll -----------------------------------------------------------
@dataclasses.dataclass
class Validation:
    values: dict[str, ConfigValue]
    parsed: dict[str, Any]


def validate_all(
    definition: EnrichedDefinition,
    props: Mapping[str, str | None],
    class_kinds: Mapping[str, str],
    classes: PluginClasses,
) -> Validation:
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
                    f"Invalid value {render(value, key.type)} for configuration {key.name}: {e}"
                )
        cv.value = classes.name(value) if isinstance(value, type) else value
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
    return Validation(values, parsed)
