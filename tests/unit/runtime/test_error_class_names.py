"""The executing class of a failure (``__connect.errors.class.name``, the error log's ``with class
'…'``) is the Java class name Kafka Connect reports, stage by stage:

* converters: ``keyConverter.getClass()`` / ``valueConverter.getClass()`` /
  ``headerConverter.getClass()`` (``WorkerSinkTask``, ``AbstractWorkerSourceTask``), e.g.
  ``org.apache.kafka.connect.json.JsonConverter``: the configured class name, else the name the
  plugin registry knows the class by;
* transformations: the failing stage's ``transformClass()`` (``TransformationChain``), also when
  its predicate is what failed;
* ``TASK_PUT`` (errant record reporter): ``SinkTask.class``;
* ``KAFKA_PRODUCE``: ``WorkerSourceTask.class``.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from sluice.api import (
    ConnectRecord,
    DataError,
    Predicate,
    SinkRecord,
    SinkTask,
    SourceRecord,
    SourceTask,
    Transformation,
)
from sluice.api.config import ConfigDef
from sluice.converters.json import JsonConverter
from sluice.converters.simple_header import SimpleHeaderConverter
from sluice.converters.string import StringConverter
from sluice.plugins.registry import PluginRegistry, java_class_name
from sluice.runtime.errant_record_reporter import SINK_TASK_CLASS, WorkerErrantRecordReporter
from sluice.runtime.errors import ErrorHandler, ProcessingContext, Stage
from sluice.runtime.transformation_chain import (
    TransformationChain,
    TransformationStage,
    build_chain,
)
from sluice.runtime.worker import Worker
from sluice.runtime.worker_config import WorkerConfig
from sluice.runtime.worker_sink_task import WorkerSinkTask
from sluice.runtime.worker_source_task import PRODUCE_CLASS, WorkerSourceTask
from sluice.runtime.worker_task import RecordPipeline
from sluice.storage.offsets import MemoryOffsetBackingStore
from sluice.storage.states import ConnectorTaskId, TargetState
from sluice.testing import wait_for
from tests.unit.runtime.kafka_doubles import (
    FakeClock,
    FakeConsumer,
    FakeMessage,
    FakeProducer,
    doubles,
)

JSON = "org.apache.kafka.connect.json.JsonConverter"
STRING = "org.apache.kafka.connect.storage.StringConverter"
REPLACE_FIELD = "org.apache.kafka.connect.transforms.ReplaceField$Value"
CAST = "org.apache.kafka.connect.transforms.Cast$Value"


class _Recorder:
    """An error reporter keeping what it is given."""

    def __init__(self) -> None:
        self.contexts: list[ProcessingContext] = []
        self.lock = threading.Lock()

    def report(self, context: ProcessingContext) -> None:
        with self.lock:
            self.contexts.append(context)

    def flush(self, timeout: float | None = None) -> None: ...

    def close(self) -> None: ...

    def seen(self) -> list[tuple[Stage, str]]:
        with self.lock:
            return [(c.stage, c.executing_class) for c in self.contexts]


class _Listener:
    def __getattr__(self, name: str) -> Any:
        return lambda *args: None


def _json(schemas: bool = False) -> JsonConverter:
    converter = JsonConverter()
    converter.configure({"schemas.enable": str(schemas).lower()}, False)
    return converter


def _errors(recorder: _Recorder) -> ErrorHandler:
    return ErrorHandler("c", 0, tolerate_all=True, reporters=[recorder])  # type: ignore[list-item]


# -- names -------------------------------------------------------------------------------------


def test_the_registry_reports_a_configured_kafka_name_and_canonical_names_otherwise() -> None:
    registry = PluginRegistry(entry_points=False)
    json = registry.load("JsonConverter")
    assert registry.reported_name(json, JSON) == JSON
    assert registry.reported_name(json, " JsonConverter ") == JSON  # an alias: the class name
    assert registry.reported_name(json, "sluice.converters.json:JsonConverter") == JSON
    assert registry.reported_name(json) == JSON
    assert registry.reported_name(json, STRING) == JSON  # a name of another class
    assert java_class_name(json) == JSON
    replace = registry.load("ReplaceField$Value")
    assert registry.reported_name(replace, "ReplaceField$Value") == REPLACE_FIELD
    assert java_class_name(_Boom) == f"{__name__}._Boom"  # no Kafka name: module.Class


def test_the_worker_names_converters_and_transforms_as_configured(tmp_path: Path) -> None:
    config = WorkerConfig(
        {
            "key.converter": "StringConverter",
            "value.converter": "StringConverter",
            "offset.storage.file.filename": str(tmp_path / "offsets"),
        }
    )
    worker = Worker("w", config, PluginRegistry(), MemoryOffsetBackingStore())
    conn = {
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "name": "c",
        "topics": "orders",
        "file": str(tmp_path / "out.txt"),
        "value.converter": JSON,
        "value.converter.schemas.enable": "false",
        "header.converter": "JsonConverter",
        "transforms": "a,b",
        "transforms.a.type": "ReplaceField$Value",
        "transforms.b.type": CAST,
        "transforms.b.spec": "x:int32",
    }
    task = worker._build_task(
        ConnectorTaskId("c", 0), conn, {}, _Listener(), TargetState.STARTED, None
    )
    try:
        assert (task.key_converter_class, task.value_converter_class) == (STRING, JSON)
        assert task.header_converter_class == JSON
        assert [s.class_name for s in task.chain.stages] == [REPLACE_FIELD, CAST]
    finally:
        task.chain.close()


def test_a_pipeline_built_without_names_takes_the_registrys() -> None:
    pipeline = RecordPipeline(
        StringConverter(),
        _json(),
        SimpleHeaderConverter(),
        TransformationChain([]),
        ErrorHandler("c", 0),
    )
    assert (pipeline.key_converter_class, pipeline.value_converter_class) == (STRING, JSON)
    assert (
        pipeline.header_converter_class == "org.apache.kafka.connect.storage.SimpleHeaderConverter"
    )


# -- transformations ---------------------------------------------------------------------------


class _Boom(Transformation[ConnectRecord]):
    def configure(self, configs: Mapping[str, Any]) -> None: ...

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        raise DataError("boom")

    def config(self) -> ConfigDef:
        return ConfigDef()


class _Keep(Transformation[ConnectRecord]):
    def configure(self, configs: Mapping[str, Any]) -> None: ...

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        return record

    def config(self) -> ConfigDef:
        return ConfigDef()


class _BrokenPredicate(Predicate[ConnectRecord]):
    def configure(self, configs: Mapping[str, Any]) -> None: ...

    def test(self, record: ConnectRecord) -> bool:
        raise DataError("predicate failed")

    def config(self) -> ConfigDef:
        return ConfigDef()


def _record() -> SinkRecord:
    return SinkRecord("orders", 0, None, None, None, "v", 1)


def test_the_chain_names_the_stage_that_failed_not_the_first() -> None:
    chain = TransformationChain(
        [
            TransformationStage("keep", _Keep(), class_name="com.example.Keep"),
            TransformationStage("boom", _Boom(), class_name="com.example.Boom"),
        ]
    )
    with pytest.raises(DataError):
        chain.apply(_record())
    assert chain.failed_class() == "com.example.Boom"


def test_a_failing_predicate_is_reported_with_its_transformations_class() -> None:
    chain = TransformationChain(
        [
            TransformationStage("keep", _Keep(), class_name="com.example.Keep"),
            TransformationStage(
                "filter",
                _Keep(),
                _BrokenPredicate(),
                class_name="org.apache.kafka.connect.transforms.Filter",
            ),
        ]
    )
    with pytest.raises(DataError):
        chain.apply(_record())
    assert chain.failed_class() == "org.apache.kafka.connect.transforms.Filter"


def test_a_stage_without_a_name_takes_the_registrys() -> None:
    assert TransformationStage("boom", _Boom()).class_name == f"{__name__}._Boom"


def test_build_chain_names_stages_by_their_kafka_class() -> None:
    chain = build_chain(
        {
            "transforms": "a,b",
            "transforms.a.type": "ReplaceField$Value",
            "transforms.a.exclude": "y",
            "transforms.b.type": CAST,
            "transforms.b.spec": "x:int32",
        },
        PluginRegistry(entry_points=False),
    )
    assert [s.class_name for s in chain.stages] == [REPLACE_FIELD, CAST]
    record = SinkRecord("orders", 0, None, None, None, {"x": "abc", "y": 1}, 1)
    with pytest.raises(DataError):
        chain.apply(record)
    assert chain.failed_class() == CAST


# -- the sink task -----------------------------------------------------------------------------


class _Sink(SinkTask):
    """Keeps the values; reports those equal to ``errant`` to the errant record reporter."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.reporter: WorkerErrantRecordReporter | None = None

    def start(self, props: Mapping[str, str]) -> None: ...

    def put(self, records: list[SinkRecord]) -> None:
        for r in records:
            if r.value == {"errant": True} and self.reporter is not None:
                self.reporter.report(r, DataError("cannot write"))
            else:
                self.values.append(r.value)

    def stop(self) -> None: ...


