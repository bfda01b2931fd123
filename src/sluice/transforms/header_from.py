"""``HeaderFrom``: copy or move fields of the key or value into headers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

from sluice.api.config import ConfigDef, ConfigType, Importance, ValidString
from sluice.api.errors import ConfigError, DataError
from sluice.api.headers import Headers
from sluice.api.schema import Field, Schema, SchemaBuilder, Type
from sluice.api.struct import Struct
from sluice.jdk.hashing import hash_map_copy
from sluice.transforms.base import KeyOrValueTransformation, R, parse_config
from sluice.transforms.errors import no_struct_fields
from sluice.transforms.requirements import require_map, require_struct
from sluice.transforms.schema_cache import SchemaCache
from sluice.transforms.schema_copy import copy_schema_basics
from sluice.transforms.validators import non_empty_list

__all__ = ["HeaderFrom", "HeaderFromKey", "HeaderFromValue"]

FIELDS_CONFIG: Final = "fields"
HEADERS_CONFIG: Final = "headers"
OPERATION_CONFIG: Final = "operation"
REPLACE_NULL_WITH_DEFAULT_CONFIG: Final = "replace.null.with.default"
_MOVE: Final = "move"
_COPY: Final = "copy"

CONFIG_DEF: Final = (
    ConfigDef()
    .define(
        FIELDS_CONFIG,
        ConfigType.LIST,
        validator=non_empty_list,
        importance=Importance.HIGH,
        documentation="Fields of the key or value whose values go into headers.",
    )
    .define(
        HEADERS_CONFIG,
        ConfigType.LIST,
        validator=non_empty_list,
        importance=Importance.HIGH,
        documentation="Header names, one per entry of 'fields', in the same order.",
    )
    .define(
        OPERATION_CONFIG,
        ConfigType.STRING,
        validator=ValidString(_MOVE, _COPY),
        importance=Importance.HIGH,
        documentation="'move' removes the fields from the key or value; 'copy' keeps them.",
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


def _check_header_schema(value: Any, schema: Schema) -> None:
    """Kafka's ``ConnectHeaders`` refuses a null value under a required schema."""
    if value is None and not schema.optional:
        raise DataError(f"A null value requires an optional schema but was {schema!r}")


class HeaderFrom(KeyOrValueTransformation[R]):
    """Copy or move fields into headers named by ``headers``."""

    Key: ClassVar[type[HeaderFrom[Any]]]
    Value: ClassVar[type[HeaderFrom[Any]]]

    def __init__(self) -> None:
        self._fields: list[str] = []
        self._headers: list[str] = []
        self._move = False
        self._replace_null_with_default = True
        self._cache: SchemaCache[Schema] = SchemaCache()

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(CONFIG_DEF, configs)
        self._fields = config.get_list(FIELDS_CONFIG)
        self._headers = config.get_list(HEADERS_CONFIG)
        if len(self._fields) != len(self._headers):
            raise ConfigError(
                f"'{FIELDS_CONFIG}' config must have the same number of elements as "
                f"'{HEADERS_CONFIG}' config."
            )
        self._move = config.get_string(OPERATION_CONFIG) == _MOVE
        self._replace_null_with_default = config.get_boolean(REPLACE_NULL_WITH_DEFAULT_CONFIG)
        self._cache = SchemaCache()

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    @property
    def _operation(self) -> str:
        return _MOVE if self._move else _COPY

    def _field_value(self, struct: Struct, field: Field | str) -> Any:
        if self._replace_null_with_default:
            return struct.get(field)
        return struct.get_without_default(field)

    def apply(self, record: R) -> R | None:
        schema = self.operating_schema(record)
        value = self.operating_value(record)
        headers = record.headers.duplicate()
        if schema is None:
            original = require_map(value, "header " + self._operation)
            updated_map = hash_map_copy(original)  # removing entries keeps the order
            for name, header in zip(self._fields, self._headers, strict=True):
                if self._move:
                    updated_map.pop(name, None)
                headers.add(header, original.get(name), None)
            return self.new_record(record, None, updated_map, headers)
        struct = require_struct(value, "header " + self._operation)
        if self._move:
            updated_schema = self._moved_schema(schema)
            updated: Struct = Struct(updated_schema)
            for field in updated_schema.fields:
                updated.put(field, self._field_value(struct, field.name))
        else:
            updated_schema, updated = schema, struct
        self._add_headers(headers, schema, struct)
        return self.new_record(record, updated_schema, updated, headers)

    def _add_headers(self, headers: Headers, schema: Schema, struct: Struct) -> None:
        for field_name, header in zip(self._fields, self._headers, strict=True):
            source = struct.schema.field(field_name)
            field_value = self._field_value(struct, source) if source is not None else None
            field = schema.field(field_name)
            if field is None:
                raise DataError(f"Field {field_name} does not exist in the record's schema")
            _check_header_schema(field_value, field.schema)
            headers.add(header, field_value, field.schema)

    def _moved_schema(self, schema: Schema) -> Schema:
        cached = self._cache.get(schema)
        if cached is not None:
            return cached
        if schema.type is not Type.STRUCT:
            raise no_struct_fields()
        builder = copy_schema_basics(schema, SchemaBuilder.struct())
        for field in schema.fields:
            if field.name not in self._fields:
                builder.field(field.name, field.schema)
        moved = builder.build()
        self._cache.put(schema, moved)
        return moved


class HeaderFromKey(HeaderFrom[R]):
    """``HeaderFrom$Key``."""

    is_key = True


class HeaderFromValue(HeaderFrom[R]):
    """``HeaderFrom$Value``."""

    is_key = False


HeaderFrom.Key = HeaderFromKey
HeaderFrom.Value = HeaderFromValue
