"""Checks that a key or value has the shape a transform needs, with Kafka's error messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.api.errors import DataError
from sluice.api.records import ConnectRecord, SinkRecord
from sluice.api.schema import Schema
from sluice.api.struct import Struct
from sluice.api.value_text import java_class_name

__all__ = [
    "require_map",
    "require_map_or_null",
    "require_schema",
    "require_sink_record",
    "require_struct",
    "require_struct_or_null",
]


def require_schema(schema: Schema | None, purpose: str) -> Schema:
    if schema is None:
        raise DataError(f"Schema required for [{purpose}]")
    return schema


def require_map(value: Any, purpose: str) -> Mapping[str, Any]:
    if type(value) is dict:  # what schemaless JSON gives; skips the slower ABC check
        return value
    if not isinstance(value, Mapping):
        raise DataError(
            f"Only Map objects supported in absence of schema for [{purpose}], "
            f"found: {java_class_name(value)}"
        )
    return value


def require_map_or_null(value: Any, purpose: str) -> Mapping[str, Any] | None:
    return None if value is None else require_map(value, purpose)


def require_struct(value: Any, purpose: str) -> Struct:
    if not isinstance(value, Struct):
        raise DataError(
            f"Only Struct objects supported for [{purpose}], found: {java_class_name(value)}"
        )
    return value


def require_struct_or_null(value: Any, purpose: str) -> Struct | None:
    return None if value is None else require_struct(value, purpose)


def require_sink_record(record: ConnectRecord, purpose: str) -> SinkRecord:
    if not isinstance(record, SinkRecord):
        name = "org.apache.kafka.connect.source.SourceRecord"
        if type(record).__name__ != "SourceRecord":
            name = type(record).__qualname__
        raise DataError(f"Only SinkRecord supported for [{purpose}], found: {name}")
    return record
