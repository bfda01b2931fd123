"""``TimestampConverter``: convert between Unix times, formatted strings and Date/Time/Timestamp.

Every conversion goes through epoch milliseconds in UTC, as Kafka's goes through
``java.util.Date``: sub-millisecond precision is lost, ``Date`` drops the time of day and ``Time``
drops the date. String formats are ``SimpleDateFormat`` patterns (see
:mod:`sluice.jdk.date_format`).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from sluice.api.config import ConfigDef, ConfigType, Importance, ValidString
from sluice.api.errors import ConfigError, ConnectError, DataError
from sluice.api.logical import Date, Time, Timestamp, datetime_from_millis
from sluice.api.schema import (
    DATE_NAME,
    TIME_NAME,
    TIMESTAMP_NAME,
    Schema,
    SchemaBuilder,
    Type,
)
from sluice.api.struct import Struct
from sluice.api.value_text import java_class_name
from sluice.jdk.date_format import DatePatternError, JavaDateFormat, JavaParseError
from sluice.jdk.dates import MILLIS_PER_DAY, millis_of
from sluice.jdk.hashing import hash_map_copy
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
from sluice.transforms.requirements import require_map, require_struct_or_null
from sluice.transforms.schema_cache import SchemaCache
from sluice.transforms.schema_copy import copy_schema_basics

__all__ = ["TimestampConverter", "TimestampConverterKey", "TimestampConverterValue"]

FIELD_CONFIG: Final = "field"
TARGET_TYPE_CONFIG: Final = "target.type"
FORMAT_CONFIG: Final = "format"
UNIX_PRECISION_CONFIG: Final = "unix.precision"
REPLACE_NULL_WITH_DEFAULT_CONFIG: Final = "replace.null.with.default"
_PURPOSE: Final = "converting timestamp formats"

TYPE_STRING: Final = "string"
TYPE_UNIX: Final = "unix"
TYPE_DATE: Final = "Date"
TYPE_TIME: Final = "Time"
TYPE_TIMESTAMP: Final = "Timestamp"
_SECONDS: Final = "seconds"
_MILLIS: Final = "milliseconds"
_MICROS: Final = "microseconds"
_NANOS: Final = "nanoseconds"
_LONG_MIN: Final = -(2**63)
_LONG_MAX: Final = 2**63 - 1

OPTIONAL_DATE_SCHEMA: Final = Date.builder().optional().build()
OPTIONAL_TIME_SCHEMA: Final = Time.builder().optional().build()
OPTIONAL_TIMESTAMP_SCHEMA: Final = Timestamp.builder().optional().build()

CONFIG_DEF: Final = (
    ConfigDef()
    .define(
        FIELD_CONFIG,
        ConfigType.STRING,
        "",
        importance=Importance.HIGH,
        documentation="The field holding the timestamp, or empty when the whole key or value is "
        "the timestamp.",
    )
    .define(
        TARGET_TYPE_CONFIG,
        ConfigType.STRING,
        validator=ValidString(TYPE_STRING, TYPE_UNIX, TYPE_DATE, TYPE_TIME, TYPE_TIMESTAMP),
        importance=Importance.HIGH,
        documentation="What to convert to: string, unix, Date, Time or Timestamp.",
    )
    .define(
        FORMAT_CONFIG,
        ConfigType.STRING,
        "",
        importance=Importance.MEDIUM,
        documentation="A java.text.SimpleDateFormat pattern: how strings are written when "
        "target.type=string and how string inputs are read.",
    )
    .define(
        UNIX_PRECISION_CONFIG,
        ConfigType.STRING,
        _MILLIS,
        validator=ValidString(_NANOS, _MICROS, _MILLIS, _SECONDS),
        importance=Importance.LOW,
        documentation="Unit of Unix times, written for target.type=unix and read from integer "
        "inputs: seconds, milliseconds, microseconds or nanoseconds. Precision below a "
        "millisecond is lost either way.",
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

_TYPE_SCHEMAS: Final[dict[str, tuple[Schema, Schema]]] = {
    TYPE_STRING: (Schema.STRING_SCHEMA, Schema.OPTIONAL_STRING_SCHEMA),
    TYPE_UNIX: (Schema.INT64_SCHEMA, Schema.OPTIONAL_INT64_SCHEMA),
    TYPE_DATE: (Date.SCHEMA, OPTIONAL_DATE_SCHEMA),
    TYPE_TIME: (Time.SCHEMA, OPTIONAL_TIME_SCHEMA),
    TYPE_TIMESTAMP: (Timestamp.SCHEMA, OPTIONAL_TIMESTAMP_SCHEMA),
}


def _saturate(value: int) -> int:
    return max(_LONG_MIN, min(_LONG_MAX, value))


def _trunc_div(value: int, divisor: int) -> int:
    """Java's integer division (rounds toward zero)."""
    q = abs(value) // divisor
    return q if value >= 0 else -q


def type_schema(target: str, optional: bool) -> Schema:
    return _TYPE_SCHEMAS[target][1 if optional else 0]


