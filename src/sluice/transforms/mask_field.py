"""``MaskField``: replace fields with an empty value of their type, or a given replacement.

The masked value depends on the field's Java type as in Kafka: ``0``/``0.0``/``false``/``""``,
empty lists and maps, the epoch for dates; Decimals become ``0`` (scale 0). A ``replacement`` is
converted to the field's number type, or used as is for strings; other types cannot take one.
Unlike most SMTs, MaskField rejects null keys/values (tombstones), as Kafka's does.
"""

from __future__ import annotations

import datetime as _dt
import decimal
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final

from sluice.api import values
from sluice.api.config import ConfigDef, ConfigType, Importance, NonEmptyString
from sluice.api.errors import DataError
from sluice.api.schema import DATE_NAME, DECIMAL_NAME, TIME_NAME, TIMESTAMP_NAME, Schema
from sluice.api.struct import Struct
from sluice.api.value_text import java_class_name
from sluice.jdk.hashing import hash_map_copy
from sluice.transforms.base import KeyOrValueTransformation, R, parse_config
from sluice.transforms.requirements import require_map, require_struct
from sluice.transforms.validators import non_empty_list

__all__ = ["MaskField", "MaskFieldKey", "MaskFieldValue"]

FIELDS_CONFIG: Final = "fields"
REPLACEMENT_CONFIG: Final = "replacement"
REPLACE_NULL_WITH_DEFAULT_CONFIG: Final = "replace.null.with.default"
_PURPOSE: Final = "mask fields"
_EPOCH: Final = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)

CONFIG_DEF: Final = (
    ConfigDef()
    .define(
        FIELDS_CONFIG,
        ConfigType.LIST,
        validator=non_empty_list,
        importance=Importance.HIGH,
        documentation="Fields to mask.",
    )
    .define(
        REPLACEMENT_CONFIG,
        ConfigType.STRING,
        None,
        validator=NonEmptyString(),
        importance=Importance.LOW,
        documentation="Value to put in every masked field instead of the type's empty value "
        "(numeric and string fields only).",
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

_NUMBER_CONVERTERS: Final[dict[str, Callable[[Schema | None, Any], Any]]] = {
    "java.lang.Byte": values.convert_to_byte,
    "java.lang.Short": values.convert_to_short,
    "java.lang.Integer": values.convert_to_integer,
    "java.lang.Long": values.convert_to_long,
    "java.lang.Float": values.convert_to_float,
    "java.lang.Double": values.convert_to_double,
}


def _empty_value(value: Any, schema: Schema | None) -> Any:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return 0
    if isinstance(value, float):
        return 0.0
    if isinstance(value, decimal.Decimal):
        return decimal.Decimal(0)
    if isinstance(value, str):
        return ""
    if isinstance(value, _dt.datetime):
        return _EPOCH
    if isinstance(value, _dt.date):
        return _dt.date(1970, 1, 1)
    if isinstance(value, _dt.time):
        return _dt.time(0, tzinfo=_dt.UTC)
    if isinstance(value, list):
        return []
    if isinstance(value, dict):
        return {}
    raise DataError(f"Cannot mask value of type: class {java_class_name(value, schema)}")


def _replacement_value(value: Any, schema: Schema | None, replacement: str) -> Any:
    java_class = java_class_name(value, schema)
    if schema is not None and schema.name in (DATE_NAME, TIME_NAME, TIMESTAMP_NAME):
        java_class = "java.util.Date"
    if java_class == "java.lang.String":
        return replacement
    if java_class == "java.math.BigDecimal" or (schema is not None and schema.name == DECIMAL_NAME):
        try:
            return values.parse_big_decimal(replacement)
        except ValueError:
            raise DataError(
                f"Unable to convert {replacement} (class java.lang.String) to number"
            ) from None
    convert = _NUMBER_CONVERTERS.get(java_class)
    if convert is None:
        raise DataError(f"Cannot mask value of type class {java_class} with custom replacement.")
    return convert(None, replacement)


class MaskField(KeyOrValueTransformation[R]):
    """Mask the listed fields of a Struct (schema) or map (schemaless)."""

    Key: ClassVar[type[MaskField[Any]]]
    Value: ClassVar[type[MaskField[Any]]]

    def __init__(self) -> None:
        self._fields: frozenset[str] = frozenset()
        self._ordered_fields: list[str] = []
        self._replacement: str | None = None
        self._replace_null_with_default = True

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(CONFIG_DEF, configs)
        self._ordered_fields = list(dict.fromkeys(config.get_list(FIELDS_CONFIG)))
        self._fields = frozenset(self._ordered_fields)
        self._replacement = config.get_string(REPLACEMENT_CONFIG)
        self._replace_null_with_default = config.get_boolean(REPLACE_NULL_WITH_DEFAULT_CONFIG)

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def _masked(self, value: Any, schema: Schema | None) -> Any:
        if value is None:
            return None
        if self._replacement is None:
            return _empty_value(value, schema)
        return _replacement_value(value, schema, self._replacement)

    def apply(self, record: R) -> R | None:
        schema = self.operating_schema(record)
        value = self.operating_value(record)
        if schema is None:
            original = require_map(value, _PURPOSE)
            masked = {name: self._masked(original.get(name), None) for name in self._ordered_fields}
            return self.new_record(record, None, hash_map_copy(original, masked))
        struct = require_struct(value, _PURPOSE)
        updated = Struct(struct.schema)
        for field in struct.schema.fields:
            original_value = (
                struct.get(field)
                if self._replace_null_with_default
                else struct.get_without_default(field)
            )
            updated.put(
                field,
                self._masked(original_value, field.schema)
                if field.name in self._fields
                else original_value,
            )
        return self.new_record(record, schema, updated)


class MaskFieldKey(MaskField[R]):
    """``MaskField$Key``."""

    is_key = True


class MaskFieldValue(MaskField[R]):
    """``MaskField$Value``."""

    is_key = False


MaskField.Key = MaskFieldKey
MaskField.Value = MaskFieldValue
