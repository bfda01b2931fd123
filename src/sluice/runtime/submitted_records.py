"""Which source offsets may be committed: the contiguous acknowledged prefix.

Records are submitted in poll batches and acknowledged by the producer in any order across topic
partitions. An offset may be committed only when Kafka acknowledged its record *and every record
submitted before it*, otherwise a crash could skip an unacknowledged record. Tracking by batch
(rather than by record, as Kafka Connect does) gives the same guarantee at a fraction of the
per-record cost: a batch's offsets become committable once it and all older batches are fully
acknowledged. All methods run on the task thread (producer callbacks are served there too).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from sluice.storage.offset_codec import encode_key

__all__ = ["SubmittedBatch", "SubmittedRecords"]


class SubmittedBatch:
    """One poll batch in flight: how many sends are unacknowledged and the offsets it carries."""

    __slots__ = ("offsets", "pending")

    def __init__(self) -> None:
        self.pending = 0
        self.offsets: dict[bytes, tuple[Mapping[str, Any], Mapping[str, Any]]] = {}

    def add_offset(
        self, connector: str, partition: Mapping[str, Any] | None, offset: Mapping[str, Any] | None
    ) -> None:
        """Remember the latest offset per source partition (later records overwrite earlier)."""
        if partition is None or offset is None:
            return
        self.offsets[encode_key(connector, partition)] = (partition, offset)


class SubmittedRecords:
    """The in-flight batches, oldest first, and the offsets already safe to commit."""

    def __init__(self) -> None:
        self._batches: deque[SubmittedBatch] = deque()
        self._committable: dict[bytes, tuple[Mapping[str, Any], Mapping[str, Any]]] = {}

    def submit(self, batch: SubmittedBatch) -> None:
        self._batches.append(batch)

    def _advance(self) -> None:
        while self._batches and self._batches[0].pending == 0:
            self._committable.update(self._batches.popleft().offsets)

    def committable(self) -> dict[bytes, tuple[Mapping[str, Any], Mapping[str, Any]]]:
        """Take the offsets that became committable since the last call."""
        self._advance()
        out, self._committable = self._committable, {}
        return out

    def restore(self, offsets: dict[bytes, tuple[Mapping[str, Any], Mapping[str, Any]]]) -> None:
        """Put back offsets whose commit failed, unless newer ones arrived meanwhile."""
        for k, v in offsets.items():
            self._committable.setdefault(k, v)

    @property
    def in_flight(self) -> int:
        """Records sent and not yet acknowledged; safe to read from another thread (a scrape):
        the deque is copied in one step before it is walked."""
        return sum(b.pending for b in list(self._batches))