def timestamp_type_of_schema(schema: Schema) -> str:
    if schema.name == TIMESTAMP_NAME:
        return TYPE_TIMESTAMP
    if schema.name == DATE_NAME:
        return TYPE_DATE
    if schema.name == TIME_NAME:
        return TYPE_TIME
    if schema.type is Type.STRING:
        return TYPE_STRING
    if schema.type is Type.INT64:
        return TYPE_UNIX
    raise ConnectError(f"Schema {schema!r} does not correspond to a known timestamp type format")


def _infer_timestamp_type(value: Any) -> str:
    if isinstance(value, (_dt.date, _dt.time)):
        return TYPE_TIMESTAMP
    if isinstance(value, int) and not isinstance(value, bool):
        return TYPE_UNIX
    if isinstance(value, str):
        return TYPE_STRING
    raise DataError(
        f"TimestampConverter does not support class {java_class_name(value)} objects as timestamps"
    )


class TimestampConverter(KeyOrValueTransformation[R]):
    """Convert a timestamp field, or the whole key/value, to ``target.type``."""

    Key: ClassVar[type[TimestampConverter[Any]]]
    Value: ClassVar[type[TimestampConverter[Any]]]

    def __init__(self) -> None:
        self._field = ""
        self._target = TYPE_TIMESTAMP
        self._format: JavaDateFormat | None = None
        self._precision = _MILLIS
        self._replace_null_with_default = True
        self._cache: SchemaCache[Schema] = SchemaCache()
        self._plans: dict[int, tuple[Schema, int, str]] = {}

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(CONFIG_DEF, configs)
        self._field = config.get_string(FIELD_CONFIG) or ""
        self._target = config.get_string(TARGET_TYPE_CONFIG) or ""
        pattern = config.get_string(FORMAT_CONFIG) or ""
        self._precision = config.get_string(UNIX_PRECISION_CONFIG) or _MILLIS
        self._replace_null_with_default = config.get_boolean(REPLACE_NULL_WITH_DEFAULT_CONFIG)
        self._cache = SchemaCache()
        self._plans = {}
        if self._target == TYPE_STRING and not pattern.strip():
            raise ConfigError(
                "TimestampConverter requires format option to be specified when using string "
                "timestamps"
            )
        self._format = None
        if pattern.strip():
            try:
                self._format = JavaDateFormat(pattern)
            except DatePatternError as e:
                # Kafka passes the IllegalArgumentException as the "value" of a ConfigException.
                raise ConfigError.invalid(
                    "TimestampConverter requires a SimpleDateFormat-compatible pattern for "
                    f"string timestamps: {pattern}",
                    f"java.lang.IllegalArgumentException: {e}",
                ) from None

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    # -- the translators (to and from epoch milliseconds) --------------------------------------
    def _to_raw(self, kind: str, value: Any) -> int:
        if kind == TYPE_STRING:
            if not isinstance(value, str):
                raise DataError(
                    "Expected string timestamp to be a String, but found class "
                    + java_class_name(value)
                )
            if self._format is None:
                raise DataError(
                    f"Cannot parse the string timestamp {value!r}: no '{FORMAT_CONFIG}' is "
                    "configured"
                )
            try:
                return self._format.parse(value)
            except JavaParseError:
                raise DataError(
                    f"Could not parse timestamp: value ({value}) does not match pattern "
                    f"({self._format.pattern})"
                ) from None
        if kind == TYPE_UNIX:
            if not isinstance(value, int) or isinstance(value, bool):
                raise DataError(
                    "Expected Unix timestamp to be a Long, but found class "
                    + java_class_name(value)
                )
            if self._precision == _SECONDS:
                return _saturate(value * 1000)
            if self._precision == _MICROS:
                return _trunc_div(value, 1000)
            if self._precision == _NANOS:
                return _trunc_div(value, 1_000_000)
            return value
        if not isinstance(value, (_dt.date, _dt.time)):
            raise DataError(
                f"Expected {kind} to be a java.util.Date, but found class " + java_class_name(value)
            )
        return millis_of(value)

    def _to_type(self, millis: int) -> Any:
        target = self._target
        if target == TYPE_STRING:
            assert self._format is not None
            return self._format.format(millis)
        if target == TYPE_UNIX:
            if self._precision == _SECONDS:
                return _trunc_div(millis, 1000)
            if self._precision == _MICROS:
                return _saturate(millis * 1000)
            if self._precision == _NANOS:
                return _saturate(millis * 1_000_000)
            return millis
        if target == TYPE_DATE:
            try:
                return Date.to_logical(Date.SCHEMA, millis // MILLIS_PER_DAY)
            except OverflowError:
                raise DataError(
                    f"Date {millis} ms is outside the range Python dates can hold"
                ) from None
        if target == TYPE_TIME:
            return Time.to_logical(Time.SCHEMA, millis % MILLIS_PER_DAY)
        return datetime_from_millis(millis)

    def _convert(self, value: Any, kind: str | None = None) -> Any:
        if value is None:
            return None
        return self._to_type(self._to_raw(kind or _infer_timestamp_type(value), value))

    # -- applying ------------------------------------------------------------------------------
    def apply(self, record: R) -> R | None:
        schema = self.operating_schema(record)
        value = self.operating_value(record)
        if schema is None:
            if value is None or not self._field:
                return self.new_record(record, None, self._convert(value))
            original = require_map(value, _PURPOSE)
            converted = {self._field: self._convert(original.get(self._field))}
            return self.new_record(record, None, hash_map_copy(original, converted))
        if not self._field:
            return self.new_record(
                record,
                type_schema(self._target, schema.optional),
                self._convert(value, timestamp_type_of_schema(schema)),
            )
        struct = require_struct_or_null(value, _PURPOSE)
        updated_schema = self._struct_schema(schema)
        return self.new_record(record, updated_schema, self._convert_struct(struct, updated_schema))

    def batch_step(self, schema: Schema | None) -> BatchStep | None:
        field = self._field
        if not field:
            return None
        convert = self._convert
        if schema is None:

            def on_map(record: Any, value: Any) -> Any:
                if type(value) is not dict:
                    return FALLBACK
                return hash_map_copy(value, {field: convert(value.get(field))})

            return None, on_map, None
        if schema.type is not Type.STRUCT:
            return None
        updated_schema = self._struct_schema(schema)
        _, index, kind = self._struct_plan(schema)
        if index < 0:
            return None
        fill = defaults_filler(schema, self._replace_null_with_default)
        # Epoch milliseconds to text, the most common use, formats an int straight away.
        format_millis = (
            self._format.format
            if self._format is not None
            and kind == TYPE_UNIX
            and self._precision == _MILLIS
            and self._target == TYPE_STRING
            else None
        )

        def on_values(record: Any, values: list[Any]) -> Any:
            if fill is not None:
                values = fill(values)
            raw = values[index]
            converted = (
                format_millis(raw)
                if format_millis is not None and type(raw) is int
                else convert(raw, kind)
            )
            if converted is None:  # apply checks that the field may be null
                return FALLBACK
            values[index] = converted
            return values

        return struct_step(schema, updated_schema, on_values)

    def _struct_schema(self, schema: Schema) -> Schema:
        updated_schema = self._cache.get(schema)
        if updated_schema is None:
            updated_schema = self._updated_schema(schema)
            self._cache.put(schema, updated_schema)
        return updated_schema

    def _updated_schema(self, schema: Schema) -> Schema:
        if schema.type is not Type.STRUCT:
            raise no_struct_fields()
        builder = copy_schema_basics(schema, SchemaBuilder.struct())
        for field in schema.fields:
            if field.name == self._field:
                builder.field(field.name, type_schema(self._target, field.schema.optional))
            else:
                builder.field(field.name, field.schema)
        if schema.optional:
            builder.optional()
        updated = builder.build()
        if isinstance(schema.default, Struct):
            # Kafka attaches the converted default without re-validating it (see
            # SetSchemaMetadata); it is a Struct of the schema as built without a default.
            with_default = Schema(
                updated.type,
                optional=updated.optional,
                name=updated.name,
                version=updated.version,
                doc=updated.doc,
                parameters=updated.parameters,
                fields=updated.fields,
            )
            with_default.default = self._convert_struct(schema.default, updated)
            updated = with_default
        return updated

    def _struct_plan(self, schema: Schema) -> tuple[Schema, int, str]:
        """Where the converted field sits in structs of ``schema`` (-1: absent), and its kind."""
        plan = self._plans.get(id(schema))
        if plan is None or plan[0] is not schema:
            target = schema.fields_by_name.get(self._field)
            plan = (
                schema,
                -1 if target is None else target.index,
                "" if target is None else timestamp_type_of_schema(target.schema),
            )
            if len(self._plans) >= 64:  # bounded like the schema cache
                self._plans.clear()
            self._plans[id(schema)] = plan
        return plan

    def _convert_struct(self, struct: Struct | None, updated_schema: Schema) -> Struct | None:
        if struct is None:
            return None
        # Only the converted field changes; the others are copied as they are.
        values = struct.values(self._replace_null_with_default)
        _, index, kind = self._struct_plan(struct.schema)
        if index < 0:
            return Struct.trusted(updated_schema, values)
        converted = self._convert(values[index], kind)
        if converted is None:  # a null must still be allowed by the field's schema
            updated = Struct.trusted(updated_schema, values)
            updated.put(self._field, None)
            return updated
        values[index] = converted  # of the target type by construction: no re-validation
        return Struct.trusted(updated_schema, values)


class TimestampConverterKey(TimestampConverter[R]):
    """``TimestampConverter$Key``."""

    is_key = True


class TimestampConverterValue(TimestampConverter[R]):
    """``TimestampConverter$Value``."""

    is_key = False


TimestampConverter.Key = TimestampConverterKey
TimestampConverter.Value = TimestampConverterValue
