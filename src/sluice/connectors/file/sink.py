"""FileStreamSink: record values appended to a file (or stdout), one line each."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any, BinaryIO

import sluice
from sluice.api import (
    ConfigDef,
    ConfigType,
    ConnectError,
    Importance,
    Schema,
    SinkConnector,
    SinkRecord,
    SinkRecordBatch,
    SinkTask,
    Task,
    TopicPartition,
)
from sluice.api.value_text import value_to_string, values_to_strings

__all__ = ["FileStreamSinkConnector", "FileStreamSinkTask", "java_string"]

log = logging.getLogger(__name__)


def _config_def() -> ConfigDef:
    return ConfigDef().define(
        "file",
        ConfigType.STRING,
        None,
        importance=Importance.HIGH,
        documentation="Destination filename. If not specified, the standard output will be used",
    )


def java_string(value: Any, schema: Schema | None = None) -> str:
    """``String.valueOf(value)`` as Java prints the Connect value, so output files match Kafka's.

    A top-level byte array is written as UTF-8 text (Java would print an object address).
    """
    if type(value) is str:
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return value_to_string(value, schema)


class FileStreamSinkConnector(SinkConnector):
    """Kafka's ``org.apache.kafka.connect.file.FileStreamSinkConnector``."""

    def version(self) -> str:
        return sluice.__version__

    def start(self, props: Mapping[str, str]) -> None:
        _config_def().parse(props)
        self._props = dict(props)

    def task_class(self) -> type[Task]:
        return FileStreamSinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self._props) for _ in range(max_tasks)]

    def stop(self) -> None:
        return None

    def config(self) -> ConfigDef:
        return _config_def()

    def alter_offsets(
        self, connector_config: Mapping[str, str], offsets: Mapping[TopicPartition, int | None]
    ) -> bool:
        return True  # the file holds no offsets of its own


class FileStreamSinkTask(SinkTask):
    """Appends ``String.valueOf(value)`` and a newline per record.

    Each ``put`` batch goes to the file in a single unbuffered ``write``, so the file always ends
    on a whole line even if the worker is killed: a restart appends after complete records only.
    """

    def version(self) -> str:
        return sluice.__version__

    def start(self, props: Mapping[str, str]) -> None:
        self.filename: str | None = _config_def().parse(props)["file"] or None
        if self.filename is None:
            self.out: BinaryIO = sys.stdout.buffer
        else:
            try:
                self.out = open(self.filename, "ab", buffering=0)  # noqa: SIM115
            except OSError as e:
                raise ConnectError(
                    f"Couldn't find or create file '{self.filename}' for FileStreamSinkTask: {e}"
                ) from e

    def put(self, records: list[SinkRecord]) -> None:
        self._write([r.value for r in records], [r.value_schema for r in records])

    def put_batch(self, batch: SinkRecordBatch) -> None:
        # Only values are written: read them as a column, never building the records.
        self._write(batch.values, batch.value_schemas)

    def _write(self, values: list[Any], schemas: list[Schema | None]) -> None:
        if not values:
            return
        lines = values_to_strings(values, schemas, java_string)
        data = ("\n".join(lines) + "\n").encode("utf-8")
        view = memoryview(data)
        while view:
            written = self.out.write(view)
            view = view[written or 0 :]

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        self.out.flush()

    def stop(self) -> None:
        if self.filename is not None and not self.out.closed:
            self.out.close()
