"""``ExtractField``: replace the key or value with one of its fields (nested with ``V2`` paths)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

from sluice.api.config import ConfigDef, ConfigType, Importance
from sluice.api.errors import DataError
from sluice.transforms.base import KeyOrValueTransformation, R, parse_config
from sluice.transforms.field_path import FieldSyntaxVersion, SingleFieldPath
from sluice.transforms.requirements import require_map_or_null, require_struct_or_null

__all__ = ["ExtractField", "ExtractFieldKey", "ExtractFieldValue"]

FIELD_CONFIG: Final = "field"
REPLACE_NULL_WITH_DEFAULT_CONFIG: Final = "replace.null.with.default"
_PURPOSE: Final = "field extraction"

CONFIG_DEF: Final = FieldSyntaxVersion.append_config_to(
    ConfigDef()
    .define(
        FIELD_CONFIG,
        ConfigType.STRING,
        importance=Importance.MEDIUM,
        documentation="The field to extract.",
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


class ExtractField(KeyOrValueTransformation[R]):
    """Take one field of a Struct (schema) or map (schemaless); nulls pass through."""

    Key: ClassVar[type[ExtractField[Any]]]
    Value: ClassVar[type[ExtractField[Any]]]

    def __init__(self) -> None:
        self._path = SingleFieldPath("", FieldSyntaxVersion.V1)
        self._original_path = ""
        self._replace_null_with_default = True

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(CONFIG_DEF, configs)
        self._original_path = config.get_string(FIELD_CONFIG) or ""
        self._path = SingleFieldPath(self._original_path, FieldSyntaxVersion.from_config(config))
        self._replace_null_with_default = config.get_boolean(REPLACE_NULL_WITH_DEFAULT_CONFIG)

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def apply(self, record: R) -> R | None:
        schema = self.operating_schema(record)
        value = self.operating_value(record)
        if schema is None:
            mapping = require_map_or_null(value, _PURPOSE)
            return self.new_record(
                record, None, None if mapping is None else self._path.value_from_map(mapping)
            )
        struct = require_struct_or_null(value, _PURPOSE)
        field = self._path.field_from(schema)
        if field is None:
            raise DataError(f"Unknown field: {self._original_path}")
        extracted = (
            None
            if struct is None
            else self._path.value_from_struct(struct, self._replace_null_with_default)
        )
        return self.new_record(record, field.schema, extracted)


class ExtractFieldKey(ExtractField[R]):
    """``ExtractField$Key``."""

    is_key = True


class ExtractFieldValue(ExtractField[R]):
    """``ExtractField$Value``."""

    is_key = False


ExtractField.Key = ExtractFieldKey
ExtractField.Value = ExtractFieldValue
