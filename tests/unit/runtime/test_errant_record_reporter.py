"""The errant record reporter (KIP-610) on in-memory clients.

A sink task's reports go through the task's error handler to the dead-letter queue (a
:class:`DeadLetterQueueReporter` on a :class:`FakeProducer`); the future a report returns
completes when the broker acknowledges the DLQ record, and the task loop waits for those futures
before it commits offsets. The loop tests reuse the sink, listener and consumer helpers of
:mod:`tests.unit.runtime.test_worker_sink_task_loop`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from sluice.api import DataError, SchemaAndValue, SinkRecord, TopicPartition
from sluice.api.headers import Headers
from sluice.converters.simple_header import SimpleHeaderConverter
from sluice.converters.string import StringConverter
from sluice.runtime import errant_record_reporter
from sluice.runtime.dead_letter_queue import DeadLetterQueueReporter
from sluice.runtime.errant_record_reporter import WorkerErrantRecordReporter
from sluice.runtime.errors import (
    ConsumedRecord,
    ErrorHandler,
    ErrorReporter,
    LogReporter,
    ToleranceExceededError,
)
from sluice.runtime.transformation_chain import TransformationChain
from sluice.runtime.worker_sink_task import WorkerSinkTask
from sluice.runtime.worker_task import RecordPipeline
from sluice.storage.states import ConnectorTaskId, TargetState
from sluice.testing import wait_for
from tests.unit.runtime.kafka_doubles import FakeClock, FakeMessage, FakeProducer, doubles
from tests.unit.runtime.test_worker_sink_task_loop import (
    TP,
    _consumer,
    _Listener,
    _messages,
    _Sink,
    _stop,
)

DLQ = "snk-dlq"


def _headers(message: FakeMessage) -> list[tuple[str, bytes | None]]:
    """The message's headers, none being an empty list."""
    return message.headers() or []


@pytest.fixture
def closing() -> Iterator[list[ErrorReporter]]:
    """Reporters to close after the test (each DLQ reporter runs a poller thread)."""
    reporters: list[ErrorReporter] = []
    yield reporters
    for reporter in reporters:
        reporter.close()


def _dlq(producer: FakeProducer, closing: list[ErrorReporter]) -> DeadLetterQueueReporter:
    reporter = DeadLetterQueueReporter({}, DLQ, True, clients=doubles(producer=producer))
    closing.append(reporter)
    return reporter


def _record(offset: int, value: str) -> SinkRecord:
    return SinkRecord("orders", 0, None, None, None, value, offset, 1_700_000_000_000)


def _raw(offset: int, value: bytes) -> ConsumedRecord:
    return ConsumedRecord(
        "orders", 0, offset, b"k", value, [("origin", b"test")], 1_700_000_000_000
    )


def test_a_report_goes_through_the_error_handler_to_the_dlq_with_the_consumed_bytes(
    closing: list[ErrorReporter],
) -> None:
    producer = FakeProducer({})
    errors = ErrorHandler("snk", 0, tolerate_all=True, reporters=[_dlq(producer, closing)])
    reporter = WorkerErrantRecordReporter(errors)
    reporter.batch[("orders", 0, 7)] = _raw(7, b"raw seven")
    future = reporter.report(_record(7, "seven"), DataError("odd value 7"))
    assert producer.produced == [
        FakeMessage(
            DLQ,
            0,
            0,
            b"raw seven",
            b"k",
            [
                ("origin", b"test"),
                ("__connect.errors.topic", b"orders"),
                ("__connect.errors.partition", b"0"),
                ("__connect.errors.offset", b"7"),
                ("__connect.errors.connector.name", b"snk"),
                ("__connect.errors.task.id", b"0"),
                ("__connect.errors.stage", b"TASK_PUT"),
                ("__connect.errors.class.name", b"org.apache.kafka.connect.sink.SinkTask"),
                (
                    "__connect.errors.exception.class.name",
                    b"org.apache.kafka.connect.errors.DataException",
                ),
                ("__connect.errors.exception.message", b"odd value 7"),
                (
                    "__connect.errors.exception.stacktrace",
                    b"org.apache.kafka.connect.errors.DataException: odd value 7\n",
                ),
            ],
            (1, 1_700_000_000_000),
        )
    ]
    assert (errors.total_errors, errors.total_skipped) == (1, 1)
    assert len(errors.pending) == 1  # the DLQ produce, awaited before the next commit
    assert not future.done()  # until the broker acknowledges the DLQ record
    producer.ack()
    assert future.result(timeout=5) is None
    assert reporter.failure is None


