"""The source task loop on in-memory clients: offsets follow acknowledgements, never lead them.

The worker hands the task its producer and clock (``KafkaClients``); these tests hand it the
doubles of :mod:`tests.unit.runtime.kafka_doubles`, keep offsets in memory, and run the real loop.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from sluice.api import ConnectRecord, SourceRecord, SourceTask, Transformation
from sluice.api.config import ConfigDef
from sluice.converters.simple_header import SimpleHeaderConverter
from sluice.converters.string import StringConverter
from sluice.runtime.errors import ErrorHandler
from sluice.runtime.transformation_chain import TransformationChain, TransformationStage
from sluice.runtime.worker_source_task import WorkerSourceTask
from sluice.runtime.worker_task import RecordPipeline
from sluice.storage.offset_codec import decode_value, encode_key
from sluice.storage.offsets import MemoryOffsetBackingStore
from sluice.storage.states import ConnectorTaskId, TargetState
from sluice.testing import wait_for
from tests.unit.runtime.kafka_doubles import FakeClock, FakeProducer, doubles

PARTITION = {"file": "in.txt"}


class _Listener:
    def __getattr__(self, name: str) -> Any:
        return lambda *args: None


class _Source(SourceTask):
    """Hands out the lines it is given, each with its position as the offset."""

    def __init__(self) -> None:
        self.pending: list[str] = []
        self.position = 0
        self.committed_records: list[tuple[str, bool]] = []
        self.lock = threading.Lock()
        self.stopped = threading.Event()

    def start(self, props: Mapping[str, str]) -> None: ...

    def add(self, *lines: str) -> None:
        with self.lock:
            self.pending.extend(lines)

    def poll(self) -> list[SourceRecord] | None:
        with self.lock:
            lines, self.pending = self.pending, []
        if not lines:
            self.stopped.wait(0.005)
            return None
        out = []
        for line in lines:
            self.position += 1
            out.append(
                SourceRecord(
                    PARTITION, {"position": self.position}, "t", None, None, None, None, line
                )
            )
        return out

    def commit_record(self, record: SourceRecord, metadata: Any) -> None:
        self.committed_records.append((record.value, metadata is not None))

    def stop(self) -> None:
        self.stopped.set()


class _DropOdd(Transformation[ConnectRecord]):
    def configure(self, configs: Mapping[str, Any]) -> None: ...

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        return None if int(record.value[1:]) % 2 else record

    def config(self) -> ConfigDef:
        return ConfigDef()


def _start(
    source: _Source, producer: FakeProducer, clock: FakeClock, chain: TransformationChain[Any]
) -> tuple[WorkerSourceTask, MemoryOffsetBackingStore]:
    store = MemoryOffsetBackingStore()
    store.start()
    pipeline = RecordPipeline(
        StringConverter(), StringConverter(), SimpleHeaderConverter(), chain, ErrorHandler("src", 0)
    )
    task = WorkerSourceTask(
        ConnectorTaskId("src", 0),
        source,
        {},
        _Listener(),
        TargetState.STARTED,
        pipeline,
        {},
        store,
        1.0,
        5.0,
        clients=doubles(producer=producer, clock=clock),
    )
    task.start_thread()
    return task, store


def _committed(store: MemoryOffsetBackingStore) -> int | None:
    key = encode_key("src", PARTITION)
    value = decode_value(store.get([key]).get(key))
    return int(value["position"]) if value else None


def test_offsets_are_committed_only_for_acknowledged_records() -> None:
    source, producer, clock = _Source(), FakeProducer({}), FakeClock()
    task, store = _start(source, producer, clock, TransformationChain([]))
    source.add("l1", "l2", "l3")
    wait_for(lambda: len(producer.produced) == 3, 5)
    clock.advance(1.0)
    wait_for(lambda: task._next_commit > clock.now, 5)  # a flush came and went
    assert _committed(store) is None  # nothing acknowledged yet: nothing committed
    producer.ack(2)
    clock.advance(1.0)
    wait_for(lambda: task._next_commit > clock.now, 5)
    assert _committed(store) is None  # l3 unacknowledged: its poll batch is not committable
    producer.ack()
    clock.advance(1.0)
    wait_for(lambda: _committed(store) == 3, 5)
    task.stop()
    assert task.await_stop(10)
    assert [m.value() for m in producer.produced] == [b"l1", b"l2", b"l3"]


def test_a_failed_send_keeps_its_batch_and_later_ones_uncommitted() -> None:
    source, producer, clock = _Source(), FakeProducer({}), FakeClock()
    task, store = _start(source, producer, clock, TransformationChain([]))
    source.add("l1")
    wait_for(lambda: len(producer.produced) == 1, 5)
    source.add("l2")
    wait_for(lambda: len(producer.produced) == 2, 5)
    producer.fail_next = 1  # the first batch's record fails; errors.tolerance=none fails the task
    producer.ack()
    clock.advance(1.0)
    wait_for(lambda: task.failed, 5)
    assert task.await_stop(10)
    assert _committed(store) is None  # neither l1 nor the acknowledged l2 after it


def test_records_a_transform_drops_advance_the_offsets_and_reach_commit_record() -> None:
    source, producer, clock = _Source(), FakeProducer({}), FakeClock()
    chain = TransformationChain([TransformationStage("drop", _DropOdd())])
    task, store = _start(source, producer, clock, chain)
    source.add("n1", "n2", "n3", "n4")
    wait_for(lambda: len(producer.produced) == 2, 5)
    producer.ack()
    clock.advance(1.0)
    wait_for(lambda: _committed(store) == 4, 5)
    task.stop()
    assert task.await_stop(10)
    assert [m.value() for m in producer.produced] == [b"n2", b"n4"]
    assert sorted(source.committed_records) == [
        ("n1", False),
        ("n2", True),
        ("n3", False),
        ("n4", True),
    ]
