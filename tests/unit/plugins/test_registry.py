from pathlib import Path

import pytest

from sluice.connectors.file import FileStreamSinkConnector, FileStreamSourceConnector
from sluice.plugins.registry import PluginError, PluginRegistry, short_names

PLUGIN = """
from sluice.api import SinkConnector, SinkTask, ConfigDef

class EchoSinkConnector(SinkConnector):
    def version(self): return "9.9"
    def start(self, props): pass
    def task_class(self): return EchoTask
    def task_configs(self, n): return [{}]
    def stop(self): pass
    def config(self): return ConfigDef()

class EchoTask(SinkTask):
    def start(self, props): pass
    def put(self, records): pass
    def stop(self): pass
"""


def test_kafka_names_and_aliases_resolve() -> None:
    r = PluginRegistry(entry_points=False)
    for name in (
        "org.apache.kafka.connect.file.FileStreamSourceConnector",
        "FileStreamSourceConnector",
        "FileStreamSource",
        "sluice.connectors.file.source:FileStreamSourceConnector",
        "sluice.connectors.file.source.FileStreamSourceConnector",
    ):
        assert r.load(name, "connector") is FileStreamSourceConnector
    assert r.load("FileStreamSink") is FileStreamSinkConnector
    assert r.display_name(FileStreamSinkConnector) == (
        "org.apache.kafka.connect.file.FileStreamSinkConnector"
    )


def test_unknown_and_wrong_kind_are_clear_errors() -> None:
    r = PluginRegistry(entry_points=False)
    with pytest.raises(PluginError, match="Failed to find any class that implements Nope"):
        r.load("Nope", "connector")
    with pytest.raises(PluginError, match="is not a converter plugin"):
        r.load("FileStreamSource", "converter")


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("FileStreamSorce", "connector", "FileStreamSource"),
        ("filestreamsink", "connector", "FileStreamSink"),
        (
            "org.apache.kafka.connect.file.FileStreamSourceConector",
            "connector",
            "org.apache.kafka.connect.file.FileStreamSourceConnector",
        ),
        ("StringConvertor", "converter", "StringConverter"),
        ("StringConvertor", "connector", None),  # not a connector: no connector is near
        ("Nope", "connector", None),
    ],
)
def test_misspelt_names_get_the_nearest_installed_one(
    name: str, kind: str, expected: str | None
) -> None:
    r = PluginRegistry(entry_points=False)

    assert r.suggest(name, kind) == expected
    with pytest.raises(PluginError) as caught:
        r.load(name, kind)
    hint = f". Did you mean '{expected}'?"
    assert str(caught.value).endswith(hint) if expected else "Did you mean" not in str(caught.value)


def test_plugin_path_folders_are_scanned(tmp_path: Path) -> None:
    folder = tmp_path / "plugins" / "echo"
    folder.mkdir(parents=True)
    (folder / "echo_plugin_mod.py").write_text(PLUGIN)
    r = PluginRegistry([tmp_path / "plugins"], entry_points=False)
    cls = r.load("EchoSinkConnector", "connector")
    assert cls.__name__ == "EchoSinkConnector"
    names = {(d.name, d.kind, d.version) for d in r.plugins(["sink"])}
    assert ("echo_plugin_mod.EchoSinkConnector", "sink", "9.9") in names


def test_an_abstract_plugin_class_is_no_plugin_and_its_name_says_why(tmp_path: Path) -> None:
    folder = tmp_path / "plugins"
    folder.mkdir()
    # A connector without config(): abstract in Python, where Java would not compile.
    (folder / "half_plugin_mod.py").write_text(
        PLUGIN.replace("def config(self)", "def konfig(self)")
    )
    r = PluginRegistry([folder], entry_points=False)
    assert r.abstract_note("EchoSinkConnector") == (
        f"half_plugin_mod.EchoSinkConnector ({folder}) is abstract: it does not implement config()"
    )
    assert r.abstract_note("EchoTask") is None  # concrete (and a task, no plugin)
    with pytest.raises(PluginError, match=r"is abstract: it does not implement config\(\)"):
        r.load("EchoSinkConnector", "connector")
    assert not r.failures()  # an abstract base class may be meant: nothing is logged


def test_plugin_path_must_exist(tmp_path: Path) -> None:
    with pytest.raises(PluginError, match="not a directory"):
        PluginRegistry([tmp_path / "missing"], entry_points=False)


def test_short_names() -> None:
    assert short_names("a.b.FooConnector") == ["FooConnector", "Foo"]
    assert short_names("a.b.Cast$Value") == ["Cast$Value"]
