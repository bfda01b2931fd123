"""Confluent's ``Drop``: set the key or value to null, and decide what becomes of its schema.

``schema.behavior``: ``nullify`` (default) drops the schema too; ``retain`` keeps it as it is;
``validate`` keeps it but fails unless it is optional (so the null is valid); ``force_optional``
replaces a required schema by an optional copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

from sluice.api.config import CaseInsensitiveValidString, ConfigDef, ConfigType, Importance
from sluice.api.errors import DataError
from sluice.api.schema import Schema
from sluice.transforms.base import KeyOrValueTransformation, R, parse_config

__all__ = ["Drop", "DropKey", "DropValue"]

SCHEMA_BEHAVIOR_CONFIG: Final = "schema.behavior"
NULLIFY: Final = "nullify"
RETAIN: Final = "retain"
VALIDATE: Final = "validate"
FORCE_OPTIONAL: Final = "force_optional"

CONFIG_DEF: Final = ConfigDef().define(
    SCHEMA_BEHAVIOR_CONFIG,
    ConfigType.STRING,
    NULLIFY,
    validator=CaseInsensitiveValidString(NULLIFY, RETAIN, VALIDATE, FORCE_OPTIONAL),
    importance=Importance.MEDIUM,
    documentation="What to do with a non-null schema: nullify it, retain it, validate that it "
    "is already optional, or force_optional (replace it by an optional copy).",
)


def optional_copy(schema: Schema) -> Schema:
    """``schema`` with ``optional`` set and everything else (fields, default, ...) kept."""
    if schema.optional:
        return schema
    return Schema(
        schema.type,
        optional=True,
        default=schema.default,
        name=schema.name,
        version=schema.version,
        doc=schema.doc,
        parameters=schema.parameters,
        fields=schema.fields,
        key_schema=schema.key_schema,
        value_schema=schema.value_schema,
    )


class Drop(KeyOrValueTransformation[R]):
    """Null out the key or value."""

    Key: ClassVar[type[Drop[Any]]]
    Value: ClassVar[type[Drop[Any]]]

    def __init__(self) -> None:
        self._behavior = NULLIFY

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(CONFIG_DEF, configs)
        self._behavior = (config.get_string(SCHEMA_BEHAVIOR_CONFIG) or NULLIFY).lower()

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def apply(self, record: R) -> R | None:
        schema = self.operating_schema(record)
        behavior = self._behavior
        if schema is None or behavior == NULLIFY:
            updated: Schema | None = None
        elif behavior == RETAIN:
            updated = schema
        elif behavior == VALIDATE:
            if not schema.optional:
                what = "key" if self.is_key else "value"
                raise DataError(
                    f"The {what} schema {schema!r} is not optional, so the {what} cannot be "
                    f"set to null ({SCHEMA_BEHAVIOR_CONFIG}={VALIDATE})"
                )
            updated = schema
        else:
            updated = optional_copy(schema)
        return self.new_record(record, updated, None)


class DropKey(Drop[R]):
    """``io.confluent.connect.transforms.Drop$Key``."""

    is_key = True


class DropValue(Drop[R]):
    """``io.confluent.connect.transforms.Drop$Value``."""

    is_key = False


Drop.Key = DropKey
Drop.Value = DropValue
