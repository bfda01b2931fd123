"""``sluice.testing``'s offsets are the runtime's: stored encoded, read by its own reader."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.api import SourceRecord, SourceTask
from sluice.runtime.offset_storage import StoreOffsetReader
from sluice.testing import MemoryOffsetReader, SourceTaskHarness


class _Counter(SourceTask):
    """Emits one record per poll, resuming after the committed position."""

    def version(self) -> str:
        return "1"

    def start(self, props: Mapping[str, str]) -> None:
        found = self.context.offset_storage_reader().offset({"file": props["file"]})
        self.file = props["file"]
        self.position = 0 if found is None else int(found["position"]) + 1

    def poll(self) -> list[SourceRecord]:
        record = SourceRecord(
            {"file": self.file}, {"position": self.position}, "t", value=self.position
        )
        self.position += 1
        return [record]

    def stop(self) -> None: ...


def test_the_reader_is_the_runtimes_and_reads_back_what_was_put() -> None:
    reader = MemoryOffsetReader()
    reader.put({"b": 2, "a": 1}, {"position": 5, "nested": {"k": [1, 2]}})

    assert isinstance(reader, StoreOffsetReader)
    assert reader.offset({"a": 1, "b": 2}) == {"position": 5, "nested": {"k": [1, 2]}}
    assert reader.offset({"a": 1}) is None
    assert reader.offsets([{"a": 1, "b": 2}, {"a": 9}]) == [
        ({"a": 1, "b": 2}, {"position": 5, "nested": {"k": [1, 2]}}),
        ({"a": 9}, None),
    ]


def test_offsets_come_back_as_json_as_in_a_worker() -> None:
    reader = MemoryOffsetReader()
    reader.put({"p": 1}, {"pair": (1, 2)})

    offset: dict[str, Any] | None = reader.offset({"p": 1})
    assert offset == {"pair": [1, 2]}  # a worker stores JSON: a tuple comes back as a list
    offset["pair"].append(3)
    assert reader.offset({"p": 1}) == {"pair": [1, 2]}  # each read is a fresh copy


def test_polled_offsets_are_committed_and_a_restart_resumes_after_them() -> None:
    harness = SourceTaskHarness(_Counter(), {"file": "in.txt"}).start()
    assert [r.source_offset for r in harness.poll_until(3)] == [
        {"position": 0},
        {"position": 1},
        {"position": 2},
    ]
    harness.poll(commit=False)  # sent but not acknowledged: not committed
    harness.stop()

    again = SourceTaskHarness(_Counter(), {"file": "in.txt"})
    again.offsets = harness.offsets
    assert again.start().poll()[0].source_offset == {"position": 3}
