"""``Cast``: change the type of fields, or of the whole key or value, Java's way.

Numbers narrow as Java casts do (``300`` to int8 is ``44``; ``1e20`` to int32 saturates), strings
parse with ``Integer.parseInt``/``Double.parseDouble`` rules, bytes cast only to string (base64),
and Date/Time/Timestamp values cast to numbers through their Connect encoding (days or millis).
"""

from __future__ import annotations

import base64
import datetime as _dt
import decimal
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from sluice.api.config import ConfigDef, ConfigType, Importance
from sluice.api.errors import ConfigError, DataError
from sluice.api.logical import Date, Time, Timestamp
from sluice.api.schema import DATE_NAME, TIME_NAME, TIMESTAMP_NAME, Schema, SchemaBuilder, Type
from sluice.api.struct import Struct
from sluice.api.value_text import INT_BITS, java_class_name, java_string_of
from sluice.api.values import date_format_for
from sluice.jdk.dates import millis_of
from sluice.jdk.hashing import hash_map_copy
from sluice.jdk.numbers import (
    exact_to_float32,
    float_to_int,
    parse_java_double,
    parse_java_float,
    parse_java_int,
    to_float32,
    wrap,
)
from sluice.transforms.base import KeyOrValueTransformation, R, java_list, parse_config
from sluice.transforms.errors import no_struct_fields
from sluice.transforms.requirements import require_map, require_struct
from sluice.transforms.schema_cache import SchemaCache
from sluice.transforms.schema_copy import copy_schema_basics, schemaless_type

__all__ = ["Cast", "CastKey", "CastValue", "cast_value", "parse_cast_spec"]

SPEC_CONFIG: Final = "spec"
REPLACE_NULL_WITH_DEFAULT_CONFIG: Final = "replace.null.with.default"
_PURPOSE: Final = "cast types"
_WHOLE_VALUE: Final = None

_INPUT_TYPES: Final = (
    Type.INT8,
    Type.INT16,
    Type.INT32,
    Type.INT64,
    Type.FLOAT32,
    Type.FLOAT64,
    Type.BOOLEAN,
    Type.STRING,
    Type.BYTES,
)
_OUTPUT_TYPES: Final = _INPUT_TYPES[:-1]


def _type_list(types: tuple[Type, ...]) -> str:
    return java_list([t.name for t in types])


def java_split(text: str, sep: str) -> list[str]:
    """``String.split`` with a literal separator: trailing empty strings are dropped."""
    if sep not in text:
        return [text]
    parts = text.split(sep)
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _output_type(name: str) -> Type:
    trimmed = name.strip()
    upper = trimmed.upper()
    try:
        t = Type[upper]
    except KeyError:
        raise ConfigError.invalid(
            f"Invalid type found in casting spec: {trimmed}",
            "java.lang.IllegalArgumentException: No enum constant "
            f"org.apache.kafka.connect.data.Schema.Type.{upper}",
        ) from None
    if t not in _OUTPUT_TYPES:
        raise ConfigError(
            f"Cast transformation does not support casting to {t.name}; supported types are "
            + _type_list(_OUTPUT_TYPES)
        )
    return t


def parse_cast_spec(mappings: list[str]) -> dict[str | None, Type]:
    """``field:type`` pairs, or one bare type for the whole value (key ``None``)."""
    casts: dict[str | None, Type] = {}
    whole = False
    for mapping in mappings:
        parts = java_split(mapping, ":")
        if len(parts) > 2:
            raise ConfigError.invalid(
                "renames", java_list(mappings), f"Invalid rename mapping: {mapping}"
            )
        if len(parts) == 1:
            casts[_WHOLE_VALUE] = _output_type(parts[0])
            whole = True
        elif len(parts) == 2:
            casts[parts[0].strip()] = _output_type(parts[1])
        else:
            raise ConfigError.invalid(SPEC_CONFIG, java_list(mappings), "Invalid cast: " + mapping)
    if whole and len(mappings) > 1:
        raise ConfigError(
            "Cast transformations that specify a type to cast the entire value to may only "
            "specify a single cast in their spec"
        )
    return casts


def _validate_spec(name: str, value: Any) -> None:
    if not value:
        raise ConfigError("Must specify at least one field to cast.")
    parse_cast_spec(list(value))


CONFIG_DEF: Final = (
    ConfigDef()
    .define(
        SPEC_CONFIG,
        ConfigType.LIST,
        validator=_validate_spec,
        importance=Importance.HIGH,
        documentation="Comma-separated field:type pairs to cast fields of a struct or map, or a "
        "single type to cast the whole key or value. Types: int8, int16, int32, int64, float32, "
        "float64, boolean, string; bytes cast only to string.",
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


def _encode_logical(schema: Schema, value: Any) -> Any:
    name = schema.name
    if name == DATE_NAME:
        return Date.from_logical(schema, value)
    if name == TIME_NAME:
        return Time.from_logical(schema, value)
    if name == TIMESTAMP_NAME:
        return Timestamp.from_logical(schema, value)
    return value


def _unexpected(value: Any) -> DataError:
    return DataError(f"Unexpected type in Cast transformation: class {java_class_name(value)}")


def _to_int(value: Any, bits: int) -> int:
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int):
        return wrap(value, bits)
    if isinstance(value, float):
        return float_to_int(value, bits)
    if isinstance(value, decimal.Decimal):
        return wrap(int(value), bits)
    if isinstance(value, str):
        return parse_java_int(value, bits)
    raise _unexpected(value)


def _to_float(value: Any, bits: int) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int):
        return exact_to_float32(value) if bits == 32 else float(value)
    if isinstance(value, float):
        return to_float32(value) if bits == 32 else value
    if isinstance(value, decimal.Decimal):
        return exact_to_float32(value) if bits == 32 else float(value)
    if isinstance(value, str):
        return parse_java_float(value) if bits == 32 else parse_java_double(value)
    raise _unexpected(value)


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, decimal.Decimal)):
        return _to_int(value, 64) != 0
    if isinstance(value, str):
        return value.lower() == "true"
    raise _unexpected(value)


