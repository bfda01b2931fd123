"""The sink task loop on in-memory clients: what is put, what is committed and when.

The worker hands the task its consumer and clock (``KafkaClients``); these tests hand it the
doubles of :mod:`tests.unit.runtime.kafka_doubles` and run the real loop on its thread.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from typing import Any

from sluice.api import RetriableError, SinkRecord, SinkTask, TopicPartition
from sluice.converters.simple_header import SimpleHeaderConverter
from sluice.converters.string import StringConverter
from sluice.runtime.errors import ErrorHandler
from sluice.runtime.transformation_chain import TransformationChain
from sluice.runtime.worker_sink_task import WorkerSinkTask
from sluice.runtime.worker_task import RecordPipeline
from sluice.storage.states import ConnectorTaskId, TargetState
from sluice.testing import wait_for
from tests.unit.runtime.kafka_doubles import FakeClock, FakeConsumer, FakeMessage, doubles

TP = ("orders", 0)


class _Listener:
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def on_task_startup(self, task: ConnectorTaskId) -> None:
        self.events.append(("startup", None))

    def on_task_pause(self, task: ConnectorTaskId) -> None:
        self.events.append(("pause", None))

    def on_task_resume(self, task: ConnectorTaskId) -> None:
        self.events.append(("resume", None))

    def on_task_failure(self, task: ConnectorTaskId, trace: str) -> None:
        self.events.append(("failure", trace))

    def on_task_shutdown(self, task: ConnectorTaskId) -> None:
        self.events.append(("shutdown", None))


class _Sink(SinkTask):
    """Keeps what it is given; ``durable`` is what pre_commit reports (all by default)."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self.durable: dict[TopicPartition, int] | None = None
        self.fail_pre_commit = False
        self.retriable_puts = 0
        self.closed: list[TopicPartition] = []
        self.lock = threading.Lock()

    def start(self, props: Mapping[str, str]) -> None: ...

    def put(self, records: list[SinkRecord]) -> None:
        if self.retriable_puts:
            self.retriable_puts -= 1
            raise RetriableError("target busy")
        with self.lock:
            self.values.extend(r.value for r in records)

    def pre_commit(self, current: Mapping[TopicPartition, int]) -> dict[TopicPartition, int]:
        if self.fail_pre_commit:
            raise RuntimeError("flush failed")
        return dict(current) if self.durable is None else dict(self.durable)

    def close(self, partitions: Any) -> None:
        self.closed.extend(partitions)

    def stop(self) -> None: ...


def _messages(first: int, count: int) -> list[FakeMessage]:
    return [FakeMessage(*TP, i, f"v{i}".encode()) for i in range(first, first + count)]


def _start(
    consumer: FakeConsumer, sink: _Sink, clock: FakeClock, flush_interval: float = 1.0
) -> tuple[WorkerSinkTask, _Listener]:
    listener = _Listener()
    pipeline = RecordPipeline(
        StringConverter(),
        StringConverter(),
        SimpleHeaderConverter(),
        TransformationChain([]),
        ErrorHandler("snk", 0),
    )
    task = WorkerSinkTask(
        ConnectorTaskId("snk", 0),
        sink,
        {},
        listener,
        TargetState.STARTED,
        pipeline,
        {},
        ["orders"],
        None,
        flush_interval,
        5.0,
        clients=doubles(consumer=consumer, clock=clock),
    )
    task.start_thread()
    return task, listener


def _stop(task: WorkerSinkTask) -> None:
    task.stop()
    assert task.await_stop(10)


def _consumer(*batches: list[FakeMessage]) -> FakeConsumer:
    return FakeConsumer({}, [TP], deque(batches))


