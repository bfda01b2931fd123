"""FileStream connectors: Kafka Connect's file source and sink, configs unchanged.

Unlike Kafka's example connectors these stream files of any size in constant memory, count the
resume position in bytes (Kafka's counts characters but skips bytes, which breaks on multi-byte
UTF-8) and notice truncation.

``PLUGINS`` maps the class names configs use to where the classes live here.
"""

from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from sluice.connectors.file.sink import FileStreamSinkConnector, FileStreamSinkTask
    from sluice.connectors.file.source import FileStreamSourceConnector, FileStreamSourceTask

__all__ = [
    "PLUGINS",
    "FileStreamSinkConnector",
    "FileStreamSinkTask",
    "FileStreamSourceConnector",
    "FileStreamSourceTask",
]

_LAZY: Final = {
    "FileStreamSinkConnector": "sluice.connectors.file.sink",
    "FileStreamSinkTask": "sluice.connectors.file.sink",
    "FileStreamSourceConnector": "sluice.connectors.file.source",
    "FileStreamSourceTask": "sluice.connectors.file.source",
}


def __getattr__(name: str) -> Any:
    """The classes load on first use: the registry reads ``PLUGINS`` at start-up, and a worker
    that runs no file connector need not import them."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


_KAFKA: Final = "org.apache.kafka.connect.file."

PLUGINS: Final[dict[str, dict[str, str]]] = {
    "connector": {
        _KAFKA + "FileStreamSourceConnector": (
            "sluice.connectors.file.source:FileStreamSourceConnector"
        ),
        _KAFKA + "FileStreamSinkConnector": "sluice.connectors.file.sink:FileStreamSinkConnector",
    },
    # Task classes too, so ``task.class`` in task configs reads as in Kafka Connect and resolves.
    "task": {
        _KAFKA + "FileStreamSourceTask": "sluice.connectors.file.source:FileStreamSourceTask",
        _KAFKA + "FileStreamSinkTask": "sluice.connectors.file.sink:FileStreamSinkTask",
    },
}
"""The family's plugins by kind (Kafka's class names to ``module:Class``), as the
``sluice.plugins`` entry point hands them to the registry; the registry derives the short aliases
(``FileStreamSourceConnector``, ``FileStreamSource``) from them."""
