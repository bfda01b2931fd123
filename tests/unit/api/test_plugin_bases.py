"""The base classes plugins extend: what they require and what their defaults do."""

from __future__ import annotations

import abc
import concurrent.futures
from collections.abc import Mapping
from typing import Any

import pytest

from sluice import __version__
from sluice.api import (
    AlreadyExistsError,
    ConfigDef,
    ConfigError,
    ConfigType,
    ConnectError,
    Connector,
    ConnectorContext,
    Converter,
    DataError,
    ErrantRecordReporter,
    ExactlyOnceSupport,
    HeaderConverter,
    Headers,
    IllegalWorkerStateError,
    NotFoundError,
    OffsetStorageReader,
    Predicate,
    RetriableError,
    Schema,
    SchemaAndValue,
    SchemaBuilderError,
    SchemaProjectorError,
    SinkConnector,
    SinkRecord,
    SinkTask,
    SinkTaskContext,
    SourceConnector,
    SourceConnectorContext,
    SourceRecord,
    SourceTask,
    SourceTaskContext,
    Task,
    TopicPartition,
    Transformation,
    Versioned,
)

# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "parent"),
    [
        (RetriableError, ConnectError),
        (DataError, ConnectError),
        (SchemaBuilderError, DataError),
        (SchemaProjectorError, DataError),
        (ConfigError, ConnectError),
        (IllegalWorkerStateError, ConnectError),
        (NotFoundError, ConnectError),
        (AlreadyExistsError, ConnectError),
        (ConnectError, Exception),
    ],
)
def test_error_tree(error: type[Exception], parent: type[Exception]) -> None:
    assert issubclass(error, parent)
    assert error.__name__.endswith("Error")


def test_retriable_and_data_errors_are_distinct_branches() -> None:
    assert not issubclass(RetriableError, DataError)
    assert not issubclass(DataError, RetriableError)


# --- abstract bases ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cls",
    [
        Connector,
        ConnectorContext,
        Task,
        SourceConnector,
        SourceTask,
        SourceTaskContext,
        SourceConnectorContext,
        OffsetStorageReader,
        SinkConnector,
        SinkTask,
        SinkTaskContext,
        ErrantRecordReporter,
        Converter,
        HeaderConverter,
        Transformation,
        Predicate,
    ],
)
def test_bases_cannot_be_instantiated(cls: type) -> None:
    assert isinstance(cls, abc.ABCMeta)
    assert cls.__abstractmethods__
    with pytest.raises(TypeError):
        cls()


# --- connectors --------------------------------------------------------------------------------


class _Task(SourceTask):
    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    def stop(self) -> None:
        pass

    def poll(self) -> list[SourceRecord] | None:
        return None


class _Connector(SourceConnector):
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str]]] = []

    def start(self, props: Mapping[str, str]) -> None:
        self.calls.append(("start", dict(props)))

    def task_class(self) -> type[Task]:
        return _Task

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [{"task": str(i)} for i in range(max_tasks)]

    def stop(self) -> None:
        self.calls.append(("stop", {}))

    def config(self) -> ConfigDef:
        return ConfigDef().define("topic", ConfigType.STRING).define("n", ConfigType.INT, 1)


class _Context(ConnectorContext):
    def request_task_reconfiguration(self) -> None:
        pass

    def raise_error(self, error: Exception) -> None:
        pass


def test_initialize_keeps_the_context() -> None:
    c = _Connector()
    ctx = _Context()
    c.initialize(ctx)
    assert c.context is ctx


def test_default_validate_uses_config() -> None:
    values = {v.name: v for v in _Connector().validate({"n": "x"})}
    assert values["topic"].errors == [
        'Missing required configuration "topic" which has no default value.'
    ]
    assert values["n"].errors == ["Invalid value x for configuration n: Not a number of type INT"]


def test_default_reconfigure_stops_then_starts() -> None:
    c = _Connector()
    c.reconfigure({"topic": "t"})
    assert c.calls == [("stop", {}), ("start", {"topic": "t"})]


def test_source_connector_defaults() -> None:
    c = _Connector()
    assert c.exactly_once_support({}) is None
    assert c.can_define_transaction_boundaries({}) is False
    assert c.alter_offsets({}, [({"p": 1}, {"o": 2})]) is False
    assert [e.value for e in ExactlyOnceSupport] == ["SUPPORTED", "UNSUPPORTED"]


class _Bundled(_Connector):
    """Pretends to ship inside sluice, whose top-level package carries ``__version__``."""


_Bundled.__module__ = "sluice.connectors.bundled"


def test_version_comes_from_the_top_level_package() -> None:
    assert _Bundled().version() == __version__
    # This test module's top-level package has no __version__.
    assert _Connector().version() == "unknown"
    assert isinstance(_Connector(), Versioned)


def test_source_task_defaults() -> None:
    t = _Task()
    t.start({"a": "b"})
    t.commit()
    t.commit_record(SourceRecord(None, None, "t"), None)
    assert t.poll() is None
    assert t.props == {"a": "b"}


class _Offsets(OffsetStorageReader):
    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        return {"pos": partition["file"]} if partition["file"] != "none" else None


