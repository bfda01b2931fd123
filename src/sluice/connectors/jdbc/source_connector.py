"""``JdbcSourceConnector``: finds the tables to copy and spreads them over ``tasks.max`` tasks.

A monitor thread lists the database's tables every ``table.poll.interval.ms`` and asks for new
task configurations when the filtered set changes, so tables created later are picked up. Tables
go to tasks in contiguous groups (Kafka's ``ConnectorUtils.groupPartitions``).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from typing import Any

import sluice
from sluice.api import (
    ConfigDef,
    ConfigValue,
    ConnectError,
    SourceConnector,
    Task,
)
from sluice.connectors.jdbc.connection import Database
from sluice.connectors.jdbc.dialects.base import Dialect
from sluice.connectors.jdbc.identifiers import TableId
from sluice.connectors.jdbc.offsets import (
    INCREMENTING_FIELD,
    TIMESTAMP_FIELD,
    TIMESTAMP_NANOS_FIELD,
)
from sluice.connectors.jdbc.source_config import (
    TABLES_CONFIG,
    TABLES_FETCHED,
    SourceSettings,
    source_config_def,
    validate_source_config,
)
from sluice.connectors.jdbc.source_task import JdbcSourceTask

__all__ = ["JdbcSourceConnector", "TableFilter", "group_partitions"]

log = logging.getLogger(__name__)


def group_partitions(items: list[Any], groups: int) -> list[list[Any]]:
    """Split ``items`` into ``groups`` contiguous runs, the first ones one longer if uneven."""
    if groups <= 0:
        raise ValueError("Number of groups must be positive.")
    per, extra = divmod(len(items), groups)
    out: list[list[Any]] = []
    start = 0
    for g in range(groups):
        size = per + (1 if g < extra else 0)
        out.append(items[start : start + size])
        start += size
    return out


class TableFilter:
    """``table.whitelist``/``blacklist`` (exact names) or ``include``/``exclude`` lists (regex)."""

    def __init__(self, settings: SourceSettings, dialect: Dialect) -> None:
        self.whitelist = set(settings.whitelist) or None
        self.blacklist = set(settings.blacklist) or None
        self.include = [re.compile(p) for p in settings.include_list]
        self.exclude = [re.compile(p) for p in settings.exclude_list]
        self.dialect = dialect

    @property
    def names_catalogs(self) -> bool:
        """Whether the filter may name tables outside the connection's own database."""
        return bool(self.whitelist or self.include)

    def _names(self, table: TableId) -> set[str]:
        return {table.fqn(), self.dialect.quoted_fqn(table), table.table}

    def accepts(self, table: TableId) -> bool:
        if self.include or self.exclude:
            name = table.fqn()
            if self.include and not any(p.fullmatch(name) for p in self.include):
                return False
            return not any(p.fullmatch(name) for p in self.exclude)
        if self.whitelist is not None:
            return bool(self._names(table) & self.whitelist)
        if self.blacklist is not None:
            return not (self._names(table) & self.blacklist)
        return True


class _TableMonitor(threading.Thread):
    def __init__(self, connector: JdbcSourceConnector, interval: float) -> None:
        super().__init__(name="jdbc-table-monitor", daemon=True)
        self.connector = connector
        self.interval = interval
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                if self.connector.refresh_tables():
                    self.connector.context.request_task_reconfiguration()
            except Exception as e:
                log.error("Could not list tables, trying again in %.0fs: %s", self.interval, e)


class JdbcSourceConnector(SourceConnector):
    """Confluent's ``io.confluent.connect.jdbc.JdbcSourceConnector``, configs unchanged."""

    def version(self) -> str:
        return sluice.__version__

    def __init__(self) -> None:
        self._props: dict[str, str] = {}
        self._tables: list[TableId] | None = None
        self._lock = threading.Lock()
        self._db: Database | None = None
        self._monitor: _TableMonitor | None = None

    def config(self) -> ConfigDef:
        return source_config_def()

    def validate(self, connector_configs: Mapping[str, str]) -> list[ConfigValue]:
        return validate_source_config(connector_configs)

    def task_class(self) -> type[Task]:
        return JdbcSourceTask

    def start(self, props: Mapping[str, str]) -> None:
        self._props = dict(props)
        settings = SourceSettings.parse(props)
        settings.check()
        self._settings = settings
        self._tables = None
        if settings.query:
            return
        self._db = Database(
            settings.url,
            settings.user,
            settings.password,
            settings.quote_identifiers,
            settings.connection_attempts,
            settings.connection_backoff,
        )
        self._filter = TableFilter(settings, self._db.dialect)
        try:
            self.refresh_tables()
        except Exception as e:  # the monitor keeps trying; tasks wait meanwhile
            log.error("Could not list the tables of %s yet: %s", self._db.describe(), e)
        self._monitor = _TableMonitor(self, settings.table_poll_interval)
        self._monitor.start()

    def refresh_tables(self) -> bool:
        """List and filter tables; True when the set changed since the last listing."""
        assert self._db is not None
        s = self._settings
        all_catalogs = self._filter.names_catalogs
        with self._db.metadata() as conn:
            found = self._db.dialect.list_tables(
                conn, s.catalog_pattern, s.schema_pattern, s.table_types, all_catalogs
            )
        tables = [t for t in found if self._filter.accepts(t)]
        with self._lock:
            changed = self._tables is None or tables != self._tables
            if changed:
                log.info("Tables to copy: %s", ", ".join(t.fqn() for t in tables) or "(none)")
            self._tables = tables
        return changed

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        if self._settings.query:
            return [{**self._props, TABLES_CONFIG: "", TABLES_FETCHED: "true"}]
        with self._lock:
            tables = None if self._tables is None else list(self._tables)
        if not tables:
            fetched = "false" if tables is None else "true"
            if tables is not None:
                log.warning("No tables were found so there's no work to be done.")
            return [{**self._props, TABLES_CONFIG: "", TABLES_FETCHED: fetched}]
        assert self._db is not None
        dialect = self._db.dialect
        configs = []
        for group in group_partitions(tables, min(len(tables), max_tasks)):
            configs.append(
                {
                    **self._props,
                    TABLES_CONFIG: ",".join(dialect.quoted_fqn(t) for t in group),
                    TABLES_FETCHED: "true",
                }
            )
        return configs

    def stop(self) -> None:
        if self._monitor is not None:
            self._monitor.stopping.set()
            self._monitor.join(10)
            self._monitor = None
        if self._db is not None:
            self._db.close()
            self._db = None

    def alter_offsets(
        self,
        connector_config: Mapping[str, str],
        offsets: list[tuple[dict[str, Any], dict[str, Any] | None]],
    ) -> bool:
        """Accept only offsets in the shapes this connector reads (Confluent's)."""
        for partition, offset in offsets:
            if not isinstance(partition, dict) or not (
                "table" in partition or "query" in partition
            ):
                raise ConnectError(
                    f"Invalid source partition {partition}: expected "
                    '{"protocol": "1", "table": "<name>"}, {"table": "<name>"} or '
                    '{"query": "query"}'
                )
            if offset is None:
                continue
            for key, value in offset.items():
                if key not in (INCREMENTING_FIELD, TIMESTAMP_FIELD, TIMESTAMP_NANOS_FIELD):
                    raise ConnectError(f"Invalid JDBC source offset key '{key}' in {offset}")
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ConnectError(
                        f"Invalid JDBC source offset {offset}: '{key}' must be an integer"
                    )
        return False
