"""Kafka's built-in config providers, the ``${provider:path:key}`` resolver, and worker wiring.

Behaviour follows Kafka's ``EnvVarConfigProvider``, ``FileConfigProvider``,
``DirectoryConfigProvider`` and ``ConfigTransformer``, including the parts that surprise people,
because worker files written for Kafka Connect must resolve to the same values here:

* a placeholder whose provider or key is unknown is left in the value as written, not an error;
* a path outside ``allowed.paths`` yields no data (a warning is logged), so the placeholder stays;
* ``allowed.paths`` is checked lexically on the normalised path (``..`` is resolved before the
  check, so ``/allowed/../etc/passwd`` is refused), and symlinks are not followed by the check;
* ``FileConfigProvider`` reads its ``.properties`` file as UTF-8, unlike worker files (ISO-8859-1).
"""

from __future__ import annotations

import importlib
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Final

from sluice.api.config_provider import ConfigData, ConfigProvider
from sluice.api.errors import ConfigError
from sluice.runtime.config_files import ConfigFileError, PropertiesError, load_properties

__all__ = [
    "ALLOWED_PATHS_CONFIG",
    "ALLOWLIST_PATTERN_CONFIG",
    "BUILTIN_CONFIG_PROVIDERS",
    "CONFIG_PROVIDERS_CONFIG",
    "CONFIG_PROVIDER_ALIASES",
    "PLUGINS",
    "ConfigProviderStateError",
    "ConfigTransformer",
    "ConfigTransformerResult",
    "DirectoryConfigProvider",
    "EnvVarConfigProvider",
    "FileConfigProvider",
    "providers_from_worker_config",
    "resolve_config_provider_class",
]

log = logging.getLogger(__name__)

CONFIG_PROVIDERS_CONFIG = "config.providers"
ALLOWED_PATHS_CONFIG = "allowed.paths"
ALLOWLIST_PATTERN_CONFIG = "allowlist.pattern"

_KAFKA_PROVIDER_PACKAGE = "org.apache.kafka.common.config.provider"
_LIST_SEPARATOR = re.compile(r"\s*,\s*")


class ConfigProviderStateError(RuntimeError):
    """A provider used before :meth:`ConfigProvider.configure` was called."""


def _not_configured(provider: ConfigProvider) -> ConfigProviderStateError:
    return ConfigProviderStateError(f"{type(provider).__name__} has not been configured yet")


# --- allowed.paths ----------------------------------------------------------------------------


def _normalise(path: str) -> PurePosixPath:
    """Resolve ``.`` and ``..`` without touching the file system, as Java's ``normalize`` does."""
    normal = os.path.normpath(path) if path else ""
    if normal.startswith("//"):
        normal = "/" + normal.lstrip("/")  # POSIX keeps a leading "//"; Java does not
    return PurePosixPath(normal)


class _AllowedPaths:
    """The ``allowed.paths`` check shared by the file and directory providers."""

    def __init__(self, config_value: str | None) -> None:
        self._roots: list[PurePosixPath] | None = None
        if not config_value:
            return
        roots: list[PurePosixPath] = []
        # Java's String.split drops trailing empty strings; blanks are not trimmed.
        parts = config_value.split(",")
        while parts and parts[-1] == "":
            parts.pop()
        for part in parts:
            normal = _normalise(part)
            if not part or not normal.is_absolute():
                raise ConfigError.invalid(
                    ALLOWED_PATHS_CONFIG, config_value, f"path '{part}' is not absolute"
                )
            if not os.path.exists(normal):
                raise ConfigError.invalid(
                    ALLOWED_PATHS_CONFIG, config_value, f"path '{part}' does not exist"
                )
            roots.append(normal)
        self._roots = roots

    def parse_untrusted_path(self, path: str) -> Path | None:
        """Return the path to open, or ``None`` when it lies outside every allowed root."""
        if self._roots is None:
            return Path(path)
        normal = _normalise(path)
        if any(normal.is_relative_to(root) for root in self._roots):
            return Path(normal)
        return None


# --- the built-in providers -------------------------------------------------------------------


