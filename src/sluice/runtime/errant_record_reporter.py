"""The sink task's errant record reporter (KIP-610): a task hands over records it cannot write.

Reports go through the task's error handler, so they are logged and/or sent to the dead-letter
queue with the original consumer record's bytes. Under ``errors.tolerance=none`` the first report
makes the task fail once ``put`` returns, as in Kafka Connect. Offsets are committed only after
outstanding reports are durable.
"""

from __future__ import annotations

import concurrent.futures
import itertools
from collections.abc import Mapping
from typing import Any, Final

from sluice.api import ErrantRecordReporter, SinkRecord
from sluice.runtime.errors import ConsumedRecord, ErrorHandler, Stage, ToleranceExceededError

__all__ = ["RETAINED_RECORDS", "SINK_TASK_CLASS", "WorkerErrantRecordReporter"]

SINK_TASK_CLASS: Final = "org.apache.kafka.connect.sink.SinkTask"
"""The executing class of every report (``__connect.errors.class.name``): Kafka Connect's
``WorkerErrantRecordReporter`` passes ``SinkTask.class``, whatever the task's own class."""


RETAINED_RECORDS: Final = 20_000
"""How many consumed records the reporter keeps for reports at most (the oldest go first; a
report of a record no longer kept sends the converted record to the DLQ instead)."""


class WorkerErrantRecordReporter(ErrantRecordReporter):
    def __init__(self, errors: ErrorHandler) -> None:
        self.errors = errors
        self.batch: dict[tuple[str, int, int], ConsumedRecord] = {}
        """The consumed records the task may still report, by (topic, partition, offset).

        Kafka's sink records carry their consumer record; here the runtime keeps them until
        their offsets are committed, since a task may report a record polls after it got it
        (a JDBC sink buffers several polls and reports at commit time)."""
        self.failure: ToleranceExceededError | None = None
        self.futures: list[concurrent.futures.Future[None]] = []
        """What :meth:`report` returned since the last :meth:`await_futures`."""

    def report(self, record: SinkRecord, error: BaseException) -> concurrent.futures.Future[None]:
        future = self._report(record, error)
        self.futures.append(future)
        return future

    def retain(self, consumed: list[ConsumedRecord]) -> None:
        """Keep ``consumed`` for reports until :meth:`release` (within
        :data:`RETAINED_RECORDS`)."""
        batch = self.batch
        for c in consumed:
            batch[(c.topic, c.partition, c.offset)] = c
        if len(batch) > RETAINED_RECORDS:
            for key in list(itertools.islice(batch, len(batch) - RETAINED_RECORDS)):
                del batch[key]

    def release(self, below: Mapping[tuple[str, int], int]) -> None:
        """Forget the records of each (topic, partition) under its offset (committed), or all
        of them (offset -1: the partition was revoked)."""
        self.batch = {
            key: c
            for key, c in self.batch.items()
            if (limit := below.get((key[0], key[1]))) is None or (limit >= 0 and key[2] >= limit)
        }

    def await_futures(self, timeout: float | None = None) -> None:
        """Before offsets are committed past reported records: each report must be written,
        or the task fails (Kafka's ``WorkerErrantRecordReporter.awaitFutures``)."""
        futures, self.futures = self.futures, []
        for f in futures:
            f.result(timeout)

    def _report(self, record: SinkRecord, error: BaseException) -> concurrent.futures.Future[None]:
        key = (record.original_topic, record.original_kafka_partition, record.original_kafka_offset)
        consumed = self.batch.get(key)
        before = len(self.errors.pending)
        try:
            self.errors.fail(
                Stage.TASK_PUT,
                SINK_TASK_CLASS,
                error,
                consumed=consumed,
                record=record,
                tolerable=True,
            )
        except ToleranceExceededError as e:
            if self.failure is None:
                self.failure = e
            failed: concurrent.futures.Future[None] = concurrent.futures.Future()
            failed.set_exception(e)
            return failed
        if len(self.errors.pending) > before:
            return _all_of(self.errors.pending[before:])
        done: concurrent.futures.Future[None] = concurrent.futures.Future()
        done.set_result(None)
        return done


def _all_of(futures: list[concurrent.futures.Future[None]]) -> concurrent.futures.Future[None]:
    combined: concurrent.futures.Future[None] = concurrent.futures.Future()
    remaining = [len(futures)]

    def one_done(f: concurrent.futures.Future[Any]) -> None:
        if combined.done():
            return
        if f.exception() is not None:
            combined.set_exception(f.exception())
            return
        remaining[0] -= 1
        if remaining[0] == 0:
            combined.set_result(None)

    for f in futures:
        f.add_done_callback(one_done)
    return combined
