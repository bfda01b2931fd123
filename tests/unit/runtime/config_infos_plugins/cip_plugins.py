"""Small plugins of every kind for the ConfigInfos tests (loaded from a plugin.path folder)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sluice.api import (
    ConfigData,
    ConfigDef,
    ConfigProvider,
    ConfigType,
    Converter,
    Importance,
    Predicate,
    SchemaAndValue,
    SinkConnector,
    SinkTask,
    SourceConnector,
    SourceTask,
    Task,
    Transformation,
    ValidString,
)


class _NoTask(SourceTask):
    def start(self, props: Mapping[str, str]) -> None: ...

    def stop(self) -> None: ...

    def poll(self) -> None:
        return None


class SrcConnector(SourceConnector):
    def start(self, props: Mapping[str, str]) -> None: ...

    def stop(self) -> None: ...

    def task_class(self) -> type[Task]:
        return _NoTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return []

    def config(self) -> ConfigDef:
        return (
            ConfigDef()
            .define("topic", ConfigType.STRING, importance=Importance.HIGH, documentation="Topic")
            .define("batch.size", ConfigType.INT, 2000, importance=Importance.LOW)
            .define("secret", ConfigType.PASSWORD, None, importance=Importance.LOW)
        )


class _NoSinkTask(SinkTask):
    def start(self, props: Mapping[str, str]) -> None: ...

    def stop(self) -> None: ...

    def put(self, records: list[Any]) -> None: ...


class SnkConnector(SinkConnector):
    def start(self, props: Mapping[str, str]) -> None: ...

    def stop(self) -> None: ...

    def task_class(self) -> type[Task]:
        return _NoSinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return []

    def config(self) -> ConfigDef:
        return ConfigDef().define("file", ConfigType.STRING, None, importance=Importance.HIGH)


class HalfConnector(SnkConnector):
    """No ``config()``: abstract, so no plugin, and asking for it says why."""

    config = SinkConnector.config  # the abstract declaration again, as if never written


class Upper(Transformation[Any]):
    def configure(self, configs: Mapping[str, Any]) -> None: ...

    def apply(self, record: Any) -> Any:
        return record

    def config(self) -> ConfigDef:
        return (
            ConfigDef()
            .define("mode", ConfigType.STRING, "a", ValidString("a", "b"), Importance.MEDIUM)
            .define("field", ConfigType.STRING, importance=Importance.HIGH)
            .define("predicate", ConfigType.INT, 1, importance=Importance.LOW)  # masked
        )


class Matches(Predicate[Any]):
    def configure(self, configs: Mapping[str, Any]) -> None: ...

    def test(self, record: Any) -> bool:
        return True

    def config(self) -> ConfigDef:
        return ConfigDef().define("pattern", ConfigType.STRING, importance=Importance.MEDIUM)


class JConverter(Converter):
    def configure(self, configs: Mapping[str, Any], is_key: bool) -> None: ...

    def from_connect_data(self, topic: str, schema: Any, value: Any, headers: Any = None) -> bytes:
        return b""

    def to_connect_data(self, topic: str, value: bytes | None, headers: Any = None) -> Any:
        return SchemaAndValue(None, None)

    def config(self) -> ConfigDef:
        return ConfigDef().define(
            "schemas.enable",
            ConfigType.BOOLEAN,
            True,
            importance=Importance.HIGH,
            group="Schemas",
            order_in_group=0,
        )


class Secrets(ConfigProvider):
    def configure(self, configs: Mapping[str, Any]) -> None: ...

    def get(self, path: str, keys: Any = None) -> ConfigData:
        return ConfigData({})

    def close(self) -> None: ...
