"""``MySqlConnector`` and ``MariaDbConnector``: Debezium's binlog connectors, configs unchanged.

One task, whatever ``tasks.max`` says, as Debezium: the binlog is one ordered stream with one
position, which cannot be split without losing the commit order consumers rely on. Validation
checks each key, then (once they are right) that the server is reachable and can be captured,
reporting the problem on the key to fix.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

import sluice
from sluice.api import (
    ConfigDef,
    ConfigError,
    ConfigValue,
    ConnectError,
    RetriableError,
    SourceConnector,
    Task,
)
from sluice.connectors.debezium.common_config import HOSTNAME
from sluice.connectors.debezium_mysql.config import Settings, config_def
from sluice.connectors.debezium_mysql.source_task import (
    MariaDbConnectorTask,
    MySqlConnectorTask,
    _BinlogSourceTask,
)

__all__ = ["MariaDbConnector", "MySqlConnector"]

log = logging.getLogger(__name__)


class _BinlogConnector(SourceConnector):
    TASK: ClassVar[type[_BinlogSourceTask]] = MySqlConnectorTask

    def version(self) -> str:
        return sluice.__version__

    def __init__(self) -> None:
        self._props: dict[str, str] = {}

    def config(self) -> ConfigDef:
        return config_def()

    def validate(self, connector_configs: Mapping[str, str]) -> list[ConfigValue]:
        values = super().validate(connector_configs)
        if any(v.errors for v in values):
            return values
        by_name = {v.name: v for v in values}
        try:
            s = Settings.parse(connector_configs)
        except ConfigError as e:
            target = by_name.get(e.key or "") or by_name[HOSTNAME]
            target.add_error(str(e))
            return values
        problem = _server_problem(s)
        if problem:
            by_name[HOSTNAME].add_error(problem)
        return values

    def task_class(self) -> type[Task]:
        return self.TASK

    def start(self, props: Mapping[str, str]) -> None:
        Settings.parse(props)  # fail the connector, not only its task, on a bad config
        self._props = dict(props)

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self._props)]

    def stop(self) -> None:
        return None

    def alter_offsets(
        self,
        connector_config: Mapping[str, str],
        offsets: list[tuple[dict[str, Any], dict[str, Any] | None]],
    ) -> bool:
        """Accept offsets in Debezium's shape: ``{"server": <prefix>}`` partitions and
        offsets with a binlog ``file`` and ``pos``."""
        for partition, offset in offsets:
            if set(partition) != {"server"} or not isinstance(partition["server"], str):
                raise ConnectError(
                    f'Invalid source partition {partition}: expected {{"server": "<prefix>"}}'
                )
            if offset is None:
                continue
            if not isinstance(offset.get("file"), str) or not isinstance(offset.get("pos"), int):
                raise ConnectError(
                    f'Invalid binlog offset {offset}: expected {{"file": "<binlog file>", '
                    '"pos": <position>}, optionally with "gtids", "event", "row"'
                )
        return False


def _server_problem(s: Settings) -> str | None:
    """Why the server cannot be captured, or ``None``."""
    from sluice.connectors.debezium_mysql.server import check_server, connect

    try:
        conn = connect(s)
    except (ConnectError, RetriableError) as e:
        return str(e)
    try:
        check_server(conn, s)
    except ConnectError as e:
        return str(e)
    except Exception as e:  # a server answering unexpectedly: report, do not crash validate
        log.info("Validation could not check the server: %s", e)
        return f"Unable to check the server {s.hostname}:{s.port}: {e}"
    finally:
        conn.close()
    return None


class MySqlConnector(_BinlogConnector):
    """Debezium's ``io.debezium.connector.mysql.MySqlConnector``."""

    TASK = MySqlConnectorTask


class MariaDbConnector(_BinlogConnector):
    """Debezium's ``io.debezium.connector.mariadb.MariaDbConnector``."""

    TASK = MariaDbConnectorTask
