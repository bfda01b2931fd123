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
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer

from sluice.api import (
    Headers,
    RecordMetadata,
    RetriableError,
    SourceRecord,
    SourceTask,
    SourceTaskContext,
)
from sluice.kafka.client_logs import new_producer
from sluice.runtime.errors import Stage
from sluice.runtime.metrics.task_metrics import SourceTaskMetrics
from sluice.runtime.offset_storage import StoreOffsetReader
from sluice.runtime.status import ConnectorTaskId, TargetState
from sluice.runtime.submitted_records import SubmittedBatch, SubmittedRecords
from sluice.runtime.worker_task import RecordPipeline, TaskStatusListener, WorkerTask
from sluice.storage.offset_codec import encode_value
from sluice.storage.offsets import OffsetBackingStore

__all__ = ["WorkerSourceTask"]

_MISSING: Any = object()

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
        self.producer = new_producer(
            self.kafka.instrument(self.producer_config), on_error=self.kafka.on_error
        )
        reader = StoreOffsetReader(self.id.connector, self.offset_store)
        self.task.initialize(_Context(self.task_config, reader))
        self.task.start(self.task_config)
        self._started_task = True
        self._next_commit = time.monotonic() + self.flush_interval
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
                polled_at = time.monotonic()
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
                    self.metrics.record_poll(len(records), time.monotonic() - polled_at)
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
        while not stop.wait(max(0.01, self._next_commit - time.monotonic())):
            if not self._lock.acquire(blocking=False):
                continue  # the task thread is working and commits by itself
            try:
                if self.producer is not None and time.monotonic() >= self._next_commit:
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
            self.errors.fail(Stage.KAFKA_PRODUCE, "Producer", KafkaException(err))
            batch.pending -= 1

    def _send(self, records: list[SourceRecord]) -> None:
        if self._wants_commit_record:
            self._send_each(records, None)  # commit_record needs a callback per record
            return
        transformed: list[SourceRecord | None] | None = None
        kept = records
        if self.chain:
            transformed = self.transform_batch(records, lambda _, record: self._transform(record))
            kept = [r for r in transformed if r is not None]
        if not self._send_fast(kept, records):
            self._send_each(records, transformed)

    def _transform(self, record: SourceRecord) -> SourceRecord | None:
        """The chain applied to one record, failures going through the error handler."""
        chain = self.chain
        try:
            return chain.apply(record)
        except Exception as e:
            _, transformed = self.errors.retry(
                Stage.TRANSFORMATION,
                chain.stage_class(record),
                partial(chain.apply, record),
                e,
                record=record,
            )
            return transformed

    def _send_fast(self, records: list[SourceRecord], polled: list[SourceRecord]) -> bool:
        """Convert and produce a whole batch at once: one topic, converters that all succeed.

        ``records`` are what to send (``polled`` after transforms, without the dropped ones);
        the offsets committed for the batch are those of ``polled``. Returns False (having
        sent nothing) when the batch does not qualify or a conversion fails, so that
        :meth:`_send_each` handles it record by record with error handling.
        """
        if not records:
            self._submit(SubmittedBatch(), polled)
            return True
        topic = records[0].topic
        with_headers = False
        for r in records:
            if r.topic != topic:
                return False
            if r._headers:
                with_headers = True
        record_headers = [r._headers for r in records] if with_headers else None
        try:
            keys = self.key_converter.from_connect_batch(
                topic, [r.key_schema for r in records], [r.key for r in records], record_headers
            )
            values = self.value_converter.from_connect_batch(
                topic,
                [r.value_schema for r in records],
                [r.value for r in records],
                record_headers,
            )
            kafka_headers = (
                [self._headers_cached(topic, h) for h in record_headers]
                if record_headers is not None
                else None
            )
        except Exception:
            return False
        if topic not in self._topics:
            self._new_topic(topic)
        producer = self.producer
        assert producer is not None
        batch = SubmittedBatch()
        ack = _Ack(batch, self._failures)
        produce = producer.produce
        for i, (r, k, v) in enumerate(zip(records, keys, values, strict=True)):
            part = r.kafka_partition
            while True:
                try:
                    produce(
                        topic,
                        v,
                        k,
                        -1 if part is None else part,
                        on_delivery=ack,
                        timestamp=r.timestamp or 0,
                        headers=kafka_headers[i] if kafka_headers is not None else None,
                    )
                    break
                except BufferError:
                    producer.poll(0.05)  # librdkafka's queue is full: serve callbacks
                    if self._failures:
                        self._handle_failures()
        batch.pending += len(records)
        self._submit(batch, polled)
        self.metrics.record_write(len(records))
        return True

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

    def _headers_cached(
        self, topic: str, headers: Headers | None
    ) -> list[tuple[str, str | bytes | None]] | None:
        """Convert headers, reusing the bytes of (key, schema, value) seen before.

        Connectors often repeat the same headers on every record of a file or table; caching
        their conversion saves most of the per-header cost. Unhashable values are converted
        each time.
        """
        if not headers:
            return None
        cache = self._header_cache
        conv = self.header_converter
        out: list[tuple[str, str | bytes | None]] = []
        for h in headers:
            try:
                ck: Any = (topic, h.key, h.schema, h.value)
                data = cache.get(ck, _MISSING)
            except TypeError:
                ck, data = None, _MISSING
            if data is _MISSING:
                data = conv.from_connect_header(topic, h.key, h.schema, h.value)
                if ck is not None:
                    if len(cache) >= 4096:
                        cache.clear()
                    cache[ck] = data
            out.append((h.key, data))
        return out

    def _send_each(
        self, records: list[SourceRecord], transformed: list[SourceRecord | None] | None
    ) -> None:
        """Send record by record, each failure through the error handler.

        ``transformed`` holds the chain's results when :meth:`_send` already applied it (so a
        record's transformation errors are reported once); ``None`` means apply it here.
        """
        producer = self.producer
        assert producer is not None
        batch = SubmittedBatch()
        ack = _Ack(batch, self._failures)
        connector = self.id.connector
        key_conv = self.key_converter.from_connect_data
        value_conv = self.value_converter.from_connect_data
        chain = self.chain if self.chain else None
        produce = producer.produce
        written = 0
        for index, record in enumerate(records):
            batch.add_offset(connector, record.source_partition, record.source_offset)
            if transformed is not None:
                out = transformed[index]
            else:
                out = self._transform(record) if chain is not None else record
            if out is None:
                if self._wants_commit_record:
                    self.task.commit_record(record, None)
                continue
            topic = out.topic
            if topic not in self._topics:
                self._new_topic(topic)
            headers = self._convert_headers(out) if out.has_headers else None
            try:
                key = key_conv(topic, out.key_schema, out.key, out._headers)
            except Exception as e:
                ok, key = self.errors.retry(
                    Stage.KEY_CONVERTER,
                    type(self.key_converter).__qualname__,
                    partial(
                        key_conv,
                        topic,
                        out.key_schema,
                        out.key,
                        out._headers,
                    ),
                    e,
                    record=out,
                )
                if not ok:
                    self._skipped(record)
                    continue
            try:
                value = value_conv(topic, out.value_schema, out.value, out._headers)
            except Exception as e:
                ok, value = self.errors.retry(
                    Stage.VALUE_CONVERTER,
                    type(self.value_converter).__qualname__,
                    partial(
                        value_conv,
                        topic,
                        out.value_schema,
                        out.value,
                        out._headers,
                    ),
                    e,
                    record=out,
                )
                if not ok:
                    self._skipped(record)
                    continue
            callback = ack if not self._wants_commit_record else self._record_ack(ack, record)
            kwargs: dict[str, Any] = {"on_delivery": callback}
            if out.kafka_partition is not None:
                kwargs["partition"] = out.kafka_partition
            if out.timestamp is not None:
                kwargs["timestamp"] = out.timestamp
            if headers:
                kwargs["headers"] = headers
            batch.pending += 1
            while True:
                try:
                    produce(topic, value, key, **kwargs)
                    break
                except BufferError:
                    # librdkafka's queue is full: serve callbacks until there is room.
                    producer.poll(0.05)
                    if self._failures:
                        self._handle_failures()
            written += 1
        self.submitted.submit(batch)
        self.metrics.record_write(written)

    def _skipped(self, record: SourceRecord) -> None:
        if self._wants_commit_record:
            self.task.commit_record(record, None)

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

    def _convert_headers(self, record: SourceRecord) -> list[tuple[str, bytes | None]] | None:
        out: list[tuple[str, bytes | None]] = []
        conv = self.header_converter
        for h in record.headers:
            try:
                out.append(
                    (h.key, conv.from_connect_header(record.topic, h.key, h.schema, h.value))
                )
            except Exception as e:
                ok, data = self.errors.retry(
                    Stage.HEADER_CONVERTER,
                    type(conv).__qualname__,
                    partial(conv.from_connect_header, record.topic, h.key, h.schema, h.value),
                    e,
                    record=record,
                )
                if ok:
                    out.append((h.key, data))
        return out

    def _new_topic(self, topic: str) -> None:
        if self.ensure_topic is not None:
            self.ensure_topic(topic)
        self._topics.add(topic)
        if self.on_topic is not None:
            self.on_topic(topic)

    # -- offsets ------------------------------------------------------------------------------
    def _maybe_commit(self) -> None:
        now = time.monotonic()
        if now >= self._next_commit:
            self._next_commit = now + self.flush_interval
            self.commit_offsets()

    def commit_offsets(self) -> bool:
        """Write the committable offsets; on failure keep them for the next attempt."""
        offsets = self.submitted.committable()
        if offsets:
            started = time.monotonic()
            try:
                self.offset_store.set({k: encode_value(o) for k, (_, o) in offsets.items()})
            except Exception:
                log.exception("%s Failed to commit offsets", self)
                self.submitted.restore(offsets)
                self.metrics.record_commit(False, time.monotonic() - started)
                return False
            self.metrics.record_commit(True, time.monotonic() - started)
            log.debug("%s Committed offsets for %d partitions", self, len(offsets))
        try:
            self.task.commit()
        except Exception:
            log.exception("%s Exception thrown while calling task.commit()", self)
        return True
