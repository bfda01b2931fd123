"""``InsertField``: add the record's topic, partition, offset, timestamp or a static value.

A field name ending in ``!`` makes the added field required, ``?`` (or nothing) optional. Offsets
exist only on sink records. Null keys/values (tombstones) pass through untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from sluice.api.config import ConfigDef, ConfigType, Importance
from sluice.api.errors import ConfigError
from sluice.api.logical import Timestamp, datetime_from_millis
from sluice.api.schema import Schema, SchemaBuilder, Type
from sluice.api.struct import Struct
from sluice.jdk.hashing import ShapeCache, hash_map_copy, hash_map_copy_capacity, hash_map_order
from sluice.transforms.base import (
    FALLBACK,
    BatchStep,
    KeyOrValueTransformation,
    R,
    defaults_filler,
    parse_config,
    struct_step,
)
from sluice.transforms.errors import no_struct_fields
from sluice.transforms.requirements import require_map, require_sink_record, require_struct
from sluice.transforms.schema_cache import SchemaCache
from sluice.transforms.schema_copy import copy_schema_basics

__all__ = ["InsertField", "InsertFieldKey", "InsertFieldValue"]

TOPIC_FIELD: Final = "topic.field"
PARTITION_FIELD: Final = "partition.field"
OFFSET_FIELD: Final = "offset.field"
TIMESTAMP_FIELD: Final = "timestamp.field"
STATIC_FIELD: Final = "static.field"
STATIC_VALUE: Final = "static.value"
REPLACE_NULL_WITH_DEFAULT_CONFIG: Final = "replace.null.with.default"
_PURPOSE: Final = "field insertion"
_OPTIONALITY: Final = (
    " End the name with ! to make the field required, or ? (the default) to make it optional."
)
_OPTIONAL_TIMESTAMP: Final = Timestamp.builder().optional().build()


CONFIG_DEF: Final = (
    ConfigDef()
    .define(
        TOPIC_FIELD,
        ConfigType.STRING,
        None,
        importance=Importance.MEDIUM,
        documentation="Field for the Kafka topic." + _OPTIONALITY,
    )
    .define(
        PARTITION_FIELD,
        ConfigType.STRING,
        None,
        importance=Importance.MEDIUM,
        documentation="Field for the Kafka partition." + _OPTIONALITY,
    )
    .define(
        OFFSET_FIELD,
        ConfigType.STRING,
        None,
        importance=Importance.MEDIUM,
        documentation="Field for the Kafka offset (sink connectors only)." + _OPTIONALITY,
    )
    .define(
        TIMESTAMP_FIELD,
        ConfigType.STRING,
        None,
        importance=Importance.MEDIUM,
        documentation="Field for the record timestamp." + _OPTIONALITY,
    )
    .define(
        STATIC_FIELD,
        ConfigType.STRING,
        None,
        importance=Importance.MEDIUM,
        documentation="Field for a fixed value." + _OPTIONALITY,
    )
    .define(
        STATIC_VALUE,
        ConfigType.STRING,
        None,
        importance=Importance.MEDIUM,
        documentation="The fixed value for static.field.",
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


@dataclass(frozen=True, slots=True)
class _Spec:
    name: str
    optional: bool

    @staticmethod
    def parse(spec: str | None) -> _Spec | None:
        if spec is None:
            return None
        if spec.endswith("?"):
            return _Spec(spec[:-1], True)
        if spec.endswith("!"):
            return _Spec(spec[:-1], False)
        return _Spec(spec, True)


class InsertField(KeyOrValueTransformation[R]):
    """Insert record metadata or a static value as fields."""

    Key: ClassVar[type[InsertField[Any]]]
    Value: ClassVar[type[InsertField[Any]]]

    def __init__(self) -> None:
        self._topic: _Spec | None = None
        self._partition: _Spec | None = None
        self._offset: _Spec | None = None
        self._timestamp: _Spec | None = None
        self._static: _Spec | None = None
        self._static_value: str | None = None
        self._replace_null_with_default = True
        self._cache: SchemaCache[Schema] = SchemaCache()

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(CONFIG_DEF, configs)
        self._topic = _Spec.parse(config.get_string(TOPIC_FIELD))
        self._partition = _Spec.parse(config.get_string(PARTITION_FIELD))
        self._offset = _Spec.parse(config.get_string(OFFSET_FIELD))
        self._timestamp = _Spec.parse(config.get_string(TIMESTAMP_FIELD))
        self._static = _Spec.parse(config.get_string(STATIC_FIELD))
        self._static_value = config.get_string(STATIC_VALUE)
        self._replace_null_with_default = config.get_boolean(REPLACE_NULL_WITH_DEFAULT_CONFIG)
        if not any((self._topic, self._partition, self._offset, self._timestamp, self._static)):
            raise ConfigError("No field insertion configured")
        if self._static is not None and self._static_value is None:
            raise ConfigError.invalid(
                STATIC_VALUE,
                None,
                f"No value specified for static field: {self._static.name}",
            )
        self._cache = SchemaCache()

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def apply(self, record: R) -> R | None:
        value = self.operating_value(record)
        if value is None:
            return record
        schema = self.operating_schema(record)
        if schema is None:
            original = require_map(value, _PURPOSE)
            inserted: dict[str, Any] = {}
            self._insert(record, inserted, raw_timestamp=True)
            return self.new_record(record, None, hash_map_copy(original, inserted))
        struct = require_struct(value, _PURPOSE)
        updated_schema = self._struct_schema(struct.schema)
        return self.new_record(
            record, updated_schema, self._updated_struct(record, struct, updated_schema)
        )

    def batch_step(self, schema: Schema | None) -> BatchStep | None:
        insert = self._insert
        if schema is None:
            if (
                self._static is not None
                and self._static_value is not None
                and self._topic is None
                and self._partition is None
                and self._offset is None
                and self._timestamp is None
            ):
                static_name, static_text = self._static.name, self._static_value

                def template(keys: tuple[str, ...]) -> dict[str, Any]:
                    # Kafka's new HashMap<>(value), then the put of the static field.
                    order = hash_map_order((*keys, static_name), hash_map_copy_capacity(len(keys)))
                    return dict.fromkeys(order)

                templates = ShapeCache(template)

                def on_map_static(record: Any, value: Any) -> Any:
                    if type(value) is not dict:
                        return FALLBACK
                    updated = templates(tuple(value)).copy()  # the keys in Kafka's order
                    updated.update(value)
                    updated[static_name] = static_text
                    return updated

                return None, on_map_static, None

            def on_map(record: Any, value: Any) -> Any:
                if type(value) is not dict:
                    return FALLBACK
                inserted: dict[str, Any] = {}
                insert(record, inserted, raw_timestamp=True)
                return hash_map_copy(value, inserted)

            return None, on_map, None
        if schema.type is not Type.STRUCT:
            return None
        updated_schema = self._struct_schema(schema)
        fill = defaults_filler(schema, self._replace_null_with_default)
        if self._partition or self._offset or self._timestamp:
            updated_values = self._updated_values

            def on_values(record: Any, values: list[Any]) -> Any:
                return updated_values(
                    record, values if fill is None else fill(values), updated_schema
                )

            return struct_step(schema, updated_schema, on_values)
        # Only the topic and a static value: both positions are known once per schema.
        by_name = updated_schema.fields_by_name
        topic_at = by_name[self._topic.name].index if self._topic is not None else -1
        static_at = by_name[self._static.name].index if self._static is not None else -1
        static_value = self._static_value
        padding = [None] * (len(updated_schema.fields) - len(schema.fields))

        def on_values_fixed(record: Any, values: list[Any]) -> Any:
            if fill is not None:
                values = fill(values)
            values.extend(padding)
            if topic_at >= 0:
                values[topic_at] = record.topic
            if static_at >= 0:
                values[static_at] = static_value
            return values

        return struct_step(schema, updated_schema, on_values_fixed)

    def _struct_schema(self, schema: Schema) -> Schema:
        updated_schema = self._cache.get(schema)
        if updated_schema is None:
            updated_schema = self._updated_schema(schema)
            self._cache.put(schema, updated_schema)
        return updated_schema

    def _updated_struct(self, record: R, struct: Struct, updated_schema: Schema) -> Struct:
        values = struct.values(self._replace_null_with_default)
        return Struct.trusted(updated_schema, self._updated_values(record, values, updated_schema))

    def _updated_values(self, record: R, values: list[Any], updated_schema: Schema) -> list[Any]:
        """``values`` (the input's, defaults applied) extended in place with the inserted ones.

        The input's fields come first, unchanged: copied without re-validating. The inserted
        values (topic, partition, offset, timestamp, static text) have their fields' types by
        construction."""
        values.extend([None] * (len(updated_schema.fields) - len(values)))
        fields: dict[str, Any] = {}
        self._insert(record, fields, raw_timestamp=False)
        by_name = updated_schema.fields_by_name
        for name, inserted in fields.items():
            values[by_name[name].index] = inserted
        return values

    def _insert(self, record: R, out: dict[str, Any], raw_timestamp: bool) -> None:
        if self._topic is not None:
            out[self._topic.name] = record.topic
        if self._partition is not None and record.kafka_partition is not None:
            out[self._partition.name] = record.kafka_partition
        if self._offset is not None:
            out[self._offset.name] = require_sink_record(record, _PURPOSE).kafka_offset
        if self._timestamp is not None and record.timestamp is not None:
            out[self._timestamp.name] = (
                record.timestamp if raw_timestamp else datetime_from_millis(record.timestamp)
            )
        if self._static is not None and self._static_value is not None:
            out[self._static.name] = self._static_value

    def _updated_schema(self, schema: Schema) -> Schema:
        if schema.type is not Type.STRUCT:
            raise no_struct_fields()
        builder = copy_schema_basics(schema, SchemaBuilder.struct())
        for field in schema.fields:
            builder.field(field.name, field.schema)
        for spec, optional_schema, required_schema in (
            (self._topic, Schema.OPTIONAL_STRING_SCHEMA, Schema.STRING_SCHEMA),
            (self._partition, Schema.OPTIONAL_INT32_SCHEMA, Schema.INT32_SCHEMA),
            (self._offset, Schema.OPTIONAL_INT64_SCHEMA, Schema.INT64_SCHEMA),
            (self._timestamp, _OPTIONAL_TIMESTAMP, Timestamp.SCHEMA),
            (self._static, Schema.OPTIONAL_STRING_SCHEMA, Schema.STRING_SCHEMA),
        ):
            if spec is not None:
                builder.field(spec.name, optional_schema if spec.optional else required_schema)
        return builder.build()


class InsertFieldKey(InsertField[R]):
    """``InsertField$Key``."""

    is_key = True


class InsertFieldValue(InsertField[R]):
    """``InsertField$Value``."""

    is_key = False


InsertField.Key = InsertFieldKey
InsertField.Value = InsertFieldValue