def _run_sink(
    messages: list[FakeMessage], chain: TransformationChain[Any], names: tuple[str, ...] = ()
) -> tuple[_Sink, _Recorder]:
    recorder, sink = _Recorder(), _Sink()
    errors = _errors(recorder)
    pipeline = RecordPipeline(_json(), _json(), _json(), chain, errors, *names)
    reporter = WorkerErrantRecordReporter(errors)
    sink.reporter = reporter
    task = WorkerSinkTask(
        ConnectorTaskId("c", 0),
        sink,
        {},
        _Listener(),
        TargetState.STARTED,
        pipeline,
        {},
        ["orders"],
        None,
        1.0,
        5.0,
        errant_reporter=reporter,
        clients=doubles(
            consumer=FakeConsumer({}, [("orders", 0)], deque([messages])), clock=FakeClock()
        ),
    )
    task.start_thread()
    try:
        wait_for(lambda: len(sink.values) + len(recorder.seen()) >= len(messages), 5)
    finally:
        task.stop()
        assert task.await_stop(10)
    return sink, recorder


def test_sink_converter_failures_name_each_converters_class() -> None:
    messages = [
        FakeMessage("orders", 0, 0, b'{"ok":1}', b"not json"),
        FakeMessage("orders", 0, 1, b"not json", b'"k"'),
        FakeMessage("orders", 0, 2, b'{"ok":2}', b'"k"', [("h", b"not json")]),
    ]
    sink, recorder = _run_sink(messages, TransformationChain([]))
    assert recorder.seen() == [
        (Stage.KEY_CONVERTER, JSON),
        (Stage.VALUE_CONVERTER, JSON),
        (Stage.HEADER_CONVERTER, JSON),
    ]
    assert sink.values == []


