"""The extension point behind ``${provider:path:key}`` placeholders in worker and connector configs.

Mirrors Kafka's ``org.apache.kafka.common.config.provider.ConfigProvider`` so a secret store can be
plugged in without the connector knowing: the worker names providers in ``config.providers``,
builds each one, calls :meth:`ConfigProvider.configure` with its ``config.providers.<n>.param.*``
settings, and asks :meth:`ConfigProvider.get` for the keys the placeholders mention.

Providers are shared by every connector on a worker and may be called from several threads at
once, so implementations must be thread-safe.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType

__all__ = ["ConfigChangeCallback", "ConfigData", "ConfigProvider"]


@dataclass(frozen=True)
class ConfigData:
    """What a provider found at one path.

    ``ttl_ms`` says how long the values stay valid; the worker restarts connectors that use them
    when it runs out (``config.action.reload=restart``). ``None`` means they never expire.
    """

    data: dict[str, str] = field(default_factory=dict)
    ttl_ms: int | None = None


ConfigChangeCallback = Callable[[str, ConfigData], None]
"""Called with the path and its new data when subscribed values change."""


class ConfigProvider(abc.ABC):
    """A source of configuration values addressed by path and key.

    Only :meth:`get` is required. :meth:`configure` and :meth:`close` do nothing unless
    overridden, and the subscription hooks are optional, as in Kafka: the worker only relies on
    :meth:`get` and TTLs.
    """

    def configure(self, configs: Mapping[str, str]) -> None:
        """Receive this provider's ``config.providers.<name>.param.*`` settings, prefix removed.

        Called once, before any :meth:`get`.
        """

    @abc.abstractmethod
    def get(self, path: str, keys: set[str] | None = None) -> ConfigData:
        """Return the values at ``path``: all of them when ``keys`` is ``None``, else those named.

        Keys that do not exist are simply absent from the result (the placeholder then stays
        unresolved). ``path`` is ``""`` when the placeholder has none (``${provider:key}``).
        Raise ``sluice.api.errors.ConfigError`` when the path cannot be read.
        """

    def subscribe(self, path: str, keys: set[str], callback: ConfigChangeCallback) -> None:
        """Ask to be told when ``keys`` at ``path`` change; most providers cannot."""
        raise NotImplementedError(f"{type(self).__name__} does not support subscriptions")

    def unsubscribe(self, path: str, keys: set[str], callback: ConfigChangeCallback) -> None:
        """Undo :meth:`subscribe`."""
        raise NotImplementedError(f"{type(self).__name__} does not support subscriptions")

    def unsubscribe_all(self) -> None:
        """Drop every subscription."""
        raise NotImplementedError(f"{type(self).__name__} does not support subscriptions")

    def close(self) -> None:
        """Release whatever the provider holds (connections, file handles)."""

    def __enter__(self) -> ConfigProvider:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