class EnvVarConfigProvider(ConfigProvider):
    """Environment variables: ``${env:HOME}``. Paths are not supported.

    The environment is captured when the provider is created, and ``allowlist.pattern`` (a
    regular expression the whole variable name must match, default ``.*``) limits what is visible.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = dict(os.environ if environ is None else environ)
        self._visible: dict[str, str] | None = None

    def configure(self, configs: Mapping[str, str]) -> None:
        pattern_text = configs.get(ALLOWLIST_PATTERN_CONFIG)
        if pattern_text is None:
            log.info("No pattern for environment variables provided. Using default pattern '.*'.")
            pattern_text = ".*"
        try:
            pattern = re.compile(pattern_text)
        except re.error as exc:
            raise ConfigError.invalid(ALLOWLIST_PATTERN_CONFIG, pattern_text, str(exc)) from None
        self._visible = {k: v for k, v in self._environ.items() if pattern.fullmatch(k)}

    def get(self, path: str, keys: set[str] | None = None) -> ConfigData:
        if path:
            raise ConfigError(
                f"Path is not supported for EnvVarConfigProvider, invalid value '{path}'"
            )
        if self._visible is None:
            raise _not_configured(self)
        if keys is None:
            return ConfigData(dict(self._visible))
        return ConfigData({k: v for k, v in self._visible.items() if k in keys})


class FileConfigProvider(ConfigProvider):
    """A ``.properties`` file (read as UTF-8): ``${file:/etc/secrets.properties:db.password}``."""

    def __init__(self) -> None:
        self._allowed: _AllowedPaths | None = None

    def configure(self, configs: Mapping[str, str]) -> None:
        self._allowed = _AllowedPaths(configs.get(ALLOWED_PATHS_CONFIG))

    def get(self, path: str, keys: set[str] | None = None) -> ConfigData:
        if self._allowed is None:
            raise _not_configured(self)
        if not path:
            return ConfigData({})
        file_path = self._allowed.parse_untrusted_path(path)
        if file_path is None:
            log.warning("The path %s is not allowed to be accessed", path)
            return ConfigData({})
        try:
            properties = load_properties(file_path, encoding="utf-8")
        except PropertiesError as exc:
            raise ConfigError(f"Could not read properties from file {path}: {exc}") from None
        except ConfigFileError as exc:
            log.error("Could not read properties from file %s: %s", path, exc)
            raise ConfigError(f"Could not read properties from file {path}") from None
        if keys is None:
            return ConfigData(properties)
        return ConfigData({k: properties[k] for k in keys if k in properties})


class DirectoryConfigProvider(ConfigProvider):
    """A directory of files, one value per file: ``${dir:/run/secrets:db-password}``.

    Made for Kubernetes and Docker secret mounts: the key is the file name, the value the whole
    file content (UTF-8, trailing newline kept). Subdirectories are ignored; symlinks to files
    count as files.
    """

    def __init__(self) -> None:
        self._allowed: _AllowedPaths | None = None

    def configure(self, configs: Mapping[str, str]) -> None:
        self._allowed = _AllowedPaths(configs.get(ALLOWED_PATHS_CONFIG))

    def get(self, path: str, keys: set[str] | None = None) -> ConfigData:
        if self._allowed is None:
            raise _not_configured(self)
        if not path:
            return ConfigData({})
        directory = self._allowed.parse_untrusted_path(path)
        if directory is None:
            log.warning("The path %s is not allowed to be accessed", path)
            return ConfigData({})
        if not directory.is_dir():
            log.warning("The path %s is not a directory", path)
            return ConfigData({})
        try:
            with os.scandir(directory) as listing:
                entries = [e for e in listing if keys is None or e.name in keys]
        except OSError as exc:
            log.error("Could not list directory %s: %s", directory, exc)
            raise ConfigError(f"Could not list directory {directory}") from None
        data: dict[str, str] = {}
        for entry in entries:
            if not entry.is_file():
                continue
            try:
                raw = Path(entry.path).read_bytes()
            except OSError as exc:
                log.error("Could not read file %s for property %s: %s", entry.path, entry.name, exc)
                raise ConfigError(
                    f"Could not read file {entry.path} for property {entry.name}"
                ) from None
            data[entry.name] = raw.decode("utf-8", errors="replace")
        return ConfigData(data)


BUILTIN_CONFIG_PROVIDERS: dict[str, type[ConfigProvider]] = {}
"""Every name a built-in provider answers to: Kafka's class name, its simple name, and the
simple name without ``ConfigProvider`` (``File``), as Kafka Connect's plugin aliases allow."""

for _cls in (EnvVarConfigProvider, FileConfigProvider, DirectoryConfigProvider):
    _simple = _cls.__name__
    BUILTIN_CONFIG_PROVIDERS[f"{_KAFKA_PROVIDER_PACKAGE}.{_simple}"] = _cls
    BUILTIN_CONFIG_PROVIDERS[_simple] = _cls
    BUILTIN_CONFIG_PROVIDERS[_simple.removesuffix("ConfigProvider")] = _cls
    BUILTIN_CONFIG_PROVIDERS[f"{__name__}.{_simple}"] = _cls
    BUILTIN_CONFIG_PROVIDERS[f"{__name__}:{_simple}"] = _cls

CONFIG_PROVIDER_ALIASES: dict[str, str] = {
    f"{_KAFKA_PROVIDER_PACKAGE}.{c.__name__}": f"{__name__}:{c.__name__}"
    for c in (EnvVarConfigProvider, FileConfigProvider, DirectoryConfigProvider)
}
"""Kafka class names to ``module:Class`` targets, for the plugin registry's listing."""

PLUGINS: Final[dict[str, dict[str, str]]] = {"config_provider": CONFIG_PROVIDER_ALIASES}
"""The family's plugins by kind, as the ``sluice.plugins`` entry point hands them to the
registry."""


