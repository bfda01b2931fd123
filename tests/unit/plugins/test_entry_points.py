"""Plugins arrive through the ``sluice.plugins`` entry points, bundled and third-party alike, and a
plugin that fails to import is reported by name with the reason, never skipped in silence."""

from __future__ import annotations

import importlib.metadata
import logging
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from sluice.plugins.registry import ENTRY_POINT_GROUP, PluginError, PluginRegistry

REPO = Path(__file__).resolve().parents[3]

FAMILY = """
PLUGINS = {
    "connector": {"com.acme.EchoSinkConnector": "acme_echo:EchoSinkConnector"},
    "converter": {
        "com.acme.UpperConverter": "acme_echo:UpperConverter",
        "com.acme.JsonConverter": "acme_echo:UpperConverter",
    },
}
"""

ECHO = """
from sluice.api import ConfigDef, Converter, SinkConnector, SinkTask

class EchoSinkConnector(SinkConnector):
    def version(self): return "1.2"
    def start(self, props): pass
    def task_class(self): return EchoTask
    def task_configs(self, n): return [{}]
    def stop(self): pass
    def config(self): return ConfigDef()

class EchoTask(SinkTask):
    def start(self, props): pass
    def put(self, records): pass
    def stop(self): pass

class UpperConverter(Converter):
    def configure(self, configs, is_key): pass
    def from_connect_data(self, topic, schema, value, headers=None): return value
    def to_connect_data(self, topic, value, headers=None): return None
"""


@pytest.fixture
def acme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An installed distribution ``acme`` (a ``.dist-info`` on ``sys.path``) declaring a plugin
    family, one plugin class, a family whose module cannot be imported and a plugin whose
    module cannot be imported."""
    info = tmp_path / "acme-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\n"
        "acme.family = acme_family\n"
        "com.acme.SoloConverter = acme_solo:SoloConverter\n"
        "acme.broken = acme_broken\n"
        "com.acme.BadConverter = acme_bad:BadConverter\n"
    )
    (tmp_path / "acme_family.py").write_text(FAMILY)
    (tmp_path / "acme_echo.py").write_text(ECHO)
    (tmp_path / "acme_solo.py").write_text(
        "from acme_echo import UpperConverter\n\nclass SoloConverter(UpperConverter): pass\n"
    )
    (tmp_path / "acme_broken.py").write_text("import acme_missing_dependency\n")
    (tmp_path / "acme_bad.py").write_text("raise ImportError('libacme.so: cannot open')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("acme_")]:
        del sys.modules[name]


def test_pyproject_registers_every_bundled_family_and_they_are_installed() -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["entry-points"][
        ENTRY_POINT_GROUP
    ]
    installed = {
        ep.name: ep.value
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        if ep.dist is not None and ep.dist.name == "sluice"
    }
    # A stale install (pyproject changed, `pip install -e .` not run again) fails here first.
    assert installed == declared
    assert all(":" not in value for value in declared.values())  # modules: families


def test_bundled_plugins_come_through_the_entry_points_even_without_third_party_ones() -> None:
    r = PluginRegistry(entry_points=False)
    assert r.failures() == []
    for name in (
        "org.apache.kafka.connect.file.FileStreamSourceConnector",
        "io.confluent.connect.jdbc.JdbcSinkConnector",
        "io.debezium.connector.postgresql.PostgresConnector",
        "org.apache.kafka.connect.json.JsonConverter",
        "org.apache.kafka.connect.transforms.Cast$Value",
        "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
        "org.apache.kafka.common.config.provider.FileConfigProvider",
        "org.apache.kafka.connect.file.FileStreamSinkTask",
    ):
        target = r.resolve(name)
        assert target.startswith("sluice.") and ":" in target, name
    origins = {d.origin for d in r.plugins(["converter", "transformation"])}
    assert origins == {"bundled"}


def test_listing_converters_imports_no_connector_of_a_family() -> None:
    before = set(sys.modules)
    PluginRegistry(entry_points=False).plugins(["converter", "header_converter"])
    loaded = set(sys.modules) - before
    assert not any(m.startswith("sluice.connectors.jdbc.") for m in loaded), loaded
    assert "sluice.connectors.file.sink" not in loaded


def test_third_party_families_and_classes_register_like_bundled_ones(acme: Path) -> None:
    r = PluginRegistry()
    assert r.load("EchoSink", "connector").__name__ == "EchoSinkConnector"
    assert r.load("com.acme.UpperConverter", "converter").__name__ == "UpperConverter"
    assert r.load("SoloConverter", "converter").__name__ == "SoloConverter"
    sinks = {(d.name, d.version, d.origin) for d in r.plugins(["sink"])}
    assert ("com.acme.EchoSinkConnector", "1.2", "entry-point:acme") in sinks
    # A short name sluice answers to stays sluice's; the full name reaches the other class.
    assert r.resolve("JsonConverter") == "sluice.converters.json:JsonConverter"
    assert r.resolve("com.acme.JsonConverter") == "acme_echo:UpperConverter"
    # Third-party entry points are left out on request; the bundled families never are.
    bare = PluginRegistry(entry_points=False)
    with pytest.raises(PluginError, match="Failed to find any class that implements EchoSink"):
        bare.load("EchoSink")
    assert bare.resolve("FileStreamSink") == "sluice.connectors.file.sink:FileStreamSinkConnector"


def test_a_family_that_fails_to_import_is_reported_with_its_name_and_reason(
    acme: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="sluice.plugins.registry"):
        r = PluginRegistry()
    failures = {f.name: f for f in r.failures()}
    broken = failures["acme.broken"]
    assert broken.origin == "entry-point:acme"
    assert broken.reason == "ModuleNotFoundError: No module named 'acme_missing_dependency'"
    logged = [rec.getMessage() for rec in caplog.records if rec.levelno == logging.ERROR]
    assert any("acme.broken" in m and "acme_missing_dependency" in m for m in logged), logged
    # The other plugins of the distribution are still there.
    assert r.load("EchoSink", "connector").__name__ == "EchoSinkConnector"
    # A config naming a plugin that is not found learns what failed to load.
    with pytest.raises(PluginError) as caught:
        r.load("AcmeBrokenConnector", "connector")
    assert "acme.broken (entry-point:acme): ModuleNotFoundError" in str(caught.value)


def test_a_plugin_that_fails_to_import_while_listing_is_reported(
    acme: Path, caplog: pytest.LogCaptureFixture
) -> None:
    r = PluginRegistry()
    with caplog.at_level(logging.ERROR, logger="sluice.plugins.registry"):
        listed = {d.name for d in r.plugins(["converter"])}
    assert "com.acme.SoloConverter" in listed
    assert "com.acme.BadConverter" not in listed
    bad = {f.name: f for f in r.failures()}["com.acme.BadConverter"]
    assert bad.reason == "ImportError: libacme.so: cannot open"
    assert any(
        "com.acme.BadConverter" in rec.getMessage() and "libacme.so" in rec.getMessage()
        for rec in caplog.records
    )
    with pytest.raises(PluginError, match=r"Cannot load plugin acme_bad:BadConverter: libacme"):
        r.load("com.acme.BadConverter", "converter")
