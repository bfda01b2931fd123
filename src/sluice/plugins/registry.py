"""Finds plugins: the ``sluice.plugins`` entry points and folders on ``plugin.path``.

Every plugin has a *kind* (source, sink, converter, header_converter, transformation, predicate,
config_provider) and may be named by its Python path (``pkg.module:Class`` or ``pkg.module.Class``),
by a Kafka/Confluent class name, or by a short alias. The registry resolves any of them to the
class, loading plugin modules lazily so a broken plugin only fails the connector that uses it.

Bundled plugins arrive the way third-party ones do, through the ``sluice.plugins`` entry-point
group (``pyproject.toml``). An entry point naming a class (``pkg.module:Class``) registers that
class under the entry point's name. An entry point naming a module registers a *family*: the
module's ``PLUGINS`` table maps each kind group (``connector``, ``task``, ``converter``,
``header_converter``, ``transformation``, ``predicate``, ``config_provider``) to the class names
configs use and their ``module:Class`` targets. The table is there because the names are Kafka's,
Confluent's and Debezium's (``org.apache.kafka.connect.transforms.Cast$Value``) and cannot be
derived from the Python classes; and knowing a target's kind from its group lets the registry
list converters without importing every connector and its database drivers.

A plugin or family that fails to import is not skipped in silence: it is logged as an error with
its name and the reason, listed by :meth:`PluginRegistry.failures` (``sluice plugins`` prints
them) and named in the error of a lookup that finds no plugin.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import importlib.util
import inspect
import logging
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Final

from sluice.api import (
    ConfigProvider,
    ConnectError,
    Converter,
    HeaderConverter,
    Predicate,
    SinkConnector,
    SourceConnector,
    Transformation,
)
from sluice.api.did_you_mean import closest_name

__all__ = [
    "ENTRY_POINT_GROUP",
    "KINDS",
    "PluginDesc",
    "PluginError",
    "PluginFailure",
    "PluginRegistry",
    "java_class_name",
    "short_names",
]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP: Final = "sluice.plugins"
BUNDLED_DISTRIBUTION: Final = "sluice"
"""The distribution whose entry points are the bundled plugins (origin ``bundled``)."""

KINDS: Final[dict[str, type]] = {
    "source": SourceConnector,
    "sink": SinkConnector,
    "converter": Converter,
    "header_converter": HeaderConverter,
    "transformation": Transformation,
    "predicate": Predicate,
    "config_provider": ConfigProvider,
}
"""Kind names as ``GET /connector-plugins`` reports them, with their base classes."""

FAMILY_GROUPS: Final[dict[str, frozenset[str]]] = {
    "connector": frozenset(("source", "sink")),
    "task": frozenset(),
    "converter": frozenset(("converter", "header_converter")),
    "header_converter": frozenset(("converter", "header_converter")),
    "transformation": frozenset(("transformation",)),
    "predicate": frozenset(("predicate",)),
    "config_provider": frozenset(("config_provider",)),
}
"""The groups of a family's ``PLUGINS`` table, with the kinds their targets can be (a converter
class may be both converter kinds; tasks are listed under no kind)."""


class PluginError(ConnectError):
    """A plugin that cannot be found or loaded; the message names it and says why."""


@dataclass(frozen=True)
class PluginDesc:
    """One installed plugin as listed by ``sluice plugins`` and the REST API."""

    name: str
    """The name reported to users: the Kafka class name for bundled stand-ins."""
    target: str
    """Where the class lives, ``module:Class``."""
    kind: str
    version: str
    origin: str
    """``bundled``, ``entry-point:<dist>`` or the ``plugin.path`` folder."""


@dataclass(frozen=True)
class PluginFailure:
    """A plugin, plugin family or ``plugin.path`` module that could not be loaded, and why."""

    name: str
    """The entry point's, plugin's or module's name."""
    origin: str
    reason: str
    """The error, as ``Type: message``."""

    def __str__(self) -> str:
        return f"{self.name} ({self.origin}): {self.reason}"


def short_names(fqcn: str) -> list[str]:
    """The aliases Kafka Connect derives from a class name: simple name, minus ``Connector``.

    Nested Java classes (``Cast$Value``) keep their ``$`` part, as in Kafka.
    """
    simple = fqcn.rsplit(".", 1)[-1]
    names = [simple]
    if simple.endswith("Connector") and len(simple) > len("Connector"):
        names.append(simple[: -len("Connector")])
    return names


