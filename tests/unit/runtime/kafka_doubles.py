"""In-memory stand-ins for the Kafka clients a worker hands its tasks, and a clock that moves
only when told to, so that the task loops can be unit-tested without a broker.

They implement the parts of confluent-kafka's ``Consumer``/``Producer`` the runtime calls, with
librdkafka's behaviour where it matters: rebalance callbacks are served inside ``consume``,
asynchronous commit results arrive through the ``on_commit`` setting at a later ``consume``, a
synchronous commit returns its result, delivery reports are served by ``poll``/``flush``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, KafkaException, TopicPartition

from sluice.kafka.clients import KafkaClients

__all__ = ["FakeClock", "FakeConsumer", "FakeMessage", "FakeProducer", "doubles"]


class FakeClock:
    """Monotonic seconds that advance by ``tick`` on every read (so loops make progress)."""

    def __init__(self, tick: float = 0.0) -> None:
        self.now = 1000.0
        self.tick = tick
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            self.now += self.tick
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


@dataclass
class FakeMessage:
    """A consumed message (or a produced one, once delivered)."""

    _topic: str
    _partition: int
    _offset: int
    _value: bytes | None
    _key: bytes | None = None
    _headers: list[tuple[str, bytes | None]] | None = None
    _timestamp: tuple[int, int] = (1, 1_700_000_000_000)
    _error: KafkaError | None = None

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def value(self) -> bytes | None:
        return self._value

    def key(self) -> bytes | None:
        return self._key

    def headers(self) -> list[tuple[str, bytes | None]] | None:
        return self._headers

    def timestamp(self) -> tuple[int, int]:
        return self._timestamp

    def error(self) -> KafkaError | None:
        return self._error


@dataclass
class FakeConsumer:
    """A consumer of scripted batches; ``assign`` partitions arrive at the first ``consume``."""

    config: Mapping[str, Any]
    assign: list[tuple[str, int]]
    batches: deque[list[FakeMessage]] = field(default_factory=deque)
    fail_async_commits: bool = False
    commits: list[tuple[bool, dict[tuple[str, int], int]]] = field(default_factory=list)
    """Every commit sent: (synchronous, offsets)."""
    seeks: list[tuple[str, int, int]] = field(default_factory=list)
    paused: set[tuple[str, int]] = field(default_factory=set)
    closed: bool = False
    _callbacks: dict[str, Callable[..., None]] = field(default_factory=dict)
    _assigned: bool = False
    _pending_commit_results: deque[tuple[KafkaError | None, list[TopicPartition]]] = field(
        default_factory=deque
    )
    _revoke_requested: bool = False

    def subscribe(self, topics: list[str], **callbacks: Callable[..., None]) -> None:
        self._callbacks = callbacks

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[FakeMessage]:
        if not self._assigned:
            self._assigned = True
            self._callbacks["on_assign"](self, [TopicPartition(t, p) for t, p in self.assign])
        if self._revoke_requested:
            self._revoke_requested = False
            self._callbacks["on_revoke"](self, [TopicPartition(t, p) for t, p in self.assign])
            self.assign = []
        while self._pending_commit_results:
            err, partitions = self._pending_commit_results.popleft()
            self.config["on_commit"](err, partitions)
        if self.batches:
            batch = self.batches.popleft()
            return [m for m in batch if (m.topic(), m.partition()) not in self.paused]
        time.sleep(0.002)  # what a real consume's timeout would do, briefly
        return []

    def revoke_all(self) -> None:
        """Have the next ``consume`` revoke every partition, as a rebalance would."""
        self._revoke_requested = True

    def commit(
        self, offsets: list[TopicPartition], asynchronous: bool = True
    ) -> list[TopicPartition] | None:
        self.commits.append((not asynchronous, {(o.topic, o.partition): o.offset for o in offsets}))
        if asynchronous:
            if self.fail_async_commits:
                err = KafkaError(KafkaError.REQUEST_TIMED_OUT)
                self._pending_commit_results.append((err, list(offsets)))
            else:
                self._pending_commit_results.append((None, list(offsets)))
            return None
        return list(offsets)

    def committed(self, partitions: list[TopicPartition], timeout: float = -1) -> list[Any]:
        return [TopicPartition(p.topic, p.partition, -1001) for p in partitions]

    def seek(self, partition: TopicPartition) -> None:
        self.seeks.append((partition.topic, partition.partition, partition.offset))

    def pause(self, partitions: list[TopicPartition]) -> None:
        self.paused.update((p.topic, p.partition) for p in partitions)

    def resume(self, partitions: list[TopicPartition]) -> None:
        self.paused.difference_update((p.topic, p.partition) for p in partitions)

    def get_watermark_offsets(self, partition: TopicPartition, **_: Any) -> tuple[int, int]:
        return 0, 100

    def close(self) -> None:
        self.closed = True


@dataclass
class FakeProducer:
    """Keeps what was produced; deliveries are reported by ``poll`` once ``ack`` allows.

    Safe to share between threads (a task thread producing, a poller thread serving reports):
    like librdkafka's, ``poll(timeout)`` waits up to ``timeout`` for a report to serve, and
    ``ack`` wakes it, so a background poller neither spins nor needs the test to sleep.
    """

    config: Mapping[str, Any]
    produced: list[FakeMessage] = field(default_factory=list)
    acked: int = 0
    """How many of the produced messages the "broker" has acknowledged so far."""
    fail_next: int = 0
    """How many of the next acknowledgements are failures instead."""
    buffer_full: int = 0
    """How many of the next ``produce`` calls raise ``BufferError`` (librdkafka's queue full)."""
    flushes: list[float] = field(default_factory=list)
    """The timeout of every ``flush`` call."""
    lock: threading.Condition = field(default_factory=threading.Condition)
    """Held by every call; a test holding it keeps a background poller from serving reports."""
    _reported: int = 0
    _callbacks: list[Callable[[KafkaError | None, Any], None]] = field(default_factory=list)

    def produce(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        partition: int = -1,
        on_delivery: Callable[[KafkaError | None, Any], None] | None = None,
        timestamp: int = 0,
        headers: Any = None,
    ) -> None:
        """Keeps the message; ``timestamp`` 0 (none given) is left as ``(0, -1)``."""
        with self.lock:
            if self.buffer_full:
                self.buffer_full -= 1
                raise BufferError("Local: Queue full")
            offset = len(self.produced)
            stamp = (1, timestamp) if timestamp else (0, -1)
            message = FakeMessage(
                topic, max(partition, 0), offset, value, key, headers, _timestamp=stamp
            )
            self.produced.append(message)
            self._callbacks.append(on_delivery or (lambda err, msg: None))

    def ack(self, count: int | None = None) -> None:
        """Let the broker acknowledge ``count`` more messages (all when None)."""
        with self.lock:
            self.acked = len(self.produced) if count is None else self.acked + count
            self.lock.notify_all()

    def _serve(self) -> int:
        served = 0
        while self._reported < min(self.acked, len(self.produced)):
            i = self._reported
            self._reported += 1
            err = None
            if self.fail_next:
                self.fail_next -= 1
                err = KafkaError(KafkaError.MSG_SIZE_TOO_LARGE)
            self._callbacks[i](err, self.produced[i])
            served += 1
        return served

    def poll(self, timeout: float = 0) -> int:
        with self.lock:
            if timeout > 0:
                self.lock.wait_for(
                    lambda: self._reported < min(self.acked, len(self.produced)), timeout
                )
            return self._serve()

    def flush(self, timeout: float = -1) -> int:
        with self.lock:
            self.flushes.append(timeout)
            self._serve()
            return len(self.produced) - self._reported

    def raise_fatal(self) -> None:
        raise KafkaException(KafkaError(KafkaError._FATAL))


def doubles(
    consumer: FakeConsumer | None = None,
    producer: FakeProducer | None = None,
    clock: FakeClock | None = None,
) -> KafkaClients:
    """Client factories handing out the given doubles (the config they get is recorded)."""

    def make_consumer(config: Mapping[str, Any], _on_error: Any) -> FakeConsumer:
        assert consumer is not None, "this test gave the task no consumer"
        consumer.config = config
        return consumer

    def make_producer(config: Mapping[str, Any], _on_error: Any) -> FakeProducer:
        assert producer is not None, "this test gave the task no producer"
        producer.config = config
        return producer

    return KafkaClients(
        producer=make_producer, consumer=make_consumer, clock=clock or FakeClock(tick=0.01)
    )
