"""``SetSchemaMetadata``: set the name and/or version of the key or value schema.

As in Kafka (which reads ``schema.fields()`` unconditionally), only struct schemas can be
updated: any other schema fails with "Cannot list fields on non-struct type".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

from sluice.api.config import ConfigDef, ConfigType, Importance
from sluice.api.errors import ConfigError
from sluice.api.schema import Schema, Type
from sluice.api.struct import Struct
from sluice.transforms.base import KeyOrValueTransformation, R, parse_config
from sluice.transforms.errors import no_struct_fields
from sluice.transforms.requirements import require_schema

__all__ = ["SetSchemaMetadata", "SetSchemaMetadataKey", "SetSchemaMetadataValue"]

SCHEMA_NAME_CONFIG: Final = "schema.name"
SCHEMA_VERSION_CONFIG: Final = "schema.version"
REPLACE_NULL_WITH_DEFAULT_CONFIG: Final = "replace.null.with.default"

CONFIG_DEF: Final = (
    ConfigDef()
    .define(
        SCHEMA_NAME_CONFIG,
        ConfigType.STRING,
        None,
        importance=Importance.HIGH,
        documentation="The schema name to set.",
    )
    .define(
        SCHEMA_VERSION_CONFIG,
        ConfigType.INT,
        None,
        importance=Importance.HIGH,
        documentation="The schema version to set.",
    )
    .define(
        REPLACE_NULL_WITH_DEFAULT_CONFIG,
        ConfigType.BOOLEAN,
        True,
        importance=Importance.MEDIUM,
        documentation="Whether a null field that has a default value is read as its default "
        "(true) or kept null (false).",
    )
)


def with_metadata(schema: Schema, name: str | None, version: int | None) -> Schema:
    """A copy of ``schema`` with a new name/version, keeping its default as is.

    Kafka builds the copy with ``new ConnectSchema(...)``, which does not re-validate the default;
    a struct default therefore keeps its old schema, and so it does here.
    """
    if schema.type is not Type.STRUCT:
        raise no_struct_fields()
    updated = Schema(
        schema.type,
        optional=schema.optional,
        name=name if name is not None else schema.name,
        version=version if version is not None else schema.version,
        doc=schema.doc,
        parameters=schema.parameters,
        fields=schema.fields,
    )
    updated.default = schema.default
    return updated


class SetSchemaMetadata(KeyOrValueTransformation[R]):
    """Rename or re-version the key or value schema (and the Struct that carries it)."""

    Key: ClassVar[type[SetSchemaMetadata[Any]]]
    Value: ClassVar[type[SetSchemaMetadata[Any]]]

    def __init__(self) -> None:
        self._name: str | None = None
        self._version: int | None = None
        self._replace_null_with_default = True

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(CONFIG_DEF, configs)
        self._name = config.get_string(SCHEMA_NAME_CONFIG)
        version = config.get(SCHEMA_VERSION_CONFIG)
        self._version = None if version is None else int(version)
        self._replace_null_with_default = config.get_boolean(REPLACE_NULL_WITH_DEFAULT_CONFIG)
        if self._name is None and self._version is None:
            raise ConfigError("Neither schema name nor version configured")

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def apply(self, record: R) -> R | None:
        value = self.operating_value(record)
        schema = self.operating_schema(record)
        if value is None and schema is None:
            return record
        schema = require_schema(schema, "updating schema metadata")
        updated_schema = with_metadata(schema, self._name, self._version)
        updated_value = self._update_schema_in(value, updated_schema)
        return self.new_record(record, updated_schema, updated_value)

    def _update_schema_in(self, value: Any, updated_schema: Schema) -> Any:
        if not isinstance(value, Struct):
            return value
        updated = Struct(updated_schema)
        for field in updated_schema.fields:
            updated.put(
                field,
                value.get(field.name)
                if self._replace_null_with_default
                else value.get_without_default(field.name),
            )
        return updated


class SetSchemaMetadataKey(SetSchemaMetadata[R]):
    """``SetSchemaMetadata$Key``."""

    is_key = True


class SetSchemaMetadataValue(SetSchemaMetadata[R]):
    """``SetSchemaMetadata$Value``."""

    is_key = False


SetSchemaMetadata.Key = SetSchemaMetadataKey
SetSchemaMetadata.Value = SetSchemaMetadataValue
