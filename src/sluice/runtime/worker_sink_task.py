"""The sink task loop: consume, convert, transform, put, and commit what the task made durable.

The consumer joins group ``connect-<connector>``. Offsets committed to Kafka are only those
``pre_commit`` returned (by default: everything ``put`` and then ``flush``-ed), asynchronously every
``offset.flush.interval.ms`` and synchronously when partitions are revoked or the task stops.
Rebalance callbacks run inside ``consumer.consume`` on the task thread, so all state here belongs
to that thread.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from confluent_kafka import OFFSET_INVALID, Consumer, KafkaError, KafkaException
from confluent_kafka import TopicPartition as KafkaTopicPartition

from sluice.api import (
    ConnectError,
    ErrantRecordReporter,
    Headers,
    RetriableError,
    SinkRecord,
    SinkRecordBatch,
    SinkTask,
    SinkTaskContext,
    TopicPartition,
)
from sluice.api.records import TIMESTAMP_TYPES_BY_CODE
from sluice.kafka.clients import REAL_CLIENTS, KafkaClients
from sluice.runtime.errant_record_reporter import WorkerErrantRecordReporter
from sluice.runtime.errors import ConsumedRecord, Stage
from sluice.runtime.metrics.task_metrics import SinkTaskMetrics
from sluice.runtime.worker_task import RecordPipeline, TaskStatusListener, WorkerTask
from sluice.storage.states import ConnectorTaskId, TargetState

__all__ = ["WorkerSinkTask"]

log = logging.getLogger(__name__)


class _Context(SinkTaskContext):
    def __init__(self, owner: WorkerSinkTask) -> None:
        self._owner = owner

    def configs(self) -> dict[str, str]:
        return dict(self._owner.task_config)

    def offset(self, offsets: Mapping[TopicPartition, int]) -> None:
        self._owner.rewinds.update(offsets)

    def timeout(self, seconds: float) -> None:
        self._owner.retry_timeout = seconds

    def assignment(self) -> set[TopicPartition]:
        return set(self._owner.assignment)

    def pause(self, *partitions: TopicPartition) -> None:
        self._owner.pause_partitions(partitions)

    def resume(self, *partitions: TopicPartition) -> None:
        self._owner.resume_partitions(partitions)

    def request_commit(self) -> None:
        self._owner.commit_requested = True

    def errant_record_reporter(self) -> ErrantRecordReporter | None:
        return self._owner.errant_reporter


class WorkerSinkTask(WorkerTask):
    def __init__(
        self,
        id: ConnectorTaskId,
        task: SinkTask,
        task_config: dict[str, str],
        listener: TaskStatusListener,
        target_state: TargetState,
        pipeline: RecordPipeline,
        consumer_config: dict[str, Any],
        topics: list[str],
        topics_regex: str | None,
        offset_flush_interval: float,
        offset_flush_timeout: float,
        max_poll_records: int = 500,
        errant_reporter: ErrantRecordReporter | None = None,
        on_topic: Callable[[str], None] | None = None,
        *,
        metrics: SinkTaskMetrics | None = None,
        clients: KafkaClients = REAL_CLIENTS,
    ) -> None:
        self.metrics: SinkTaskMetrics = metrics or SinkTaskMetrics(id.connector, id.task)
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
        self.consumer_config = consumer_config
        self.topics = topics
        self.topics_regex = topics_regex
        self.max_poll_records = max_poll_records
        self.errant_reporter = errant_reporter
        self.on_topic = on_topic
        """Called with the topic of converted records, once per batch and topic (KIP-558: the
        status store records the topic if it is new, as Kafka's ``recordActiveTopic``)."""
        self.consumer: Consumer | None = None
        self.assignment: set[TopicPartition] = set()
        self.current_offsets: dict[TopicPartition, int] = {}
        self.last_committed: dict[TopicPartition, int] = {}
        self.rewinds: dict[TopicPartition, int] = {}
        self.paused_by_task: set[TopicPartition] = set()
        self.retry_timeout = 0.0
        self.commit_requested = False
        self._retry_batch: SinkRecordBatch | None = None
        self._consumer_paused = False
        self._next_commit = 0.0
        self._commit_started = 0.0
        self._started_task = False
        self._lag_due = 0.0

    # -- lifecycle ----------------------------------------------------------------------------
    def initialize_and_start(self) -> None:
        config = self.kafka.instrument(self.consumer_config)
        config["on_commit"] = self._on_commit
        self.consumer = self.clients.consumer(config, self.kafka.on_error)
        self.task.initialize(_Context(self))
        self.task.start(self.task_config)
        self._started_task = True
        if self.topics_regex:
            pattern = (
                self.topics_regex if self.topics_regex.startswith("^") else "^" + self.topics_regex
            )
            re.compile(pattern)
            subscription = [pattern]
        else:
            subscription = list(self.topics)
        self.consumer.subscribe(
            subscription,
            on_assign=self._on_assign,
            on_revoke=self._on_revoke,
            on_lost=self._on_lost,
        )
        self._next_commit = self.clock() + self.flush_interval
        log.info("%s Sink task finished initialization and start", self)

    def close(self) -> None:
        consumer = self.consumer
        try:
            if consumer is not None and self._started_task and not self.cancelled:
                if not self.failed and self.assignment:
                    self._commit(sync=True, closing=True)
                if self.assignment:
                    self._call_close(list(self.assignment))
            if self._started_task:
                self.task.stop()
        finally:
            if consumer is not None:
                consumer.close()
            self.consumer = None
            self.close_pipeline()

    # -- the loop -----------------------------------------------------------------------------
    def execute(self) -> None:
        consumer = self.consumer
        assert consumer is not None
        while not self.stopping.is_set():
            if self.paused:
                if not self._consumer_paused:
                    self._pause_all()
                    self.listener.on_task_pause(self.id)
                consumer.consume(self.max_poll_records, 0.5)  # keeps group membership alive
                continue
            if self._consumer_paused and self._retry_batch is None:
                self._resume_all()
                self.listener.on_task_resume(self.id)
            self._maybe_commit()
            self.problems.tick()
            if self._retry_batch is not None:
                if self.stopping.wait(self.retry_timeout):
                    break
                batch, self._retry_batch = self._retry_batch, None
                self._deliver(batch)
                continue
            # Wake for the next commit, as Kafka's poll timeout does, not a second later.
            wait = min(1.0, max(0.0, self._next_commit - self.clock()))
            messages = consumer.consume(self.max_poll_records, wait)
            if messages:
                self.kafka.reachable()
                self.problems.progress()
                self.metrics.record_read(len(messages))
                self._process(messages)
            if self.clock() >= self._lag_due:
                self._measure_lag()

    def _process(self, messages: list[Any]) -> None:
        """Convert, transform and deliver one poll: converted as a whole batch when it can be
        (one topic, no headers, every conversion succeeding), else message by message through
        the error handler; then one transform and delivery step for both."""
        reporter = self.errant_reporter
        fast = self._convert_fast(messages) if reporter is None else None
        if fast is not None and not self.chain:
            self._deliver(fast)  # columns only: no record is built unless the task asks
            return
        if fast is not None:
            records, sources = fast.records(), messages
        else:
            records, sources = self._convert_each(messages)
        if self.chain:
            results = self.transform_batch(
                records, lambda i, record: self._transform(record, sources[i])
            )
        else:
            results = list[SinkRecord | None](records)
        kept = [r for r in results if r is not None]
        if isinstance(reporter, WorkerErrantRecordReporter):
            reporter.retain(
                [
                    self._consumed(msg)
                    for record, msg in zip(results, sources, strict=True)
                    if record is not None
                ]
            )
        self._deliver(SinkRecordBatch(kept))

    def _transform(self, record: SinkRecord, msg: Any) -> SinkRecord | None:
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
                consumed=self._consumed(msg),
            )
            return transformed

    def _convert_fast(self, messages: list[Any]) -> SinkRecordBatch | None:
        """Convert a whole batch at once: one topic, no errors, no headers, assigned partitions.

        Returns None (having changed nothing) when the batch does not qualify or a conversion
        fails, so that :meth:`_convert_each` converts it message by message with error handling.
        The batch holds columns; records are only built if the task asks for them.
        """
        topic = messages[0].topic()
        assigned = {p for t, p in self.assignment if t == topic}
        partitions = [m.partition() for m in messages]
        if not assigned.issuperset(partitions):
            return None
        for m in messages:
            if m.error() is not None or m.headers() or m.topic() != topic:
                return None
        try:
            keys = self.key_converter.to_connect_batch(topic, [m.key() for m in messages])
            values = self.value_converter.to_connect_batch(topic, [m.value() for m in messages])
        except Exception:
            return None
        if self.on_topic is not None:
            self.on_topic(topic)
        offsets = [m.offset() for m in messages]
        # A partition's messages arrive in offset order: the last one seen is the highest.
        for partition, offset in dict(zip(partitions, offsets, strict=True)).items():
            self.current_offsets[TopicPartition(topic, partition)] = offset + 1
        return SinkRecordBatch.from_columns(
            topic, partitions, offsets, keys, values, [m.timestamp() for m in messages]
        )

    def _convert_each(self, messages: list[Any]) -> tuple[list[SinkRecord], list[Any]]:
        """The messages converted one by one, failures through the error handler: the records
        and, in the same order, the messages they came from."""
        records: list[SinkRecord] = []
        sources: list[Any] = []
        key_conv = self.key_converter.to_connect_data
        value_conv = self.value_converter.to_connect_data
        offsets = self.current_offsets
        on_topic = self.on_topic
        active: set[str] = set()
        for msg in messages:
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    continue
                if err.fatal():
                    raise ConnectError(f"Consumer error: {err}")
                # Transient or informational (e.g. a subscribed topic not created yet): the
                # consumer recovers by itself, as Kafka's does.
                level = (
                    logging.DEBUG
                    if err.code() == KafkaError.UNKNOWN_TOPIC_OR_PART
                    else logging.WARNING
                )
                log.log(level, "%s consumer error, continuing: %s", self, err)
                continue
            topic = msg.topic()
            partition = msg.partition()
            offset = msg.offset()
            tp = TopicPartition(topic, partition)
            if tp not in self.assignment:
                continue
            offsets[tp] = offset + 1
            raw_headers = msg.headers()
            headers = self._convert_headers(msg, raw_headers) if raw_headers else None
            if headers is False:
                continue
            key: Any
            value: Any
            try:
                key = key_conv(topic, msg.key(), headers)
            except Exception as e:
                ok, key = self.errors.retry(
                    Stage.KEY_CONVERTER,
                    self.key_converter_class,
                    partial(key_conv, topic, msg.key(), headers),
                    e,
                    consumed=self._consumed(msg),
                )
                if not ok:
                    continue
            try:
                value = value_conv(topic, msg.value(), headers)
            except Exception as e:
                ok, value = self.errors.retry(
                    Stage.VALUE_CONVERTER,
                    self.value_converter_class,
                    partial(value_conv, topic, msg.value(), headers),
                    e,
                    consumed=self._consumed(msg),
                )
                if not ok:
                    continue
            if on_topic is not None and topic not in active:
                active.add(topic)
                on_topic(topic)
            ts_type, ts = msg.timestamp()
            records.append(
                SinkRecord(
                    topic,
                    partition,
                    key.schema,
                    key.value,
                    value.schema,
                    value.value,
                    offset,
                    ts if ts_type else None,
                    TIMESTAMP_TYPES_BY_CODE[ts_type],
                    headers or None,
                )
            )
            sources.append(msg)
        return records, sources

    def _convert_headers(self, msg: Any, raw: list[tuple[str, bytes | None]]) -> Any:
        headers = Headers()
        conv = self.header_converter
        topic = msg.topic()
        sv: Any
        for k, v in raw:
            try:
                sv = conv.to_connect_header(topic, k, v)
            except Exception as e:
                ok, sv = self.errors.retry(
                    Stage.HEADER_CONVERTER,
                    self.header_converter_class,
                    partial(conv.to_connect_header, topic, k, v),
                    e,
                    consumed=self._consumed(msg),
                )
                if not ok:
                    return False
            headers.add(k, sv.value, sv.schema)
        return headers

    @staticmethod
    def _consumed(msg: Any) -> ConsumedRecord:
        ts_type, ts = msg.timestamp()
        return ConsumedRecord(
            msg.topic(),
            msg.partition(),
            msg.offset(),
            msg.key(),
            msg.value(),
            list(msg.headers() or []),
            ts if ts_type else None,
        )

    def _measure_lag(self) -> None:
        """Each partition's lag from the high watermark of the last fetch (no broker request).

        At most once a second: the figure is for people and dashboards, not for the hot path.
        """
        consumer = self.consumer
        assert consumer is not None
        self._lag_due = self.clock() + 1.0
        lag: dict[tuple[str, int], int] = {}
        for tp in self.assignment:
            try:
                _, high = consumer.get_watermark_offsets(
                    KafkaTopicPartition(tp.topic, tp.partition), cached=True
                )
            except KafkaException:
                continue
            position = self.current_offsets.get(tp)
            if high is not None and high >= 0 and position is not None:
                lag[(tp.topic, tp.partition)] = max(0, high - position)
        self.metrics.lag = lag
        self.metrics.partition_count = len(self.assignment)

    def _deliver(self, records: SinkRecordBatch) -> None:
        reporter = self.errant_reporter
        started = self.clock()
        try:
            self.task.put_batch(records)
            if isinstance(reporter, WorkerErrantRecordReporter) and reporter.failure is not None:
                raise reporter.failure
        except RetriableError as e:
            log.error("%s RetriableException from SinkTask; will retry the batch: %s", self, e)
            self._retry_batch = records
            self._pause_all()
            return
        except Exception as e:
            raise ConnectError("Exiting WorkerSinkTask due to unrecoverable exception.") from e
        self.metrics.record_put(len(records), self.clock() - started)
        if self._retry_batch is None and self._consumer_paused and not self.paused:
            self._resume_all()
        self._apply_rewinds()

    # -- pausing ------------------------------------------------------------------------------
    def _pause_all(self) -> None:
        assert self.consumer is not None
        if self.assignment:
            self.consumer.pause([KafkaTopicPartition(t, p) for t, p in self.assignment])
        self._consumer_paused = True

    def _resume_all(self) -> None:
        assert self.consumer is not None
        active = self.assignment - self.paused_by_task
        if active:
            self.consumer.resume([KafkaTopicPartition(t, p) for t, p in active])
        self._consumer_paused = False

    def pause_partitions(self, partitions: tuple[TopicPartition, ...]) -> None:
        self.paused_by_task.update(partitions)
        if self.consumer is not None:
            self.consumer.pause([KafkaTopicPartition(t, p) for t, p in partitions])

    def resume_partitions(self, partitions: tuple[TopicPartition, ...]) -> None:
        self.paused_by_task.difference_update(partitions)
        if self.consumer is not None and not self._consumer_paused:
            self.consumer.resume([KafkaTopicPartition(t, p) for t, p in partitions])

    def _apply_rewinds(self) -> None:
        if not self.rewinds or self.consumer is None:
            return
        rewinds, self.rewinds = self.rewinds, {}
        for tp, offset in rewinds.items():
            if tp in self.assignment:
                log.debug("%s Rewinding %s to offset %d", self, tp, offset)
                self.consumer.seek(KafkaTopicPartition(tp.topic, tp.partition, offset))
                self.current_offsets[tp] = offset

    # -- rebalance callbacks (run inside consume) ---------------------------------------------
    def _on_assign(self, consumer: Consumer, partitions: list[KafkaTopicPartition]) -> None:
        new = [TopicPartition(p.topic, p.partition) for p in partitions]
        self.assignment.update(new)
        committed = consumer.committed(partitions, timeout=30)
        for p in committed:
            tp = TopicPartition(p.topic, p.partition)
            if p.offset != OFFSET_INVALID and p.offset >= 0:
                self.last_committed[tp] = p.offset
                self.current_offsets[tp] = p.offset
        log.info("%s Partitions assigned: %s", self, new)
        self.task.open(new)
        if self._consumer_paused or self.paused:
            consumer.pause(partitions)
        self._apply_rewinds()

    def _on_revoke(self, consumer: Consumer, partitions: list[KafkaTopicPartition]) -> None:
        revoked = [TopicPartition(p.topic, p.partition) for p in partitions]
        if not revoked:
            return
        log.info("%s Partitions revoked: %s", self, revoked)
        if not self.failed:
            self._commit(sync=True, closing=False, only=set(revoked))
        self._call_close(revoked)

    def _on_lost(self, consumer: Consumer, partitions: list[KafkaTopicPartition]) -> None:
        lost = [TopicPartition(p.topic, p.partition) for p in partitions]
        log.warning("%s Partitions lost: %s", self, lost)
        self._call_close(lost)

    def _call_close(self, partitions: list[TopicPartition]) -> None:
        try:
            self.task.close(partitions)
        finally:
            if isinstance(self.errant_reporter, WorkerErrantRecordReporter):
                self.errant_reporter.release({(tp.topic, tp.partition): -1 for tp in partitions})
            for tp in partitions:
                self.assignment.discard(tp)
                self.current_offsets.pop(tp, None)
                self.last_committed.pop(tp, None)
                self.paused_by_task.discard(tp)
            self._retry_batch = None if not self.assignment else self._retry_batch

    # -- commits ------------------------------------------------------------------------------
    def _maybe_commit(self) -> None:
        now = self.clock()
        if self.commit_requested or now >= self._next_commit:
            self.commit_requested = False
            self._next_commit = now + self.flush_interval
            self._commit(sync=False, closing=False)

    def _commit(self, sync: bool, closing: bool, only: set[TopicPartition] | None = None) -> None:
        consumer = self.consumer
        assert consumer is not None
        current = {
            tp: off for tp, off in self.current_offsets.items() if only is None or tp in only
        }
        if not current:
            return
        self.errors.await_reports(self.flush_timeout)
        if isinstance(self.errant_reporter, WorkerErrantRecordReporter):
            self.errant_reporter.await_futures(self.flush_timeout)
        try:
            committable = self.task.pre_commit(current)
        except Exception:
            log.exception("%s Offset commit failed, rewinding to last committed offsets", self)
            for tp, off in self.last_committed.items():
                if only is None or tp in only:
                    consumer.seek(KafkaTopicPartition(tp.topic, tp.partition, off))
                    self.current_offsets[tp] = off
            return
        to_commit = [
            KafkaTopicPartition(tp.topic, tp.partition, off)
            for tp, off in committable.items()
            if tp in self.assignment
            and off <= self.current_offsets.get(tp, -1)
            and self.last_committed.get(tp) != off
        ]
        if not to_commit:
            self.metrics.record_commit_skipped()
            return
        self._commit_started = self.clock()
        try:
            if sync:
                # librdkafka reports a synchronous commit by its return value, not on_commit.
                result = consumer.commit(offsets=to_commit, asynchronous=False)
            else:
                consumer.commit(offsets=to_commit, asynchronous=True)
        except Exception:
            log.exception("%s Commit of offsets failed", self)
            self.metrics.record_commit(False, self.clock() - self._commit_started)
            return
        self.metrics.record_commit_sent()
        if sync:
            self._on_commit(None, list(result or []))

    def _on_commit(self, err: KafkaError | None, partitions: list[KafkaTopicPartition]) -> None:
        """The consumer's commit result (served on the task thread by ``consume``, or the return
        value of a synchronous ``commit``). Only offsets the group coordinator accepted count as
        committed: a failed commit is then sent again at the next flush instead of being taken
        for done, and a failed ``pre_commit`` rewinds to what Kafka really holds."""
        seconds = self.clock() - self._commit_started
        done = {
            TopicPartition(p.topic, p.partition): p.offset
            for p in partitions
            if err is None and p.error is None and p.offset >= 0
        }
        if err is not None or len(done) < len(partitions):
            log.warning("%s Commit of offsets failed: %s", self, err or partitions)
        self.metrics.record_commit(err is None and len(done) == len(partitions), seconds)
        for tp, offset in done.items():
            if tp in self.assignment:
                self.last_committed[tp] = offset
        if done and isinstance(self.errant_reporter, WorkerErrantRecordReporter):
            self.errant_reporter.release({(tp.topic, tp.partition): o for tp, o in done.items()})
        if done:
            log.debug("%s Committed offsets %s", self, done)
