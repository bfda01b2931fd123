from pathlib import Path
from typing import Any

import pytest

from sluice.api import ConfigError, SourceRecord
from sluice.plugins.registry import PluginRegistry
from sluice.runtime.transformation_chain import build_chain

PLUGINS = """
from sluice.api import ConfigDef, Predicate, Transformation

class Suffix(Transformation):
    def configure(self, configs):
        self.suffix = configs["suffix"]
    def apply(self, record):
        return record.new_record(record.topic, None, None, None, None,
                                 record.value + self.suffix, None)
    def config(self):
        return ConfigDef()

class DropAll(Transformation):
    def configure(self, configs): pass
    def apply(self, record): return None
    def config(self): return ConfigDef()

class StartsWith(Predicate):
    def configure(self, configs):
        self.prefix = configs["prefix"]
    def test(self, record):
        return record.value.startswith(self.prefix)
    def config(self): return ConfigDef()
"""


@pytest.fixture
def registry(tmp_path: Path) -> PluginRegistry:
    (tmp_path / "chain_test_plugins.py").write_text(PLUGINS)
    return PluginRegistry([tmp_path], entry_points=False)


def _rec(value: str) -> SourceRecord:
    return SourceRecord({"p": 1}, {"o": 2}, "t", value=value)


def test_transforms_apply_in_order_and_keep_source_offsets(registry: PluginRegistry) -> None:
    chain = build_chain(
        {
            "transforms": "a, b",
            "transforms.a.type": "Suffix",
            "transforms.a.suffix": "-1",
            "transforms.b.type": "chain_test_plugins.Suffix",
            "transforms.b.suffix": "-2",
        },
        registry,
    )
    out = chain.apply(_rec("x"))
    assert out is not None and out.value == "x-1-2"
    assert out.source_offset == {"o": 2}


def test_predicates_and_negate(registry: PluginRegistry) -> None:
    config: dict[str, Any] = {
        "predicates": "isA",
        "predicates.isA.type": "StartsWith",
        "predicates.isA.prefix": "a",
        "transforms": "drop",
        "transforms.drop.type": "DropAll",
        "transforms.drop.predicate": "isA",
    }
    chain = build_chain(config, registry)
    assert chain.apply(_rec("abc")) is None
    assert chain.apply(_rec("xyz")) is not None
    negated = build_chain({**config, "transforms.drop.negate": "true"}, registry)
    assert negated.apply(_rec("abc")) is not None
    assert negated.apply(_rec("xyz")) is None


def test_config_errors_name_the_key(registry: PluginRegistry) -> None:
    with pytest.raises(ConfigError, match=r"transforms\.a\.type"):
        build_chain({"transforms": "a"}, registry)
    with pytest.raises(ConfigError, match=r"transforms\.a\.type"):
        build_chain({"transforms": "a", "transforms.a.type": "Nope"}, registry)
    with pytest.raises(ConfigError, match=r"transforms\.a\.negate"):
        build_chain(
            {"transforms": "a", "transforms.a.type": "DropAll", "transforms.a.negate": "true"},
            registry,
        )
    with pytest.raises(ConfigError, match=r"transforms\.a\.predicate"):
        build_chain(
            {
                "transforms": "a",
                "transforms.a.type": "DropAll",
                "transforms.a.predicate": "missing",
            },
            registry,
        )
