"""What can stop the development broker from being fetched, started, stopped or inspected."""

from __future__ import annotations

__all__ = [
    "BrokerStartError",
    "BrokerStopError",
    "JarsNotFoundError",
    "JavaNotFoundError",
    "LocalKafkaError",
    "MavenNotFoundError",
    "PortInUseError",
]


class LocalKafkaError(Exception):
    """Anything that stops sluice's local broker from being started, stopped or inspected."""


class JavaNotFoundError(LocalKafkaError):
    """No ``java`` on PATH, or one too old for Kafka 4."""


class JarsNotFoundError(LocalKafkaError):
    """The Kafka jars are not in the libs folder and could not be fetched."""


class MavenNotFoundError(JarsNotFoundError):
    """The jars must be fetched but ``mvn`` is not on PATH."""


class PortInUseError(LocalKafkaError):
    """Another process already listens on a port the broker needs."""

    def __init__(self, message: str, port: int) -> None:
        super().__init__(message)
        self.port = port


class BrokerStartError(LocalKafkaError):
    """The broker exited or did not answer before the deadline."""

    def __init__(self, message: str, log_tail: str) -> None:
        super().__init__(f"{message}\n--- last lines of the broker log ---\n{log_tail}")
        self.log_tail = log_tail


class BrokerStopError(LocalKafkaError):
    """The broker process would not exit."""
