"""``ConfigDef``: typed, documented configuration definitions, as Kafka's ``ConfigDef``.

A connector declares its keys once (type, default, validator, importance, documentation, group,
order, width, display name, dependents); the runtime then parses raw string properties with it and
the REST ``validate`` endpoint returns the same metadata Kafka Connect returns, so UIs and scripts
built for Kafka Connect can drive sluice connectors.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from sluice.api.errors import ConfigError
from sluice.jdk.hashing import hash_set_order

__all__ = [
    "NO_DEFAULT",
    "AbstractConfig",
    "CaseInsensitiveValidString",
    "ConfigDef",
    "ConfigKey",
    "ConfigType",
    "ConfigValue",
    "Importance",
    "NonEmptyString",
    "NonNullValidator",
    "Password",
    "Range",
    "Recommender",
    "ValidList",
    "ValidString",
    "Validator",
    "Width",
]


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


_T = TypeVar("_T")

NO_DEFAULT: Final[Any] = _NoDefault()
"""Marks a key as required: it has no default, so leaving it out is an error."""


class ConfigType(enum.Enum):
    BOOLEAN = "BOOLEAN"
    STRING = "STRING"
    INT = "INT"
    SHORT = "SHORT"
    LONG = "LONG"
    DOUBLE = "DOUBLE"
    LIST = "LIST"
    CLASS = "CLASS"
    PASSWORD = "PASSWORD"


class Importance(enum.Enum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


class Width(enum.Enum):
    NONE = "NONE"
    SHORT = "SHORT"
    MEDIUM = "MEDIUM"
    LONG = "LONG"


class Password:
    """A secret value: its ``str`` and ``repr`` are ``[hidden]`` so it never reaches a log."""

    HIDDEN: Final = "[hidden]"
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def value(self) -> str:
        return self._value

    def __str__(self) -> str:
        return self.HIDDEN

    def __repr__(self) -> str:
        return self.HIDDEN

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Password) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


Validator = Callable[[str, Any], None]
"""A validator is called with (key, parsed value) and raises :class:`ConfigError` when invalid."""


class Recommender:
    """Suggests valid values and visibility for a key given the other values (UI support)."""

    def valid_values(self, name: str, parsed: Mapping[str, Any]) -> list[Any]:
        return []

    def visible(self, name: str, parsed: Mapping[str, Any]) -> bool:
        return True


class Range:
    """Numeric bounds; ``str`` matches Kafka's ``[1,...]`` rendering used in docs."""

    def __init__(self, min: float | None = None, max: float | None = None) -> None:
        self.min = min
        self.max = max

    @classmethod
    def at_least(cls, min: float) -> Range:
        return cls(min, None)

    @classmethod
    def between(cls, min: float, max: float) -> Range:
        return cls(min, max)

    def __call__(self, name: str, value: Any) -> None:
        if value is None:
            raise ConfigError.invalid(name, None, "Value must be non-null")
        if self.min is not None and value < self.min:
            raise ConfigError.invalid(name, value, f"Value must be at least {self.min}")
        if self.max is not None and value > self.max:
            raise ConfigError.invalid(name, value, f"Value must be no more than {self.max}")

    def __str__(self) -> str:
        if self.min is None and self.max is None:
            return "[...]"
        if self.min is None:
            return f"[...,{self.max}]"
        if self.max is None:
            return f"[{self.min},...]"
        return f"[{self.min},...,{self.max}]"


class ValidString:
    """The value must be one of a fixed set of strings (case-sensitive)."""

    def __init__(self, *valid: str) -> None:
        self.valid = list(valid)

    @classmethod
    def in_(cls, *valid: str) -> ValidString:
        return cls(*valid)

    def __call__(self, name: str, value: Any) -> None:
        if value not in self.valid:
            raise ConfigError.invalid(
                name, value, f"String must be one of: {', '.join(self.valid)}"
            )

    def __str__(self) -> str:
        return "[" + ", ".join(self.valid) + "]"


