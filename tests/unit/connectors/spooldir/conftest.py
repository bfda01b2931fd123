"""The ``spool`` fixture: a fresh input/finished/error directory set per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sluice.api import SourceTask
from sluice.testing import MemoryOffsetReader, SourceTaskHarness
from tests.unit.connectors.spooldir.spooling import Spool


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    s = Spool(tmp_path)
    for d in (s.input, s.finished, s.error):
        d.mkdir()
    return s


@pytest.fixture
def run() -> Iterator[Callable[..., SourceTaskHarness]]:
    """Start tasks under the harness; every one still running is stopped at teardown."""
    started: list[SourceTaskHarness] = []

    def start(
        task: SourceTask, config: dict[str, str], offsets: MemoryOffsetReader | None = None
    ) -> SourceTaskHarness:
        h = SourceTaskHarness(task, config)
        if offsets is not None:
            h.offsets = offsets
        started.append(h)
        return h.start()

    yield start
    for h in started:
        h.stop()
