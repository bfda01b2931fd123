"""``SpoolDirJsonSourceConnector`` (typed structs) and ``SpoolDirSchemaLessJsonSourceConnector``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.api import ConfigDef, Task
from sluice.connectors.spooldir.config import (
    SchemaSettings,
    SpoolDirSettings,
    json_config_def,
    schemaless_json_config_def,
)
from sluice.connectors.spooldir.connector import (
    FieldNameSource,
    SchemaGeneratingConnector,
    SpoolDirSourceConnector,
    check_timestamp_field,
)
from sluice.connectors.spooldir.line_delimited import no_field_timestamps
from sluice.connectors.spooldir.readers.json_reader import JsonFormat, SchemalessJsonFormat
from sluice.connectors.spooldir.task import FileFormat, SpoolDirSourceTask
from sluice.connectors.spooldir.typed_values import ValueParser

__all__ = [
    "SpoolDirJsonSourceConnector",
    "SpoolDirJsonSourceTask",
    "SpoolDirSchemaLessJsonSourceConnector",
    "SpoolDirSchemaLessJsonSourceTask",
    "json_format",
]


def json_format(values: Mapping[str, Any], timestamp_mode: str) -> JsonFormat:
    schemas = SchemaSettings.from_values(values, timestamp_mode)
    return JsonFormat(schemas, ValueParser(schemas.timezone, schemas.date_formats))


class SpoolDirJsonSourceTask(SpoolDirSourceTask):
    def config_definition(self) -> ConfigDef:
        return json_config_def()

    def make_format(self, values: Mapping[str, Any], settings: SpoolDirSettings) -> FileFormat:
        fmt = json_format(values, settings.timestamp_mode)
        check_timestamp_field(fmt.schemas)
        self._schemas = fmt.schemas
        return fmt

    def timestamp_field(self) -> str | None:
        return self._schemas.timestamp_field


class SpoolDirJsonSourceConnector(SchemaGeneratingConnector):
    """JSON objects (one per line, concatenated, or in a top-level array) into typed structs."""

    def config(self) -> ConfigDef:
        return json_config_def()

    def task_class(self) -> type[Task]:
        return SpoolDirJsonSourceTask

    def field_name_source(self, values: Mapping[str, Any]) -> FieldNameSource:
        return json_format(values, self.settings.timestamp_mode)


class SpoolDirSchemaLessJsonSourceTask(SpoolDirSourceTask):
    def config_definition(self) -> ConfigDef:
        return schemaless_json_config_def()

    def make_format(self, values: Mapping[str, Any], settings: SpoolDirSettings) -> FileFormat:
        no_field_timestamps(settings)
        return SchemalessJsonFormat(values["file.charset"])


class SpoolDirSchemaLessJsonSourceConnector(SpoolDirSourceConnector):
    """Each JSON value becomes a string record of its compact text, with no schema inference."""

    def config(self) -> ConfigDef:
        return schemaless_json_config_def()

    def task_class(self) -> type[Task]:
        return SpoolDirSchemaLessJsonSourceTask