def test_a_record_the_batch_does_not_hold_goes_out_as_json(closing: list[ErrorReporter]) -> None:
    producer = FakeProducer({})
    errors = ErrorHandler("snk", 0, tolerate_all=True, reporters=[_dlq(producer, closing)])
    WorkerErrantRecordReporter(errors).report(_record(9, "nine"), DataError("odd"))
    assert producer.produced[0].value() == (
        b'{"topic":"orders","partition":0,"key":null,"value":"nine",'
        b'"source_partition":null,"source_offset":null}'
    )
    assert _headers(producer.produced[0])[:2] == [
        ("__connect.errors.topic", b"orders"),
        ("__connect.errors.partition", b"0"),
    ]


def test_a_failed_dlq_produce_fails_the_reports_future(closing: list[ErrorReporter]) -> None:
    producer = FakeProducer({})
    dlq = _dlq(producer, closing)
    reporter = WorkerErrantRecordReporter(
        ErrorHandler("snk", 0, tolerate_all=True, reporters=[dlq])
    )
    producer.fail_next = 1
    future = reporter.report(_record(1, "one"), DataError("odd"))
    producer.ack()
    error = future.exception(timeout=5)
    assert isinstance(error, KafkaException)
    assert error.args[0].code() == KafkaError.MSG_SIZE_TOO_LARGE
    assert (dlq.produce_requests, dlq.produce_failures) == (1, 1)
    assert reporter.failure is None  # the report was tolerated; the produce failed


def test_the_future_waits_for_every_dlq_it_was_sent_to(closing: list[ErrorReporter]) -> None:
    first, second = FakeProducer({}), FakeProducer({})
    errors = ErrorHandler(
        "snk", 0, tolerate_all=True, reporters=[_dlq(first, closing), _dlq(second, closing)]
    )
    reporter = WorkerErrantRecordReporter(errors)
    future = reporter.report(_record(1, "one"), DataError("odd"))
    with second.lock:  # the second DLQ has not answered yet
        first.ack()
        first.flush()
        assert not future.done()
    second.ack()
    assert future.result(timeout=5) is None


def test_the_future_fails_with_the_first_failed_dlq(closing: list[ErrorReporter]) -> None:
    first, second = FakeProducer({}), FakeProducer({})
    first.fail_next = second.fail_next = 1
    errors = ErrorHandler(
        "snk", 0, tolerate_all=True, reporters=[_dlq(first, closing), _dlq(second, closing)]
    )
    future = WorkerErrantRecordReporter(errors).report(_record(1, "1"), DataError("x"))
    with first.lock, second.lock:
        first.ack()
        second.ack()
        first.flush()
        failed = future.exception(timeout=0)
        second.flush()  # its failure comes after: the future keeps the first
    assert isinstance(failed, KafkaException)
    assert future.exception(timeout=0) is failed


def test_with_only_the_log_the_future_is_done_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    errors = ErrorHandler("snk", 0, tolerate_all=True, reporters=[LogReporter(False)])
    reporter = WorkerErrantRecordReporter(errors)
    reporter.batch[("orders", 0, 3)] = _raw(3, b"raw")
    caplog.set_level(logging.ERROR, logger="sluice.runtime.errors")
    future = reporter.report(_record(3, "three"), DataError("odd value 3"))
    assert future.done() and future.result() is None
    assert [r.getMessage() for r in caplog.records] == [
        "Error encountered in task snk-0. Executing stage 'TASK_PUT' with class "
        "'org.apache.kafka.connect.sink.SinkTask', "
        "where consumed record is {topic='orders', partition=0, offset=3}."
    ]
    assert errors.errors_logged == 1


