"""``HoistField``: wrap the key or value in a single-field Struct (schema) or map (schemaless)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

from sluice.api.config import ConfigDef, ConfigType, Importance
from sluice.api.schema import Schema, SchemaBuilder
from sluice.api.struct import Struct
from sluice.transforms.base import KeyOrValueTransformation, R, parse_config
from sluice.transforms.schema_cache import SchemaCache

__all__ = ["HoistField", "HoistFieldKey", "HoistFieldValue"]

FIELD_CONFIG: Final = "field"

CONFIG_DEF: Final = ConfigDef().define(
    FIELD_CONFIG,
    ConfigType.STRING,
    importance=Importance.MEDIUM,
    documentation="Name of the single field of the resulting Struct or map.",
)


class HoistField(KeyOrValueTransformation[R]):
    """Wrap the key or value under ``field``; nulls are wrapped too."""

    Key: ClassVar[type[HoistField[Any]]]
    Value: ClassVar[type[HoistField[Any]]]

    def __init__(self) -> None:
        self._field = ""
        self._cache: SchemaCache[Schema] = SchemaCache()

    def configure(self, configs: Mapping[str, Any]) -> None:
        self._field = parse_config(CONFIG_DEF, configs).get_string(FIELD_CONFIG) or ""
        self._cache = SchemaCache()

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def apply(self, record: R) -> R | None:
        schema = self.operating_schema(record)
        value = self.operating_value(record)
        if schema is None:
            return self.new_record(record, None, {self._field: value})
        updated_schema = self._cache.get(schema)
        if updated_schema is None:
            updated_schema = SchemaBuilder.struct().field(self._field, schema).build()
            self._cache.put(schema, updated_schema)
        return self.new_record(
            record, updated_schema, Struct(updated_schema).put(self._field, value)
        )


class HoistFieldKey(HoistField[R]):
    """``HoistField$Key``."""

    is_key = True


class HoistFieldValue(HoistField[R]):
    """``HoistField$Value``."""

    is_key = False


HoistField.Key = HoistFieldKey
HoistField.Value = HoistFieldValue