class CaseInsensitiveValidString(ValidString):
    """As :class:`ValidString`, ignoring case (Kafka's ``CaseInsensitiveValidString``).

    Kafka keeps the upper-cased values in a ``HashSet`` and lists them in its iteration order;
    ``upper`` reproduces that order so messages and docs read exactly as Kafka's.
    """

    def __init__(self, *valid: str) -> None:
        super().__init__(*valid)
        self.upper = hash_set_order([v.upper() for v in valid])

    def __call__(self, name: str, value: Any) -> None:
        if value is None or str(value).upper() not in self.upper:
            raise ConfigError.invalid(
                name, value, "String must be one of (case insensitive): " + ", ".join(self.upper)
            )

    def __str__(self) -> str:
        return "(case insensitive) [" + ", ".join(self.upper) + "]"


class ValidList:
    """Every element of a LIST value must be one of a fixed set."""

    def __init__(self, *valid: str, allow_empty: bool = True) -> None:
        self.valid = list(valid)
        self.allow_empty = allow_empty

    def __call__(self, name: str, value: Any) -> None:
        items = value or []
        if not items and not self.allow_empty:
            raise ConfigError.invalid(name, value, "Empty list is not allowed")
        for item in items:
            if item not in self.valid:
                raise ConfigError.invalid(
                    name, item, f"String must be one of: {', '.join(self.valid)}"
                )

    def __str__(self) -> str:
        return "[" + ", ".join(self.valid) + "]"


class NonEmptyString:
    """The value must not be the empty string; ``None`` passes, as in Kafka (a missing required
    key is reported as missing, not as empty)."""

    def __call__(self, name: str, value: Any) -> None:
        if isinstance(value, str) and not value:
            raise ConfigError.invalid(name, value, "String must be non-empty")

    def __str__(self) -> str:
        return "non-empty string"


class NonNullValidator:
    def __call__(self, name: str, value: Any) -> None:
        if value is None:
            raise ConfigError.invalid(name, value, "entry must be non null")

    def __str__(self) -> str:
        return "non-null string"


@dataclass
class ConfigKey:
    """One key's definition; ``default`` is :data:`NO_DEFAULT` for required keys."""

    name: str
    type: ConfigType
    default: Any
    validator: Validator | None
    importance: Importance
    documentation: str
    group: str | None = None
    order_in_group: int = -1
    width: Width = Width.NONE
    display_name: str | None = None
    dependents: list[str] = field(default_factory=list)
    recommender: Recommender | None = None
    internal: bool = False

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT


@dataclass
class ConfigValue:
    """The outcome of validating one key, as the REST validate endpoint reports it."""

    name: str
    value: Any = None
    recommended_values: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    visible: bool = True

    def add_error(self, message: str) -> None:
        self.errors.append(message)


_LIST_SPLIT: Final = re.compile(r"\s*,\s*")
_JAVA_DOUBLE: Final = re.compile(
    r"[+-]?(NaN|Infinity|([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?)"
)
"""What ``Double.parseDouble`` accepts (less hex and f/d suffixes); Python alone would also take
``inf``, ``nan`` and ``1_0``."""


def parse_type(name: str, value: Any, type: ConfigType) -> Any:
    """Convert a raw (usually string) value to ``type`` with Kafka's rules and messages."""
    if value is None:
        return None
    trimmed = value.strip() if isinstance(value, str) else None
    try:
        if type is ConfigType.BOOLEAN:
            if isinstance(value, bool):
                return value
            if trimmed is not None:
                if trimmed.lower() == "true":
                    return True
                if trimmed.lower() == "false":
                    return False
                raise ConfigError.invalid(name, value, "Expected value to be either true or false")
            raise ConfigError.invalid(name, value, "Expected value to be either true or false")
        if type is ConfigType.PASSWORD:
            if isinstance(value, Password):
                return value
            if trimmed is not None:
                return Password(trimmed)
            raise ConfigError.invalid(
                name, value, "Expected value to be a string, but it was a " + _jtype(value)
            )
        if type is ConfigType.STRING:
            if trimmed is not None:
                return trimmed
            raise ConfigError.invalid(
                name, value, "Expected value to be a string, but it was a " + _jtype(value)
            )
        if type in (ConfigType.INT, ConfigType.SHORT, ConfigType.LONG):
            bounds = {
                ConfigType.SHORT: (-(2**15), 2**15 - 1),
                ConfigType.INT: (-(2**31), 2**31 - 1),
                ConfigType.LONG: (-(2**63), 2**63 - 1),
            }[type]
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, int):
                result = value
            elif trimmed is not None and "_" not in trimmed:
                result = int(trimmed, 10)
            else:
                raise ValueError
            if not bounds[0] <= result <= bounds[1]:
                raise ValueError
            return result
        if type is ConfigType.DOUBLE:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
            if trimmed is not None and _JAVA_DOUBLE.fullmatch(trimmed):
                return float(trimmed)
            raise ValueError
        if type is ConfigType.LIST:
            if isinstance(value, (list, tuple)):
                return list(value)
            if trimmed is not None:
                return [] if not trimmed else _LIST_SPLIT.split(trimmed)
            raise ConfigError.invalid(name, value, "Expected a comma separated list.")
        if type is ConfigType.CLASS:
            if isinstance(value, type_):  # a Python class object
                return f"{value.__module__}.{value.__qualname__}"
            if trimmed is not None:
                return trimmed
            raise ConfigError.invalid(name, value, "Expected a Class instance or class name.")
    except ValueError:
        raise ConfigError.invalid(name, value, f"Not a number of type {type.value}") from None
    raise ConfigError.invalid(name, value, "Unknown type.")


