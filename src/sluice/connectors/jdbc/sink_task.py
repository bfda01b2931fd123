"""The JDBC sink task: buffers records, writes them in transactions, reports only durable offsets.

Records are buffered until ``batch.size`` of them wait (or the runtime asks for a commit), then
written in one transaction. ``pre_commit`` returns, per partition, the offset after the last
record that is durable in the database (or handed to the error handler), so the consumer group
never gets ahead of the table: after a crash the records of an unfinished transaction are simply
read again.

A write that fails transiently is retried ``max.retries`` times, ``retry.backoff.ms`` apart: from
``put`` by raising :class:`~sluice.api.RetriableError` (the runtime pauses and hands the batch
back; records already buffered are recognised by offset and not buffered twice), from
``pre_commit`` by simply not advancing the offsets.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping

import sluice
from sluice.api import ConnectError, RetriableError, SinkRecord, SinkTask, TopicPartition
from sluice.connectors.jdbc.connection import Database
from sluice.connectors.jdbc.sink_config import SinkSettings
from sluice.connectors.jdbc.sink_writer import SinkWriter, TransientWriteError

__all__ = ["JdbcSinkTask"]

log = logging.getLogger(__name__)


class JdbcSinkTask(SinkTask):
    def version(self) -> str:
        return sluice.__version__

    def __init__(self) -> None:
        self._buffer: list[SinkRecord] = []
        self._buffered_upto: dict[TopicPartition, int] = {}
        self._durable: dict[TopicPartition, int] = {}
        self._failures = 0
        self._writer: SinkWriter | None = None
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
        self._writer = SinkWriter(self._db, s, reporter)
        self._buffer = []
        self._buffered_upto = {}
        self._durable = {}
        self._failures = 0
        log.info(
            "Started JDBC sink task writing to %s (insert.mode=%s, pk.mode=%s)",
            self._db.describe(),
            s.insert_mode.value,
            s.pk_mode.value,
        )

    # -- buffering ----------------------------------------------------------------------------
    def put(self, records: list[SinkRecord]) -> None:
        if self._failures > self._settings.max_retries:
            raise ConnectError(
                f"Giving up after {self._failures} failed writes of {len(self._buffer)} records"
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
        if len(self._buffer) >= self._settings.batch_size:
            self._flush_from_put()

    def _flush_from_put(self) -> None:
        try:
            self._flush()
        except TransientWriteError as e:
            self._failures += 1
            if self._failures > self._settings.max_retries:
                raise ConnectError(f"Write failed {self._failures} times, giving up: {e}") from e
            log.warning(
                "Write of %d records failed (attempt %d of %d), retrying in %.1fs: %s",
                len(self._buffer),
                self._failures,
                self._settings.max_retries + 1,
                self._settings.retry_backoff,
                e,
            )
            self.context.timeout(self._settings.retry_backoff)
            raise RetriableError(str(e)) from e

    def _flush(self) -> None:
        if not self._buffer:
            return
        assert self._writer is not None
        batch = self._buffer
        started = time.monotonic()
        self._writer.write(batch)
        self._buffer = []
        self._failures = 0
        written: dict[tuple[str, int], int] = {}
        for record in batch:
            key = (record.original_topic, record.original_kafka_partition)
            next_offset = record.original_kafka_offset + 1
            if next_offset > written.get(key, -1):
                written[key] = next_offset
        for (topic, partition), next_offset in written.items():
            tp = TopicPartition(topic, partition)
            if next_offset > self._durable.get(tp, -1):
                self._durable[tp] = next_offset
        log.debug("Wrote %d records in %.3fs", len(batch), time.monotonic() - started)

    # -- committing ---------------------------------------------------------------------------
    def pre_commit(
        self, current_offsets: Mapping[TopicPartition, int]
    ) -> dict[TopicPartition, int]:
        try:
            self._flush()
        except TransientWriteError as e:
            self._failures += 1
            log.warning("Write at commit time failed (attempt %d): %s", self._failures, e)
            if self._failures > self._settings.max_retries:
                raise ConnectError(f"Write failed {self._failures} times, giving up: {e}") from e
        return {
            tp: offset
            for tp, offset in self._durable.items()
            if tp in current_offsets and offset <= current_offsets[tp]
        }

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        self._flush()

    def open(self, partitions: Iterable[TopicPartition]) -> None:
        for tp in partitions:
            self._buffered_upto.pop(tp, None)
            self._durable.pop(tp, None)

    def close(self, partitions: Iterable[TopicPartition]) -> None:
        gone = set(partitions)
        if not gone:
            return
        self._buffer = [
            r
            for r in self._buffer
            if TopicPartition(r.original_topic, r.original_kafka_partition) not in gone
        ]
        for tp in gone:
            self._buffered_upto.pop(tp, None)
            self._durable.pop(tp, None)

    def stop(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._db is not None:
            self._db.close()
            self._db = None
