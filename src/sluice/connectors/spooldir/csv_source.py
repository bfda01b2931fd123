"""``SpoolDirCsvSourceConnector``: CSV files into structs, typed by ``value.schema``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.api import ConfigDef, Task
from sluice.connectors.spooldir.config import (
    CsvSettings,
    SchemaSettings,
    SpoolDirSettings,
    csv_config_def,
)
from sluice.connectors.spooldir.connector import (
    FieldNameSource,
    SchemaGeneratingConnector,
    check_timestamp_field,
)
from sluice.connectors.spooldir.readers.csv_reader import CsvFormat
from sluice.connectors.spooldir.task import FileFormat, SpoolDirSourceTask
from sluice.connectors.spooldir.typed_values import ValueParser

__all__ = ["SpoolDirCsvSourceConnector", "SpoolDirCsvSourceTask", "csv_format"]


def csv_format(values: Mapping[str, Any], timestamp_mode: str) -> CsvFormat:
    schemas = SchemaSettings.from_values(values, timestamp_mode)
    return CsvFormat(
        CsvSettings.from_values(values),
        schemas,
        ValueParser(schemas.timezone, schemas.date_formats),
    )


class SpoolDirCsvSourceTask(SpoolDirSourceTask):
    def config_definition(self) -> ConfigDef:
        return csv_config_def()

    def make_format(self, values: Mapping[str, Any], settings: SpoolDirSettings) -> FileFormat:
        fmt = csv_format(values, settings.timestamp_mode)
        check_timestamp_field(fmt.schemas)
        self._schemas = fmt.schemas
        return fmt

    def timestamp_field(self) -> str | None:
        return self._schemas.timestamp_field


class SpoolDirCsvSourceConnector(SchemaGeneratingConnector):
    """Reads CSV files dropped into ``input.path``; the class jcustenborder's connector names."""

    def config(self) -> ConfigDef:
        return csv_config_def()

    def task_class(self) -> type[Task]:
        return SpoolDirCsvSourceTask

    def field_name_source(self, values: Mapping[str, Any]) -> FieldNameSource:
        return csv_format(values, self.settings.timestamp_mode)