def test_offsets_are_answered_in_the_order_asked() -> None:
    parts = [{"file": "b"}, {"file": "none"}, {"file": "a"}]
    assert _Offsets().offsets(parts) == [
        ({"file": "b"}, {"pos": "b"}),
        ({"file": "none"}, None),
        ({"file": "a"}, {"pos": "a"}),
    ]


# --- sinks -------------------------------------------------------------------------------------


class _SinkTask(SinkTask):
    def __init__(self) -> None:
        self.flushed: list[dict[TopicPartition, int]] = []

    def start(self, props: Mapping[str, str]) -> None:
        pass

    def stop(self) -> None:
        pass

    def put(self, records: list[SinkRecord]) -> None:
        pass

    def flush(self, current_offsets: Mapping[TopicPartition, int]) -> None:
        self.flushed.append(dict(current_offsets))


def test_default_pre_commit_flushes_and_returns_a_copy() -> None:
    t = _SinkTask()
    offsets = {TopicPartition("t", 0): 5}
    result = t.pre_commit(offsets)
    assert result == offsets
    assert result is not offsets
    assert t.flushed == [offsets]


def test_sink_task_hooks_do_nothing_by_default() -> None:
    t = _SinkTask()
    t.open([TopicPartition("t", 0)])
    t.close([TopicPartition("t", 0)])
    SinkTask.flush(t, {TopicPartition("t", 0): 1})  # the base flush has nothing to do
    assert t.flushed == []


class _SinkContext(SinkTaskContext):
    def configs(self) -> dict[str, str]:
        return {}

    def offset(self, offsets: Mapping[TopicPartition, int]) -> None:
        pass

    def timeout(self, seconds: float) -> None:
        pass

    def assignment(self) -> set[TopicPartition]:
        return set()

    def pause(self, *partitions: TopicPartition) -> None:
        pass

    def resume(self, *partitions: TopicPartition) -> None:
        pass

    def request_commit(self) -> None:
        pass


def test_sink_context_has_no_reporter_by_default() -> None:
    assert _SinkContext().errant_record_reporter() is None


class _Reporter(ErrantRecordReporter):
    def report(self, record: SinkRecord, error: BaseException) -> concurrent.futures.Future[None]:
        f: concurrent.futures.Future[None] = concurrent.futures.Future()
        f.set_result(None)
        return f


def test_reporter_returns_a_future() -> None:
    record = SinkRecord("t", 0, None, None, None, None, 1)
    assert _Reporter().report(record, DataError("bad")).result(timeout=1) is None


class _SinkConnector(SinkConnector):
    def start(self, props: Mapping[str, str]) -> None:
        pass

    def task_class(self) -> type[Task]:
        return _SinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return []

    def stop(self) -> None:
        pass

    def config(self) -> ConfigDef:
        return ConfigDef()


def test_sink_connector_defaults() -> None:
    assert SinkConnector.TOPICS_CONFIG == "topics"
    assert _SinkConnector().alter_offsets({}, {TopicPartition("t", 0): None}) is False


# --- converters and transforms -----------------------------------------------------------------


class _Converter(Converter):
    def configure(self, configs: Mapping[str, Any], is_key: bool) -> None:
        self.is_key = is_key

    def from_connect_data(
        self, topic: str, schema: Schema | None, value: Any, headers: Headers | None = None
    ) -> bytes | None:
        return None if value is None else str(value).encode()

    def to_connect_data(
        self, topic: str, value: bytes | None, headers: Headers | None = None
    ) -> SchemaAndValue:
        if value is None:
            return SchemaAndValue.NULL  # type: ignore[attr-defined,no-any-return]
        return SchemaAndValue(Schema.STRING_SCHEMA, value.decode())


def test_converter_defaults_and_schema_and_value() -> None:
    c = _Converter()
    c.configure({}, is_key=True)
    assert c.config().names() == []
    c.close()
    assert c.to_connect_data("t", c.from_connect_data("t", None, "x")) == (
        Schema.STRING_SCHEMA,
        "x",
    )
    null = c.to_connect_data("t", None)
    assert null == SchemaAndValue(None, None)
    assert (null.schema, null.value) == (None, None)


class _Upper(Transformation[SourceRecord]):
    def configure(self, configs: Mapping[str, Any]) -> None:
        pass

    def apply(self, record: SourceRecord) -> SourceRecord | None:
        return record.new_record(
            record.topic.upper(),
            record.kafka_partition,
            record.key_schema,
            record.key,
            record.value_schema,
            record.value,
            record.timestamp,
        )

    def config(self) -> ConfigDef:
        return ConfigDef()


class _IsTopic(Predicate[SourceRecord]):
    def configure(self, configs: Mapping[str, Any]) -> None:
        self.topic = configs["topic"]

    def test(self, record: SourceRecord) -> bool:
        return bool(record.topic == self.topic)

    def config(self) -> ConfigDef:
        return ConfigDef().define("topic", ConfigType.STRING)


def test_transform_and_predicate_contracts() -> None:
    record = SourceRecord({"p": 1}, {"o": 2}, "abc")
    predicate = _IsTopic()
    predicate.configure({"topic": "abc"})
    assert predicate.test(record)
    out = _Upper().apply(record)
    assert out is not None
    assert out.topic == "ABC"
    assert out.source_offset == {"o": 2}
    _Upper().close()
    predicate.close()
