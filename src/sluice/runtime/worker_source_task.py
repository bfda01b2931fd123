"""The source task loop: poll, transform, convert, produce, and commit acknowledged offsets.

The task thread does the work and serves the producer's delivery callbacks (``producer.poll``).
Offsets are written to the store every ``offset.flush.interval.ms`` and at shutdown, and only for
the acknowledged prefix of what was sent (see :mod:`sluice.runtime.submitted_records`). While the
task sits in ``poll`` (a connector may wait there, FileStreamSource for a second at the end of
its file), a committer thread serves the callbacks and commits in its place, as Kafka's
``SourceTaskOffsetCommitter`` does: the task's lock, held by the task thread everywhere but in
``poll``, keeps the two from ever touching the bookkeeping at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial
from typing import Any, Final

from confluent_kafka import KafkaError, KafkaException, Producer

from sluice.api import (
    RecordMetadata,
    RetriableError,
    SourceRecord,
    SourceTask,
    SourceTaskContext,
)
from sluice.kafka.clients import REAL_CLIENTS, KafkaClients
from sluice.runtime.errors import Stage
from sluice.runtime.metrics.task_metrics import SourceTaskMetrics
from sluice.runtime.offset_storage import StoreOffsetReader
from sluice.runtime.submitted_records import SubmittedBatch, SubmittedRecords
from sluice.runtime.worker_task import RecordPipeline, TaskStatusListener, WorkerTask
from sluice.storage.offset_codec import encode_value
from sluice.storage.offsets import OffsetBackingStore
from sluice.storage.states import ConnectorTaskId, TargetState

__all__ = ["WorkerSourceTask"]

_MISSING: Any = object()

PRODUCE_CLASS: Final = "org.apache.kafka.connect.runtime.WorkerSourceTask"
"""The executing class Kafka Connect reports for a record the producer failed to send
(``WorkerSourceTask`` passes ``WorkerSourceTask.class`` with ``Stage.KAFKA_PRODUCE``)."""

_Converted = tuple[Any, Any, list[tuple[str, str | bytes | None]] | None]
"""A record ready for the producer: key bytes, value bytes, Kafka headers."""

log = logging.getLogger(__name__)


class _Context(SourceTaskContext):
    def __init__(self, config: dict[str, str], reader: StoreOffsetReader) -> None:
        self._config = config
        self._reader = reader

    def configs(self) -> dict[str, str]:
        return dict(self._config)

    def offset_storage_reader(self) -> StoreOffsetReader:
        return self._reader


class _Ack:
    """Delivery callback for one batch: counts acknowledgements, keeps the first error."""

    __slots__ = ("batch", "failures")

    def __init__(self, batch: SubmittedBatch, failures: list[tuple[SubmittedBatch, Any]]) -> None:
        self.batch = batch
        self.failures = failures

    def __call__(self, err: KafkaError | None, msg: Any) -> None:
        # A failed send keeps its batch pending (never committable) until it is tolerated.
        if err is None:
            self.batch.pending -= 1
        else:
            self.failures.append((self.batch, err))


class WorkerSourceTask(WorkerTask):
    def __init__(
        self,
        id: ConnectorTaskId,
        task: SourceTask,
        task_config: dict[str, str],
        listener: TaskStatusListener,
        target_state: TargetState,
        pipeline: RecordPipeline,
        producer_config: dict[str, Any],
        offset_store: OffsetBackingStore,
        offset_flush_interval: float,
        offset_flush_timeout: float,
        on_topic: Callable[[str], None] | None = None,
        ensure_topic: Callable[[str], None] | None = None,
        *,
        metrics: SourceTaskMetrics | None = None,
        clients: KafkaClients = REAL_CLIENTS,
    ) -> None:
        self.metrics: SourceTaskMetrics = metrics or SourceTaskMetrics(id.connector, id.task)
        super().__init__(
            id,
            listener,
            target_state,
            task_config,
            pipeline,
            offset_flush_interval,
            offset_flush_timeout,
            self.metrics,
            clients,
        )
        self.task = task
        self.producer_config = producer_config
        self.offset_store = offset_store
        self.on_topic = on_topic
        self.ensure_topic = ensure_topic
        self.producer: Producer | None = None
        self.submitted = SubmittedRecords()
        self._failures: list[tuple[SubmittedBatch, Any]] = []
        self._topics: set[str] = set()
        self._wants_commit_record = type(task).commit_record is not SourceTask.commit_record
        self._header_cache: dict[Any, Any] = {}
        self._next_commit = 0.0
        self._lock = threading.Lock()
        self._committer_stop = threading.Event()
        self._committer: threading.Thread | None = None
        self._started_task = False
        submitted = self.submitted
        self.metrics.active_count = lambda: submitted.in_flight

    # -- lifecycle ----------------------------------------------------------------------------
    def initialize_and_start(self) -> None:
        self.producer = self.clients.producer(
            self.kafka.instrument(self.producer_config), self.kafka.on_error
        )
        reader = StoreOffsetReader(self.id.connector, self.offset_store)
        self.task.initialize(_Context(self.task_config, reader))
        self.task.start(self.task_config)
        self._started_task = True
        self._next_commit = self.clock() + self.flush_interval
        self._committer = threading.Thread(
            target=self._commit_while_polling, name=f"{self}-committer", daemon=True
        )
        self._committer.start()
        log.info("%s Source task finished initialization and start", self)

    def on_stop_requested(self) -> None:
        # SourceTask.stop is called from the stopping thread so a blocked poll can return.
        if self._started_task:
            try:
                self.task.stop()
            except Exception:
                log.exception("%s failed to stop the source task", self)

    def close(self) -> None:
        self._committer_stop.set()
        if self._committer is not None:
            self._committer.join()
        producer = self.producer
        if producer is not None and not self.cancelled:
            producer.flush(self.flush_timeout)
            try:
                self._serve_callbacks(0)
            finally:
                self.commit_offsets()
        self.close_pipeline()
        self.producer = None

    # -- the loop -----------------------------------------------------------------------------
    def execute(self) -> None:
        assert self.producer is not None
        lock = self._lock
        lock.acquire()
        try:
            while not self.stopping.is_set():
                if self.paused:
                    self.listener.on_task_pause(self.id)
                    lock.release()
                    try:
                        unpaused = self.await_unpaused()
                    finally:
                        lock.acquire()
                    if not unpaused:
                        break
                    self.listener.on_task_resume(self.id)
                    continue
                self._serve_callbacks(0)
                self._maybe_commit()
                self.problems.tick()
                lock.release()
                polled_at = self.clock()
                try:
                    records = self.task.poll()
                except RetriableError as e:
                    log.warning(
                        "%s failed to poll records from SourceTask. Will retry: %s", self, e
                    )
                    continue
                finally:
                    lock.acquire()
                if self.stopping.is_set() and not records:
                    break
                if records:
                    self.problems.progress()
                    self.metrics.record_poll(len(records), self.clock() - polled_at)
                    self._send(records)
        finally:
            lock.release()

    def _commit_while_polling(self) -> None:
        """Commit when due while the task thread waits in ``poll`` (or is paused).

        Only acknowledgements are served here; send failures stay queued for the task thread,
        whose error handler decides whether they fail the task, and until then keep their
        batch, and everything after it, uncommitted.
        """
        self.bind_thread()  # lines logged while serving callbacks here belong to the task
        stop = self._committer_stop
        while not stop.wait(max(0.01, self._next_commit - self.clock())):
            if not self._lock.acquire(blocking=False):
                continue  # the task thread is working and commits by itself
            try:
                if self.producer is not None and self.clock() >= self._next_commit:
                    self.producer.poll(0)
                    self._maybe_commit()
            except Exception:
                log.exception("%s Offset commit from the committer thread failed", self)
            finally:
                self._lock.release()

    def _serve_callbacks(self, timeout: float) -> None:
        assert self.producer is not None
        self.producer.poll(timeout)
        if self._failures:
            self._handle_failures()

    def _handle_failures(self) -> None:
        failures, self._failures = self._failures, []
        for batch, err in failures:
            self.errors.fail(Stage.KAFKA_PRODUCE, PRODUCE_CLASS, KafkaException(err))
            batch.pending -= 1

    def _send(self, records: list[SourceRecord]) -> None:
        """Transform, convert and produce one poll's records, then track their offsets.

        One pipeline: each step takes the whole batch when it can (one topic, every conversion
        succeeding) and otherwise goes record by record through the error handler. Records a
        transform drops, or an error skips, still have their offsets committed with the batch.
        """
        transformed: list[SourceRecord | None] = (
            self.transform_batch(records, lambda _, record: self._transform(record))
            if self.chain
            else list(records)
        )
        converted = self._convert_batch(transformed)
        if converted is None:
            converted = [self._convert_one(out) if out is not None else None for out in transformed]
        self._produce(records, transformed, converted)

    def _transform(self, record: SourceRecord) -> SourceRecord | None:
        """The chain applied to one record, failures going through the error handler."""
        chain = self.chain
        try:
            return chain.apply(record)
        except Exception as e:
            _, transformed = self.errors.retry(
                Stage.TRANSFORMATION,
                chain.failed_class(),
                partial(chain.apply, record),
                e,
                record=record,
            )
            return transformed

    def _convert_batch(
        self, transformed: list[SourceRecord | None]
    ) -> list[_Converted | None] | None:
        """Keys and values of the whole batch converted at once, or None (nothing reported)
        when the records go to several topics or a conversion fails: then each record is
        converted alone, where failures meet the error handler."""
        kept = [r for r in transformed if r is not None]
        if not kept:
            return [None] * len(transformed)
        topic = kept[0].topic
        with_headers = False
        for r in kept:
            if r.topic != topic:
                return None
            if r.has_headers:
                with_headers = True
        record_headers = (
            [r.headers if r.has_headers else None for r in kept] if with_headers else None
        )
        try:
            keys = self.key_converter.from_connect_batch(
                topic, [r.key_schema for r in kept], [r.key for r in kept], record_headers
            )
            values = self.value_converter.from_connect_batch(
                topic, [r.value_schema for r in kept], [r.value for r in kept], record_headers
            )
        except Exception:
            return None
        headers = self._headers if with_headers else None
        out = iter(
            [
                (k, v, headers(r) if headers is not None else None)
                for r, k, v in zip(kept, keys, values, strict=True)
            ]
        )
        return [next(out) if r is not None else None for r in transformed]

    def _convert_one(self, record: SourceRecord) -> _Converted | None:
        """One record's key, value and headers, each failure through the error handler; None
        when the record is skipped."""
        topic = record.topic
        record_headers = record.headers if record.has_headers else None
        converted: list[Any] = []
        for stage, converter, schema, value in (
            (Stage.KEY_CONVERTER, self.key_converter, record.key_schema, record.key),
            (Stage.VALUE_CONVERTER, self.value_converter, record.value_schema, record.value),
        ):
            convert = partial(converter.from_connect_data, topic, schema, value, record_headers)
            try:
                converted.append(convert())
            except Exception as e:
                name = (
                    self.key_converter_class
                    if stage is Stage.KEY_CONVERTER
                    else self.value_converter_class
                )
                ok, data = self.errors.retry(stage, name, convert, e, record=record)
                if not ok:
                    return None
                converted.append(data)
        return converted[0], converted[1], self._headers(record) if record.has_headers else None

    def _produce(
        self,
        polled: list[SourceRecord],
        transformed: list[SourceRecord | None],
        converted: list[_Converted | None],
    ) -> None:
        """Hand the converted records to the producer and queue the batch's offsets."""
        producer = self.producer
        assert producer is not None
        batch = SubmittedBatch()
        ack = _Ack(batch, self._failures)
        per_record = self._wants_commit_record
        produce = producer.produce
        written = 0
        for record, out, data in zip(polled, transformed, converted, strict=True):
            if out is None or data is None:
                if per_record:
                    self.task.commit_record(record, None)
                continue
            topic = out.topic
            if topic not in self._topics:
                self._new_topic(topic)
            key, value, headers = data
            part = out.kafka_partition
            callback = self._record_ack(ack, record) if per_record else ack
            batch.pending += 1
            while True:
                try:
                    produce(
                        topic,
                        value,
                        key,
                        -1 if part is None else part,
                        on_delivery=callback,
                        timestamp=out.timestamp or 0,
                        headers=headers,
                    )
                    break
                except BufferError:
                    producer.poll(0.05)  # librdkafka's queue is full: serve callbacks
                    if self._failures:
                        self._handle_failures()
            written += 1
        self._submit(batch, polled)
        self.metrics.record_write(written)

    def _submit(self, batch: SubmittedBatch, polled: list[SourceRecord]) -> None:
        """Attach the batch's offsets (each partition's last, in poll order) and queue it."""
        latest: dict[int, tuple[int, Any, Any]] = {}
        for i, r in enumerate(polled):
            p = r.source_partition
            if p is not None:
                latest[id(p)] = (i, p, r.source_offset)
        connector = self.id.connector
        for _, p, o in sorted(latest.values(), key=lambda e: e[0]):
            batch.add_offset(connector, p, o)
        self.submitted.submit(batch)

    def _headers(self, record: SourceRecord) -> list[tuple[str, str | bytes | None]]:
        """The record's headers as Kafka header bytes, reusing what (topic, key, schema, value)
        converted to before: connectors often repeat the same headers on every record of a file
        or table. A failing header goes through the error handler (and is left out if
        tolerated); unhashable values are converted each time."""
        topic = record.topic
        cache = self._header_cache
        conv = self.header_converter
        out: list[tuple[str, str | bytes | None]] = []
        for h in record.headers:
            try:
                ck: Any = (topic, h.key, h.schema, h.value)
                data = cache.get(ck, _MISSING)
            except TypeError:
                ck, data = None, _MISSING
            if data is _MISSING:
                convert = partial(conv.from_connect_header, topic, h.key, h.schema, h.value)
                try:
                    data = convert()
                except Exception as e:
                    ok, data = self.errors.retry(
                        Stage.HEADER_CONVERTER,
                        self.header_converter_class,
                        convert,
                        e,
                        record=record,
                    )
                    if not ok:
                        continue
                    ck = None
                if ck is not None:
                    if len(cache) >= 4096:
                        cache.clear()
                    cache[ck] = data
            out.append((h.key, data))
        return out

    def _record_ack(
        self, ack: _Ack, record: SourceRecord
    ) -> Callable[[KafkaError | None, Any], None]:
        task = self.task

        def cb(err: KafkaError | None, msg: Any) -> None:
            ack(err, msg)
            if err is None:
                ts = msg.timestamp()[1]
                meta = RecordMetadata(msg.topic(), msg.partition(), msg.offset(), ts)
                task.commit_record(record, meta)
            else:
                task.commit_record(record, None)

        return cb

    def _new_topic(self, topic: str) -> None:
        if self.ensure_topic is not None:
            self.ensure_topic(topic)
        self._topics.add(topic)
        if self.on_topic is not None:
            self.on_topic(topic)

    # -- offsets ------------------------------------------------------------------------------
    def _maybe_commit(self) -> None:
        now = self.clock()
        if now >= self._next_commit:
            self._next_commit = now + self.flush_interval
            self.commit_offsets()

    def commit_offsets(self) -> bool:
        """Write the committable offsets; on failure keep them for the next attempt."""
        offsets = self.submitted.committable()
        if offsets:
            started = self.clock()
            try:
                self.offset_store.set({k: encode_value(o) for k, (_, o) in offsets.items()})
            except Exception:
                log.exception("%s Failed to commit offsets", self)
                self.submitted.restore(offsets)
                self.metrics.record_commit(False, self.clock() - started)
                return False
            self.metrics.record_commit(True, self.clock() - started)
            log.debug("%s Committed offsets for %d partitions", self, len(offsets))
        try:
            self.task.commit()
        except Exception:
            log.exception("%s Exception thrown while calling task.commit()", self)
        return True
