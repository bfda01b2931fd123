"""Offset translation (Kafka's ``OffsetSyncStore`` rules) and which checkpoints a task emits."""

from __future__ import annotations

import pytest

from sluice.api import ConfigError
from sluice.connectors.mirror.checkpoint import Checkpoint
from sluice.connectors.mirror.checkpoint_config import CheckpointSettings
from sluice.connectors.mirror.checkpoint_task import MirrorCheckpointTask, is_newer_checkpoint
from sluice.connectors.mirror.offset_sync import OffsetSync
from sluice.connectors.mirror.offset_sync_store import SYNCS_PER_PARTITION, OffsetSyncStore

PROPS = {
    "source.cluster.alias": "A",
    "target.cluster.alias": "B",
    "source.cluster.bootstrap.servers": "127.0.0.1:1",
    "target.cluster.bootstrap.servers": "127.0.0.1:2",
}


def loaded(*syncs: tuple[int, int], topic: str = "t") -> OffsetSyncStore:
    store = OffsetSyncStore()
    store.mark_read_to_end()
    for up, down in syncs:
        store.add(OffsetSync(topic, 0, up, down))
    return store


def test_nothing_is_translated_before_the_first_read_to_end() -> None:
    store = OffsetSyncStore()
    store.add(OffsetSync("t", 0, 10, 5))
    assert store.translate_downstream("t", 0, 10) is None
    store.mark_read_to_end()
    assert store.translate_downstream("t", 0, 10) == 5


def test_translation_never_goes_past_an_unread_record() -> None:
    store = loaded((100, 50))
    assert store.translate_downstream("t", 0, 100) == 50  # exactly at the sync
    assert store.translate_downstream("t", 0, 101) == 51  # one past it, never more
    assert store.translate_downstream("t", 0, 5000) == 51
    assert store.translate_downstream("t", 0, 99) == -1  # behind every sync
    assert store.translate_downstream("t", 1, 100) is None  # no syncs for the partition


def test_initial_read_keeps_only_the_latest_sync() -> None:
    store = OffsetSyncStore(must_read_to_end=True)
    for up in (0, 10, 20):
        store.add(OffsetSync("t", 0, up, up))
    store.mark_read_to_end()
    assert store.translate_downstream("t", 0, 15) == -1
    store.add(OffsetSync("t", 0, 30, 30))
    assert store.translate_downstream("t", 0, 25) == 21


def test_upstream_rewind_drops_older_syncs() -> None:
    store = loaded((100, 100), (200, 200), (50, 300))
    assert {s.upstream_offset for s in store.syncs("t", 0)} == {50}
    assert store.translate_downstream("t", 0, 150) == 301


def test_syncs_are_spaced_exponentially_and_translate_monotonically() -> None:
    store = loaded(*((u, u * 2) for u in range(0, 100_000, 3)))
    kept = store.syncs("t", 0)
    assert len(kept) == SYNCS_PER_PARTITION and kept[0].upstream_offset == 99_999
    distinct = sorted({s.upstream_offset for s in kept})
    assert 10 < len(distinct) < 40
    previous = -1
    for upstream in range(0, 100_000, 997):
        down = store.translate_downstream("t", 0, upstream)
        assert down is not None and down >= previous
        previous = down
        sync = max(s for s in distinct if s <= upstream) if upstream >= distinct[0] else None
        if sync is not None:  # never past the record after the sync used
            assert down <= sync * 2 + 1


def test_emit_rules() -> None:
    last = Checkpoint("g", "A.t", 0, 10, 5)
    assert is_newer_checkpoint(last, None)
    assert is_newer_checkpoint(Checkpoint("g", "A.t", 0, 12, 6), last)
    assert not is_newer_checkpoint(Checkpoint("g", "A.t", 0, 12, 5), last)
    assert is_newer_checkpoint(Checkpoint("g", "A.t", 0, 3, 2), last)  # upstream rewind


def test_task_checkpoints_renamed_filtered_and_deduplicated() -> None:
    task = MirrorCheckpointTask()
    task._settings = CheckpointSettings.parse({**PROPS, "topics": "t, B.back"})
    task._store = loaded((100, 40))
    task._store.add(OffsetSync("B.back", 0, 7, 3))
    task._store.add(OffsetSync("other", 0, 7, 3))
    upstream = {("t", 0): (101, "m"), ("B.back", 0): (7, ""), ("other", 0): (7, "")}
    got = task.checkpoints_for_group("g", upstream)
    assert got == [Checkpoint("g", "back", 0, 7, 3, ""), Checkpoint("g", "A.t", 0, 101, 41, "m")]
    assert task.checkpoints_for_group("g", upstream) == []  # nothing moved


def test_group_filter_and_bad_regex() -> None:
    settings = CheckpointSettings.parse(PROPS)
    assert settings.group_allowed("orders-app")
    for excluded in ("console-consumer-1", "connect-x", "__y"):
        assert not settings.group_allowed(excluded)
    assert settings.checkpoints_topic == "A.checkpoints.internal"
    assert settings.offset_syncs_topic == "mm2-offset-syncs.B.internal"
    with pytest.raises(ConfigError, match="groups"):
        CheckpointSettings.parse({**PROPS, "groups": "("})
