"""The base of every connector and task.

A *connector* is configured once per job: it checks the configuration and splits the work into up
to ``tasks.max`` task configurations. *Tasks* move the data, each on a thread of its own. The
runtime calls a connector's methods from one thread at a time; ``stop`` may come from another
thread than ``start`` but never concurrently with it.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping

from sluice.api.config import ConfigDef, ConfigValue

__all__ = ["Connector", "ConnectorContext", "Task", "Versioned"]


class Versioned:
    """Anything with a version: shown by ``GET /connector-plugins`` and ``sluice plugins``."""

    def version(self) -> str:
        module = type(self).__module__.split(".")[0]
        import sys

        return str(getattr(sys.modules.get(module), "__version__", "unknown"))


class ConnectorContext(abc.ABC):
    """The connector's only door back into the runtime."""

    @abc.abstractmethod
    def request_task_reconfiguration(self) -> None:
        """Ask the runtime to call ``task_configs`` again (for example when tables appear)."""

    @abc.abstractmethod
    def raise_error(self, error: Exception) -> None:
        """Mark the connector FAILED with ``error`` from a background thread of its own."""


class Task(Versioned, abc.ABC):
    """A unit of work. Each task runs on its own thread, created by the worker (in the worker's
    process or, with ``sluice.task.isolation``, in a child process of its own)."""

    @abc.abstractmethod
    def start(self, props: Mapping[str, str]) -> None:
        """Start with the configuration the connector produced for this task."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop and release what ``start`` acquired; must not block long.

        The thread differs by kind, as in Kafka Connect: a :class:`~sluice.api.SourceTask` is
        stopped from another thread while ``poll`` may be blocked, a
        :class:`~sluice.api.SinkTask` on its own thread after its last ``put``.
        """


class Connector(Versioned, abc.ABC):
    """Common base of source and sink connectors."""

    context: ConnectorContext

    def initialize(self, context: ConnectorContext) -> None:
        """Receive the context before ``start``; subclasses calling super keep ``self.context``."""
        self.context = context

    @abc.abstractmethod
    def start(self, props: Mapping[str, str]) -> None:
        """Start with the connector's configuration (config providers already resolved)."""

    @abc.abstractmethod
    def task_class(self) -> type[Task]:
        """The task class the runtime instantiates for each task configuration."""

    @abc.abstractmethod
    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        """At most ``max_tasks`` configurations, one per task to run."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Release what ``start`` acquired."""

    @abc.abstractmethod
    def config(self) -> ConfigDef:
        """The connector's own keys (the runtime adds the framework's, such as ``tasks.max``)."""

    def validate(self, connector_configs: Mapping[str, str]) -> list[ConfigValue]:
        """Check a configuration before it is used; the default validates against ``config()``."""
        return self.config().validate(connector_configs)

    def reconfigure(self, props: Mapping[str, str]) -> None:
        """Apply a new configuration; the default stops and starts again."""
        self.stop()
        self.start(props)
