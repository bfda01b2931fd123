"""Source connectors and tasks: from an external system into Kafka.

Threading contract (as in Kafka Connect):

* ``SourceTask.start`` and ``poll`` run on the task's own thread; ``stop`` arrives from another
  thread while ``poll`` may be blocked, so ``poll`` must return regularly (within about a second)
  and check for a stop request.
* ``commit`` and ``commit_record`` run on the task thread between polls or, while ``poll`` is
  blocked, on the runtime's offset committer thread (Kafka calls them from its committer and
  producer threads): they may overlap a running ``poll``, never each other.
* An offset counts as committed once the runtime has written it to the offset store, which happens
  only after Kafka acknowledged the record that carried it *and* every earlier record of the same
  source partition (the contiguous acknowledged prefix). After a crash the task resumes from the
  last committed offset, so records after it may be delivered again: at-least-once delivery.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Iterable, Mapping
from typing import Any

from sluice.api.connector import Connector, ConnectorContext, Task
from sluice.api.records import RecordMetadata, SourceRecord

__all__ = [
    "ExactlyOnceSupport",
    "OffsetStorageReader",
    "SourceConnector",
    "SourceConnectorContext",
    "SourceTask",
    "SourceTaskContext",
]


class ExactlyOnceSupport(enum.Enum):
    SUPPORTED = "SUPPORTED"
    UNSUPPORTED = "UNSUPPORTED"


class OffsetStorageReader(abc.ABC):
    """Reads committed source offsets: what a task consults in ``start`` to resume."""

    @abc.abstractmethod
    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        """The committed offset of one source partition, or ``None`` if there is none."""

    def offsets(
        self, partitions: Iterable[Mapping[str, Any]]
    ) -> list[tuple[Mapping[str, Any], dict[str, Any] | None]]:
        """(partition, offset) pairs in the order asked; dicts cannot be dict keys in Python."""
        return [(p, self.offset(p)) for p in partitions]


class SourceConnectorContext(ConnectorContext, abc.ABC):
    @abc.abstractmethod
    def offset_storage_reader(self) -> OffsetStorageReader:
        """Committed offsets, for connectors that plan tasks by progress."""


class SourceTaskContext(abc.ABC):
    """The source task's door into the runtime."""

    @abc.abstractmethod
    def configs(self) -> dict[str, str]:
        """The task's configuration."""

    @abc.abstractmethod
    def offset_storage_reader(self) -> OffsetStorageReader:
        """Committed offsets of this connector's source partitions."""


class SourceTask(Task, abc.ABC):
    """Polls records from a source system."""

    context: SourceTaskContext

    def initialize(self, context: SourceTaskContext) -> None:
        self.context = context

    @abc.abstractmethod
    def poll(self) -> list[SourceRecord] | None:
        """New records, or ``None``/``[]`` when there are none yet.

        May block briefly waiting for data but must return regularly so that ``stop`` and
        pausing take effect. Raising :class:`~sluice.api.RetriableError` makes the runtime log and
        call ``poll`` again; any other exception fails the task.
        """

    def commit(self) -> None:
        """Called after offsets were committed, for systems that acknowledge in bulk (on the task
        thread or the committer thread, see the module's threading contract)."""

    def commit_record(self, record: SourceRecord, metadata: RecordMetadata | None) -> None:
        """Called once Kafka acknowledged ``record`` (``metadata`` is ``None`` if it was dropped
        by a transform or skipped under ``errors.tolerance=all``), from the producer's delivery
        report served on the task thread or the committer thread."""


class SourceConnector(Connector, abc.ABC):
    """A connector whose tasks are :class:`SourceTask`s."""

    def exactly_once_support(
        self, connector_config: Mapping[str, str]
    ) -> ExactlyOnceSupport | None:
        return None

    def can_define_transaction_boundaries(self, connector_config: Mapping[str, str]) -> bool:
        return False

    def alter_offsets(
        self,
        connector_config: Mapping[str, str],
        offsets: list[tuple[dict[str, Any], dict[str, Any] | None]],
    ) -> bool:
        """Check (and apply, for externally managed offsets) an offsets change made through REST.

        Raise :class:`~sluice.api.ConnectError` to reject it. Return ``True`` when the connector
        itself took care of the change, ``False`` when only the framework's offsets changed.
        """
        return False