def test_under_tolerance_none_the_first_report_fails_the_task(
    closing: list[ErrorReporter],
) -> None:
    producer = FakeProducer({})
    errors = ErrorHandler("snk", 0, tolerate_all=False, reporters=[_dlq(producer, closing)])
    reporter = WorkerErrantRecordReporter(errors)
    first = reporter.report(_record(1, "one"), DataError("odd value 1"))
    second = reporter.report(_record(3, "three"), DataError("odd value 3"))
    failure = first.exception(timeout=0)
    assert isinstance(failure, ToleranceExceededError)
    assert str(failure) == "Tolerance exceeded in error handler"
    assert str(failure.__cause__) == "odd value 1"
    assert reporter.failure is failure  # the first one, raised by the task loop after put
    assert isinstance(second.exception(timeout=0), ToleranceExceededError)
    assert producer.produced == []  # nothing tolerated, nothing to the DLQ


def test_records_are_kept_for_reports_until_their_offsets_are_committed(
    closing: list[ErrorReporter],
) -> None:
    # A task may report a record polls after it got it (a JDBC sink reports at commit time):
    # the DLQ must still get that record's consumed bytes.
    producer = FakeProducer({})
    errors = ErrorHandler("snk", 0, tolerate_all=True, reporters=[_dlq(producer, closing)])
    reporter = WorkerErrantRecordReporter(errors)
    reporter.retain([_raw(5, b"raw five"), _raw(6, b"raw six")])  # a first poll
    reporter.retain([_raw(7, b"raw seven")])  # a later one
    reporter.report(_record(5, "five"), DataError("odd"))
    assert producer.produced[-1].value() == b"raw five"
    reporter.release({("orders", 0): 7})  # offsets up to 7 (exclusive) committed
    assert list(reporter.batch) == [("orders", 0, 7)]
    reporter.retain([ConsumedRecord("other", 1, 0, None, b"x")])
    reporter.release({("orders", 0): -1})  # the partition was revoked
    assert list(reporter.batch) == [("other", 1, 0)]


def test_the_records_kept_for_reports_are_bounded_oldest_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(errant_record_reporter, "RETAINED_RECORDS", 3)
    reporter = WorkerErrantRecordReporter(ErrorHandler("snk", 0, tolerate_all=True))
    reporter.retain([_raw(i, b"v") for i in range(5)])
    assert [key[2] for key in reporter.batch] == [2, 3, 4]


# -- in the sink task loop ------------------------------------------------------------------


class _ReportingSink(_Sink):
    """Writes even values, reports odd ones (``v1``, ``v3``...) through the errant reporter."""

    def __init__(self) -> None:
        super().__init__()
        self.futures: list[Any] = []

    def put(self, records: list[SinkRecord]) -> None:
        reporter = self.context.errant_record_reporter()
        assert reporter is not None
        good = []
        for r in records:
            if int(r.value[1:]) % 2:
                self.futures.append(reporter.report(r, DataError(f"odd value {r.value}")))
            else:
                good.append(r)
        super().put(good)


class _PickyConverter(StringConverter):
    """Fails on the value ``bad``."""

    def to_connect_data(
        self, topic: str, value: bytes | None, headers: Headers | None = None
    ) -> SchemaAndValue:
        if value == b"bad":
            raise DataError("Converting byte[] to Kafka Connect data failed")
        return super().to_connect_data(topic, value, headers)


def _start_reporting(
    sink: _Sink, messages: list[FakeMessage], producer: FakeProducer, closing: list[ErrorReporter]
) -> tuple[WorkerSinkTask, Any, FakeClock, _Listener]:
    """The loop test's task, with a DLQ and the errant reporter as the worker builds them."""
    consumer, clock, listener = _consumer(messages), FakeClock(), _Listener()
    errors = ErrorHandler("snk", 0, tolerate_all=True, reporters=[_dlq(producer, closing)])
    pipeline = RecordPipeline(
        StringConverter(),
        _PickyConverter(),
        SimpleHeaderConverter(),
        TransformationChain([]),
        errors,
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
        1.0,
        5.0,
        errant_reporter=WorkerErrantRecordReporter(errors),
        clients=doubles(consumer=consumer, clock=clock),
    )
    task.start_thread()
    return task, consumer, clock, listener


