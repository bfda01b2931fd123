"""FileStream connectors: Kafka Connect's file source and sink, configs unchanged.

Unlike Kafka's example connectors these stream files of any size in constant memory, count the
resume position in bytes (Kafka's counts characters but skips bytes, which breaks on multi-byte
UTF-8) and notice truncation.
"""

from sluice.connectors.file.sink import FileStreamSinkConnector, FileStreamSinkTask
from sluice.connectors.file.source import FileStreamSourceConnector, FileStreamSourceTask

__all__ = [
    "FileStreamSinkConnector",
    "FileStreamSinkTask",
    "FileStreamSourceConnector",
    "FileStreamSourceTask",
]