# --- placeholder resolution -------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigTransformerResult:
    """Resolved configs, and the TTL in ms that providers gave for each path they were asked."""

    data: dict[str, str]
    ttls: dict[str, int] = field(default_factory=dict)


class ConfigTransformer:
    """Replaces ``${provider:[path:]key}`` placeholders with values from providers.

    Each provider is asked once per path, for all the keys the configs mention at that path.
    """

    DEFAULT_PATTERN = re.compile(r"\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}")

    def __init__(self, providers: Mapping[str, ConfigProvider]) -> None:
        self._providers = dict(providers)

    def transform(self, configs: Mapping[str, str]) -> ConfigTransformerResult:
        wanted: dict[str, dict[str, set[str]]] = {}
        for value in configs.values():
            for match in self.DEFAULT_PATTERN.finditer(value):
                provider_name, path, key = _placeholder_parts(match)
                wanted.setdefault(provider_name, {}).setdefault(path, set()).add(key)

        lookups: dict[str, dict[str, dict[str, str]]] = {}
        ttls: dict[str, int] = {}
        for provider_name, keys_by_path in wanted.items():
            provider = self._providers.get(provider_name)
            if provider is None:
                continue
            for path, keys in keys_by_path.items():
                found = provider.get(path, set(keys))
                if found.ttl_ms is not None and found.ttl_ms >= 0:
                    ttls[path] = found.ttl_ms
                lookups.setdefault(provider_name, {})[path] = found.data

        def substitute(match: re.Match[str]) -> str:
            provider_name, path, key = _placeholder_parts(match)
            replacement = lookups.get(provider_name, {}).get(path, {}).get(key)
            return match.group(0) if replacement is None else replacement

        data = {k: self.DEFAULT_PATTERN.sub(substitute, v) for k, v in configs.items()}
        return ConfigTransformerResult(data, ttls)


def _placeholder_parts(match: re.Match[str]) -> tuple[str, str, str]:
    return match.group(1), match.group(3) or "", match.group(4)


# --- worker wiring ----------------------------------------------------------------------------


def _parse_list(value: str) -> list[str]:
    """Split a Kafka ``LIST`` config: trimmed, comma-separated, empty means no items."""
    trimmed = value.strip()
    return _LIST_SEPARATOR.split(trimmed) if trimmed else []


def resolve_config_provider_class(class_name: str, config_key: str) -> type[ConfigProvider]:
    """Find the provider class a worker config names.

    Accepts Kafka's class names and aliases for the built-ins, or a Python path to any other
    :class:`ConfigProvider` subclass as ``package.module:Class`` or ``package.module.Class``.
    ``config_key`` is only used in error messages.
    """
    builtin = BUILTIN_CONFIG_PROVIDERS.get(class_name)
    if builtin is not None:
        return builtin
    if ":" in class_name:
        module_name, _, attribute = class_name.partition(":")
    else:
        module_name, _, attribute = class_name.rpartition(".")
    found: object = None
    if module_name and attribute:
        try:
            found = importlib.import_module(module_name)
            for part in attribute.split("."):
                found = getattr(found, part)
        except (ImportError, AttributeError):
            found = None
    if found is None:
        known = sorted(k for k in BUILTIN_CONFIG_PROVIDERS if "." not in k and ":" not in k)
        raise ConfigError.invalid(
            config_key,
            class_name,
            "Failed to find any class that implements ConfigProvider and which name matches "
            f"{class_name}, available ConfigProviders are: {', '.join(known)}",
        )
    if not (isinstance(found, type) and issubclass(found, ConfigProvider)):
        raise ConfigError.invalid(
            config_key, class_name, f"{class_name} is not a subclass of ConfigProvider"
        )
    return found


def providers_from_worker_config(worker_props: Mapping[str, str]) -> dict[str, ConfigProvider]:
    """Build and configure the providers a worker config declares.

    Reads ``config.providers`` (a list of names), ``config.providers.<name>.class`` and the
    ``config.providers.<name>.param.<key>`` settings. A name without a ``.class`` is skipped with a
    warning, as Kafka does (its placeholders then stay unresolved). If any provider fails to
    build, the ones already built are closed before the error propagates.
    """
    providers: dict[str, ConfigProvider] = {}
    try:
        for name in _parse_list(worker_props.get(CONFIG_PROVIDERS_CONFIG, "")):
            class_key = f"{CONFIG_PROVIDERS_CONFIG}.{name}.class"
            class_name = worker_props.get(class_key)
            if class_name is None:
                log.warning("Config provider '%s' is listed but %s is not set", name, class_key)
                continue
            provider_class = resolve_config_provider_class(class_name.strip(), class_key)
            prefix = f"{CONFIG_PROVIDERS_CONFIG}.{name}.param."
            params = {k[len(prefix) :]: v for k, v in worker_props.items() if k.startswith(prefix)}
            provider = provider_class()
            providers[name] = provider
            provider.configure(params)
    except BaseException:
        for provider in providers.values():
            try:
                provider.close()
            except Exception:
                log.exception("Failed to close config provider %s", type(provider).__name__)
        raise
    return providers
