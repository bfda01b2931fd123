"""SinkRecordBatch: the same records whether read as columns or built as SinkRecords."""

from __future__ import annotations

import pytest

from sluice.api import (
    Schema,
    SchemaAndValue,
    SinkRecord,
    SinkRecordBatch,
    SinkTask,
    TimestampType,
)

S = Schema.OPTIONAL_STRING_SCHEMA


def _columns() -> SinkRecordBatch:
    return SinkRecordBatch.from_columns(
        "t",
        [0, 1, 0],
        [10, 3, 11],
        [SchemaAndValue(S, None), SchemaAndValue(S, "k"), SchemaAndValue(None, None)],
        [SchemaAndValue(S, "a"), SchemaAndValue(S, "b"), SchemaAndValue(None, None)],
        [(1, 1000), (2, 2000), (0, -1)],
    )


def test_columns_build_the_records_a_consumer_would_have() -> None:
    batch = _columns()
    assert len(batch) == 3 and batch
    assert batch.records() == [
        SinkRecord("t", 0, S, None, S, "a", 10, 1000, TimestampType.CREATE_TIME),
        SinkRecord("t", 1, S, "k", S, "b", 3, 2000, TimestampType.LOG_APPEND_TIME),
        SinkRecord("t", 0, None, None, None, None, 11, None, TimestampType.NO_TIMESTAMP_TYPE),
    ]
    assert batch.records() is batch.records()  # built once
    assert batch.values == ["a", "b", None]
    assert batch.value_schemas == [S, S, None]
    assert batch.keys == [None, "k", None]
    assert batch.key_schemas == [S, S, None]
    assert batch.topics == ["t", "t", "t"]
    assert batch.partitions == [0, 1, 0]
    assert batch.offsets == [10, 3, 11]


def test_records_read_as_columns() -> None:
    records = _columns().records()
    batch = SinkRecordBatch(records)
    assert batch.records() is records
    assert batch.values == ["a", "b", None]
    assert batch.keys == [None, "k", None]
    assert batch.offsets == [10, 3, 11]
    assert not SinkRecordBatch([])


def test_columns_must_have_one_entry_per_message() -> None:
    with pytest.raises(ValueError, match="different lengths"):
        SinkRecordBatch.from_columns("t", [0], [1, 2], [], [], [])


def test_put_batch_defaults_to_put_with_records() -> None:
    seen: list[list[SinkRecord]] = []

    class Recording(SinkTask):
        def start(self, props: object) -> None: ...
        def stop(self) -> None: ...
        def version(self) -> str:
            return "1"

        def put(self, records: list[SinkRecord]) -> None:
            seen.append(records)

    batch = _columns()
    Recording().put_batch(batch)
    assert seen == [batch.records()]
