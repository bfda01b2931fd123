"""``JdbcSinkConnector``: writes topics into database tables; every task gets the same config."""

from __future__ import annotations

from collections.abc import Mapping

import sluice
from sluice.api import ConfigDef, ConfigValue, SinkConnector, Task
from sluice.connectors.jdbc.sink_config import SinkSettings, sink_config_def, validate_sink_config
from sluice.connectors.jdbc.sink_task import JdbcSinkTask

__all__ = ["JdbcSinkConnector"]


class JdbcSinkConnector(SinkConnector):
    """Confluent's ``io.confluent.connect.jdbc.JdbcSinkConnector``, configs unchanged."""

    def version(self) -> str:
        return sluice.__version__

    def __init__(self) -> None:
        self._props: dict[str, str] = {}

    def config(self) -> ConfigDef:
        return sink_config_def()

    def validate(self, connector_configs: Mapping[str, str]) -> list[ConfigValue]:
        return validate_sink_config(connector_configs)

    def task_class(self) -> type[Task]:
        return JdbcSinkTask

    def start(self, props: Mapping[str, str]) -> None:
        SinkSettings.parse(props)  # fail the connector, not each task, on a bad config
        self._props = dict(props)

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self._props) for _ in range(max_tasks)]

    def stop(self) -> None:
        pass
