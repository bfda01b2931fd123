import importlib

import pytest

from sluice.api import ConfigDef, Predicate, Transformation
from sluice.transforms import PREDICATE_ALIASES, TRANSFORM_ALIASES
from sluice.transforms.base import KeyOrValueTransformation

KEY_VALUE = [
    "Cast",
    "ExtractField",
    "Flatten",
    "HeaderFrom",
    "HoistField",
    "InsertField",
    "MaskField",
    "ReplaceField",
    "SetSchemaMetadata",
    "TimestampConverter",
]
PLAIN = ["DropHeaders", "Filter", "InsertHeader", "RegexRouter", "TimestampRouter", "ValueToKey"]


def _load(target: str) -> type:
    module, _, name = target.partition(":")
    cls = getattr(importlib.import_module(module), name)
    assert isinstance(cls, type)
    return cls


def test_every_apache_smt_and_variant_has_fqcn_and_short_alias() -> None:
    for name in KEY_VALUE:
        for variant in ("Key", "Value"):
            fqcn = f"org.apache.kafka.connect.transforms.{name}${variant}"
            assert TRANSFORM_ALIASES[fqcn] == TRANSFORM_ALIASES[f"{name}${variant}"]
            cls = _load(TRANSFORM_ALIASES[fqcn])
            assert issubclass(cls, KeyOrValueTransformation)
            assert cls.is_key is (variant == "Key")
    for name in PLAIN:
        assert (
            TRANSFORM_ALIASES[f"org.apache.kafka.connect.transforms.{name}"]
            == TRANSFORM_ALIASES[name]
        )


def test_confluent_drop() -> None:
    for variant in ("Key", "Value"):
        cls = _load(TRANSFORM_ALIASES[f"io.confluent.connect.transforms.Drop${variant}"])
        assert cls.__name__ == f"Drop{variant}"
        assert (
            TRANSFORM_ALIASES[f"Drop${variant}"]
            == TRANSFORM_ALIASES[f"io.confluent.connect.transforms.Drop${variant}"]
        )


@pytest.mark.parametrize("target", sorted(set(TRANSFORM_ALIASES.values())))
def test_transform_targets_load_and_configure_defs(target: str) -> None:
    cls = _load(target)
    assert issubclass(cls, Transformation)
    instance = cls()
    definition = instance.config()
    assert isinstance(definition, ConfigDef)
    assert all(name == key.name for name, key in definition.keys.items())
    assert instance.version()


@pytest.mark.parametrize("name", ["TopicNameMatches", "HasHeaderKey", "RecordIsTombstone"])
def test_predicate_aliases(name: str) -> None:
    fqcn = f"org.apache.kafka.connect.transforms.predicates.{name}"
    assert PREDICATE_ALIASES[fqcn] == PREDICATE_ALIASES[name]
    assert issubclass(_load(PREDICATE_ALIASES[name]), Predicate)


def test_nested_variant_attributes() -> None:
    for name in KEY_VALUE:
        base = _load(TRANSFORM_ALIASES[f"{name}$Value"]).__mro__[1]
        assert base.Key.__name__ == f"{name}Key" and base.Value.__name__ == f"{name}Value"
