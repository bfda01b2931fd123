"""The alias tables the plugin registry reads."""

from __future__ import annotations

import importlib

import pytest

from sluice.api import Converter, HeaderConverter
from sluice.converters import CONVERTER_ALIASES, HEADER_CONVERTER_ALIASES
from sluice.plugins.registry import PluginRegistry

APACHE = [
    "org.apache.kafka.connect.json.JsonConverter",
    "org.apache.kafka.connect.storage.StringConverter",
    "org.apache.kafka.connect.converters.ByteArrayConverter",
    "org.apache.kafka.connect.converters.LongConverter",
    "org.apache.kafka.connect.converters.IntegerConverter",
    "org.apache.kafka.connect.converters.ShortConverter",
    "org.apache.kafka.connect.converters.FloatConverter",
    "org.apache.kafka.connect.converters.DoubleConverter",
    "org.apache.kafka.connect.converters.BooleanConverter",
]


def load(target: str) -> type:
    module, _, name = target.partition(":")
    cls: type = getattr(importlib.import_module(module), name)
    return cls


@pytest.mark.parametrize("fqcn", APACHE)
def test_every_apache_converter_has_an_alias_and_a_short_name(fqcn: str) -> None:
    target = CONVERTER_ALIASES[fqcn]
    assert CONVERTER_ALIASES[fqcn.rsplit(".", 1)[-1]] == target
    assert HEADER_CONVERTER_ALIASES[fqcn] == target
    cls = load(target)
    assert issubclass(cls, Converter) and issubclass(cls, HeaderConverter)


def test_simple_header_converter_is_a_header_converter_only() -> None:
    fqcn = "org.apache.kafka.connect.storage.SimpleHeaderConverter"
    assert fqcn not in CONVERTER_ALIASES
    assert issubclass(load(HEADER_CONVERTER_ALIASES[fqcn]), HeaderConverter)
    assert HEADER_CONVERTER_ALIASES["SimpleHeaderConverter"] == HEADER_CONVERTER_ALIASES[fqcn]


def test_apache_names_come_last_so_the_registry_reports_them() -> None:
    for table in (CONVERTER_ALIASES, HEADER_CONVERTER_ALIASES):
        names = list(table)
        for fqcn in (n for n in names if "." in n):
            short = fqcn.rsplit(".", 1)[-1]
            assert names.index(short) < names.index(fqcn)


def test_the_plugin_registry_resolves_them() -> None:
    registry = PluginRegistry(entry_points=False)
    json_cls = registry.load("org.apache.kafka.connect.json.JsonConverter", "converter")
    assert json_cls.__name__ == "JsonConverter"
    assert registry.load("SimpleHeaderConverter", "header_converter").__name__ == (
        "SimpleHeaderConverter"
    )
