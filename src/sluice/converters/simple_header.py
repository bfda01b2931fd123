"""``SimpleHeaderConverter``: header values as plain UTF-8 text, Kafka Connect's default.

Values are written with :func:`~sluice.api.values.convert_to_string` and read back with
:func:`~sluice.api.values.parse_string`, which infers a schema from the text; bytes that
cannot be parsed at all come back unchanged as ``BYTES``, as in Kafka.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sluice.api.config import ConfigDef
from sluice.api.converter import HeaderConverter, SchemaAndValue
from sluice.api.schema import Schema
from sluice.api.values import convert_to_string, parse_string

__all__ = ["SimpleHeaderConverter"]

log = logging.getLogger(__name__)


class SimpleHeaderConverter(HeaderConverter):
    """Kafka's ``org.apache.kafka.connect.storage.SimpleHeaderConverter``."""

    def config(self) -> ConfigDef:
        return ConfigDef()

    def configure(self, configs: Mapping[str, Any]) -> None:
        """Nothing to configure."""

    def from_connect_header(
        self, topic: str, header_key: str, schema: Schema | None, value: Any
    ) -> bytes | None:
        if value is None:
            return None
        if type(value) is str:
            return value.encode("utf-8", "replace")
        text = convert_to_string(schema, value)
        return None if text is None else text.encode("utf-8", "replace")

    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        if value is None:
            return SchemaAndValue(None, None)
        try:
            return parse_string(value.decode("utf-8", "replace"))
        except Exception as e:  # Kafka falls back to the raw bytes on any parse failure
            log.warning(
                "Failed to deserialize value for header '%s' on topic '%s', so using byte array: "
                "%s",
                header_key,
                topic,
                e,
            )
            return SchemaAndValue(Schema.BYTES_SCHEMA, value)
