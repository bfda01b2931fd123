"""The connector side: check the configuration, generate schemas, hand every task the same config.

Tasks split the files among themselves by name (``task.index`` / ``task.count``, filled in here as
the Java connector does), so the connector itself never touches the directory except to generate
schemas: with ``schema.generation.enabled`` and no ``key.schema``/``value.schema``, up to five
matching files are read for their field names, which must agree, and the resulting schemas are
put into the task configurations. If no file is there yet each task generates the schemas from the
header of every file it reads instead of failing as the Java connector does.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import sluice
from sluice.api import ConfigError, DataError, Schema, SourceConnector, Timestamp
from sluice.connectors.spooldir.config import SchemaSettings, SpoolDirSettings
from sluice.connectors.spooldir.discovery import Discovery
from sluice.connectors.spooldir.schema_generation import generate_schemas
from sluice.connectors.spooldir.schema_json import schema_to_json

__all__ = ["FieldNameSource", "SpoolDirSourceConnector", "check_timestamp_field"]

log = logging.getLogger(__name__)

GENERATION_SAMPLE = 5


class FieldNameSource(Protocol):
    def field_names(self, path: Path, original_name: str, buffer_size: int) -> list[str] | None: ...


def check_timestamp_field(schemas: SchemaSettings) -> None:
    """``timestamp.mode=FIELD`` needs a required Timestamp field in a given value schema."""
    name = schemas.timestamp_field
    if name is None:
        return
    value = schemas.value_schema
    f = value.field(name) if value is not None else None
    if f is None or f.schema.optional or f.schema.name != Timestamp.LOGICAL_NAME:
        raise ConfigError.invalid(
            "timestamp.field",
            name,
            f"Field '{name}' must be present in value.schema and set to a timestamp and cannot "
            "be optional.",
        )


class SpoolDirSourceConnector(SourceConnector, abc.ABC):
    """Base of the five spooldir connectors."""

    def version(self) -> str:
        return sluice.__version__

    def start(self, props: Mapping[str, str]) -> None:
        values = self.config().parse(props)
        self.settings = SpoolDirSettings.from_values(values)
        self._props = dict(props)
        self.prepare(values, self._props)

    def prepare(self, values: Mapping[str, Any], props: dict[str, str]) -> None:
        """Adjust the task configuration before it is handed out (schema generation)."""

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [
            {**self._props, "task.index": str(i), "task.count": str(max_tasks)}
            for i in range(max_tasks)
        ]

    def stop(self) -> None:
        return None


class SchemaGeneratingConnector(SpoolDirSourceConnector, abc.ABC):
    """CSV and JSON: fill in ``key.schema``/``value.schema`` from the files when asked to."""

    @abc.abstractmethod
    def field_name_source(self, values: Mapping[str, Any]) -> FieldNameSource: ...

    def prepare(self, values: Mapping[str, Any], props: dict[str, str]) -> None:
        schemas = SchemaSettings.from_values(values, self.settings.timestamp_mode)
        if schemas.key_schema is not None and schemas.value_schema is not None:
            check_timestamp_field(schemas)
            return
        log.info("Key or value schema was not defined: generating them from the input files")
        generated = self._generate(schemas, self.field_name_source(values).field_names)
        if generated is None:
            log.info(
                "No file in %s to infer the schema from yet: each file's own field names will "
                "be used",
                self.settings.input_path,
            )
            return
        key, value = generated
        if schemas.key_schema is None:
            props["key.schema"] = schema_to_json(key)
            log.info("Setting key.schema to %s", props["key.schema"])
        if schemas.value_schema is None:
            props["value.schema"] = schema_to_json(value)
            log.info("Setting value.schema to %s", props["value.schema"])

    def _generate(
        self,
        schemas: SchemaSettings,
        names_of: Callable[[Path, str, int], list[str] | None],
    ) -> tuple[Schema, Schema] | None:
        found = sorted(Discovery(self.settings).candidates(), key=lambda f: str(f.relative))
        by_value: dict[str, tuple[Schema, Schema, list[Path]]] = {}
        for f in found[:GENERATION_SAMPLE]:
            try:
                names = names_of(f.path, f.relative.name, self.settings.buffer_size)
            except (OSError, ValueError) as e:
                raise DataError(f"Could not read {f.path} to generate a schema: {e}") from e
            if names is None:
                continue
            key, value = generate_schemas(
                names, schemas.key_fields, schemas.key_name, schemas.value_name
            )
            entry = by_value.setdefault(schema_to_json(value), (key, value, []))
            entry[2].append(f.path)
        if not by_value:
            return None
        if len(by_value) > 1:
            text = "More than one schema was found for the input pattern.\n"
            for schema_json, (_, _, paths) in by_value.items():
                text += f"Schema: {schema_json}\n" + "".join(f"  {p}\n" for p in paths)
            raise DataError(text)
        key, value, _ = next(iter(by_value.values()))
        return key, value
