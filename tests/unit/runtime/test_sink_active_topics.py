"""Sink tasks record the topics they consume from (KIP-558), as Kafka's ``WorkerSinkTask`` does.

Kafka records a sink connector's active topic when it converts a record from it (before the
transforms, so a renamed topic does not count) and shows it in ``GET /connectors/<n>/topics``;
sluice recorded only the topics of source tasks, so a sink taken over from Kafka Connect, or
handed to it, showed no topics.
"""

from __future__ import annotations

from typing import Any

import pytest

from sluice.api import SinkRecordBatch, SinkTask
from sluice.converters.simple_header import SimpleHeaderConverter
from sluice.converters.string import StringConverter
from sluice.runtime.errors import ErrorHandler
from sluice.runtime.transformation_chain import TransformationChain
from sluice.runtime.worker_sink_task import WorkerSinkTask
from sluice.runtime.worker_task import RecordPipeline
from sluice.storage.states import ConnectorTaskId, TargetState


class _Message:
    def __init__(self, topic: str, offset: int, value: bytes | None, headers: Any = None) -> None:
        self._topic, self._offset, self._value, self._headers = topic, offset, value, headers

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes | None:
        return None

    def value(self) -> bytes | None:
        return self._value

    def headers(self) -> Any:
        return self._headers

    def timestamp(self) -> tuple[int, int]:
        return (1, 1000)

    def error(self) -> None:
        return None


class _Task(SinkTask):
    def __init__(self) -> None:
        self.values: list[Any] = []

    def start(self, props: Any) -> None: ...

    def put(self, records: Any) -> None:
        self.values.extend(r.value for r in records)

    def put_batch(self, batch: SinkRecordBatch) -> None:
        self.put(batch.records())

    def stop(self) -> None: ...


class _Listener:
    def __getattr__(self, name: str) -> Any:
        return lambda *args: None


def _sink(on_topic: Any) -> tuple[WorkerSinkTask, _Task]:
    task = _Task()
    pipeline = RecordPipeline(
        StringConverter(),
        StringConverter(),
        SimpleHeaderConverter(),
        TransformationChain([]),
        ErrorHandler("snk", 0),
    )
    worker_task = WorkerSinkTask(
        ConnectorTaskId("snk", 0),
        task,
        {},
        _Listener(),
        TargetState.STARTED,
        pipeline,
        {},
        ["a", "b"],
        None,
        60.0,
        5.0,
        on_topic=on_topic,
    )
    worker_task.assignment = {("a", 0), ("b", 0)}  # type: ignore[arg-type]
    return worker_task, task


@pytest.mark.parametrize("headers", [None, [("h", b"1")]], ids=["columns", "per-record"])
def test_each_batch_reports_its_topics_once(headers: Any) -> None:
    seen: list[str] = []
    sink, task = _sink(seen.append)
    sink._process([_Message("a", i, b"x", headers) for i in range(3)])
    assert seen == ["a"]
    sink._process([_Message("a", 3, b"y", headers), _Message("b", 0, b"z", headers)])
    assert seen == ["a", "a", "b"]
    assert task.values == ["x", "x", "x", "y", "z"]


def test_mixed_topics_go_record_by_record_and_report_each_topic() -> None:
    seen: list[str] = []
    sink, task = _sink(seen.append)
    sink._process([_Message("a", 0, b"x"), _Message("b", 0, b"y"), _Message("a", 1, b"z")])
    assert seen == ["a", "b"]
    assert task.values == ["x", "y", "z"]


def test_without_tracking_nothing_is_reported() -> None:
    sink, task = _sink(None)
    sink._process([_Message("a", 0, b"x")])
    assert task.values == ["x"]
