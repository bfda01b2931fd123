"""Building sink records and topic settings for the MongoDB sink's unit tests."""

from __future__ import annotations

from typing import Any

from sluice.api import Schema, SinkRecord, TimestampType
from sluice.connectors.mongodb.sink_documents import SinkDocument
from sluice.connectors.mongodb.sink_topic_config import TopicSettings

TOPIC = "orders"
BASE = {"connection.uri": "mongodb://localhost:27017", "topics": TOPIC, "database": "shop"}
PACKAGE = "com.mongodb.kafka.connect.sink"
IDS = f"{PACKAGE}.processor.id.strategy"
MODELS = f"{PACKAGE}.writemodel.strategy"
PROCESSORS = f"{PACKAGE}.processor"
CHANGE_STREAM_HANDLER = f"{PACKAGE}.cdc.mongodb.ChangeStreamHandler"


def record(
    value: Any,
    key: Any = None,
    *,
    offset: int = 7,
    partition: int = 0,
    topic: str = TOPIC,
    value_schema: Schema | None = None,
    key_schema: Schema | None = None,
    timestamp: int | None = 1_700_000_000_000,
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
        TimestampType.CREATE_TIME if timestamp is not None else TimestampType.NO_TIMESTAMP_TYPE,
    )


def settings(overrides: dict[str, str] | None = None) -> TopicSettings:
    """The topic's settings from BASE plus ``overrides``."""
    return TopicSettings.parse(TOPIC, {**BASE, **(overrides or {})})


def doc(value: Any, key: Any = None, **kwargs: Any) -> SinkDocument:
    return SinkDocument(record(value, key, **kwargs))