def test_records_are_put_and_their_offsets_committed_on_the_flush_interval() -> None:
    consumer, sink, clock = _consumer(_messages(0, 3), _messages(3, 2)), _Sink(), FakeClock()
    task, listener = _start(consumer, sink, clock)
    wait_for(lambda: len(sink.values) == 5, 5)
    assert consumer.commits == []  # not before the flush interval
    clock.advance(1.0)
    wait_for(lambda: consumer.commits, 5)
    assert consumer.commits[0] == (False, {TP: 5})  # the next offset to read
    wait_for(lambda: task.last_committed.get(TopicPartition(*TP)) == 5, 5)
    _stop(task)
    assert sink.values == [f"v{i}" for i in range(5)]
    assert [e for e, _ in listener.events] == ["startup", "shutdown"]


def test_only_what_pre_commit_reports_is_committed() -> None:
    consumer, sink, clock = _consumer(_messages(0, 10)), _Sink(), FakeClock()
    sink.durable = {TopicPartition(*TP): 4}  # the target holds the first four only
    task, _ = _start(consumer, sink, clock)
    wait_for(lambda: len(sink.values) == 10, 5)
    clock.advance(1.0)
    wait_for(lambda: consumer.commits, 5)
    assert consumer.commits[0][1] == {TP: 4}
    _stop(task)
    assert consumer.commits == [(False, {TP: 4})]  # nothing newer was durable, nothing resent


def test_a_failed_asynchronous_commit_is_not_taken_for_done_and_is_sent_again() -> None:
    consumer, sink, clock = _consumer(_messages(0, 3)), _Sink(), FakeClock()
    consumer.fail_async_commits = True
    task, _ = _start(consumer, sink, clock)
    wait_for(lambda: len(sink.values) == 3, 5)
    clock.advance(1.0)
    wait_for(lambda: len(consumer.commits) >= 1, 5)
    clock.advance(1.0)
    wait_for(lambda: len(consumer.commits) >= 2, 5)  # the same offsets again: not "done"
    assert consumer.commits[0][1] == consumer.commits[1][1] == {TP: 3}
    assert TopicPartition(*TP) not in task.last_committed
    consumer.fail_async_commits = False
    clock.advance(1.0)
    wait_for(lambda: task.last_committed.get(TopicPartition(*TP)) == 3, 5)
    _stop(task)


def test_a_failing_pre_commit_rewinds_to_the_last_committed_offsets() -> None:
    consumer, sink, clock = _consumer(_messages(0, 2)), _Sink(), FakeClock()
    task, _ = _start(consumer, sink, clock)
    wait_for(lambda: len(sink.values) == 2, 5)
    clock.advance(1.0)
    wait_for(lambda: task.last_committed.get(TopicPartition(*TP)) == 2, 5)
    consumer.batches.append(_messages(2, 3))
    wait_for(lambda: len(sink.values) == 5, 5)
    sink.fail_pre_commit = True
    clock.advance(1.0)
    wait_for(lambda: consumer.seeks, 5)
    assert consumer.seeks[0] == (*TP, 2)  # back to what Kafka holds; 2..4 come again
    assert task.current_offsets[TopicPartition(*TP)] == 2
    sink.fail_pre_commit = False
    _stop(task)


def test_revoked_partitions_are_committed_synchronously_and_closed() -> None:
    consumer, sink, clock = _consumer(_messages(0, 4)), _Sink(), FakeClock()
    task, _ = _start(consumer, sink, clock)
    wait_for(lambda: len(sink.values) == 4, 5)
    consumer.revoke_all()
    wait_for(lambda: sink.closed, 5)
    assert (True, {TP: 4}) in consumer.commits
    assert sink.closed == [TopicPartition(*TP)]
    assert task.assignment == set()
    _stop(task)


def test_a_retriable_put_pauses_the_consumer_and_delivers_the_same_batch_again() -> None:
    consumer, sink, clock = _consumer(_messages(0, 3)), _Sink(), FakeClock()
    sink.retriable_puts = 2
    task, _ = _start(consumer, sink, clock)
    wait_for(lambda: len(sink.values) == 3, 5)
    assert sink.values == ["v0", "v1", "v2"]  # delivered once, after two refusals
    assert consumer.paused == set()  # resumed once the batch went through
    _stop(task)