type_ = type


def _jtype(value: Any) -> str:
    return "class " + type_(value).__name__


def to_string(value: Any, type: ConfigType) -> str | None:
    """Render a parsed value back as Kafka's ``ConfigDef.convertToString`` does."""
    if value is None:
        return None
    if type is ConfigType.LIST:
        return ",".join(str(v) for v in value)
    if type is ConfigType.PASSWORD:
        return Password.HIDDEN
    if type is ConfigType.BOOLEAN:
        return "true" if value else "false"
    if type is ConfigType.DOUBLE:
        return repr(float(value))
    return str(value)


class ConfigDef:
    """An ordered set of :class:`ConfigKey` definitions.

    ``define`` returns ``self`` so definitions chain as in Java. ``parse`` turns raw properties
    into typed values and raises :class:`ConfigError` naming the first bad key; ``validate``
    instead collects every problem per key, which is what the REST API needs.
    """

    def __init__(self, base: ConfigDef | None = None) -> None:
        self.keys: dict[str, ConfigKey] = dict(base.keys) if base is not None else {}
        self.groups: list[str] = list(base.groups) if base is not None else []

    def define(
        self,
        name: str,
        type: ConfigType,
        default: Any = NO_DEFAULT,
        validator: Validator | None = None,
        importance: Importance = Importance.MEDIUM,
        documentation: str = "",
        group: str | None = None,
        order_in_group: int = -1,
        width: Width = Width.NONE,
        display_name: str | None = None,
        dependents: Sequence[str] = (),
        recommender: Recommender | None = None,
        internal: bool = False,
    ) -> ConfigDef:
        if name in self.keys:
            raise ConfigError(f"Configuration {name} is defined twice.", name)
        if group is not None and group not in self.groups:
            self.groups.append(group)
        parsed_default = default
        if default is not NO_DEFAULT:
            parsed_default = parse_type(name, default, type)
            if validator is not None:
                validator(name, parsed_default)
        self.keys[name] = ConfigKey(
            name=name,
            type=type,
            default=parsed_default,
            validator=validator,
            importance=importance,
            documentation=documentation,
            group=group,
            order_in_group=order_in_group,
            width=width,
            display_name=display_name if display_name is not None else name,
            dependents=list(dependents),
            recommender=recommender,
            internal=internal,
        )
        return self

    def define_internal(
        self,
        name: str,
        type: ConfigType,
        default: Any = NO_DEFAULT,
        importance: Importance = Importance.LOW,
    ) -> ConfigDef:
        return self.define(name, type, default, importance=importance, internal=True)

    def names(self) -> list[str]:
        return list(self.keys)

    def merge(self, other: ConfigDef) -> ConfigDef:
        """Add ``other``'s keys that this definition lacks (used to layer framework keys)."""
        for k, v in other.keys.items():
            if k not in self.keys:
                self.keys[k] = v
                if v.group is not None and v.group not in self.groups:
                    self.groups.append(v.group)
        return self

    def parse(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """Typed values for every defined key; raises on the first missing or invalid one."""
        values: dict[str, Any] = {}
        for key in self.keys.values():
            values[key.name] = self._parse_value(key, props.get(key.name), key.name in props)
        return values

    def _parse_value(self, key: ConfigKey, raw: Any, is_set: bool) -> Any:
        if is_set:
            parsed = parse_type(key.name, raw, key.type)
        elif not key.has_default:
            raise ConfigError(
                f'Missing required configuration "{key.name}" which has no default value.', key.name
            )
        else:
            parsed = key.default
        if key.validator is not None:
            key.validator(key.name, parsed)
        return parsed

    def validate(self, props: Mapping[str, Any]) -> list[ConfigValue]:
        """One :class:`ConfigValue` per defined key with every error found, in definition order.

        As Kafka's ``ConfigDef.validate``: a value that fails to parse (or a missing required key)
        is reported and then treated as ``None``, and the validator still runs on it, so a key can
        carry several errors. Rejecting explicit nulls is the caller's business, as in Kafka.
        """
        results: dict[str, ConfigValue] = {}
        parsed: dict[str, Any] = {}
        for key in self.keys.values():
            cv = ConfigValue(key.name)
            results[key.name] = cv
            value: Any = None
            if key.name in props:
                try:
                    value = parse_type(key.name, props[key.name], key.type)
                except ConfigError as e:
                    cv.add_error(str(e))
            elif not key.has_default:
                cv.add_error(
                    f'Missing required configuration "{key.name}" which has no default value.'
                )
            else:
                value = key.default
            if key.validator is not None:
                try:
                    key.validator(key.name, value)
                except ConfigError as e:
                    cv.add_error(str(e))
            cv.value = value
            parsed[key.name] = value
        for key in self.keys.values():
            if key.recommender is not None:
                cv = results[key.name]
                try:
                    cv.recommended_values = key.recommender.valid_values(key.name, parsed)
                    cv.visible = key.recommender.visible(key.name, parsed)
                except ConfigError as e:
                    cv.add_error(str(e))
        return list(results.values())

    def to_rst(self) -> str:
        """The keys as reStructuredText, for connector documentation pages."""
        lines: list[str] = []
        for key in self.keys.values():
            if key.internal:
                continue
            lines.append(f"``{key.name}``")
            lines.append(f"  {key.documentation}")
            lines.append("")
            lines.append(f"  * Type: {key.type.value.lower()}")
            default = "" if not key.has_default else to_string(key.default, key.type)
            lines.append(f"  * Default: {default}")
            if key.validator is not None:
                lines.append(f"  * Valid Values: {key.validator}")
            lines.append(f"  * Importance: {key.importance.value.lower()}")
            lines.append("")
        return "\n".join(lines)


class AbstractConfig:
    """Parsed configuration with typed getters, as Kafka's ``AbstractConfig``.

    Connectors usually subclass it with their :class:`ConfigDef` and read values through the
    getters, which keeps parsing and validation in one place.
    """

    def __init__(self, definition: ConfigDef, originals: Mapping[str, Any]) -> None:
        self.definition = definition
        self._originals = dict(originals)
        self.values = definition.parse(originals)

    def originals(self) -> dict[str, Any]:
        return dict(self._originals)

    def originals_with_prefix(self, prefix: str, strip: bool = True) -> dict[str, Any]:
        return {
            (k[len(prefix) :] if strip else k): v
            for k, v in self._originals.items()
            if k.startswith(prefix)
        }

    def get(self, key: str) -> Any:
        if key not in self.values:
            raise ConfigError(f"Unknown configuration '{key}'", key)
        return self.values[key]

    def get_string(self, key: str) -> str | None:
        v = self.get(key)
        return None if v is None else str(v)

    def get_int(self, key: str) -> int:
        return int(self.get(key))

    def get_long(self, key: str) -> int:
        return int(self.get(key))

    def get_double(self, key: str) -> float:
        return float(self.get(key))

    def get_boolean(self, key: str) -> bool:
        return bool(self.get(key))

    def get_list(self, key: str) -> list[str]:
        v = self.get(key)
        return list(v) if v is not None else []

    def get_password(self, key: str) -> Password | None:
        v = self.get(key)
        return v if v is None or isinstance(v, Password) else Password(str(v))

    def unused(self) -> set[str]:
        return set(self._originals) - set(self.values)


def keys_in_group(definition: ConfigDef, group: str) -> Iterable[ConfigKey]:
    return (k for k in definition.keys.values() if k.group == group)
