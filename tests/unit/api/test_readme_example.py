"""The README's "Writing a connector" example, run as it is printed there.

It must keep the contract it describes: ``poll`` blocks briefly instead of spinning a core,
returns at once when ``stop`` arrives from another thread, and resumes after the last committed
offset.
"""

from __future__ import annotations

import re
import threading
import time
import types
from pathlib import Path
from typing import Any

import pytest

from sluice.api import SourceConnector, SourceTask
from sluice.testing import SourceTaskHarness

README = Path(__file__).resolve().parents[3] / "README.md"


@pytest.fixture(scope="module")
def counter() -> types.ModuleType:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    (source,) = [b for b in blocks if "class CounterConnector" in b]
    module = types.ModuleType("counter")
    exec(compile(source, "README.md (CounterConnector)", "exec"), module.__dict__)
    return module


def _task(counter: types.ModuleType) -> SourceTask:
    task = counter.CounterTask()
    assert isinstance(task, SourceTask)
    return task


def test_connector_validates_and_plans_one_task(counter: types.ModuleType) -> None:
    connector: Any = counter.CounterConnector()
    assert isinstance(connector, SourceConnector)
    assert not any(v.errors for v in connector.validate({"topic": "numbers"}))
    bad = {v.name: v.errors for v in connector.validate({"topic": "n", "interval.ms": "0"})}
    assert bad["interval.ms"]
    connector.start({"topic": "numbers", "interval.ms": "5"})
    assert connector.task_configs(4) == [{"topic": "numbers", "interval.ms": "5"}]
    assert connector.task_class() is counter.CounterTask


def test_poll_waits_between_numbers_instead_of_spinning(counter: types.ModuleType) -> None:
    harness = SourceTaskHarness(_task(counter), {"topic": "numbers", "interval.ms": "50"}).start()
    try:
        started = time.monotonic()
        values = [r.value for _ in range(3) for r in harness.poll()]
        elapsed = time.monotonic() - started
    finally:
        harness.stop()
    assert values == [1, 2, 3]
    assert elapsed >= 0.14  # three polls, 50 ms each


def test_stop_from_another_thread_ends_a_waiting_poll(counter: types.ModuleType) -> None:
    task = _task(counter)
    harness = SourceTaskHarness(task, {"topic": "numbers", "interval.ms": "60000"}).start()
    result: list[object] = []
    poller = threading.Thread(target=lambda: result.append(task.poll()))
    poller.start()
    poller.join(timeout=0.2)
    assert poller.is_alive()  # waiting out its interval
    stopped = time.monotonic()
    harness.stop()
    poller.join(timeout=5)
    assert not poller.is_alive()
    assert result == [None]
    assert time.monotonic() - stopped < 1


def test_a_new_task_resumes_after_the_committed_offset(counter: types.ModuleType) -> None:
    config = {"topic": "numbers", "interval.ms": "1"}
    first = SourceTaskHarness(_task(counter), config).start()
    assert [r.value for r in first.poll_until(3)] == [1, 2, 3]
    first.stop()
    second = SourceTaskHarness(_task(counter), config)
    second.offsets = first.offsets  # what the worker's offset store would hand the new task
    second.start()
    try:
        assert [r.value for r in second.poll()] == [4]
    finally:
        second.stop()