def test_sink_converter_failures_use_the_configured_names() -> None:
    messages = [
        FakeMessage("orders", 0, 0, b'{"ok":1}', b"not json"),
        FakeMessage("orders", 0, 1, b"not json", b'"k"'),
        FakeMessage("orders", 0, 2, b'{"ok":2}', b'"k"', [("h", b"not json")]),
    ]
    names = ("com.example.KeyConverter", "com.example.ValueConverter", "com.example.Headers")
    _, recorder = _run_sink(messages, TransformationChain([]), names)
    assert recorder.seen() == [
        (Stage.KEY_CONVERTER, "com.example.KeyConverter"),
        (Stage.VALUE_CONVERTER, "com.example.ValueConverter"),
        (Stage.HEADER_CONVERTER, "com.example.Headers"),
    ]


def test_sink_transformation_failures_name_the_failing_stage() -> None:
    chain = build_chain(
        {
            "transforms": "a,b",
            "transforms.a.type": "ReplaceField$Value",
            "transforms.a.exclude": "y",
            "transforms.b.type": CAST,
            "transforms.b.spec": "x:int32",
        },
        PluginRegistry(entry_points=False),
    )
    messages = [
        FakeMessage("orders", 0, 0, b'{"x":"abc","y":1}'),
        FakeMessage("orders", 0, 1, b'{"x":"8","y":2}'),
    ]
    sink, recorder = _run_sink(messages, chain)
    assert recorder.seen() == [(Stage.TRANSFORMATION, CAST)]  # not the first stage's class
    assert sink.values == [{"x": 8}]