def _reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _load_target(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    if not attr:
        module_name, _, attr = target.rpartition(".")
    if not module_name:
        raise PluginError(f"'{target}' is not a Python class path (expected module:Class)")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise PluginError(f"Cannot load plugin {target}: {e}") from e
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise PluginError(f"Cannot load plugin {target}: {module_name} has no {attr}") from None
    return obj


def _kind_of(cls: type) -> str | None:
    for kind, base in KINDS.items():
        if isinstance(cls, type) and issubclass(cls, base):
            return kind
    return None


def _version_of(cls: type) -> str:
    """The plugin's ``version()``, called on an instance made without running ``__init__``."""
    try:
        instance: Any = object.__new__(cls)
        return str(instance.version())
    except Exception:
        if cls.__module__.startswith("sluice."):
            import sluice

            return sluice.__version__
        return "unknown"


class PluginRegistry:
    """Resolves plugin names to classes and lists what is installed.

    The ``sluice.plugins`` entry points are read at construction: sluice's own (the bundled
    plugin families) always, other distributions' unless ``entry_points`` is false (for output
    that must depend on the code alone). ``plugin_path`` folders are scanned once: each ``*.py``
    file or package in a folder is imported as a module and every plugin class it defines is
    registered under its qualified name (``module.Class``) and its short aliases.
    """

    def __init__(self, plugin_path: Iterable[str | Path] = (), entry_points: bool = True) -> None:
        self._names: dict[str, str] = {}
        self._origins: dict[str, str] = {}
        self._primary: dict[str, str] = {}
        self._family_kinds: dict[str, frozenset[str]] = {}
        """The kinds a family's target can be, known from its table without importing it."""
        self._failures: dict[str, PluginFailure] = {}
        self._abstract: dict[str, str] = {}
        """Abstract plugin classes of ``plugin.path`` modules by name, and what they lack: not
        plugins (a base class may be abstract on purpose), but the reason when one is asked for
        (a connector without ``config()`` is abstract in Python, where Java would not compile)."""
        self._scan_entry_points(third_party=entry_points)
        for folder in plugin_path:
            self._scan_folder(Path(folder))

    def _register(self, name: str, target: str, origin: str, primary: bool) -> None:
        current = self._primary.get(target)
        # The reported name is the most qualified one a target is registered under (the Kafka
        # class name rather than its short alias).
        if primary and (current is None or ("." in name and "." not in current)):
            self._primary[target] = name
            self._origins[target] = origin
        for alias in [name, *short_names(name)]:
            self._names.setdefault(alias, target)

    def _fail(self, name: str, origin: str, error: BaseException, what: str) -> None:
        failure = PluginFailure(name, origin, _reason(error))
        self._failures[name] = failure
        log.error("Cannot load %s %s (%s): %s", what, name, origin, failure.reason)

    def _scan_entry_points(self, third_party: bool) -> None:
        bundled_seen = False
        found = [
            (ep, ep.dist.name if ep.dist is not None else "?")
            for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        ]
        # Bundled names first: a third-party plugin cannot take over a name sluice answers to.
        found.sort(key=lambda pair: pair[1] != BUNDLED_DISTRIBUTION)
        for ep, dist in found:
            bundled = dist == BUNDLED_DISTRIBUTION
            if not (bundled or third_party):
                continue
            origin = "bundled" if bundled else f"entry-point:{dist}"
            if ep.attr is None:
                bundled_seen = bundled_seen or bundled
                self._register_family(ep.name, ep.module, origin)
                continue
            target = ep.value.strip()
            self._register(ep.name, target, origin, primary=True)
            if target not in self._names:
                self._names[target] = target
        if not bundled_seen:
            log.error(
                "No bundled plugins: the %s entry points of the %s distribution are missing "
                "(install the project with `pip install -e .`, as `make venv` does)",
                ENTRY_POINT_GROUP,
                BUNDLED_DISTRIBUTION,
            )

    def _register_family(self, name: str, module_name: str, origin: str) -> None:
        """Register the ``PLUGINS`` table of a family module (imported now: it is small)."""
        try:
            module = importlib.import_module(module_name)
            table: Mapping[str, Mapping[str, str]] = module.PLUGINS
            groups = [(FAMILY_GROUPS[group], entries) for group, entries in table.items()]
        except Exception as e:  # one broken family must not take the others down
            self._fail(name, origin, e, "plugin family")
            return
        for kinds, entries in groups:
            for fqcn, target in entries.items():
                self._register(fqcn, target, origin, primary=True)
                self._family_kinds[target] = self._family_kinds.get(target, frozenset()) | kinds

    def _scan_folder(self, folder: Path) -> None:
        if not folder.is_dir():
            raise PluginError(f"plugin.path entry {folder} is not a directory")
        candidates = sorted(folder.iterdir())
        for entry in candidates:
            if entry.name.startswith((".", "_")):
                continue
            if entry.is_dir() and not (entry / "__init__.py").exists():
                # A plugin folder as Kafka lays them out: plugin.path/<plugin>/<modules>
                self._scan_folder(entry)
                continue
            if not (entry.suffix == ".py" or (entry / "__init__.py").exists()):
                continue
            module_name = entry.stem if entry.suffix == ".py" else entry.name
            try:
                module = self._import_from(folder, module_name)
            except Exception as e:  # one broken plugin must not hide the others
                self._fail(module_name, str(folder), e, "plugin module")
                continue
            for cls in self._plugin_classes(module):
                target = f"{module.__name__}:{cls.__qualname__}"
                name = f"{module.__name__}.{cls.__qualname__}"
                self._register(name, target, str(folder), primary=True)
                self._names.setdefault(cls.__qualname__, target)
            for cls in self._plugin_classes(module, abstract=True):
                name = f"{module.__name__}.{cls.__qualname__}"
                missing = ", ".join(
                    f"{m}()" for m in sorted(getattr(cls, "__abstractmethods__", ()))
                )
                note = f"{name} ({folder}) is abstract: it does not implement {missing}"
                for alias in (name, cls.__qualname__):
                    self._abstract.setdefault(alias, note)

    @staticmethod
    def _import_from(folder: Path, module_name: str) -> ModuleType:
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
        return importlib.import_module(module_name)

    @staticmethod
    def _plugin_classes(module: ModuleType, abstract: bool = False) -> list[type]:
        """The plugin classes ``module`` defines: the concrete ones, or with ``abstract`` the
        abstract ones."""
        found = []
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ != module.__name__ or inspect.isabstract(obj) != abstract:
                continue
            if _kind_of(obj) is not None:
                found.append(obj)
        return found

    # -- lookups ------------------------------------------------------------------------------
    def resolve(self, name: str, kind: str | None = None) -> str:
        """The ``module:Class`` target for a user-supplied name (Python paths pass through);
        ``kind`` only narrows the "did you mean" hint of the error for an unknown name."""
        name = name.strip()
        target = self._names.get(name)
        if target is not None:
            return target
        if ":" in name or "." in name:
            return name
        raise PluginError(
            f"Failed to find any class that implements {name}{self.not_found_hint(name, kind)}"
            f"{self._failure_note()}"
        )

    def load(self, name: str, kind: str | None = None) -> type:
        """The class for ``name``; with ``kind``, also checks it is that kind of plugin."""
        target = self.resolve(name, kind)
        try:
            cls = _load_target(target)
        except PluginError:
            if target == name.strip() and name not in self._names:
                raise PluginError(
                    f"Failed to find any class that implements {name}. "
                    f"Known plugins: {', '.join(sorted(self._primary.values()))}"
                    f"{self.not_found_hint(name, kind)}{self._failure_note()}"
                ) from None
            raise
        if not isinstance(cls, type):
            raise PluginError(f"{name} is not a class")
        if kind is not None:
            want = KINDS["source"] if kind == "connector" else KINDS.get(kind)
            ok = (
                issubclass(cls, (SourceConnector, SinkConnector))
                if kind == "connector"
                else want is not None and issubclass(cls, want)
            )
            if not ok:
                raise PluginError(f"{name} is not a {kind.replace('_', ' ')} plugin")
        return cls

    def suggest(self, name: str, kind: str | None = None) -> str | None:
        """The installed plugin name nearest to a misspelt ``name``, in the form it was written
        (``FileStreamSorce`` finds ``FileStreamSource``, a misspelt Kafka class name finds the
        class name); with ``kind`` (``connector`` for sources and sinks), only plugins of it."""
        names = self._names.items()
        if kind is not None:
            kinds = ["source", "sink"] if kind == "connector" else [kind]
            targets = {d.target for d in self.plugins(kinds)}
            names = {a: t for a, t in self._names.items() if t in targets}.items()
        # Aliases, and the module:Class targets for a misspelt Python path.
        return closest_name(name, [n for pair in names for n in pair])

    def not_found_hint(self, name: str, kind: str | None = None) -> str:
        """What follows "Failed to find any class ..." for ``name``: the nearest installed name
        (". Did you mean 'X'?") and, when ``name`` is an abstract ``plugin.path`` class, what it
        lacks; empty when there is neither."""
        suggestion = self.suggest(name, kind)
        hint = "" if suggestion is None else f". Did you mean '{suggestion}'?"
        abstract = self.abstract_note(name)
        return hint if abstract is None else f"{hint}. {abstract}"

    def abstract_note(self, name: str) -> str | None:
        """Why ``name`` is no plugin when it names an abstract class of a ``plugin.path``
        module (``x.Ticker (/plugins) is abstract: it does not implement config()``)."""
        return self._abstract.get(name.strip())

    def _failure_note(self) -> str:
        """What failed to load, for a name that was not found (it may have been among them)."""
        if not self._failures:
            return ""
        return ". These plugins failed to load: " + "; ".join(
            str(f) for f in self._failures.values()
        )

    def failures(self) -> list[PluginFailure]:
        """The plugins, families and ``plugin.path`` modules that failed to load so far (listing
        with :meth:`plugins` loads every plugin of the kinds asked for, and may add some)."""
        return list(self._failures.values())

    def display_name(self, cls: type) -> str:
        """The name to report for a loaded class (its Kafka class name when it stands for one)."""
        target = f"{cls.__module__}:{cls.__qualname__}"
        return self._primary.get(target, f"{cls.__module__}.{cls.__qualname__}")

    def reported_name(self, cls: type, configured: str | None = None) -> str:
        """The class name Kafka Connect would print for a plugin loaded as ``configured``.

        Kafka prints ``getClass().getName()`` of the class it loaded, so a fully qualified name
        the plugin was configured by (``org.apache.kafka.connect.transforms.Cast$Value``) is
        reported as written; a short alias, a ``module:Class`` path or a name registered for
        another class gives way to :meth:`display_name`.
        """
        if configured is not None:
            name = configured.strip()
            target = f"{cls.__module__}:{cls.__qualname__}"
            if "." in name and ":" not in name and self._names.get(name) == target:
                return name
        return self.display_name(cls)

    def plugins(self, kinds: Iterable[str] | None = None) -> list[PluginDesc]:
        """Installed plugins of the given kinds, loading each to learn its kind and version."""
        wanted = set(kinds) if kinds is not None else set(KINDS)
        out: list[PluginDesc] = []
        for target, name in self._primary.items():
            # A family's connector cannot be a converter: no need to import it (and its
            # database drivers) to find out, which keeps an idle worker small.
            if not self._family_kinds.get(target, wanted) & wanted:
                continue
            try:
                cls = _load_target(target)
            except PluginError as e:
                cause = e.__cause__ if e.__cause__ is not None else e
                self._fail(name, self._origins[target], cause, "plugin")
                continue
            kind = _kind_of(cls) if isinstance(cls, type) else None
            if kind is None or kind not in wanted:
                continue
            out.append(PluginDesc(name, target, kind, _version_of(cls), self._origins[target]))
        out.sort(key=lambda d: (d.kind, d.name))
        return out

    def aliases(self) -> Mapping[str, str]:
        return dict(self._names)


@functools.cache
def _bundled_registry() -> PluginRegistry:
    return PluginRegistry(entry_points=False)


def java_class_name(cls: type) -> str:
    """The name Kafka Connect would report for a plugin class known without its configured name
    (a bundled stand-in's Kafka class name, else ``module.Class``). Builds a registry of the
    bundled plugins the first time: meant for error reports and build time, not hot paths."""
    return _bundled_registry().display_name(cls)
