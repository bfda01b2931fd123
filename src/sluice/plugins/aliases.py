"""Names users already know, mapped to sluice's classes.

Kafka Connect configs name plugins by Java class (``org.apache.kafka.connect.file.
FileStreamSourceConnector``), by simple name (``FileStreamSourceConnector``) or by simple name
without the ``Connector`` suffix (``FileStreamSource``). Bundled plugins register those names here
as ``"module:Class"`` targets so configs written for Kafka Connect run unchanged.
"""

from __future__ import annotations

from typing import Final

__all__ = ["BUNDLED_CONNECTORS", "BUNDLED_TASKS", "short_names"]

BUNDLED_CONNECTORS: Final[dict[str, str]] = {
    "org.apache.kafka.connect.file.FileStreamSourceConnector": (
        "sluice.connectors.file.source:FileStreamSourceConnector"
    ),
    "org.apache.kafka.connect.file.FileStreamSinkConnector": (
        "sluice.connectors.file.sink:FileStreamSinkConnector"
    ),
}
"""Connector classes shipped with sluice, keyed by the Kafka/Confluent class name they stand for."""

BUNDLED_TASKS: Final[dict[str, str]] = {
    "org.apache.kafka.connect.file.FileStreamSourceTask": (
        "sluice.connectors.file.source:FileStreamSourceTask"
    ),
    "org.apache.kafka.connect.file.FileStreamSinkTask": (
        "sluice.connectors.file.sink:FileStreamSinkTask"
    ),
}
"""Task classes, so ``task.class`` in task configs reads as in Kafka Connect and resolves back."""


def short_names(fqcn: str) -> list[str]:
    """The aliases Kafka Connect derives from a class name: simple name, minus ``Connector``.

    Nested Java classes (``Cast$Value``) keep their ``$`` part, as in Kafka.
    """
    simple = fqcn.rsplit(".", 1)[-1]
    names = [simple]
    if simple.endswith("Connector") and len(simple) > len("Connector"):
        names.append(simple[: -len("Connector")])
    return names
