"""Converters turn Connect data into bytes for Kafka and back; header converters do it per header.

Converters are configured with ``is_key`` telling whether they handle keys or values, because the
worker's ``key.converter.*`` and ``value.converter.*`` settings configure separate instances.
Implementations must be safe to call from one task thread at a time (each task has its own).
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from sluice.api.config import ConfigDef
from sluice.api.connector import Versioned
from sluice.api.headers import Headers
from sluice.api.schema import Schema

__all__ = ["Converter", "HeaderConverter", "SchemaAndValue"]


class SchemaAndValue(NamedTuple):
    schema: Schema | None
    value: Any


SchemaAndValue.NULL = SchemaAndValue(None, None)  # type: ignore[attr-defined]


class Converter(Versioned, abc.ABC):
    """Between a (schema, value) pair and the bytes stored in Kafka."""

    @abc.abstractmethod
    def configure(self, configs: Mapping[str, Any], is_key: bool) -> None:
        """Receive the converter's settings (prefix already stripped)."""

    @abc.abstractmethod
    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        """Serialize; ``None`` means a null Kafka value (a tombstone)."""

    @abc.abstractmethod
    def to_connect_data(
        self, topic: str, value: bytes | None, headers: Headers | None = None
    ) -> SchemaAndValue:
        """Deserialize bytes read from Kafka."""

    def from_connect_batch(
        self,
        topic: str,
        schemas: Sequence[Schema | None],
        values: Sequence[Any],
        headers: Sequence[Headers | None] | None = None,
    ) -> list[bytes | None]:
        """Serialize many values for one topic at once.

        The runtime uses this on whole poll batches; converters override it when a batch can be
        done faster than value by value. The result must equal per-value ``from_connect_data``;
        if it raises, the runtime redoes the batch value by value to find the bad record.
        """
        convert = self.from_connect_data
        if headers is None:
            return [convert(topic, s, v) for s, v in zip(schemas, values, strict=True)]
        return [convert(topic, s, v, h) for s, v, h in zip(schemas, values, headers, strict=True)]

    def to_connect_batch(
        self,
        topic: str,
        values: Sequence[bytes | None],
        headers: Sequence[Headers | None] | None = None,
    ) -> list[SchemaAndValue]:
        """Deserialize many values of one topic at once; see :meth:`from_connect_batch`."""
        convert = self.to_connect_data
        if headers is None:
            return [convert(topic, v) for v in values]
        return [convert(topic, v, h) for v, h in zip(values, headers, strict=True)]

    def config(self) -> ConfigDef:
        return ConfigDef()

    def close(self) -> None:
        """Release resources."""


class HeaderConverter(Versioned, abc.ABC):
    """Between one header's (schema, value) and its bytes."""

    @abc.abstractmethod
    def configure(self, configs: Mapping[str, Any]) -> None:
        """Receive the converter's settings."""

    @abc.abstractmethod
    def from_connect_header(
        self, topic: str, header_key: str, schema: Schema | None, value: Any
    ) -> bytes | None:
        """Serialize one header value."""

    @abc.abstractmethod
    def to_connect_header(self, topic: str, header_key: str, value: bytes | None) -> SchemaAndValue:
        """Deserialize one header value."""

    def config(self) -> ConfigDef:
        return ConfigDef()

    def close(self) -> None:
        """Release resources."""
