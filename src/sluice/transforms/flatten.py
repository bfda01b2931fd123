"""``Flatten``: lift nested struct fields (or nested map entries) to the top level.

Names join the path with ``delimiter`` (``a.b.c``). With schemas, a flattened field becomes
optional when any struct above it is optional, and takes its default from the nearest ancestor
struct's default when it has none of its own. Arrays are kept as they are; maps inside schema'd
records are rejected, as in Kafka.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

from sluice.api.config import ConfigDef, ConfigType, Importance
from sluice.api.errors import DataError
from sluice.api.schema import Schema, SchemaBuilder, Type
from sluice.api.struct import Struct
from sluice.api.value_text import java_class_name
from sluice.transforms.base import KeyOrValueTransformation, R, parse_config
from sluice.transforms.errors import no_struct_fields
from sluice.transforms.requirements import require_map, require_struct_or_null
from sluice.transforms.schema_cache import SchemaCache
from sluice.transforms.schema_copy import copy_schema_basics, schemaless_type

__all__ = ["Flatten", "FlattenKey", "FlattenValue"]

DELIMITER_CONFIG: Final = "delimiter"
_PURPOSE: Final = "flattening"
_LEAF_TYPES: Final = frozenset(
    {
        Type.INT8,
        Type.INT16,
        Type.INT32,
        Type.INT64,
        Type.FLOAT32,
        Type.FLOAT64,
        Type.BOOLEAN,
        Type.STRING,
        Type.BYTES,
        Type.ARRAY,
    }
)

CONFIG_DEF: Final = ConfigDef().define(
    DELIMITER_CONFIG,
    ConfigType.STRING,
    ".",
    importance=Importance.MEDIUM,
    documentation="Put between the names of nested fields to form the flattened field name.",
)


class Flatten(KeyOrValueTransformation[R]):
    """Flatten nested Structs (schema) or maps (schemaless) into one level."""

    Key: ClassVar[type[Flatten[Any]]]
    Value: ClassVar[type[Flatten[Any]]]

    def __init__(self) -> None:
        self._delimiter = "."
        self._cache: SchemaCache[Schema] = SchemaCache()

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(CONFIG_DEF, configs)
        self._delimiter = config.get_string(DELIMITER_CONFIG) or ""
        self._cache = SchemaCache()

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def _name(self, prefix: str, name: str) -> str:
        return name if not prefix else prefix + self._delimiter + name

    def apply(self, record: R) -> R | None:
        value = self.operating_value(record)
        if value is None:
            return record
        schema = self.operating_schema(record)
        if schema is None:
            flat: dict[str, Any] = {}
            self._flatten_map(require_map(value, _PURPOSE), "", flat)
            return self.new_record(record, None, flat)
        return self._apply_with_schema(record, schema, value)

    def _flatten_map(self, original: Mapping[str, Any], prefix: str, out: dict[str, Any]) -> None:
        for key, value in original.items():
            name = self._name(prefix, key)
            if value is None:
                out[name] = None
                continue
            inferred = schemaless_type(value)
            if inferred is None:
                raise DataError(
                    f"Flatten transformation was passed a value of type class "
                    f"{java_class_name(value)} which is not supported by Connect's data API"
                )
            if inferred in _LEAF_TYPES:
                out[name] = value
            elif inferred is Type.MAP:
                self._flatten_map(require_map(value, _PURPOSE), name, out)
            else:
                raise DataError(
                    f"Flatten transformation does not support class {java_class_name(value)} "
                    f"for record without schemas (for field {name})."
                )

    def _apply_with_schema(self, record: R, schema: Schema, value: Any) -> R:
        struct = require_struct_or_null(value, _PURPOSE)
        updated_schema = self._cache.get(schema)
        if updated_schema is None:
            if schema.type is not Type.STRUCT:
                raise no_struct_fields()
            builder = copy_schema_basics(schema, SchemaBuilder.struct())
            default = schema.default if isinstance(schema.default, Struct) else None
            self._build_schema(schema, "", builder, schema.optional, default)
            updated_schema = builder.build()
            self._cache.put(schema, updated_schema)
        if struct is None:
            return self.new_record(record, updated_schema, None)
        updated = Struct(updated_schema)
        self._build_value(struct, "", updated)
        return self.new_record(record, updated_schema, updated)

    def _build_schema(
        self,
        schema: Schema,
        prefix: str,
        builder: SchemaBuilder,
        optional: bool,
        parent_default: Struct | None,
    ) -> None:
        for field in schema.fields:
            name = self._name(prefix, field.name)
            field_optional = optional or field.schema.optional
            default: Any = field.schema.default
            if default is None and parent_default is not None:
                default = parent_default.get(field)
            t = field.schema.type
            if t in _LEAF_TYPES:
                field_builder = copy_schema_basics(field.schema)
                if field_optional:
                    field_builder.optional()
                if default is not None:
                    field_builder.default_value(default)
                builder.field(name, field_builder.build())
            elif t is Type.STRUCT:
                self._build_schema(
                    field.schema,
                    name,
                    builder,
                    field_optional,
                    default if isinstance(default, Struct) else None,
                )
            else:
                raise DataError(
                    f"Flatten transformation does not support {t.name} for record with schemas "
                    f"(for field {name})."
                )

    def _build_value(self, struct: Struct | None, prefix: str, out: Struct) -> None:
        if struct is None:
            return
        for field in struct.schema.fields:
            name = self._name(prefix, field.name)
            t = field.schema.type
            if t in _LEAF_TYPES:
                out.put(name, struct.get(field))
            elif t is Type.STRUCT:
                self._build_value(struct.get(field), name, out)
            else:
                raise DataError(
                    f"Flatten transformation does not support {t.name} for record with schemas "
                    f"(for field {name})."
                )


class FlattenKey(Flatten[R]):
    """``Flatten$Key``."""

    is_key = True


class FlattenValue(Flatten[R]):
    """``Flatten$Value``."""

    is_key = False


Flatten.Key = FlattenKey
Flatten.Value = FlattenValue
