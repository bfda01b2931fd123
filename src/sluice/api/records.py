"""Records as connectors see them: ``SourceRecord`` from sources, ``SinkRecord`` into sinks.

Records are plain slotted objects, cheap to create by the million. ``timestamp`` is epoch
milliseconds (``None`` lets the producer stamp it). Headers are created on first access so records
that never use them pay nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, NamedTuple, TypeVar

from sluice.api.headers import Headers
from sluice.api.schema import Schema

_new_object = object.__new__

__all__ = [
    "ConnectRecord",
    "RecordMetadata",
    "SinkRecord",
    "SourceRecord",
    "TimestampType",
    "TopicPartition",
]

R = TypeVar("R", bound="ConnectRecord")


class TopicPartition(NamedTuple):
    """A Kafka topic partition; hashable, usable as a dict key."""

    topic: str
    partition: int


class TimestampType(enum.Enum):
    NO_TIMESTAMP_TYPE = "NoTimestampType"
    CREATE_TIME = "CreateTime"
    LOG_APPEND_TIME = "LogAppendTime"


TIMESTAMP_TYPES_BY_CODE: tuple[TimestampType, ...] = (
    TimestampType.NO_TIMESTAMP_TYPE,
    TimestampType.CREATE_TIME,
    TimestampType.LOG_APPEND_TIME,
)
"""By the code Kafka clients report with a timestamp (0, 1, 2), as ``confluent-kafka`` does."""


class RecordMetadata(NamedTuple):
    """Where the broker stored a source record: handed to ``SourceTask.commit_record``."""

    topic: str
    partition: int
    offset: int
    timestamp: int | None


class ConnectRecord:
    """What source and sink records share: topic, partition, key, value, timestamp, headers."""

    __slots__ = (
        "_headers",
        "kafka_partition",
        "key",
        "key_schema",
        "timestamp",
        "topic",
        "value",
        "value_schema",
    )

    def __init__(
        self,
        topic: str,
        kafka_partition: int | None = None,
        key_schema: Schema | None = None,
        key: Any = None,
        value_schema: Schema | None = None,
        value: Any = None,
        timestamp: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.topic = topic
        self.kafka_partition = kafka_partition
        self.key_schema = key_schema
        self.key = key
        self.value_schema = value_schema
        self.value = value
        self.timestamp = timestamp
        self._headers = headers

    @property
    def headers(self) -> Headers:
        h = self._headers
        if h is None:
            h = self._headers = Headers()
        return h

    @headers.setter
    def headers(self, value: Headers) -> None:
        self._headers = value

    @property
    def has_headers(self) -> bool:
        """True when headers exist, without creating an empty collection."""
        return bool(self._headers)

    def new_record(
        self: R,
        topic: str,
        kafka_partition: int | None,
        key_schema: Schema | None,
        key: Any,
        value_schema: Schema | None,
        value: Any,
        timestamp: int | None,
        headers: Headers | None = None,
    ) -> R:
        """A copy with the given fields replaced and the subclass's own fields kept.

        Transforms use this so that source offsets and sink coordinates travel with the record.
        """
        raise NotImplementedError

    def _base_eq(self, other: ConnectRecord) -> bool:
        return (
            self.topic == other.topic
            and self.kafka_partition == other.kafka_partition
            and self.key_schema == other.key_schema
            and self.key == other.key
            and self.value_schema == other.value_schema
            and self.value == other.value
            and self.timestamp == other.timestamp
            and (self._headers or Headers()) == (other._headers or Headers())
        )

    def _headers_for_copy(self, headers: Headers | None) -> Headers | None:
        if headers is not None:
            return headers
        return self._headers.duplicate() if self._headers else None

    __hash__ = None  # type: ignore[assignment]


class SourceRecord(ConnectRecord):
    """A record produced by a source task.

    ``source_partition`` identifies the stream in the source system (for example
    ``{"filename": "/tmp/in"}``) and ``source_offset`` the position *after* this record in it
    (``{"position": 42}``): the runtime stores that offset once Kafka acknowledged the record, and
    the task resumes from it after a restart. Both maps hold only str keys and primitive values.
    """

    __slots__ = ("source_offset", "source_partition")

    def __init__(
        self,
        source_partition: Mapping[str, Any] | None,
        source_offset: Mapping[str, Any] | None,
        topic: str,
        kafka_partition: int | None = None,
        key_schema: Schema | None = None,
        key: Any = None,
        value_schema: Schema | None = None,
        value: Any = None,
        timestamp: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.source_partition = source_partition
        self.source_offset = source_offset
        self.topic = topic
        self.kafka_partition = kafka_partition
        self.key_schema = key_schema
        self.key = key
        self.value_schema = value_schema
        self.value = value
        self.timestamp = timestamp
        self._headers = headers

    def new_record(
        self,
        topic: str,
        kafka_partition: int | None,
        key_schema: Schema | None,
        key: Any,
        value_schema: Schema | None,
        value: Any,
        timestamp: int | None,
        headers: Headers | None = None,
    ) -> SourceRecord:
        return SourceRecord(
            self.source_partition,
            self.source_offset,
            topic,
            kafka_partition,
            key_schema,
            key,
            value_schema,
            value,
            timestamp,
            headers
            if headers is not None
            else (self._headers.duplicate() if self._headers else None),
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SourceRecord)
            and self._base_eq(other)
            and self.source_partition == other.source_partition
            and self.source_offset == other.source_offset
        )

    def __repr__(self) -> str:
        return (
            f"SourceRecord{{sourcePartition={self.source_partition}, "
            f"sourceOffset={self.source_offset}, topic='{self.topic}', "
            f"kafkaPartition={self.kafka_partition}, key={self.key!r}, value={self.value!r}, "
            f"timestamp={self.timestamp}}}"
        )


class SinkRecord(ConnectRecord):
    """A record consumed from Kafka and handed to a sink task.

    ``kafka_offset`` is this record's offset in its partition; the offset a sink reports as
    processed in ``pre_commit`` is the *next* one to read (``kafka_offset + 1``), as in Kafka's
    consumer. ``original_*`` keep the coordinates from before any transform renamed the topic,
    which is what error reporting and the errant record reporter use.
    """

    __slots__ = (
        "kafka_offset",
        "original_kafka_offset",
        "original_kafka_partition",
        "original_topic",
        "timestamp_type",
    )

    def __init__(
        self,
        topic: str,
        kafka_partition: int,
        key_schema: Schema | None,
        key: Any,
        value_schema: Schema | None,
        value: Any,
        kafka_offset: int,
        timestamp: int | None = None,
        timestamp_type: TimestampType = TimestampType.NO_TIMESTAMP_TYPE,
        headers: Headers | None = None,
        original_topic: str | None = None,
        original_kafka_partition: int | None = None,
        original_kafka_offset: int | None = None,
    ) -> None:
        self.topic = topic
        self.kafka_partition = kafka_partition
        self.key_schema = key_schema
        self.key = key
        self.value_schema = value_schema
        self.value = value
        self.timestamp = timestamp
        self._headers = headers
        self.kafka_offset = kafka_offset
        self.timestamp_type = timestamp_type
        self.original_topic = original_topic if original_topic is not None else topic
        self.original_kafka_partition = (
            original_kafka_partition if original_kafka_partition is not None else kafka_partition
        )
        self.original_kafka_offset = (
            original_kafka_offset if original_kafka_offset is not None else kafka_offset
        )

    def new_record(
        self,
        topic: str,
        kafka_partition: int | None,
        key_schema: Schema | None,
        key: Any,
        value_schema: Schema | None,
        value: Any,
        timestamp: int | None,
        headers: Headers | None = None,
    ) -> SinkRecord:
        # Filled slot by slot rather than through __init__: transforms copy every record once
        # per stage, and the constructor's defaulting is not needed for a copy.
        copy = _new_object(SinkRecord)
        copy.topic = topic
        copy.kafka_partition = (
            kafka_partition if kafka_partition is not None else self.original_kafka_partition
        )
        copy.key_schema = key_schema
        copy.key = key
        copy.value_schema = value_schema
        copy.value = value
        copy.timestamp = timestamp
        old_headers = self._headers
        copy._headers = (
            headers if headers is not None else (old_headers.duplicate() if old_headers else None)
        )
        copy.kafka_offset = self.kafka_offset
        copy.timestamp_type = self.timestamp_type
        copy.original_topic = self.original_topic
        copy.original_kafka_partition = self.original_kafka_partition
        copy.original_kafka_offset = self.original_kafka_offset
        return copy

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SinkRecord)
            and self._base_eq(other)
            and self.kafka_offset == other.kafka_offset
            and self.timestamp_type == other.timestamp_type
        )

    def __repr__(self) -> str:
        return (
            f"SinkRecord{{kafkaOffset={self.kafka_offset}, "
            f"timestampType={self.timestamp_type.value}, topic='{self.topic}', "
            f"kafkaPartition={self.kafka_partition}, key={self.key!r}, "
            f"value={self.value!r}, timestamp={self.timestamp}}}"
        )
