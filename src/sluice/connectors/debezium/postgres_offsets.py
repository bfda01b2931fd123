"""Source offsets in the shape Debezium's ``PostgresOffsetContext`` writes them.

The source partition is ``{"server": <topic.prefix>}``. A streamed change's offset holds
``lsn`` (the change), ``lsn_proc`` (the last completely processed position), ``lsn_commit`` (end
of the last transaction completely processed before it), ``txId``, ``ts_usec`` (commit time),
``messageType`` and ``lsn_events_processed``; a snapshot record's holds ``snapshot``,
``last_snapshot_record`` and ``snapshot_completed`` as well. The slot is confirmed up to
``lsn_commit`` of the committed offset (``lsn_proc`` without one), as Debezium's ``commitOffset``
does: a transaction is released only once a later offset proves it fully delivered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "LAST_SNAPSHOT_RECORD",
    "LSN",
    "LSN_COMMIT",
    "LSN_EVENTS_PROCESSED",
    "LSN_PROC",
    "SERVER",
    "SNAPSHOT",
    "SNAPSHOT_COMPLETED",
    "TS_USEC",
    "TX_ID",
    "ResumePoint",
    "flush_lsn_of",
    "snapshot_finished",
]

SERVER: Final = "server"
LSN: Final = "lsn"
LSN_PROC: Final = "lsn_proc"
LSN_COMMIT: Final = "lsn_commit"
LSN_EVENTS_PROCESSED: Final = "lsn_events_processed"
TX_ID: Final = "txId"
TS_USEC: Final = "ts_usec"
MESSAGE_TYPE: Final = "messageType"
SNAPSHOT: Final = "snapshot"
LAST_SNAPSHOT_RECORD: Final = "last_snapshot_record"
SNAPSHOT_COMPLETED: Final = "snapshot_completed"


def _int(offset: Mapping[str, Any], key: str) -> int | None:
    value = offset.get(key)
    return None if value is None else int(value)


def snapshot_finished(offset: Mapping[str, Any] | None) -> bool:
    """Whether the offset is past the snapshot (a streaming offset, or the snapshot's last
    record, which Debezium also reads as completed)."""
    if offset is None:
        return False
    if not offset.get(SNAPSHOT):
        return True
    return bool(offset.get(LAST_SNAPSHOT_RECORD)) or bool(offset.get(SNAPSHOT_COMPLETED))


def flush_lsn_of(offset: Mapping[str, Any] | None) -> int | None:
    """The LSN the slot may be confirmed to once ``offset`` is committed (none for a snapshot
    offset: nothing was streamed yet)."""
    if offset is None or offset.get(SNAPSHOT):
        return None
    commit = _int(offset, LSN_COMMIT)
    return commit if commit is not None else _int(offset, LSN_PROC)


@dataclass(frozen=True)
class ResumePoint:
    """Where streaming starts again, and which already delivered changes to skip."""

    start_lsn: int
    """Passed to ``START_REPLICATION`` (0: the slot's confirmed position)."""
    tx_id: int | None
    """The transaction the offset is inside of: its changes up to ``lsn``/``events`` are skipped."""
    lsn: int
    events: int

    @classmethod
    def of(cls, offset: Mapping[str, Any] | None) -> ResumePoint:
        if offset is None:
            return cls(0, None, 0, 0)
        if offset.get(SNAPSHOT):  # the snapshot's last record: stream from the slot's start
            return cls(_int(offset, LSN) or 0, None, 0, 0)
        commit = _int(offset, LSN_COMMIT)
        return cls(
            commit or 0,
            _int(offset, TX_ID),
            _int(offset, LSN) or 0,
            _int(offset, LSN_EVENTS_PROCESSED) or 0,
        )

    def skips(self, tx_id: int, lsn: int, events: int) -> bool:
        """Whether the ``events``-th change at ``lsn`` of transaction ``tx_id`` was delivered."""
        if self.tx_id is None or tx_id != self.tx_id:
            return False
        return (lsn, events) <= (self.lsn, self.events)
