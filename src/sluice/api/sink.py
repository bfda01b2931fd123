"""Sink connectors and tasks: from Kafka into an external system.

Threading contract (as in Kafka Connect): ``start``, ``open``, ``put``/``put_batch``,
``pre_commit``/``flush``, ``close`` all run on the task's own thread (``open`` and ``close`` from
the consumer's rebalance callbacks, which it serves there); ``stop`` is called on that thread too,
after the last ``put``. ``SinkTaskContext`` methods are meant for that thread as well.

The runtime commits to Kafka only the offsets ``pre_commit`` returns, so a sink that buffers must
return only what it has made durable in the target system: that is what makes delivery
at-least-once. Offsets are the *next* offset to read per partition (last written + 1).
"""

from __future__ import annotations

import abc
import concurrent.futures
from collections.abc import Iterable, Mapping

from sluice.api.connector import Connector, Task
from sluice.api.records import SinkRecord, TopicPartition
from sluice.api.sink_batch import SinkRecordBatch

__all__ = ["ErrantRecordReporter", "SinkConnector", "SinkTask", "SinkTaskContext"]


class ErrantRecordReporter(abc.ABC):
    """Hands a record that could not be written to the error handler (log and/or dead-letter queue).

    The returned future completes when the report is durable; the runtime waits for outstanding
    reports before committing offsets of their partitions.
    """

    @abc.abstractmethod
    def report(self, record: SinkRecord, error: BaseException) -> concurrent.futures.Future[None]:
        """Report ``record`` as failed with ``error``."""


class SinkTaskContext(abc.ABC):
    """The sink task's door into the runtime."""

    @abc.abstractmethod
    def configs(self) -> dict[str, str]:
        """The task's configuration."""

    @abc.abstractmethod
    def offset(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Rewind (or skip) partitions: consumption resumes at these offsets."""

    @abc.abstractmethod
    def timeout(self, seconds: float) -> None:
        """After a ``RetriableError`` from ``put``, wait this long before retrying."""

    @abc.abstractmethod
    def assignment(self) -> set[TopicPartition]:
        """The partitions currently assigned to this task."""

    @abc.abstractmethod
    def pause(self, *partitions: TopicPartition) -> None:
        """Stop fetching from these partitions (the task keeps its assignment)."""

    @abc.abstractmethod
    def resume(self, *partitions: TopicPartition) -> None:
        """Fetch again from paused partitions."""

    @abc.abstractmethod
    def request_commit(self) -> None:
        """Ask for an offset commit as soon as possible instead of at the next interval."""

    def errant_record_reporter(self) -> ErrantRecordReporter | None:
        """The reporter, or ``None`` when neither a DLQ nor error logging is configured."""
        return None


class SinkTask(Task, abc.ABC):
    """Writes records consumed from Kafka to a target system."""

    context: SinkTaskContext

    def initialize(self, context: SinkTaskContext) -> None:
        self.context = context

    @abc.abstractmethod
    def put(self, records: list[SinkRecord]) -> None:
        """Write (or buffer) records. Raise :class:`~sluice.api.RetriableError` to have the same
        batch delivered again after ``context.timeout``; any other error fails the task."""

    def put_batch(self, batch: SinkRecordBatch) -> None:
        """What the runtime calls: ``put(batch.records())`` unless a task reads columns.

        Override it (keeping ``put`` for callers that hold records) when the task can work
        from :attr:`SinkRecordBatch.values` and friends; the same contract as ``put`` holds.
        """
        self.put(batch.records())

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        """Make everything ``put`` so far durable."""

    def pre_commit(
        self, current_offsets: Mapping[TopicPartition, int]
    ) -> dict[TopicPartition, int]:
        """The offsets safe to commit; the default flushes and returns ``current_offsets``."""
        self.flush(current_offsets)
        return dict(current_offsets)

    def open(self, partitions: Iterable[TopicPartition]) -> None:
        """Partitions were assigned to this task."""

    def close(self, partitions: Iterable[TopicPartition]) -> None:
        """Partitions are being taken away: drop any state kept for them."""


class SinkConnector(Connector, abc.ABC):
    """A connector whose tasks are sink tasks; ``topics`` or ``topics.regex`` picks the input."""

    TOPICS_CONFIG = "topics"

    def alter_offsets(
        self, connector_config: Mapping[str, str], offsets: Mapping[TopicPartition, int | None]
    ) -> bool:
        """As :meth:`SourceConnector.alter_offsets`, for consumer-group offsets."""
        return False