def test_errant_record_reports_name_sink_task() -> None:
    messages = [FakeMessage("orders", 0, 0, b'{"errant":true}'), FakeMessage("orders", 0, 1, b"1")]
    sink, recorder = _run_sink(messages, TransformationChain([]))
    assert recorder.seen() == [(Stage.TASK_PUT, SINK_TASK_CLASS)]
    assert SINK_TASK_CLASS == "org.apache.kafka.connect.sink.SinkTask"
    assert sink.values == [1]


# -- the source task ---------------------------------------------------------------------------


class _Source(SourceTask):
    """Hands out its records once."""

    def __init__(self, records: list[SourceRecord]) -> None:
        self.records = records
        self.stopped = threading.Event()

    def start(self, props: Mapping[str, str]) -> None: ...

    def poll(self) -> list[SourceRecord] | None:
        records, self.records = self.records, []
        if not records:
            self.stopped.wait(0.005)
            return None
        return records

    def stop(self) -> None:
        self.stopped.set()


class _Unconvertible:
    """A value no JSON converter can write."""


def _run_source(
    records: list[SourceRecord],
    chain: TransformationChain[Any],
    names: tuple[str, ...] = (),
    fail_sends: int = 0,
) -> tuple[FakeProducer, _Recorder]:
    recorder, producer = _Recorder(), FakeProducer({})
    store = MemoryOffsetBackingStore()
    store.start()
    pipeline = RecordPipeline(_json(), _json(), _json(), chain, _errors(recorder), *names)
    task = WorkerSourceTask(
        ConnectorTaskId("c", 0),
        _Source(records),
        {},
        _Listener(),
        TargetState.STARTED,
        pipeline,
        {},
        store,
        1.0,
        5.0,
        clients=doubles(producer=producer, clock=FakeClock()),
    )
    task.start_thread()
    try:
        wait_for(lambda: len(producer.produced) + len(recorder.seen()) >= len(records), 5)
        if fail_sends:
            producer.fail_next = fail_sends
            producer.ack()
            wait_for(lambda: len(recorder.seen()) >= fail_sends, 5)
    finally:
        task.stop()
        assert task.await_stop(10)
    return producer, recorder


def _source_record(key: Any, value: Any, headers: Any = None) -> SourceRecord:
    record = SourceRecord(None, None, "lines", None, None, key, None, value)
    if headers is not None:
        for k, v in headers:
            record.headers.add(k, v)
    return record


def test_source_converter_failures_name_each_converters_class() -> None:
    records = [
        _source_record(_Unconvertible(), "v"),
        _source_record("k", _Unconvertible()),
        _source_record("k", "v", [("h", _Unconvertible())]),
    ]
    _, recorder = _run_source(records, TransformationChain([]))
    assert recorder.seen() == [
        (Stage.KEY_CONVERTER, JSON),
        (Stage.VALUE_CONVERTER, JSON),
        (Stage.HEADER_CONVERTER, JSON),
    ]
    names = ("com.example.KeyConverter", "com.example.ValueConverter", "com.example.Headers")
    _, recorder = _run_source(records, TransformationChain([]), names)
    assert recorder.seen() == [
        (Stage.KEY_CONVERTER, "com.example.KeyConverter"),
        (Stage.VALUE_CONVERTER, "com.example.ValueConverter"),
        (Stage.HEADER_CONVERTER, "com.example.Headers"),
    ]


def test_source_transformation_failures_name_the_failing_stage() -> None:
    chain = TransformationChain(
        [
            TransformationStage("keep", _Keep(), class_name="com.example.Keep"),
            TransformationStage("boom", _Boom()),
        ]
    )
    _, recorder = _run_source([_source_record("k", "v")], chain)
    assert recorder.seen() == [(Stage.TRANSFORMATION, f"{__name__}._Boom")]


def test_a_failed_send_names_worker_source_task() -> None:
    _, recorder = _run_source([_source_record("k", "v")], TransformationChain([]), fail_sends=1)
    assert recorder.seen() == [(Stage.KAFKA_PRODUCE, PRODUCE_CLASS)]
    assert PRODUCE_CLASS == "org.apache.kafka.connect.runtime.WorkerSourceTask"
