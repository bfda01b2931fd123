"""``ByteArrayConverter``: record bytes passed through untouched (MirrorMaker's converter)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.api.config import ConfigDef
from sluice.api.converter import Converter, HeaderConverter, SchemaAndValue
from sluice.api.errors import DataError
from sluice.api.headers import Headers
from sluice.api.schema import Schema, Type
from sluice.converters._common import converter_config_def

__all__ = ["ByteArrayConverter"]


class ByteArrayConverter(Converter, HeaderConverter):
    """Kafka's ``org.apache.kafka.connect.converters.ByteArrayConverter``.

    Only ``BYTES`` schemas (or none) are accepted on the way out; data read is ``OPTIONAL_BYTES``.
    """

    def config(self) -> ConfigDef:
        return converter_config_def()

    def configure(self, configs: Mapping[str, Any], is_key: bool | None = None) -> None:
        """Nothing to configure, as in Kafka."""

    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        if schema is not None and schema.type is not Type.BYTES:
            raise DataError(f"Invalid schema type for ByteArrayConverter: {schema.type.name}")
        if value is None or type(value) is bytes:
            return value
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value)
        raise DataError(
            f"ByteArrayConverter is not compatible with objects of type {type(value)!r}"
        )

    def to_connect_data(
        self, topic: str, value: bytes | None, headers: Headers | None = None
    ) -> SchemaAndValue:
        return SchemaAndValue(Schema.OPTIONAL_BYTES_SCHEMA, value)

    def from_connect_header(
        self, topic: str, header_key: str, schema: Schema | None, value: Any
    ) -> bytes | None:
        return self.from_connect_data(topic, schema, value)

    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        return self.to_connect_data(topic, value)
