"""The dead-letter queue reporter on an in-memory producer: what it writes, and how it fails.

The reporter gets its producer from ``KafkaClients`` as a task does; these tests hand it the
:class:`~tests.unit.runtime.kafka_doubles.FakeProducer`, whose deliveries are reported only once
the test acknowledges them. The header names and values are those of Kafka Connect's
``DeadLetterQueueReporter.populateContextHeaders``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from sluice.api import DataError, SourceRecord
from sluice.runtime import dead_letter_queue
from sluice.runtime.dead_letter_queue import DeadLetterQueueReporter, ensure_dlq_topic
from sluice.runtime.errors import ConsumedRecord, ProcessingContext, Stage
from tests.unit.runtime.kafka_doubles import FakeMessage, FakeProducer, doubles

DLQ = "orders-dlq"


def _headers(message: FakeMessage) -> list[tuple[str, bytes | None]]:
    """The message's headers, none being an empty list."""
    return message.headers() or []


CONFIG = {"bootstrap.servers": "kafka:9092", "client.id": "connector-dlq-producer-snk-3"}

Reporters = Callable[..., DeadLetterQueueReporter]


@pytest.fixture
def reporter_for() -> Iterator[Reporters]:
    """Builds reporters on a given producer, and closes them after the test."""
    made: list[DeadLetterQueueReporter] = []

    def make(producer: FakeProducer, context_headers: bool = False) -> DeadLetterQueueReporter:
        reporter = DeadLetterQueueReporter(
            dict(CONFIG), DLQ, context_headers, clients=doubles(producer=producer)
        )
        made.append(reporter)
        return reporter

    yield make
    for reporter in made:
        reporter.close()


def _consumed(timestamp: int | None = 1_700_000_000_123) -> ConsumedRecord:
    return ConsumedRecord(
        "orders",
        2,
        41,
        b"k-41",
        b"\x00\xff not json",
        [("origin", b"test"), ("empty", None)],
        timestamp,
    )


def _context(
    error: BaseException | None = None, consumed: ConsumedRecord | None = None, record: Any = None
) -> ProcessingContext:
    return ProcessingContext(
        "snk",
        3,
        Stage.VALUE_CONVERTER,
        "org.apache.kafka.connect.json.JsonConverter",
        error if error is not None else DataError("Converting byte[] failed"),
        consumed=consumed,
        record=record,
    )


def test_the_producer_comes_from_the_clients_with_the_config_given(
    reporter_for: Reporters,
) -> None:
    producer = FakeProducer({})
    reporter = reporter_for(producer)
    assert reporter.producer is producer
    assert producer.config == CONFIG


def test_the_dlq_record_is_the_consumed_record_bytes_untouched(reporter_for: Reporters) -> None:
    producer = FakeProducer({})
    reporter = reporter_for(producer)
    consumed = _consumed()
    future = reporter.report(_context(consumed=consumed))
    assert producer.produced == [
        FakeMessage(
            DLQ,
            0,
            0,
            b"\x00\xff not json",
            b"k-41",
            [("origin", b"test"), ("empty", None)],
            (1, 1_700_000_000_123),
        )
    ]
    assert consumed.headers == [("origin", b"test"), ("empty", None)]  # not appended to
    assert reporter.produce_requests == 1
    assert not future.done()  # durable only once the broker acknowledges it
    producer.ack()
    assert future.result(timeout=5) is None
    assert reporter.produce_failures == 0


def test_a_record_without_timestamp_is_produced_without_one(reporter_for: Reporters) -> None:
    producer = FakeProducer({})
    reporter_for(producer).report(_context(consumed=_consumed(timestamp=None)))
    assert producer.produced[0].timestamp() == (0, -1)  # left to the producer, as Kafka does


def test_context_headers_are_kafka_connects_names_and_values(reporter_for: Reporters) -> None:
    producer = FakeProducer({})
    reporter = reporter_for(producer, context_headers=True)
    consumed = _consumed()
    reporter.report(_context(consumed=consumed))
    assert producer.produced[0].headers() == [
        ("origin", b"test"),
        ("empty", None),
        ("__connect.errors.topic", b"orders"),
        ("__connect.errors.partition", b"2"),
        ("__connect.errors.offset", b"41"),
        ("__connect.errors.connector.name", b"snk"),
        ("__connect.errors.task.id", b"3"),
        ("__connect.errors.stage", b"VALUE_CONVERTER"),
        ("__connect.errors.class.name", b"org.apache.kafka.connect.json.JsonConverter"),
        (
            "__connect.errors.exception.class.name",
            b"org.apache.kafka.connect.errors.DataException",
        ),
        ("__connect.errors.exception.message", b"Converting byte[] failed"),
        (
            "__connect.errors.exception.stacktrace",
            b"org.apache.kafka.connect.errors.DataException: Converting byte[] failed\n",
        ),
    ]
    assert consumed.headers == [("origin", b"test"), ("empty", None)]
    assert producer.produced[0].value() == b"\x00\xff not json"


