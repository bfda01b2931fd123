"""``io.debezium.connector.postgresql.PostgresConnector``: PostgreSQL changes into Kafka.

One task, whatever ``tasks.max`` says, as Debezium: a replication slot is one ordered stream
with one position, and splitting it would lose the commit order consumers rely on. Validation
checks the keys, then (once they are right) that the server answers and decodes logically,
reporting problems on the setting to change.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import psycopg2

import sluice
from sluice.api import ConfigDef, ConfigValue, ConnectError, SourceConnector, Task
from sluice.connectors.debezium.common_config import HOSTNAME
from sluice.connectors.debezium.postgres_config import PostgresSettings, postgres_config_def
from sluice.connectors.debezium.postgres_offsets import LSN, SERVER
from sluice.connectors.debezium.postgres_task import PostgresConnectorTask

__all__ = ["PostgresConnector"]

log = logging.getLogger(__name__)


class PostgresConnector(SourceConnector):
    """Debezium's PostgreSQL connector, configs and records unchanged (pgoutput only)."""

    def __init__(self) -> None:
        self._props: dict[str, str] = {}

    def version(self) -> str:
        return sluice.__version__

    def config(self) -> ConfigDef:
        return postgres_config_def()

    def validate(self, connector_configs: Mapping[str, str]) -> list[ConfigValue]:
        values = self.config().validate(connector_configs)
        if any(v.errors for v in values):
            return values
        try:
            settings = PostgresSettings.parse(connector_configs)
        except Exception as e:
            name = getattr(e, "key", None) or HOSTNAME
            for v in values:
                if v.name == name:
                    v.add_error(str(e))
            return values
        problem = _server_problem(settings)
        if problem is not None:
            for v in values:
                if v.name == HOSTNAME:
                    v.add_error(problem)
        return values

    def task_class(self) -> type[Task]:
        return PostgresConnectorTask

    def start(self, props: Mapping[str, str]) -> None:
        PostgresSettings.parse(props)  # a bad config fails the connector, not only its task
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
        """Accept offsets in the shape the task writes: ``{"server": <topic.prefix>}``
        partitions and offsets with an integer ``lsn``."""
        for partition, offset in offsets:
            if set(partition) != {SERVER} or not isinstance(partition[SERVER], str):
                raise ConnectError(
                    f'Invalid source partition {partition}: expected {{"server": "<topic.prefix>"}}'
                )
            if offset is not None and not isinstance(offset.get(LSN), int):
                raise ConnectError(f"Invalid PostgreSQL source offset {offset}: no integer lsn")
        return False


def _server_problem(settings: PostgresSettings) -> str | None:
    try:
        conn = psycopg2.connect(**settings.dsn())
    except psycopg2.Error as e:
        return f"Error while validating connector config: {str(e).strip()}"
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW wal_level")
            (level,) = cur.fetchone()
            if level != "logical":
                return f"Postgres server wal_level property must be 'logical' but is: '{level}'"
    except psycopg2.Error as e:
        return f"Error while validating connector config: {str(e).strip()}"
    finally:
        conn.close()
    return None
