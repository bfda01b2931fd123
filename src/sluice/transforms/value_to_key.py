"""``ValueToKey``: build the key from fields of the value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sluice.api.config import ConfigDef, ConfigType, Importance
from sluice.api.errors import DataError
from sluice.api.schema import Schema, SchemaBuilder
from sluice.api.struct import Struct
from sluice.api.transform import Transformation
from sluice.jdk.hashing import as_hash_map, table_size_for
from sluice.transforms.base import R, parse_config
from sluice.transforms.requirements import require_map, require_struct
from sluice.transforms.schema_cache import SchemaCache
from sluice.transforms.validators import non_empty_list

__all__ = ["ValueToKey"]

FIELDS_CONFIG: Final = "fields"
REPLACE_NULL_WITH_DEFAULT_CONFIG: Final = "replace.null.with.default"
_PURPOSE: Final = "copying fields from value to key"

CONFIG_DEF: Final = (
    ConfigDef()
    .define(
        FIELDS_CONFIG,
        ConfigType.LIST,
        validator=non_empty_list,
        importance=Importance.HIGH,
        documentation="Fields of the value that make up the new key.",
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


class ValueToKey(Transformation[R]):
    """Replace the key with a Struct (schema) or map (schemaless) of value fields."""

    def __init__(self) -> None:
        self._fields: list[str] = []
        self._replace_null_with_default = True
        self._cache: SchemaCache[Schema] = SchemaCache()

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(CONFIG_DEF, configs)
        self._fields = config.get_list(FIELDS_CONFIG)
        self._replace_null_with_default = config.get_boolean(REPLACE_NULL_WITH_DEFAULT_CONFIG)
        self._cache = SchemaCache()

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def apply(self, record: R) -> R | None:
        if record.value_schema is None:
            value_map = require_map(record.value, _PURPOSE)
            key_map = as_hash_map(  # Kafka's new HashMap<>(fields.size())
                {field: value_map.get(field) for field in self._fields},
                table_size_for(len(self._fields)),
            )
            return record.new_record(
                record.topic,
                record.kafka_partition,
                None,
                key_map,
                record.value_schema,
                record.value,
                record.timestamp,
            )
        value = require_struct(record.value, _PURPOSE)
        key_schema = self._cache.get(value.schema)
        if key_schema is None:
            builder = SchemaBuilder.struct()
            for field in self._fields:
                source = value.schema.field(field)
                if source is None:
                    raise DataError(f"Field does not exist: {field}")
                builder.field(field, source.schema)
            key_schema = builder.build()
            self._cache.put(value.schema, key_schema)
        key = Struct(key_schema)
        for field in self._fields:
            key.put(
                field,
                value.get(field)
                if self._replace_null_with_default
                else value.get_without_default(field),
            )
        return record.new_record(
            record.topic,
            record.kafka_partition,
            key_schema,
            key,
            value.schema,
            value,
            record.timestamp,
        )
