"""What the bundled converters share: the ``converter.type`` key, and map keys that Python
could not otherwise hold.

Kafka's ``ConverterConfig`` makes ``converter.type`` (key, value or header) a required key that
the framework fills in; converters that are configured directly get it from ``is_key`` here.

Map keys that Python could not otherwise hold (:func:`as_map_key`) live in ``sluice.api`` because
``Values.parse_string`` needs them too; they are re-exported here for the converters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sluice.api.config import NO_DEFAULT, ConfigDef, ConfigType, Importance, ValidString
from sluice.api.map_keys import HashableDict, HashableList, as_map_key

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