def test_an_exception_without_message_has_a_null_message_header(
    reporter_for: Reporters,
) -> None:
    producer = FakeProducer({})
    reporter_for(producer, context_headers=True).report(
        _context(error=ValueError(), consumed=_consumed())
    )
    errors = dict(_headers(producer.produced[0])[2:])
    assert errors["__connect.errors.exception.class.name"] == b"ValueError"
    assert "__connect.errors.exception.message" in errors
    assert errors["__connect.errors.exception.message"] is None  # Kafka: toBytes(null)
    assert errors["__connect.errors.exception.stacktrace"] == b"ValueError\n"


def test_the_stacktrace_header_names_the_cause(reporter_for: Reporters) -> None:
    producer = FakeProducer({})
    try:
        try:
            raise ValueError("invalid character")
        except ValueError as cause:
            raise DataError("Converting byte[] failed") from cause
    except DataError as e:
        error = e
    reporter_for(producer, context_headers=True).report(_context(error, consumed=_consumed()))
    trace = dict(_headers(producer.produced[0])[2:])["__connect.errors.exception.stacktrace"]
    assert isinstance(trace, bytes)
    lines = trace.decode().splitlines()
    assert lines[0] == "org.apache.kafka.connect.errors.DataException: Converting byte[] failed"
    assert lines[1].startswith("\tat tests.unit.runtime.test_dead_letter_queue.")
    assert "Caused by: ValueError: invalid character" in lines


def test_a_source_record_goes_out_as_json_with_its_own_coordinates(
    reporter_for: Reporters,
) -> None:
    producer = FakeProducer({})
    reporter = reporter_for(producer, context_headers=True)
    record = SourceRecord(
        {"file": "in.txt"}, {"position": 6}, "lines", None, None, "k", None, "plain", 1234
    )
    reporter.report(_context(error=KeyError("id"), record=record))
    message = producer.produced[0]
    assert message.key() is None
    assert message.value() == (
        b'{"topic":"lines","partition":null,"key":"k","value":"plain",'
        b'"source_partition":{"file":"in.txt"},"source_offset":{"position":6}}'
    )
    assert message.timestamp() == (1, 1234)
    assert message.headers() == [
        ("__connect.errors.topic", b"lines"),  # no partition, no offset: none was assigned
        ("__connect.errors.connector.name", b"snk"),
        ("__connect.errors.task.id", b"3"),
        ("__connect.errors.stage", b"VALUE_CONVERTER"),
        ("__connect.errors.class.name", b"org.apache.kafka.connect.json.JsonConverter"),
        ("__connect.errors.exception.class.name", b"KeyError"),
        ("__connect.errors.exception.message", b"'id'"),
        ("__connect.errors.exception.stacktrace", b"KeyError: 'id'\n"),
    ]


def test_a_source_record_with_a_partition_names_it(reporter_for: Reporters) -> None:
    producer = FakeProducer({})
    record = SourceRecord(None, None, "lines", 4, None, None, None, "x")
    reporter_for(producer, context_headers=True).report(_context(record=record))
    assert _headers(producer.produced[0])[:2] == [
        ("__connect.errors.topic", b"lines"),
        ("__connect.errors.partition", b"4"),
    ]
    assert producer.produced[0].timestamp() == (0, -1)


def test_a_failed_produce_is_counted_and_logged_and_the_reporter_goes_on(
    reporter_for: Reporters, caplog: pytest.LogCaptureFixture
) -> None:
    producer = FakeProducer({})
    reporter = reporter_for(producer)
    producer.fail_next = 1
    caplog.set_level(logging.ERROR, logger="sluice.runtime.dead_letter_queue")
    first = reporter.report(_context(consumed=_consumed()))
    second = reporter.report(_context(consumed=_consumed()))
    producer.ack()
    error = first.exception(timeout=5)
    assert isinstance(error, KafkaException)
    assert error.args[0].code() == KafkaError.MSG_SIZE_TOO_LARGE
    assert second.result(timeout=5) is None
    assert (reporter.produce_requests, reporter.produce_failures) == (2, 1)
    [line] = caplog.records
    assert line.levelno == logging.ERROR
    assert line.getMessage() == "Could not produce message to dead letter queue. topic=orders-dlq"
    assert line.exc_info is not None and line.exc_info[1] is error
    third = reporter.report(_context(consumed=_consumed()))  # still producing
    producer.ack()
    assert third.result(timeout=5) is None
    assert (reporter.produce_requests, reporter.produce_failures) == (3, 1)


