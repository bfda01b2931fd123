"""Drive one source or sink task without a worker or a broker."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.api import (
    SinkRecord,
    SinkRecordBatch,
    SinkTask,
    SinkTaskContext,
    SourceRecord,
    SourceTask,
    SourceTaskContext,
    TopicPartition,
)
from sluice.runtime.offset_storage import ConnectorOffsets, StoreOffsetReader
from sluice.storage.offsets import MemoryOffsetBackingStore

__all__ = ["MemoryOffsetReader", "SinkTaskHarness", "SourceTaskHarness"]


class MemoryOffsetReader(StoreOffsetReader):
    """Committed offsets in memory, kept and read as a worker keeps them.

    This is the runtime's own reader (:class:`~sluice.runtime.offset_storage.StoreOffsetReader`)
    over an in-memory offset store: :meth:`put` encodes the partition and the offset as the
    runtime's offset writer does (JSON, Kafka Connect's key layout), and :meth:`offset` decodes
    them, so a task reads back in a test exactly what it would read back in a worker (a tuple
    comes back as a list; a value JSON cannot hold is an error at :meth:`put`).
    """

    def __init__(self, connector: str = "harness") -> None:
        super().__init__(connector, MemoryOffsetBackingStore())
        self._writer = ConnectorOffsets(connector, self.store)

    def put(self, partition: Mapping[str, Any], offset: Mapping[str, Any]) -> None:
        """Record ``offset`` as the committed offset of ``partition``."""
        self._writer.write([(partition, offset)])


class _SourceContext(SourceTaskContext):
    def __init__(self, config: dict[str, str], reader: MemoryOffsetReader) -> None:
        self._config = config
        self._reader = reader

    def configs(self) -> dict[str, str]:
        return dict(self._config)

    def offset_storage_reader(self) -> MemoryOffsetReader:
        return self._reader


class SourceTaskHarness:
    """Start a source task, poll it, and "commit" offsets as the runtime would after acks."""

    def __init__(self, task: SourceTask, config: Mapping[str, str]) -> None:
        self.task = task
        self.config = dict(config)
        self.offsets = MemoryOffsetReader()
        self.started = False

    def start(self) -> SourceTaskHarness:
        self.task.initialize(_SourceContext(self.config, self.offsets))
        self.task.start(self.config)
        self.started = True
        return self

    def poll(self, commit: bool = True) -> list[SourceRecord]:
        """One poll; with ``commit`` the records' offsets count as committed."""
        records = self.task.poll() or []
        if commit:
            for r in records:
                if r.source_partition is not None and r.source_offset is not None:
                    self.offsets.put(r.source_partition, r.source_offset)
        return records

    def poll_until(self, count: int, max_polls: int = 1000) -> list[SourceRecord]:
        out: list[SourceRecord] = []
        for _ in range(max_polls):
            if len(out) >= count:
                break
            out.extend(self.poll())
        return out

    def stop(self) -> None:
        if self.started:
            self.task.stop()
            self.started = False


class _SinkContext(SinkTaskContext):
    def __init__(self, owner: SinkTaskHarness) -> None:
        self._owner = owner

    def configs(self) -> dict[str, str]:
        return dict(self._owner.config)

    def offset(self, offsets: Mapping[TopicPartition, int]) -> None:
        self._owner.rewinds.update(offsets)

    def timeout(self, seconds: float) -> None:
        self._owner.timeout = seconds

    def assignment(self) -> set[TopicPartition]:
        return set(self._owner.assignment)

    def pause(self, *partitions: TopicPartition) -> None:
        self._owner.paused.update(partitions)

    def resume(self, *partitions: TopicPartition) -> None:
        self._owner.paused.difference_update(partitions)

    def request_commit(self) -> None:
        self._owner.commit_requested = True


class SinkTaskHarness:
    """Open partitions, put records and ask for commits, as the runtime would."""

    def __init__(self, task: SinkTask, config: Mapping[str, str]) -> None:
        self.task = task
        self.config = dict(config)
        self.assignment: set[TopicPartition] = set()
        self.paused: set[TopicPartition] = set()
        self.rewinds: dict[TopicPartition, int] = {}
        self.timeout = 0.0
        self.commit_requested = False
        self.current: dict[TopicPartition, int] = {}

    def start(self, partitions: list[TopicPartition]) -> SinkTaskHarness:
        self.task.initialize(_SinkContext(self))
        self.task.start(self.config)
        self.assignment.update(partitions)
        self.task.open(partitions)
        return self

    def put(self, records: list[SinkRecord] | SinkRecordBatch) -> None:
        """Deliver as the runtime does, through ``put_batch`` (a list is wrapped in a batch)."""
        batch = records if isinstance(records, SinkRecordBatch) else SinkRecordBatch(records)
        self.task.put_batch(batch)
        for r in batch.records():
            self.current[TopicPartition(r.topic, r.kafka_partition or 0)] = r.kafka_offset + 1

    def commit(self) -> dict[TopicPartition, int]:
        """What the task allows to be committed now."""
        return self.task.pre_commit(dict(self.current))

    def stop(self) -> None:
        self.task.close(list(self.assignment))
        self.task.stop()
