"""``KafkaBasedLog``: one internal topic, read from its beginning on a thread, written to by key.

Every Kafka-backed store is the same loop: a consumer with every partition of the topic assigned
(no consumer group, nothing committed) reads from the beginning and hands each record, in order,
to the store's callback, which folds it into an in-memory view; a producer writes new records;
and :meth:`KafkaBasedLog.read_to_end` waits until the view includes everything written before it
was called, which is how a worker makes sure it acts on the cluster's latest state.

Threads. The reader thread is the only user of the consumer (confluent-kafka admits one call at a
time into a consumer, and a poll holds it for its whole timeout) and runs the callback; it never
dies on an error (a failing callback or a broker outage is logged and the loop carries on).
Delivery reports of the producer are served by a second thread that exists only while sends are
outstanding, so an idle worker, which runs three of these logs, has three Python threads for
them, each waking five times a second.

Reading to the end. ``read_to_end`` first flushes the producer (so the caller's own writes are
included), then asks an admin client for each partition's end offset (the consumer's connection
is held by its long-polling fetches, which would delay the answer by up to half a second), then
waits until the reader's position has reached every one of them. The consumer reads with
``isolation.level=read_committed`` as Kafka Connect's does, so records of aborted transactions (a
Java leader writes the config topic transactionally when exactly-once source support is on) are
never applied, while the end offsets include open transactions: as in Kafka Connect, a read to
the end waits for a transaction in progress to finish.

Log lines. The clients' lines come out of their own calls (:mod:`sluice.kafka.client_logs`): the
consumer's out of the reader's polls, the producer's out of the delivery thread's while sends are
outstanding and otherwise out of a ``poll(0)`` of the reader's, so that a producer that has
nothing to send still says, when it says it, that it lost its broker.

Writing. The producer waits for all in-sync replicas (``acks=all``), is idempotent (retries cannot
reorder or duplicate records), and partitions keys with ``murmur2_random``, the hash Java's default
partitioner uses, so a key lands on the partition a Java worker picks: a compacted topic keeps only
the last record of a key *within a partition*, and readers of several partitions only see one
key's records in order when they share one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    IsolationLevel,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, OffsetSpec  # type: ignore[attr-defined]

from sluice.api import ConnectError
from sluice.kafka.client_logs import new_consumer, new_producer

__all__ = ["KafkaBasedLog", "LogClients", "LogRecord", "LogSendError"]

log = logging.getLogger(__name__)

POLL_INTERVAL: Final = 0.2
"""How long the reader waits for records before it updates its positions (control records of
transactions move them without delivering a record) and checks for stop."""
_BATCH: Final = 500
_LATEST: Final[OffsetSpec] = OffsetSpec.latest()  # type: ignore[no-untyped-call]
_EARLIEST: Final[OffsetSpec] = OffsetSpec.earliest()  # type: ignore[no-untyped-call]
_RETRIABLE_SEND: Final = frozenset(
    {
        KafkaError._MSG_TIMED_OUT,
        KafkaError._TIMED_OUT,
        KafkaError._TRANSPORT,
        KafkaError._ALL_BROKERS_DOWN,
        KafkaError.REQUEST_TIMED_OUT,
        KafkaError.NETWORK_EXCEPTION,
        KafkaError.NOT_ENOUGH_REPLICAS,
        KafkaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.NOT_LEADER_FOR_PARTITION,
    }
)


class LogRecord(NamedTuple):
    """One record read from the topic; ``value`` is ``None`` for a tombstone."""

    key: bytes | None
    value: bytes | None
    partition: int
    offset: int


class LogSendError(ConnectError):
    """A record could not be written; ``error`` is librdkafka's reason, ``retriable`` whether
    sending it again may succeed (Kafka's ``RetriableException``)."""

    def __init__(self, topic: str, error: KafkaError) -> None:
        super().__init__(f"Failed to write to topic {topic}: {error.str()}")
        self.error = error
        self.retriable = error.retriable() or error.code() in _RETRIABLE_SEND


@dataclass(frozen=True)
class LogClients:
    """librdkafka settings for the clients of one internal topic.

    ``common`` goes to every client (``bootstrap.servers`` and connection security); the other
    three are added for that client only. Kafka Connect builds its internal-topic clients from
    the worker's top-level settings, not from the ``producer.*``/``consumer.*`` prefixes meant for
    connectors' clients. :class:`KafkaBasedLog` forces the few settings it depends on over these.
    """

    common: Mapping[str, Any]
    producer: Mapping[str, Any] = field(default_factory=dict)
    consumer: Mapping[str, Any] = field(default_factory=dict)
    admin: Mapping[str, Any] = field(default_factory=dict)

    def producer_config(
        self, client_id: str, forced: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """``forced``: settings a store depends on, applied over the user's."""
        return {"client.id": client_id, **self.common, **self.producer, **(forced or {})}

    def consumer_config(self, client_id: str) -> dict[str, Any]:
        return {"client.id": client_id, **self.common, **self.consumer}

    def admin_config(self, client_id: str) -> dict[str, Any]:
        return {"client.id": client_id, **self.common, **self.admin}


@dataclass
class _EndRequest:
    """A pending ``read_to_end``: the offsets each partition must reach."""

    targets: dict[int, int]
    done: Future[None]


class KafkaBasedLog:
    """A topic read from its beginning into ``on_record``, and written to with :meth:`send`.

    ``producer_config`` ``None`` makes a read-only log. ``on_record`` runs on the reader thread,
    one record at a time in offset order per partition; it must return quickly and must not call
    :meth:`read_to_end` (that would wait for itself).
    """

    def __init__(
        self,
        topic: str,
        on_record: Callable[[LogRecord], None],
        consumer_config: Mapping[str, Any],
        producer_config: Mapping[str, Any] | None = None,
    ) -> None:
        self.topic = topic
        self._admin: AdminClient | None = None
        self._on_record = on_record
        self._consumer_config: dict[str, Any] = {
            "group.id": f"{consumer_config.get('client.id', 'sluice')}-unused",
            **consumer_config,
            # assigned partitions, read from the beginning, nothing committed
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": "earliest",
            "enable.partition.eof": False,
            "isolation.level": "read_committed",
        }
        self._producer_config: dict[str, Any] | None = (
            None
            if producer_config is None
            else {
                **producer_config,
                "acks": "all",
                "enable.idempotence": True,
                "partitioner": "murmur2_random",
            }
        )
        self._consumer: Consumer | None = None
        self._producer: Producer | None = None
        self._partitions: list[TopicPartition] = []
        self._positions: dict[int, int] = {}
        self._requests: list[_EndRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._reader: threading.Thread | None = None
        self._poller: threading.Thread | None = None
        self._in_flight = 0

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def partition_count(self) -> int:
        return len(self._partitions)

    def start(
        self,
        admin: AdminClient,
        timeout: float = 60.0,
        on_caught_up: Callable[[], None] | None = None,
    ) -> None:
        """Create the clients, read the topic to its end, then keep reading in the background.

        ``admin`` answers the end offsets for reads to the end (several logs may share one, as
        Kafka Connect's three stores share theirs).

        ``on_caught_up`` runs once the initial read is complete and before any later record is
        handed over (on the reader thread, or on this one when the topic was empty), so a store
        can tell records it read at start-up from changes made afterwards.
        Raises :class:`TimeoutError` when the initial read takes longer than ``timeout``.
        """
        deadline = time.monotonic() + timeout
        self._admin = admin
        self._consumer = consumer = new_consumer(self._consumer_config)
        if self._producer_config is not None:
            self._producer = new_producer(self._producer_config)
        try:
            partitions = self._wait_for_partitions(consumer, deadline)
            self._partitions = [TopicPartition(self.topic, p) for p in partitions]
            consumer.assign([TopicPartition(self.topic, p, OFFSET_BEGINNING) for p in partitions])
            # Registered before the reader starts, so that on_caught_up runs on the reader thread
            # right after the last record of the initial read (or here, if there is none).
            first = _EndRequest(self._end_offsets(deadline), Future())
            if on_caught_up is not None:
                first.done.add_done_callback(
                    lambda f: on_caught_up() if f.exception() is None else None
                )
            if first.targets:
                self._requests.append(first)
            else:
                first.done.set_result(None)
            self._reader = threading.Thread(
                target=self._read, name=f"KafkaBasedLog Work Thread - {self.topic}", daemon=True
            )
            self._reader.start()
            first.done.result(timeout=max(0.0, deadline - time.monotonic()))
        except BaseException:
            self.stop(timeout=1.0)
            raise
        log.info("Started KafkaBasedLog for topic %s (%d partitions)", self.topic, len(partitions))

    def stop(self, timeout: float = 30.0) -> None:
        """Stop reading; give outstanding sends up to ``timeout`` seconds, then fail them."""
        self._stopping.set()
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join()
        self._reader = None
        with self._lock:
            pending, self._requests = self._requests, []
        for request in pending:
            if not request.done.done():
                request.done.set_exception(ConnectError(f"KafkaBasedLog for {self.topic} stopped"))
        producer, self._producer = self._producer, None
        if producer is not None:
            if producer.flush(timeout) > 0:
                log.warning("Dropping unsent records to topic %s on stop", self.topic)
                producer.purge()
                producer.flush(1.0)  # serves the purged records' delivery reports
            poller = self._poller
            if poller is not None and poller is not threading.current_thread():
                poller.join(timeout=5.0)
        if self._consumer is not None:
            self._consumer.close()
        # Dropping the clients destroys them, closing their connections.
        self._consumer = None
        self._admin = None
        log.info("Stopped KafkaBasedLog for topic %s", self.topic)

    def _wait_for_partitions(self, consumer: Consumer, deadline: float) -> list[int]:
        delay = 0.1
        while True:
            remaining = deadline - time.monotonic()
            try:
                meta = consumer.list_topics(self.topic, timeout=max(0.5, min(remaining, 5.0)))
                found = meta.topics.get(self.topic)
                if found is not None and found.error is None and found.partitions:
                    return sorted(found.partitions)
                reason = found.error if found is not None else "missing from metadata"
            except KafkaException as e:
                reason = e.args[0]
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"Could not look up the partitions of topic '{self.topic}' in time ({reason}): "
                    "the brokers may be unreachable, or the topic does not exist"
                )
            time.sleep(delay)
            delay = min(2 * delay, 1.0)

    # -- reading --------------------------------------------------------------------------------
    def read_to_end(self, timeout: float) -> None:
        """Return once every record written before this call (by anyone, including this log's
        own producer) has been handed to ``on_record``; :class:`TimeoutError` after ``timeout``
        seconds."""
        if threading.current_thread() is self._reader:
            raise RuntimeError("read_to_end called from the reader thread would wait for itself")
        deadline = time.monotonic() + timeout
        if not self.flush(timeout):
            raise TimeoutError(f"Records to topic {self.topic} were not acknowledged in time")
        if self._reader is None:
            raise ConnectError(f"KafkaBasedLog for {self.topic} is not running")
        request = self._register(self._end_offsets(deadline))
        try:
            request.result(timeout=max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            with self._lock:
                self._requests = [r for r in self._requests if r.done is not request]
            raise TimeoutError(
                f"Reading topic {self.topic} to its end took longer than {timeout:.1f}s"
            ) from None

    def _end_offsets(self, deadline: float) -> dict[int, int]:
        """The offset each partition must reach, asked of the admin client (the consumer's own
        connection is busy with its long-polling fetches), retrying until ``deadline``.

        The ends are the log end offsets, open transactions included, as Kafka Connect takes
        them: a read to the end waits for a transaction in progress to finish. A partition the
        reader has no position in yet and that holds nothing to read (empty, or every record
        deleted) has no target, since the consumer reports no position there.
        """
        first_try = time.monotonic()
        while True:
            timeout = max(0.5, min(deadline - time.monotonic(), 10.0))
            try:
                ends = self._list_offsets(self._partitions, _LATEST, timeout)
                with self._lock:
                    unread = [
                        tp
                        for tp in self._partitions
                        if ends[tp.partition] > 0 and self._positions.get(tp.partition, -1) < 0
                    ]
                starts = self._list_offsets(unread, _EARLIEST, timeout)
                return {p: end for p, end in ends.items() if end > starts.get(p, 0)}
            except (KafkaException, TimeoutError) as e:
                if time.monotonic() >= deadline:
                    raise TimeoutError(
                        f"Could not get the end offsets of topic {self.topic}: {e}"
                    ) from None
                # a topic created a moment ago answers "not leader" for a little while
                quiet = time.monotonic() - first_try < 5.0
                level = logging.DEBUG if quiet else logging.WARNING
                log.log(level, "Retrying to get the end offsets of topic %s: %s", self.topic, e)
                time.sleep(0.2)

    def _list_offsets(
        self, partitions: list[TopicPartition], spec: OffsetSpec, timeout: float
    ) -> dict[int, int]:
        if not partitions:
            return {}
        assert self._admin is not None
        answers = self._admin.list_offsets(
            {TopicPartition(self.topic, tp.partition): spec for tp in partitions},
            isolation_level=IsolationLevel.READ_UNCOMMITTED,
            request_timeout=timeout,
        )
        return {tp.partition: f.result(timeout=timeout + 1).offset for tp, f in answers.items()}

    def _register(self, targets: dict[int, int]) -> Future[None]:
        """A future completed once the reader's positions reach ``targets``."""
        request = _EndRequest(targets, Future())
        with self._lock:
            reached = self._reached(request)
            if not reached:
                self._requests.append(request)
        if reached:
            request.done.set_result(None)
        return request.done

    def _reached(self, request: _EndRequest) -> bool:
        return all(self._positions.get(p, -1) >= end for p, end in request.targets.items())

    def _read(self) -> None:
        """The reader thread: the only user of the consumer once started."""
        consumer = self._consumer
        assert consumer is not None
        backoff = 0.1
        while not self._stopping.is_set():
            try:
                first = consumer.poll(POLL_INTERVAL)
                batch = [] if first is None else [first, *consumer.consume(_BATCH - 1, 0)]
                for message in batch:
                    self._handle(message)
                if batch or self._requests:
                    self._advance(consumer)
                producer = self._producer
                if producer is not None and self._poller is None:
                    producer.poll(0)  # an idle producer's log lines (see below)
                backoff = 0.1
            except Exception:
                log.exception("Error reading topic %s; retrying in %.1fs", self.topic, backoff)
                self._stopping.wait(backoff)
                backoff = min(2 * backoff, 5.0)

    def _advance(self, consumer: Consumer) -> None:
        """Take the consumer's positions and complete the read-to-end requests they satisfy."""
        positions = consumer.position(self._partitions)
        with self._lock:
            for tp in positions:
                if tp.offset >= 0:
                    self._positions[tp.partition] = tp.offset
            done = [r for r in self._requests if self._reached(r)]
            self._requests = [r for r in self._requests if r not in done]
        self._complete(done)

    def _passed(self, partition: int, offset: int) -> None:
        """The record at ``offset`` was applied: complete the requests it satisfies now, before
        the next record is handed over (so ``on_caught_up`` runs at exactly the right point)."""
        with self._lock:
            self._positions[partition] = max(self._positions.get(partition, -1), offset + 1)
            done = [r for r in self._requests if self._reached(r)]
            if done:
                self._requests = [r for r in self._requests if r not in done]
        self._complete(done)

    @staticmethod
    def _complete(done: list[_EndRequest]) -> None:
        for request in done:
            if not request.done.done():
                request.done.set_result(None)

    def _handle(self, message: Message) -> None:
        error = message.error()
        if error is not None:
            if error.code() != KafkaError._PARTITION_EOF:
                level = logging.ERROR if error.fatal() else logging.WARNING
                log.log(level, "Error reading topic %s: %s", self.topic, error.str())
            return
        partition, offset = message.partition(), message.offset()
        assert partition is not None and offset is not None
        record = LogRecord(message.key(), message.value(), partition, offset)
        try:
            self._on_record(record)
        except Exception:
            log.exception(
                "Failed to apply record at %s-%d offset %d", self.topic, partition, offset
            )
        if self._requests:
            self._passed(partition, offset)

    # -- writing --------------------------------------------------------------------------------
    def send(
        self, key: bytes | str | None, value: bytes | None, partition: int | None = None
    ) -> Future[tuple[int, int]]:
        """Write one record; the future holds its ``(partition, offset)`` once all in-sync
        replicas have it, or a :class:`LogSendError`."""
        producer = self._producer
        if producer is None or self._stopping.is_set():
            raise ConnectError(
                f"KafkaBasedLog for {self.topic} cannot write (read-only or stopped)"
            )
        result: Future[tuple[int, int]] = Future()

        def delivered(error: KafkaError | None, message: Message) -> None:
            with self._lock:
                self._in_flight -= 1
            if error is not None:
                result.set_exception(LogSendError(self.topic, error))
            else:
                written_partition, written_offset = message.partition(), message.offset()
                assert written_partition is not None and written_offset is not None
                result.set_result((written_partition, written_offset))

        with self._lock:
            self._in_flight += 1
            if self._poller is None:
                self._poller = threading.Thread(
                    target=self._serve_deliveries,
                    args=(producer,),
                    name=f"KafkaBasedLog Producer - {self.topic}",
                    daemon=True,
                )
                self._poller.start()
        try:
            self._produce(producer, key, value, partition, delivered)
        except BaseException:
            with self._lock:
                self._in_flight -= 1
            raise
        return result

    def _produce(
        self,
        producer: Producer,
        key: bytes | str | None,
        value: bytes | None,
        partition: int | None,
        delivered: Callable[[KafkaError | None, Message], None],
    ) -> None:
        deadline = time.monotonic() + 60.0
        while True:
            try:
                producer.produce(
                    self.topic,
                    value=value,
                    key=key,
                    partition=-1 if partition is None else partition,
                    on_delivery=delivered,
                )
                return
            except BufferError:  # the local queue is full: wait for deliveries to free it
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)

    def _serve_deliveries(self, producer: Producer) -> None:
        """Serve delivery reports while sends are outstanding, then end."""
        while True:
            try:
                producer.poll(POLL_INTERVAL)
            except Exception:
                log.exception("Error serving delivery reports for topic %s", self.topic)
            with self._lock:
                if self._in_flight <= 0:
                    self._poller = None
                    return

    def flush(self, timeout: float) -> bool:
        """Wait until every record sent so far is acknowledged (or failed); ``False`` if some are
        still outstanding after ``timeout`` seconds."""
        if self._producer is None:
            return True
        return self._producer.flush(timeout) == 0