def test_a_full_producer_queue_is_waited_out_not_dropped(reporter_for: Reporters) -> None:
    producer = FakeProducer({})
    producer.buffer_full = 2
    reporter = reporter_for(producer)
    reporter.report(_context(consumed=_consumed()))
    assert [m.value() for m in producer.produced] == [b"\x00\xff not json"]
    assert producer.buffer_full == 0  # refused twice, then taken
    assert reporter.produce_requests == 1


def test_flush_serves_acknowledgements_within_the_timeout(reporter_for: Reporters) -> None:
    producer = FakeProducer({})
    reporter = reporter_for(producer)
    future = reporter.report(_context(consumed=_consumed()))
    with producer.lock:  # hold the poller back: the report is served by flush itself
        producer.acked = 1
        reporter.flush()
        assert future.done()
    reporter.flush(2.5)
    assert producer.flushes == [30.0, 2.5]


def test_close_stops_the_poller_and_flushes(reporter_for: Reporters) -> None:
    producer = FakeProducer({})
    reporter = reporter_for(producer)
    future = reporter.report(_context(consumed=_consumed()))
    producer.ack()  # served by the poller, else by close's flush
    reporter.close()
    assert future.result(timeout=0) is None
    assert producer.flushes == [30.0]
    assert not [t for t in threading.enumerate() if t.name == f"dlq-{DLQ}"]


def test_close_logs_records_left_unacknowledged(
    reporter_for: Reporters, caplog: pytest.LogCaptureFixture
) -> None:
    producer = FakeProducer({})
    reporter = reporter_for(producer)
    caplog.set_level(logging.ERROR, logger="sluice.runtime.dead_letter_queue")
    reporter.report(_context(consumed=_consumed()))
    reporter.report(_context(consumed=_consumed()))
    reporter.close()
    assert [r.getMessage() for r in caplog.records] == [
        "2 dead-letter records were not acknowledged before closing"
    ]


# -- topic creation (the worker's job, before it builds the reporter) ------------------------


class _Future:
    def __init__(self, error: KafkaException | None) -> None:
        self.error = error
        self.timeouts: list[float] = []

    def result(self, timeout: float) -> None:
        self.timeouts.append(timeout)
        if self.error is not None:
            raise self.error


class _Admin:
    def __init__(self, config: dict[str, Any], topics: set[str], error: KafkaException | None):
        self.config = config
        self.topics = topics
        self.created: list[tuple[str, int, int]] = []
        self.future = _Future(error)

    def list_topics(self, timeout: float) -> Any:
        assert timeout == 30
        return type("Metadata", (), {"topics": {t: object() for t in self.topics}})()

    def create_topics(self, topics: list[Any]) -> dict[str, _Future]:
        self.created += [(t.topic, t.num_partitions, t.replication_factor) for t in topics]
        return {t.topic: self.future for t in topics}


def _admin(
    monkeypatch: pytest.MonkeyPatch, topics: set[str], error: KafkaException | None = None
) -> list[_Admin]:
    admins: list[_Admin] = []

    def new_admin(config: dict[str, Any]) -> _Admin:
        admins.append(_Admin(config, topics, error))
        return admins[-1]

    monkeypatch.setattr(dead_letter_queue, "new_admin", new_admin)
    return admins


def test_ensure_dlq_topic_creates_one_partition_with_the_replication_factor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admins = _admin(monkeypatch, {"orders"})
    ensure_dlq_topic({"bootstrap.servers": "kafka:9092"}, DLQ, 3)
    [admin] = admins
    assert admin.config == {"bootstrap.servers": "kafka:9092"}
    assert admin.created == [(DLQ, 1, 3)]
    assert admin.future.timeouts == [30]


def test_ensure_dlq_topic_leaves_an_existing_topic_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    admins = _admin(monkeypatch, {DLQ})
    ensure_dlq_topic({}, DLQ, 3)
    assert admins[0].created == []


def test_ensure_dlq_topic_accepts_a_topic_created_meanwhile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admins = _admin(monkeypatch, set(), KafkaException(KafkaError(KafkaError.TOPIC_ALREADY_EXISTS)))
    ensure_dlq_topic({}, DLQ, 1)
    assert admins[0].created == [(DLQ, 1, 1)]


def test_ensure_dlq_topic_raises_other_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    refused = KafkaException(KafkaError(KafkaError.POLICY_VIOLATION))
    _admin(monkeypatch, set(), refused)
    with pytest.raises(KafkaException) as raised:
        ensure_dlq_topic({}, DLQ, 1)
    assert raised.value is refused
