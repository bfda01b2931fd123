"""The JDBC sink task: buffers records, writes them in transactions, reports only durable offsets.

Records are buffered until ``batch.size`` of them wait (or the runtime asks for a commit), then
written in one transaction. ``pre_commit`` returns, per partition, the offset after the last
record that is durable in the database (or handed to the error handler), so the consumer group
never gets ahead of the table: after a crash the records of an unfinished transaction are simply
read again.

Pipelining: a full buffer is prepared (rows extracted) on the task thread and then committed on
a background thread (:class:`~sluice.connectors.jdbc.sink_pipeline.CommitPipeline`), so ``put``
returns while the database works and the next batch is prepared meanwhile. At most one batch is
in flight; batches are committed in order (``_ready`` holds prepared batches waiting for their
turn). A batch's offsets become durable, and the records its commit rejected are reported, only
when the task thread takes its outcome: at the next ``put`` if it has finished, and always,
waiting for it, before ``put`` submits another batch and in ``pre_commit``, ``flush``, ``open``,
``close`` and ``stop``. An error that stopped the batch is raised by the next ``put``,
``pre_commit`` or ``flush`` (``open``, ``close`` and ``stop`` only log it): a transient one as
before (below), any other one by every later call as well, so the task fails.

A write that fails transiently is retried ``max.retries`` times, ``retry.backoff.ms`` apart: from
``put`` by raising :class:`~sluice.api.RetriableError` (the runtime pauses and hands the batch
back; records already buffered are recognised by offset and not buffered twice), from
``pre_commit`` by simply not advancing the offsets. A batch that failed goes back to the front
of ``_ready``, prepared as it was, so it is written again before any later record.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterable, Mapping

import sluice
from sluice.api import ConnectError, RetriableError, SinkRecord, SinkTask, TopicPartition
from sluice.connectors.jdbc.connection import Database
from sluice.connectors.jdbc.sink_config import SinkSettings
from sluice.connectors.jdbc.sink_pipeline import CommitPipeline
from sluice.connectors.jdbc.sink_writer import PreparedBatch, SinkWriter, TransientWriteError

__all__ = ["JdbcSinkTask"]

log = logging.getLogger(__name__)


class JdbcSinkTask(SinkTask):
    def version(self) -> str:
        return sluice.__version__

    def __init__(self) -> None:
        self._buffer: list[SinkRecord] = []
        self._ready: deque[PreparedBatch] = deque()
        self._buffered_upto: dict[TopicPartition, int] = {}
        self._durable: dict[TopicPartition, int] = {}
        self._failures = 0
        self._fatal: BaseException | None = None
        self._writer: SinkWriter | None = None
        self._pipeline: CommitPipeline | None = None
        self._db: Database | None = None

    def start(self, props: Mapping[str, str]) -> None:
        self._settings = SinkSettings.parse(props)
        s = self._settings
        self._db = Database(
            s.url,
            s.user,
            s.password,
            s.quote_identifiers,
            s.connection_attempts,
            s.connection_backoff,
        )
        reporter = self.context.errant_record_reporter()
        self._writer = SinkWriter(self._db, s, reporter, quiesce=self._quiesce)
        self._pipeline = CommitPipeline(self._writer.commit, "jdbc-sink-commit")
        self._buffer = []
        self._ready = deque()
        self._buffered_upto = {}
        self._durable = {}
        self._failures = 0
        self._fatal = None
        log.info(
            "Started JDBC sink task writing to %s (insert.mode=%s, pk.mode=%s)",
            self._db.describe(),
            s.insert_mode.value,
            s.pk_mode.value,
        )

    # -- buffering ----------------------------------------------------------------------------
    def put(self, records: list[SinkRecord]) -> None:
        self._raise_fatal()
        if self._failures > self._settings.max_retries:
            waiting = len(self._buffer) + sum(len(b.records) for b in self._ready)
            raise ConnectError(
                f"Giving up after {self._failures} failed writes of {waiting} records"
            )
        buffered_upto = self._buffered_upto
        append = self._buffer.append
        # Records come partition by partition: the key is rebuilt only when the partition changes.
        topic: str | None = None
        partition: int | None = None
        tp = TopicPartition("", -1)
        seen: int | None = None
        for record in records:
            if record.original_kafka_partition != partition or record.original_topic != topic:
                if topic is not None and seen is not None:
                    buffered_upto[tp] = seen
                topic, partition = record.original_topic, record.original_kafka_partition
                tp = TopicPartition(topic, partition)
                seen = buffered_upto.get(tp)
            offset = record.original_kafka_offset
            if seen is not None and offset < seen:
                continue  # handed back after a retry, or already written: not twice
            seen = offset + 1
            append(record)
        if topic is not None and seen is not None:
            buffered_upto[tp] = seen
        try:
            if self._pipeline is not None and self._pipeline.finished:
                self._settle()  # a finished batch: its offsets, reports, or error, now
            if len(self._buffer) >= self._settings.batch_size or self._ready:
                self._write(wait=False)
        except TransientWriteError as e:
            self._failures += 1
            if self._failures > self._settings.max_retries:
                raise ConnectError(f"Write failed {self._failures} times, giving up: {e}") from e
            log.warning(
                "Write of %d records failed (attempt %d of %d), retrying in %.1fs: %s",
                len(self._buffer) + sum(len(b.records) for b in self._ready),
                self._failures,
                self._settings.max_retries + 1,
                self._settings.retry_backoff,
                e,
            )
            self.context.timeout(self._settings.retry_backoff)
            raise RetriableError(str(e)) from e

    def _write(self, wait: bool) -> None:
        """Prepare the buffer (while the batch in flight commits), then submit every prepared
        batch in order, each after the one before has finished; with ``wait``, also wait for
        the last one, so that everything buffered is settled."""
        assert self._writer is not None and self._pipeline is not None
        if self._buffer:
            self._ready.append(self._writer.prepare(self._buffer))
            self._buffer = []
        while self._ready:
            self._settle()
            batch = self._writer.refresh(self._ready[0])
            self._ready.popleft()
            self._pipeline.submit(batch)
        if wait:
            self._settle()

    def _settle(self) -> None:
        """Wait for the batch in flight, if any, and act on its outcome: offsets durable and
        rejected records reported, or the batch back at the front of ``_ready`` and the error
        raised (kept for every later call when it is not transient)."""
        assert self._writer is not None and self._pipeline is not None
        outcome = self._pipeline.take()
        if outcome is None:
            return
        error = outcome.error
        if isinstance(error, TransientWriteError):
            self._ready.appendleft(outcome.batch)
            raise error
        if error is not None:
            self._fatal = error
            raise error
        self._writer.report(outcome.rejects)
        self._failures = 0
        durable = self._durable
        written: dict[tuple[str, int], int] = {}
        for record in outcome.batch.records:
            key = (record.original_topic, record.original_kafka_partition)
            next_offset = record.original_kafka_offset + 1
            if next_offset > written.get(key, -1):
                written[key] = next_offset
        for (topic, partition), next_offset in written.items():
            tp = TopicPartition(topic, partition)
            if next_offset > durable.get(tp, -1):
                durable[tp] = next_offset
        log.debug("Wrote %d records in %.3fs", len(outcome.batch.records), outcome.seconds)

    def _quiesce(self) -> None:
        """For the writer: wait until the database connection is free (before DDL)."""
        if self._pipeline is not None:
            self._pipeline.join()

    def _settle_quietly(self, why: str) -> None:
        """:meth:`_settle` where raising would not help (rebalance, stop): a transient failure
        leaves the batch to be written again, any other error waits for the next ``put``."""
        try:
            self._settle()
        except Exception as e:
            log.warning("Write of the batch in flight failed (%s): %s", why, e)

    def _raise_fatal(self) -> None:
        if self._fatal is not None:
            raise ConnectError(f"Writing to the database failed: {self._fatal}") from self._fatal

    # -- committing ---------------------------------------------------------------------------
    def pre_commit(
        self, current_offsets: Mapping[TopicPartition, int]
    ) -> dict[TopicPartition, int]:
        """Write everything buffered, and return the offsets durable in the database.

        Records reported to the errant record reporter count as handled only once the report is
        durable. The runtime awaits the reporter's futures before calling ``pre_commit``, but
        the batches settled here report their rejects after that; so ``pre_commit`` awaits,
        before returning any offset, every report made since the last call. A report that
        failed (dead letter queue unreachable, tolerance exceeded) fails the task: the records
        after it are already written and deduplicated, so offsets could not be held back.
        """
        self._raise_fatal()
        assert self._writer is not None
        started = time.monotonic()
        try:
            self._write(wait=True)
        except TransientWriteError as e:
            self._failures += 1
            log.warning("Write at commit time failed (attempt %d): %s", self._failures, e)
            if self._failures > self._settings.max_retries:
                raise ConnectError(f"Write failed {self._failures} times, giving up: {e}") from e
        reports, self._writer.reports = self._writer.reports, []
        for report in reports:
            try:
                report.result()
            except Exception as e:
                self._fatal = e
                raise ConnectError(f"Reporting a record that cannot be written failed: {e}") from e
        log.debug("Settled the writes for a commit in %.3fs", time.monotonic() - started)
        return {
            tp: offset
            for tp, offset in self._durable.items()
            if tp in current_offsets and offset <= current_offsets[tp]
        }

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        self._raise_fatal()
        self._write(wait=True)

    def open(self, partitions: Iterable[TopicPartition]) -> None:
        # A batch settling later would mark offsets of a previous assignment durable again.
        self._settle_quietly("partitions assigned")
        for tp in partitions:
            self._buffered_upto.pop(tp, None)
            self._durable.pop(tp, None)

    def close(self, partitions: Iterable[TopicPartition]) -> None:
        # The batch in flight may hold records of the closed partitions: settle it first.
        self._settle_quietly("partitions closed")
        gone = set(partitions)
        if not gone:
            return

        def kept(r: SinkRecord) -> bool:
            return TopicPartition(r.original_topic, r.original_kafka_partition) not in gone

        self._buffer = [r for r in self._buffer if kept(r)]
        self._ready = deque(b.keep(kept) for b in self._ready)
        for tp in gone:
            self._buffered_upto.pop(tp, None)
            self._durable.pop(tp, None)

    def stop(self) -> None:
        """Wait for the batch in flight (its outcome taken, or dropped after a fatal error),
        so that no thread survives the task and the connection closes unused."""
        if self._pipeline is not None:
            if self._fatal is None:
                self._settle_quietly("stopping")
            self._pipeline.close()
            self._pipeline = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._db is not None:
            self._db.close()
            self._db = None
