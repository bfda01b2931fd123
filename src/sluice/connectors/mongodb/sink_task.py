"""The MongoDB sink task: records to documents to bulk writes, with offsets behind the data.

``put`` does the whole job synchronously, as the official task does: every record goes through
its topic's pipeline (:mod:`~sluice.connectors.mongodb.sink_processing`), the results are cut
into bulk writes and written in order. When ``put`` returns, everything it was given is either
in MongoDB or handed to the error handler, so the offsets the runtime holds are safe to commit.

Failures:

* a record that cannot become a write (no ``_id`` where the strategy needs one, a string that is
  not JSON, a tombstone without ``delete.on.null.values``): with ``errors.tolerance`` (or
  ``mongo.errors.tolerance``) ``none`` the task fails with the record's topic, partition and
  offset in the reason; with ``data`` or ``all`` the record goes to the errant record reporter
  (the dead-letter queue) and the others are written;
* writes the server refuses (duplicate key...): the same, per record, with the reasons of
  :mod:`~sluice.connectors.mongodb.sink_writer`;
* a write that fails because the server cannot be reached is retried: ``put`` raises
  :class:`~sluice.api.RetriableError` after setting ``retries.defer.timeout``, the runtime
  hands the same records back, and those already written or reported are recognised and not
  written twice. After ``max.num.retries`` failed attempts the failure is handled as the
  official connector does: the task fails, or with ``errors.tolerance=all`` the batch is
  reported.

Until a retried ``put`` succeeds, ``pre_commit`` holds each partition's offset at its first
record not yet written or reported, so the consumer group never gets ahead of the collection.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any

from bson.errors import InvalidDocument
from pymongo import MongoClient
from pymongo.errors import BulkWriteError, PyMongoError

import sluice
from sluice.api import (
    ConfigError,
    ConnectError,
    DataError,
    ErrantRecordReporter,
    RetriableError,
    SinkRecord,
    SinkTask,
    TopicPartition,
)
from sluice.connectors.mongodb.client import connect
from sluice.connectors.mongodb.sink_config import SinkSettings
from sluice.connectors.mongodb.sink_documents import Document
from sluice.connectors.mongodb.sink_processing import ProcessedRecord, TopicPipeline, batches
from sluice.connectors.mongodb.sink_topic_config import ErrorTolerance, TopicSettings
from sluice.connectors.mongodb.sink_writer import SinkWriter, failed_records, is_transient

__all__ = ["MongoSinkTask"]

log = logging.getLogger(__name__)

RecordId = tuple[str, int, int]


def _id(record: SinkRecord) -> RecordId:
    return record.original_topic, record.original_kafka_partition or 0, record.original_kafka_offset


def describe(record: SinkRecord) -> str:
    """How messages name a record: Kafka Connect's ``(topic='t',partition=0,offset=5)``."""
    return (
        f"(topic='{record.topic}',partition={record.kafka_partition},offset={record.kafka_offset})"
    )


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class MongoSinkTask(SinkTask):
    def version(self) -> str:
        return sluice.__version__

    def __init__(self) -> None:
        self._client: MongoClient[Document] | None = None
        self._writer: SinkWriter | None = None
        self._reporter: ErrantRecordReporter | None = None
        self._pipelines: dict[str, TopicPipeline] = {}
        self._handled: set[RecordId] = set()
        """Records of an unfinished put already written or reported (kept across retries)."""
        self._blocked: dict[TopicPartition, int] = {}
        """Per partition, the first offset of an unfinished put not yet written or reported."""
        self._failures = 0
        self.documents_written = 0

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self, props: Mapping[str, str]) -> None:
        self._settings = SinkSettings.parse(props)
        options: dict[str, Any] = {"appname": "sluice-mongodb-sink"}
        if self._settings.server_api is not None:
            options["server_api"] = self._settings.server_api
        options.update(self._settings.tls)
        self._client = connect(self._settings.connection_uri, **options)
        self._writer = SinkWriter(self._client)
        self._reporter = self.context.errant_record_reporter()
        self._pipelines = {}
        self._handled = set()
        self._blocked = {}
        self._failures = 0
        log.info("Started MongoDB sink task writing to %s", self._settings.describe())

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
            self._writer = None

    def _pipeline(self, topic: str) -> TopicPipeline:
        found = self._pipelines.get(topic)
        if found is None:
            try:
                found = TopicPipeline.build(self._settings.topic(topic))
            except ConfigError as e:
                raise ConnectError(f"Cannot write records of topic {topic}: {e}") from e
            self._pipelines[topic] = found
        return found

    # -- writing ------------------------------------------------------------------------------
    def put(self, records: list[SinkRecord]) -> None:
        todo = [r for r in records if _id(r) not in self._handled] if self._handled else records
        if not todo:
            self._finished()
            return
        try:
            self._put(todo)
        except BaseException:
            self._block(todo)
            raise
        self._finished()

    def _finished(self) -> None:
        self._handled = set()
        self._blocked = {}

    def _block(self, todo: list[SinkRecord]) -> None:
        """After a failed put: where each partition's unfinished records start."""
        blocked: dict[TopicPartition, int] = {}
        for record in todo:
            if _id(record) in self._handled:
                continue
            tp = TopicPartition(record.original_topic, record.original_kafka_partition or 0)
            offset = record.original_kafka_offset
            if offset < blocked.get(tp, offset + 1):
                blocked[tp] = offset
        self._blocked = blocked

    def _put(self, records: list[SinkRecord]) -> None:
        processed: list[ProcessedRecord] = []
        for record in records:
            pipeline = self._pipeline(record.topic)
            try:
                namespace, model = pipeline.process(record)
            except Exception as e:
                self._reject(record, pipeline.settings, e)
                continue
            if model is None:  # a change event that writes nothing
                self._handled.add(_id(record))
                continue
            processed.append(ProcessedRecord(record, pipeline, namespace, model))
        for batch in batches(processed):
            self._write(batch)

    def _write(self, batch: list[ProcessedRecord]) -> None:
        assert self._writer is not None
        pipeline = batch[0].pipeline
        s = pipeline.settings
        started = time.monotonic()
        try:
            self._writer.write(batch, s)
        except BulkWriteError as e:
            self._bulk_write_failed(batch, s, e)
        except (PyMongoError, InvalidDocument) as e:  # InvalidDocument: too large for BSON
            self._write_failed(batch, s, e)
        else:
            self.documents_written += len(batch)
            log.debug(
                "Wrote %d documents to %s in %.3fs",
                len(batch),
                batch[0].namespace,
                time.monotonic() - started,
            )
        self._failures = 0
        for item in batch:
            self._handled.add(_id(item.record))
        pause = pipeline.rate_limit_due()
        if pause:
            time.sleep(pause)

    def _bulk_write_failed(
        self, batch: list[ProcessedRecord], s: TopicSettings, error: BulkWriteError
    ) -> None:
        failures = failed_records(batch, s.bulk_write_ordered, error)
        if s.log_errors:
            for item, reason in failures:
                log.error(
                    "Failed to write record %s to %s: %s",
                    describe(item.record),
                    item.namespace,
                    reason,
                )
        if not s.tolerates_data_errors:
            first_item, first_reason = failures[0] if failures else (batch[0], error)
            raise DataError(
                f"Bulk write of {len(batch)} records to {batch[0].namespace} failed for "
                f"{len(failures)} of them; record {describe(first_item.record)}: "
                f"{_first_line(first_reason)} (errors.tolerance=none; set it to data or all to "
                "send such records to the dead letter queue)"
            ) from error
        written = len(batch) - len(failures)
        self.documents_written += written
        for item, reason in failures:
            self._report(item.record, reason)

    def _write_failed(
        self, batch: list[ProcessedRecord], s: TopicSettings, error: Exception
    ) -> None:
        namespace = batch[0].namespace
        if is_transient(error) and self._failures < s.max_num_retries:
            self._failures += 1
            log.warning(
                "Bulk write of %d records to %s failed (attempt %d of %d), retrying in %.1fs: %s",
                len(batch),
                namespace,
                self._failures,
                s.max_num_retries + 1,
                s.retries_defer_timeout,
                _first_line(error),
            )
            self.context.timeout(s.retries_defer_timeout)
            raise RetriableError(
                f"Bulk write to {namespace} failed, will retry: {_first_line(error)}"
            ) from error
        attempts = f" after {self._failures + 1} attempts" if self._failures else ""
        message = (
            f"Bulk write of {len(batch)} records to {namespace} failed{attempts} (records "
            f"{describe(batch[0].record)} to {describe(batch[-1].record)}): {_first_line(error)}"
        )
        if s.tolerance is not ErrorTolerance.ALL:
            if s.tolerance is ErrorTolerance.DATA:
                message += " (errors.tolerance=data tolerates data errors only)"
            raise ConnectError(message) from error
        if s.log_errors:
            log.error("%s; reporting them as errant records", message)
        for item in batch:
            self._report(item.record, error)

    # -- errors -------------------------------------------------------------------------------
    def _reject(self, record: SinkRecord, s: TopicSettings, error: Exception) -> None:
        """A record that cannot become a write: fail, or report it, as tolerance says."""
        if not s.tolerates_data_errors:
            raise DataError(
                f"Record {describe(record)} cannot be written to MongoDB: {error}"
            ) from error
        if s.log_errors:
            log.error("Unable to process record %s: %s", describe(record), error)
        self._report(record, error)

    def _report(self, record: SinkRecord, error: BaseException) -> None:
        self._handled.add(_id(record))
        if self._reporter is not None:
            self._reporter.report(record, error)
            return
        log.warning(
            "Skipped record %s (errors.tolerance tolerates it; configure "
            "errors.deadletterqueue.topic.name to keep such records): %s",
            describe(record),
            _first_line(error),
        )

    # -- committing ---------------------------------------------------------------------------
    def pre_commit(
        self, current_offsets: Mapping[TopicPartition, int]
    ) -> dict[TopicPartition, int]:
        if not self._blocked:
            return dict(current_offsets)
        return {
            tp: min(offset, self._blocked.get(tp, offset)) for tp, offset in current_offsets.items()
        }

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        """Nothing is buffered: ``put`` writes before it returns."""

    def open(self, partitions: Iterable[TopicPartition]) -> None:
        self._forget(set(partitions))

    def close(self, partitions: Iterable[TopicPartition]) -> None:
        self._forget(set(partitions))

    def _forget(self, partitions: set[TopicPartition]) -> None:
        if not partitions:
            return
        self._handled = {
            rid for rid in self._handled if TopicPartition(rid[0], rid[1]) not in partitions
        }
        self._blocked = {tp: o for tp, o in self._blocked.items() if tp not in partitions}
