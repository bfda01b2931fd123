"""``SpoolDirLineDelimitedSourceConnector``: each line of a file becomes a string record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.api import ConfigDef, ConfigError, Task
from sluice.connectors.spooldir.config import SpoolDirSettings, line_config_def
from sluice.connectors.spooldir.connector import SpoolDirSourceConnector
from sluice.connectors.spooldir.readers.lines_reader import LinesFormat
from sluice.connectors.spooldir.task import FileFormat, SpoolDirSourceTask

__all__ = ["SpoolDirLineDelimitedSourceConnector", "SpoolDirLineDelimitedSourceTask"]


def no_field_timestamps(settings: SpoolDirSettings) -> None:
    """Formats without a value struct have no field to take the record timestamp from."""
    if settings.timestamp_mode == "FIELD":
        raise ConfigError.invalid(
            "timestamp.mode", "FIELD", "FIELD needs a value schema; use FILE_TIME or PROCESS_TIME"
        )


class SpoolDirLineDelimitedSourceTask(SpoolDirSourceTask):
    def config_definition(self) -> ConfigDef:
        return line_config_def()

    def make_format(self, values: Mapping[str, Any], settings: SpoolDirSettings) -> FileFormat:
        no_field_timestamps(settings)
        return LinesFormat(values["file.charset"])


class SpoolDirLineDelimitedSourceConnector(SpoolDirSourceConnector):
    def config(self) -> ConfigDef:
        return line_config_def()

    def task_class(self) -> type[Task]:
        return SpoolDirLineDelimitedSourceTask
