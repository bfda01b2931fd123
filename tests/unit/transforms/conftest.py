"""Record factories shared by the transform tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sluice.api import Headers, Schema, SinkRecord, SourceRecord, TimestampType

SinkFactory = Callable[..., SinkRecord]


def _sink(
    value_schema: Schema | None = None,
    value: Any = None,
    key_schema: Schema | None = None,
    key: Any = None,
    *,
    topic: str = "orders",
    partition: int = 3,
    offset: int = 42,
    timestamp: int | None = 1_700_000_123_456,
    headers: Headers | None = None,
) -> SinkRecord:
    return SinkRecord(
        topic,
        partition,
        key_schema,
        key,
        value_schema,
        value,
        offset,
        timestamp,
        TimestampType.CREATE_TIME,
        headers,
    )


def _source(
    value_schema: Schema | None = None,
    value: Any = None,
    key_schema: Schema | None = None,
    key: Any = None,
    *,
    topic: str = "orders",
    partition: int | None = None,
    timestamp: int | None = None,
    headers: Headers | None = None,
) -> SourceRecord:
    return SourceRecord(
        {"file": "in.txt"},
        {"position": 7},
        topic,
        partition,
        key_schema,
        key,
        value_schema,
        value,
        timestamp,
        headers,
    )


@pytest.fixture
def sink() -> SinkFactory:
    """``sink(value_schema, value, key_schema, key, **metadata)`` builds a SinkRecord."""
    return _sink


@pytest.fixture
def source() -> Callable[..., SourceRecord]:
    """``source(value_schema, value, key_schema, key, **metadata)`` builds a SourceRecord."""
    return _source
