"""``MongoSinkConnector``: MongoDB's official sink connector, configs unchanged.

Every task gets the connector's configuration. ``validate`` checks what the official connector
checks: each key, each topic's overrides and strategy combinations, and that the server in
``connection.uri`` answers (an unreachable server is an error on ``connection.uri``, so a
connector pointed at the wrong place is refused when it is created).
"""

from __future__ import annotations

from collections.abc import Mapping

from pymongo import MongoClient
from pymongo.errors import ConfigurationError, PyMongoError
from pymongo.uri_parser import parse_uri

import sluice
from sluice.api import ConfigDef, ConfigValue, SinkConnector, Task
from sluice.connectors.mongodb.client import CONNECTION_URI, redact
from sluice.connectors.mongodb.sink_config import (
    DEFAULT_URI,
    SinkSettings,
    sink_config_def,
    validate_sink_config,
)
from sluice.connectors.mongodb.sink_task import MongoSinkTask

__all__ = ["MongoSinkConnector"]

VALIDATION_TIMEOUT_MS = 5000
"""How long ``validate`` waits for the server, unless the URI's serverSelectionTimeoutMS is
shorter."""


def check_reachable(uri: str) -> str | None:
    """None when a server at ``uri`` answers a ping, else why not."""
    try:
        options = parse_uri(uri)["options"]
    except (ConfigurationError, ValueError) as e:
        return str(e)
    # pymongo gives the URI's timeouts in seconds.
    seconds = float(options.get("serverSelectionTimeoutMS", 30))
    timeout = min(int(seconds * 1000), VALIDATION_TIMEOUT_MS)
    try:
        client: MongoClient[dict[str, object]] = MongoClient(
            uri, serverSelectionTimeoutMS=timeout, connect=False
        )
    except (PyMongoError, ValueError) as e:
        return str(e)
    try:
        client.admin.command("ping")
    except PyMongoError as e:
        return str(e).split(", Timeout:")[0]
    finally:
        client.close()
    return None


class MongoSinkConnector(SinkConnector):
    """MongoDB's ``com.mongodb.kafka.connect.MongoSinkConnector``."""

    def __init__(self) -> None:
        self._props: dict[str, str] = {}

    def version(self) -> str:
        return sluice.__version__

    def config(self) -> ConfigDef:
        return sink_config_def()

    def validate(self, connector_configs: Mapping[str, str]) -> list[ConfigValue]:
        values = validate_sink_config(connector_configs)
        uri_value = next(v for v in values if v.name == CONNECTION_URI)
        if not uri_value.errors:
            uri = str(connector_configs.get(CONNECTION_URI, DEFAULT_URI))
            problem = check_reachable(uri)
            if problem is not None:
                uri_value.add_error(
                    f"Unable to connect to the server ({CONNECTION_URI}={redact(uri)}): {problem}"
                )
        return values

    def task_class(self) -> type[Task]:
        return MongoSinkTask

    def start(self, props: Mapping[str, str]) -> None:
        SinkSettings.parse(props)  # fail the connector, not each task, on a bad config
        self._props = dict(props)

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self._props) for _ in range(max_tasks)]

    def stop(self) -> None:
        pass
