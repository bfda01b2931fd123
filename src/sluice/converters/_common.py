"""What the bundled converters share: the ``converter.type`` key, and map keys that Python
could not otherwise hold.

Kafka's ``ConverterConfig`` makes ``converter.type`` (key, value or header) a required key that
the framework fills in; converters that are configured directly get it from ``is_key`` here.

Connect maps may have arrays or maps as keys (Java hashes lists and maps by value); Python dicts
cannot, so such keys become :class:`HashableList`/:class:`HashableDict`, which still are a
``list``/``dict`` to every other piece of code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sluice.api.config import NO_DEFAULT, ConfigDef, ConfigType, Importance, ValidString

__all__ = [
    "CONVERTER_TYPE_CONFIG",
    "HashableDict",
    "HashableList",
    "as_map_key",
    "converter_config_def",
    "with_converter_type",
]

CONVERTER_TYPE_CONFIG: Final = "converter.type"


def converter_config_def() -> ConfigDef:
    """A fresh definition holding only ``converter.type``, to which converters add their keys."""
    return ConfigDef().define(
        CONVERTER_TYPE_CONFIG,
        ConfigType.STRING,
        NO_DEFAULT,
        ValidString("key", "value", "header"),
        Importance.LOW,
        "How this converter will be used.",
    )


def with_converter_type(configs: Mapping[str, Any], is_key: bool | None) -> dict[str, Any]:
    """``configs`` with ``converter.type`` set: from ``is_key`` for record converters, else
    kept as given, defaulting to ``header`` (header converters are configured without a flag)."""
    props = dict(configs)
    if is_key is not None:
        props[CONVERTER_TYPE_CONFIG] = "key" if is_key else "value"
    else:
        props.setdefault(CONVERTER_TYPE_CONFIG, "header")
    return props


class HashableList(list[Any]):
    """A list usable as a dict key (hashed by content, like ``java.util.List``)."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self))


class HashableDict(dict[Any, Any]):
    """A dict usable as a dict key (hashed by content, like ``java.util.Map``)."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))


def as_map_key(value: Any) -> Any:
    """``value`` in a form that can key a dict: unchanged when already hashable."""
    if isinstance(value, list):
        return HashableList(as_map_key(v) for v in value)
    if isinstance(value, dict):
        return HashableDict((as_map_key(k), as_map_key(v)) for k, v in value.items())
    if isinstance(value, bytearray):
        return bytes(value)
    return value
