"""``SpoolDirBinaryFileSourceConnector``: each file becomes one bytes record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.api import ConfigDef, Task
from sluice.connectors.spooldir.config import SpoolDirSettings, binary_config_def
from sluice.connectors.spooldir.connector import SpoolDirSourceConnector
from sluice.connectors.spooldir.line_delimited import no_field_timestamps
from sluice.connectors.spooldir.readers.binary_reader import BinaryFormat
from sluice.connectors.spooldir.task import FileFormat, SpoolDirSourceTask

__all__ = ["SpoolDirBinaryFileSourceConnector", "SpoolDirBinaryFileSourceTask"]


class SpoolDirBinaryFileSourceTask(SpoolDirSourceTask):
    def config_definition(self) -> ConfigDef:
        return binary_config_def()

    def make_format(self, values: Mapping[str, Any], settings: SpoolDirSettings) -> FileFormat:
        no_field_timestamps(settings)
        return BinaryFormat()


class SpoolDirBinaryFileSourceConnector(SpoolDirSourceConnector):
    """Whole files (XML documents, images...) as single bytes records."""

    def config(self) -> ConfigDef:
        return binary_config_def()

    def task_class(self) -> type[Task]:
        return SpoolDirBinaryFileSourceTask
