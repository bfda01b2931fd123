"""``sluice.api`` is the connector author's whole namespace: ``__all__`` is the contract.

As httpx does for its top-level package: every public name is listed, every listed name exists,
and nothing private leaks. A name added or removed here is an API change and must be deliberate.
"""

from __future__ import annotations

import inspect

import sluice.api

EXPECTED = {
    "NO_DEFAULT",
    "AbstractConfig",
    "AlreadyExistsError",
    "CaseInsensitiveValidString",
    "ConfigData",
    "ConfigDef",
    "ConfigError",
    "ConfigKey",
    "ConfigProvider",
    "ConfigType",
    "ConfigValue",
    "ConnectError",
    "ConnectRecord",
    "Connector",
    "ConnectorContext",
    "ContextThread",
    "Converter",
    "DataError",
    "Date",
    "Decimal",
    "ErrantRecordReporter",
    "ExactlyOnceSupport",
    "Field",
    "Header",
    "HeaderConverter",
    "Headers",
    "IllegalWorkerStateError",
    "Importance",
    "NonEmptyString",
    "NonNullValidator",
    "NotFoundError",
    "OffsetStorageReader",
    "Password",
    "Predicate",
    "Range",
    "Recommender",
    "RecordMetadata",
    "RetriableError",
    "Schema",
    "SchemaAndValue",
    "SchemaBuilder",
    "SchemaBuilderError",
    "SchemaProjectorError",
    "SinkConnector",
    "SinkRecord",
    "SinkRecordBatch",
    "SinkTask",
    "SinkTaskContext",
    "SourceConnector",
    "SourceConnectorContext",
    "SourceRecord",
    "SourceTask",
    "SourceTaskContext",
    "Struct",
    "Task",
    "Time",
    "Timestamp",
    "TimestampType",
    "TopicPartition",
    "Transformation",
    "Type",
    "ValidList",
    "ValidString",
    "Validator",
    "Values",
    "Versioned",
    "Width",
    "validate_value",
}


def test_all_is_exactly_the_expected_names() -> None:
    assert set(sluice.api.__all__) == EXPECTED
    assert len(sluice.api.__all__) == len(EXPECTED)  # no duplicates


def test_every_public_attribute_is_exported() -> None:
    public = {
        name
        for name, value in vars(sluice.api).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert public == set(sluice.api.__all__)


def test_every_exported_name_resolves_to_an_object_from_the_api_package() -> None:
    for name in sluice.api.__all__:
        value = getattr(sluice.api, name)
        module = getattr(value, "__module__", None)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert module is not None
            assert module.startswith("sluice.api."), (name, module)


def test_star_import_gives_exactly_all() -> None:
    namespace: dict[str, object] = {}
    exec("from sluice.api import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(sluice.api.__all__)


def test_submodule_all_lists_are_consistent_with_the_package() -> None:
    submodules = [
        value
        for name, value in vars(sluice.api).items()
        if inspect.ismodule(value) and value.__name__.startswith("sluice.api.")
    ]
    assert submodules
    for module in submodules:
        for name in getattr(module, "__all__", []):
            assert hasattr(module, name), (module.__name__, name)