def _to_string(value: Any, schema: Schema | None) -> str:
    if isinstance(value, (_dt.date, _dt.time)):
        millis = millis_of(value)
        return date_format_for(millis).format(millis)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return java_string_of(value, schema)


def cast_value(schema: Schema | None, value: Any, target: Type) -> Any:
    """``value`` (of ``schema``, or schemaless when ``None``) cast to ``target``."""
    if value is None:
        return None
    inferred = schema.type if schema is not None else schemaless_type(value)
    if inferred is None:
        raise DataError(
            f"Cast transformation was passed a value of type class {java_class_name(value)} "
            "which is not supported by Connect's data API"
        )
    if inferred not in _INPUT_TYPES:
        raise DataError(
            f"Cast transformation does not support casting from {inferred.name}; supported "
            f"types are {_type_list(_INPUT_TYPES)}"
        )
    if schema is not None and schema.name is not None and target is not Type.STRING:
        value = _encode_logical(schema, value)
    try:
        if target in INT_BITS:
            return _to_int(value, INT_BITS[target])
        if target is Type.FLOAT32:
            return _to_float(value, 32)
        if target is Type.FLOAT64:
            return _to_float(value, 64)
        if target is Type.BOOLEAN:
            return _to_bool(value)
        if target is Type.STRING:
            return _to_string(value, schema)
    except ValueError:
        raise DataError(
            f"Value ({java_string_of(value, schema)}) was out of range for requested data type"
        ) from None
    raise DataError(f"{target.name} is not supported in the Cast transformation.")


class Cast(KeyOrValueTransformation[R]):
    """Cast fields, or the whole key/value, to another primitive type."""

    Key: ClassVar[type[Cast[Any]]]
    Value: ClassVar[type[Cast[Any]]]

    def __init__(self) -> None:
        self._casts: dict[str | None, Type] = {}
        self._whole: Type | None = None
        self._replace_null_with_default = True
        self._cache: SchemaCache[Schema] = SchemaCache()

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(CONFIG_DEF, configs)
        self._casts = parse_cast_spec(config.get_list(SPEC_CONFIG))
        self._whole = self._casts.get(_WHOLE_VALUE)
        self._replace_null_with_default = config.get_boolean(REPLACE_NULL_WITH_DEFAULT_CONFIG)
        self._cache = SchemaCache()

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def apply(self, record: R) -> R | None:
        value = self.operating_value(record)
        if value is None:
            return record
        schema = self.operating_schema(record)
        if schema is None:
            return self._apply_schemaless(record, value)
        return self._apply_with_schema(record, schema, value)

    def _apply_schemaless(self, record: R, value: Any) -> R:
        if self._whole is not None:
            return self.new_record(record, None, cast_value(None, value, self._whole))
        original = require_map(value, _PURPOSE)
        casts: dict[str, Any] = {}
        for field, target in self._casts.items():
            assert field is not None
            casts[field] = cast_value(None, original.get(field), target)
        return self.new_record(record, None, hash_map_copy(original, casts))

    def _apply_with_schema(self, record: R, schema: Schema, value: Any) -> R:
        updated_schema = self._updated_schema(schema)
        if self._whole is not None:
            return self.new_record(record, updated_schema, cast_value(schema, value, self._whole))
        struct = require_struct(value, _PURPOSE)
        updated = Struct(updated_schema)
        casts = self._casts
        for field in struct.schema.fields:
            original = (
                struct.get(field)
                if self._replace_null_with_default
                else struct.get_without_default(field)
            )
            target = casts.get(field.name)
            new_field = updated_schema.field(field.name)
            assert new_field is not None
            updated.put(
                new_field, cast_value(field.schema, original, target) if target else original
            )
        return self.new_record(record, updated_schema, updated)

    def _updated_schema(self, schema: Schema) -> Schema:
        cached = self._cache.get(schema)
        if cached is not None:
            return cached
        if self._whole is not None:
            builder = copy_schema_basics(schema, SchemaBuilder.type_of(self._whole))
        else:
            if schema.type is not Type.STRUCT:
                raise no_struct_fields()
            builder = copy_schema_basics(schema, SchemaBuilder.struct())
            for field in schema.fields:
                target = self._casts.get(field.name)
                if target is None:
                    builder.field(field.name, field.schema)
                    continue
                field_builder = SchemaBuilder.type_of(target)
                if field.schema.optional:
                    field_builder.optional()
                if field.schema.default is not None:
                    field_builder.default_value(
                        cast_value(field.schema, field.schema.default, target)
                    )
                builder.field(field.name, field_builder.build())
        if schema.optional:
            builder.optional()
        if schema.default is not None:
            builder.default_value(cast_value(schema, schema.default, builder.type))
        updated = builder.build()
        self._cache.put(schema, updated)
        return updated


class CastKey(Cast[R]):
    """``Cast$Key``."""

    is_key = True


class CastValue(Cast[R]):
    """``Cast$Value``."""

    is_key = False


Cast.Key = CastKey
Cast.Value = CastValue
