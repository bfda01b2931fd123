"""Bundled converters, byte-compatible with Kafka Connect's, and the names they answer to.

``CONVERTER_ALIASES`` and ``HEADER_CONVERTER_ALIASES`` map the class names Kafka users write in
their configurations (``org.apache.kafka.connect.json.JsonConverter``, ...) and the short names to
``module:Class`` targets; the plugin registry reads them. Short names come first so the Apache
name is the one the registry reports.
"""

from typing import Final

from sluice.converters.bytearray import ByteArrayConverter
from sluice.converters.json import JsonConverter
from sluice.converters.numbers import (
    BooleanConverter,
    DoubleConverter,
    FloatConverter,
    IntegerConverter,
    LongConverter,
    NumberConverter,
    ShortConverter,
)
from sluice.converters.simple_header import SimpleHeaderConverter
from sluice.converters.string import StringConverter

__all__ = [
    "CONVERTER_ALIASES",
    "HEADER_CONVERTER_ALIASES",
    "PLUGINS",
    "BooleanConverter",
    "ByteArrayConverter",
    "DoubleConverter",
    "FloatConverter",
    "IntegerConverter",
    "JsonConverter",
    "LongConverter",
    "NumberConverter",
    "ShortConverter",
    "SimpleHeaderConverter",
    "StringConverter",
]

_RECORD_CONVERTERS: Final = {
    "org.apache.kafka.connect.json.JsonConverter": "sluice.converters.json:JsonConverter",
    "org.apache.kafka.connect.storage.StringConverter": "sluice.converters.string:StringConverter",
    "org.apache.kafka.connect.converters.ByteArrayConverter": (
        "sluice.converters.bytearray:ByteArrayConverter"
    ),
    "org.apache.kafka.connect.converters.LongConverter": "sluice.converters.numbers:LongConverter",
    "org.apache.kafka.connect.converters.IntegerConverter": (
        "sluice.converters.numbers:IntegerConverter"
    ),
    "org.apache.kafka.connect.converters.ShortConverter": (
        "sluice.converters.numbers:ShortConverter"
    ),
    "org.apache.kafka.connect.converters.FloatConverter": (
        "sluice.converters.numbers:FloatConverter"
    ),
    "org.apache.kafka.connect.converters.DoubleConverter": (
        "sluice.converters.numbers:DoubleConverter"
    ),
    "org.apache.kafka.connect.converters.BooleanConverter": (
        "sluice.converters.numbers:BooleanConverter"
    ),
}
_HEADER_ONLY: Final = {
    "org.apache.kafka.connect.storage.SimpleHeaderConverter": (
        "sluice.converters.simple_header:SimpleHeaderConverter"
    ),
}


def _with_short_names(table: dict[str, str]) -> dict[str, str]:
    short = {fqcn.rsplit(".", 1)[-1]: target for fqcn, target in table.items()}
    return {**short, **table}


CONVERTER_ALIASES: Final[dict[str, str]] = _with_short_names(_RECORD_CONVERTERS)
"""Record converters: Apache class names and short names to ``module:Class``."""

HEADER_CONVERTER_ALIASES: Final[dict[str, str]] = _with_short_names(
    {**_HEADER_ONLY, **_RECORD_CONVERTERS}
)
"""Header converters: SimpleHeaderConverter plus every record converter (all of Kafka's are
header converters too)."""

PLUGINS: Final[dict[str, dict[str, str]]] = {
    "converter": CONVERTER_ALIASES,
    "header_converter": HEADER_CONVERTER_ALIASES,
}
"""The family's plugins by kind, as the ``sluice.plugins`` entry point hands them to the
registry."""
