"""Offset syncs kept per source partition, and the translation of group offsets through them.

The rules are Kafka's ``OffsetSyncStore`` (MirrorMaker 2, 3.5 and later), so sluice translates
the same offsets a Java checkpoint task would:

* Per partition, 64 syncs spaced roughly exponentially back from the latest (slot 0 is the latest
  sync, slot ``i`` at most about ``2**i`` upstream offsets older), kept in linear time per sync.
* A sync with an upstream offset lower than the latest one means the source partition was
  rewound or recreated: everything older is dropped.
* Until the offset-syncs topic was read to its end once, nothing is translated; while reading it
  for the first time with ``must_read_to_end``, only the latest sync per partition is kept (older
  ones may have been used by an earlier task generation, and reusing them could move a
  checkpoint backwards).
* Translation takes the latest sync at or before the group's upstream offset ``U``: ``D`` if the
  sync is exactly ``U -> D``, else ``D + 1`` (never further: the records between the sync and the
  group's position may or may not have been copied, and guessing high would skip records the
  group never read). A group behind every kept sync gets ``-1`` (cannot translate accurately);
  a partition without syncs gets ``None``.
"""

from __future__ import annotations

import threading

from sluice.connectors.mirror.offset_sync import OffsetSync

__all__ = ["SYNCS_PER_PARTITION", "OffsetSyncStore"]

SYNCS_PER_PARTITION = 64


def _long(value: int) -> int:
    """``value`` as Java's ``long`` arithmetic leaves it (wrapped to 64 bits, signed)."""
    return (value + 2**63) % 2**64 - 2**63


def _invariant_b(i_sync: OffsetSync, j_sync: OffsetSync, i: int, j: int) -> bool:
    """Slot ``i`` is not too far ahead of slot ``j``: ``i.upstream <= j.upstream + 2^j - 2^i``."""
    bound = _long(j_sync.upstream_offset + _long(1 << j) - _long(1 << i))
    return i_sync is j_sync or bound < 0 or i_sync.upstream_offset <= bound


def _invariant_c(i_sync: OffsetSync, j_sync: OffsetSync, i: int) -> bool:
    """Slot ``i`` is far enough ahead of slot ``j``: ``i.upstream >= j.upstream + 2^(i-2)``."""
    bound = _long(j_sync.upstream_offset + (1 << max(i - 2, 0)))
    return i_sync is j_sync or (bound >= 0 and i_sync.upstream_offset >= bound)


class OffsetSyncStore:
    """Syncs by ``(topic, partition)`` of the *source* cluster; safe to read from other threads."""

    def __init__(self, must_read_to_end: bool = True) -> None:
        self._syncs: dict[tuple[str, int], list[OffsetSync]] = {}
        self._must_read_to_end = must_read_to_end
        self._read_to_end = False
        self._lock = threading.Lock()

    @property
    def read_to_end(self) -> bool:
        return self._read_to_end

    def mark_read_to_end(self) -> None:
        """The offset-syncs topic was read to its end once: translation may start."""
        self._read_to_end = True

    def add(self, sync: OffsetSync) -> None:
        key = (sync.topic, sync.partition)
        with self._lock:
            current = self._syncs.get(key)
            if current is None:
                self._syncs[key] = [sync] * SYNCS_PER_PARTITION
                return
            updated = list(current)  # readers keep seeing a consistent array
            self._update(updated, current, sync)
            self._syncs[key] = updated

    def _update(
        self, syncs: list[OffsetSync], original: list[OffsetSync], sync: OffsetSync
    ) -> None:
        only_latest = not self._read_to_end and self._must_read_to_end
        if only_latest or sync.upstream_offset < syncs[0].upstream_offset:
            syncs[:] = [sync] * SYNCS_PER_PARTITION
            return
        replacement = sync
        replacement_index = 0
        syncs[0] = replacement
        for current in range(1, SYNCS_PER_PARTITION):
            previous = current - 1
            while True:
                old = original[replacement_index]
                is_recent = _invariant_b(syncs[previous], old, previous, current)
                apart_from_previous = _invariant_c(syncs[previous], old, previous)
                nxt = current + 1
                apart_from_next = nxt >= SYNCS_PER_PARTITION or _invariant_c(
                    old, syncs[nxt], current
                )
                following = replacement_index + 1
                duplicate = following < SYNCS_PER_PARTITION and old is original[following]
                promote = is_recent and apart_from_previous and apart_from_next
                if promote:
                    replacement = old
                skip = duplicate or not apart_from_previous
                if promote or skip:
                    replacement_index += 1
                if not (replacement_index < current and skip):
                    break
            if _invariant_b(syncs[previous], syncs[current], previous, current):
                break  # the rest of the array still holds
            syncs[current] = replacement

    def syncs(self, topic: str, partition: int) -> list[OffsetSync]:
        """The kept syncs, latest first (64 slots, repeats included); empty when none."""
        return list(self._syncs.get((topic, partition), []))

    def translate_downstream(self, topic: str, partition: int, upstream_offset: int) -> int | None:
        """The downstream offset for a group at ``upstream_offset`` of source
        ``topic``/``partition``: ``None`` when it cannot be translated yet, ``-1`` when the group
        is behind every sync."""
        if not self._read_to_end:
            return None
        syncs = self._syncs.get((topic, partition))
        if syncs is None:
            return None
        found = next((s for s in syncs if s.upstream_offset <= upstream_offset), syncs[-1])
        if found.upstream_offset > upstream_offset:
            return -1
        step = 0 if found.upstream_offset == upstream_offset else 1
        return found.downstream_offset + step
