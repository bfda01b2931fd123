"""The error tree every connector, converter and transform raises from.

``ConnectError`` is the root, as ``ConnectException`` is in Kafka Connect. The runtime treats the
branches differently, which is why authors must pick the right one:

* ``RetriableError``: the operation may succeed if tried again (a source ``poll`` or a sink ``put``
  is retried after a back-off instead of failing the task).
* ``DataError``: a record or schema is wrong; under ``errors.tolerance=all`` the record is skipped
  (and reported) instead of killing the task.
* ``ConfigError``: a configuration key has a bad value; carries ``key`` so messages can name it.
* ``NotFoundError`` / ``AlreadyExistsError``: lookups of connectors, tasks and plugins.
"""

from __future__ import annotations

__all__ = [
    "AlreadyExistsError",
    "ConfigError",
    "ConnectError",
    "DataError",
    "IllegalWorkerStateError",
    "NotFoundError",
    "RetriableError",
    "SchemaBuilderError",
    "SchemaProjectorError",
]


class ConnectError(Exception):
    """Root of every error raised by connectors and the framework."""


class RetriableError(ConnectError):
    """A failure that may go away when the same operation is attempted again."""


class DataError(ConnectError):
    """A record, value or schema that cannot be handled as it is."""


class SchemaBuilderError(DataError):
    """A schema definition that contradicts itself (for example a field added twice)."""


class SchemaProjectorError(DataError):
    """A value that cannot be projected from one schema onto another."""


class IllegalWorkerStateError(ConnectError):
    """The worker was asked to do something its current state forbids."""


class NotFoundError(ConnectError):
    """A connector, task, plugin or logger that does not exist."""


class AlreadyExistsError(ConnectError):
    """A connector created under a name that is taken."""


def _java_text(value: object) -> str:
    """A config value as Java's ``String.valueOf`` shows it in messages (``null``, ``[a, b]``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_java_text(v) for v in value) + "]"
    return str(value)


class ConfigError(ConnectError):
    """A configuration value that is missing or invalid.

    ``key`` names the offending key (``None`` when the error is about the configuration as a whole)
    and ``value`` holds what was supplied, so callers can build messages such as Kafka's
    ``Invalid value x for configuration y: reason``.
    """

    def __init__(self, message: str, key: str | None = None, value: object = None) -> None:
        super().__init__(message)
        self.key = key
        self.value = value

    @classmethod
    def invalid(cls, key: str, value: object, reason: str | None = None) -> ConfigError:
        """Build the message Kafka's ``ConfigException(name, value, message)`` produces."""
        shown = _java_text(value)
        text = f"Invalid value {shown} for configuration {key}"
        if reason:
            text += f": {reason}"
        return cls(text, key, value)
