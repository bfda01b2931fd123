"""``InsertHeader``: add one header, typed by parsing a literal as Kafka's ``Values`` does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sluice.api.config import ConfigDef, ConfigType, Importance, NonNullValidator
from sluice.api.converter import SchemaAndValue
from sluice.api.transform import Transformation
from sluice.api.values import parse_string
from sluice.transforms.base import R, parse_config

__all__ = ["InsertHeader"]

HEADER_CONFIG: Final = "header"
VALUE_LITERAL_CONFIG: Final = "value.literal"

CONFIG_DEF: Final = (
    ConfigDef()
    .define(
        HEADER_CONFIG,
        ConfigType.STRING,
        validator=NonNullValidator(),
        importance=Importance.HIGH,
        documentation="Name of the header to add.",
    )
    .define(
        VALUE_LITERAL_CONFIG,
        ConfigType.STRING,
        validator=NonNullValidator(),
        importance=Importance.HIGH,
        documentation="The header's value on every record; numbers, booleans, dates, arrays "
        "and maps in it become typed values.",
    )
)


class InsertHeader(Transformation[R]):
    """Append the configured header to every record."""

    def __init__(self) -> None:
        self._header = ""
        self._literal = SchemaAndValue(None, None)

    def configure(self, configs: Mapping[str, Any]) -> None:
        config = parse_config(CONFIG_DEF, configs)
        self._header = config.get_string(HEADER_CONFIG) or ""
        self._literal = parse_string(config.get_string(VALUE_LITERAL_CONFIG))

    def config(self) -> ConfigDef:
        return CONFIG_DEF

    def apply(self, record: R) -> R | None:
        headers = record.headers.duplicate()
        headers.add(self._header, self._literal.value, self._literal.schema)
        return record.new_record(
            record.topic,
            record.kafka_partition,
            record.key_schema,
            record.key,
            record.value_schema,
            record.value,
            record.timestamp,
            headers,
        )
