"""``SinkRecordBatch``: one ``put``'s records, readable as columns without building each record.

A sink that only needs, say, every value (a file, a bulk loader, a columnar writer) can override
:meth:`SinkTask.put_batch` and read :attr:`SinkRecordBatch.values`; on the runtime's fast path
(no transforms, no headers, a whole poll of one topic) that skips creating a
:class:`~sluice.api.SinkRecord` per message, which costs as much as the rest of the delivery of
a small record. Every other sink keeps implementing ``put`` and gets ``batch.records()``.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from sluice.api.converter import SchemaAndValue
from sluice.api.records import TIMESTAMP_TYPES_BY_CODE, SinkRecord
from sluice.api.schema import Schema

__all__ = ["SinkRecordBatch"]


class SinkRecordBatch:
    """Records for a sink task, held either as records or as per-field columns.

    Columns and records are derived from each other on first use and kept, so reading both
    costs each conversion once. The batch is what the task was handed: the runtime does not
    change it afterwards, and a task must not change it either (a retried batch is redelivered
    as it was).
    """

    def __init__(self, records: list[SinkRecord]) -> None:
        self._records: list[SinkRecord] | None = records
        self._size = len(records)
        self._topic: str | None = None
        self._partitions: list[int] | None = None
        self._offsets: list[int] | None = None
        self._keys: list[SchemaAndValue] | None = None
        self._values: list[SchemaAndValue] | None = None
        self._timestamps: list[tuple[int, int]] | None = None

    @classmethod
    def from_columns(
        cls,
        topic: str,
        partitions: list[int],
        offsets: list[int],
        keys: list[SchemaAndValue],
        values: list[SchemaAndValue],
        timestamps: list[tuple[int, int]],
    ) -> SinkRecordBatch:
        """A batch of one topic's messages, as a consumer and the converters produced them.

        ``timestamps`` are the Kafka clients' ``(type, milliseconds)`` pairs (type 0: none,
        1: create time, 2: log append time). All lists have one entry per message.
        """
        size = len(partitions)
        if not (len(offsets) == len(keys) == len(values) == len(timestamps) == size):
            raise ValueError("SinkRecordBatch.from_columns: columns of different lengths")
        batch = cls.__new__(cls)
        batch._records = None
        batch._size = size
        batch._topic = topic
        batch._partitions = partitions
        batch._offsets = offsets
        batch._keys = keys
        batch._values = values
        batch._timestamps = timestamps
        return batch

    def __len__(self) -> int:
        return self._size

    def __bool__(self) -> bool:
        return self._size > 0

    def records(self) -> list[SinkRecord]:
        """The batch as :class:`SinkRecord` objects (built once, then the same list)."""
        if self._records is None:
            self._records = self._build_records()
        return self._records

    def _build_records(self) -> list[SinkRecord]:
        assert self._topic is not None and self._partitions is not None
        assert self._offsets is not None and self._keys is not None
        assert self._values is not None and self._timestamps is not None
        topic = self._topic
        ts_types = TIMESTAMP_TYPES_BY_CODE
        records: list[SinkRecord] = []
        append = records.append
        for partition, offset, (key_schema, key), (value_schema, value), (ts_type, ts) in zip(
            self._partitions, self._offsets, self._keys, self._values, self._timestamps, strict=True
        ):
            append(
                SinkRecord(
                    topic,
                    partition,
                    key_schema,
                    key,
                    value_schema,
                    value,
                    offset,
                    ts if ts_type else None,
                    ts_types[ts_type],
                )
            )
        return records

    def _column(self, pairs: list[SchemaAndValue] | None, part: int, attr: str) -> list[Any]:
        """One half of the key or value pairs, or one attribute of every record."""
        if pairs is not None:
            return list(map(operator.itemgetter(part), pairs))
        return list(map(operator.attrgetter(attr), self.records()))

    @property
    def values(self) -> list[Any]:
        """Every record's value, in order."""
        return self._column(self._values, 1, "value")

    @property
    def value_schemas(self) -> list[Schema | None]:
        """Every record's value schema, in order."""
        return self._column(self._values, 0, "value_schema")

    @property
    def keys(self) -> list[Any]:
        """Every record's key, in order."""
        return self._column(self._keys, 1, "key")

    @property
    def key_schemas(self) -> list[Schema | None]:
        """Every record's key schema, in order."""
        return self._column(self._keys, 0, "key_schema")

    @property
    def topics(self) -> Sequence[str]:
        """Every record's topic, in order (after transforms, which may rename it)."""
        if self._topic is not None:
            return [self._topic] * self._size
        return [r.topic for r in self.records()]

    @property
    def partitions(self) -> list[int | None]:
        """Every record's Kafka partition, in order."""
        if self._partitions is not None:
            return list[int | None](self._partitions)
        return [r.kafka_partition for r in self.records()]

    @property
    def offsets(self) -> list[int]:
        """Every record's offset in its partition, in order."""
        if self._offsets is not None:
            return list(self._offsets)
        return [r.kafka_offset for r in self.records()]