def test_the_sink_task_commits_only_once_its_reports_are_acknowledged(
    closing: list[ErrorReporter],
) -> None:
    producer, sink = FakeProducer({}), _ReportingSink()
    task, consumer, clock, _ = _start_reporting(sink, _messages(0, 4), producer, closing)
    wait_for(lambda: sink.values == ["v0", "v2"], 5)  # put has returned
    assert [m.value() for m in producer.produced] == [b"v1", b"v3"]
    assert [dict(_headers(m))["__connect.errors.stage"] for m in producer.produced] == [
        b"TASK_PUT",
        b"TASK_PUT",
    ]
    assert [_headers(m)[-2] for m in producer.produced] == [
        ("__connect.errors.exception.message", b"odd value v1"),
        ("__connect.errors.exception.message", b"odd value v3"),
    ]
    assert not any(f.done() for f in sink.futures)
    clock.advance(1.0)
    wait_for(lambda: producer.flushes, 5)  # the commit has begun: it waits on the reports
    assert producer.flushes == [5.0]  # offset.flush.timeout.ms
    assert consumer.commits == []
    producer.ack()
    wait_for(lambda: consumer.commits, 5)
    assert consumer.commits == [(False, {TP: 4})]
    assert all(f.result(timeout=0) is None for f in sink.futures)
    wait_for(lambda: task.last_committed.get(TopicPartition(*TP)) == 4, 5)
    assert task.errors.total_skipped == 2
    _stop(task)


def test_a_record_failing_conversion_goes_to_the_dlq_and_the_task_goes_on(
    closing: list[ErrorReporter],
) -> None:
    producer, sink = FakeProducer({}), _Sink()
    messages = [FakeMessage(*TP, 0, b"v0"), FakeMessage(*TP, 1, b"bad"), FakeMessage(*TP, 2, b"v2")]
    task, consumer, clock, _ = _start_reporting(sink, messages, producer, closing)
    wait_for(lambda: len(sink.values) == 2, 5)
    assert sink.values == ["v0", "v2"]
    assert [m.value() for m in producer.produced] == [b"bad"]
    headers = dict(_headers(producer.produced[0]))
    assert headers["__connect.errors.stage"] == b"VALUE_CONVERTER"
    assert headers["__connect.errors.offset"] == b"1"
    producer.ack()
    clock.advance(1.0)
    wait_for(lambda: consumer.commits, 5)
    assert consumer.commits == [(False, {TP: 3})]
    _stop(task)


def test_a_failed_dlq_produce_of_a_reported_record_fails_the_task_before_committing(
    closing: list[ErrorReporter],
) -> None:
    """As in Kafka, where ``WorkerErrantRecordReporter.awaitAllFutures`` throws at the commit."""
    producer, sink = FakeProducer({}), _ReportingSink()
    task, consumer, clock, listener = _start_reporting(sink, _messages(0, 2), producer, closing)
    wait_for(lambda: len(producer.produced) == 1, 5)
    producer.fail_next = 1
    producer.ack()
    clock.advance(1.0)
    wait_for(lambda: any(e == "failure" for e, _ in listener.events), 5)
    _stop(task)
    assert isinstance(sink.futures[0].exception(timeout=0), KafkaException)
    assert consumer.commits == []  # v1 is neither written nor in the DLQ: nothing committed
    assert task.dead_letter_counts() == (1, 1)


def test_a_failed_dlq_produce_of_a_conversion_failure_does_not_kill_the_task(
    closing: list[ErrorReporter],
) -> None:
    """Kafka logs and counts it and goes on: only a task's own reports fail it."""
    producer, sink = FakeProducer({}), _Sink()
    messages = [FakeMessage(*TP, 0, b"bad"), FakeMessage(*TP, 1, b"v1")]
    task, consumer, clock, listener = _start_reporting(sink, messages, producer, closing)
    wait_for(lambda: sink.values == ["v1"], 5)
    producer.fail_next = 1
    producer.ack()
    clock.advance(1.0)
    wait_for(lambda: consumer.commits or [e for e, _ in listener.events if e == "failure"], 5)
    assert [e for e, _ in listener.events] == ["startup"]
    assert consumer.commits == [(False, {TP: 2})]
    assert task.dead_letter_counts() == (1, 1)
    _stop(task)
