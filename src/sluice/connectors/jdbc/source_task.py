"""The JDBC source task: copies its tables (or the query) into Kafka, resuming from offsets.

Threading: ``start`` and ``poll`` run on the task thread; ``stop`` arrives from another thread
while ``poll`` may be reading. ``poll`` holds a lock only while it talks to the database and
waits for the next table's turn in slices of at most a second, so ``stop`` is honoured quickly;
whichever of the two sees the stop last closes the connection.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any, Final

import sluice
from sluice.api import ConfigError, ConnectError, SourceRecord, SourceTask
from sluice.connectors.jdbc.columns import ColumnInfo, ColumnKind
from sluice.connectors.jdbc.connection import Database
from sluice.connectors.jdbc.identifiers import TableId
from sluice.connectors.jdbc.offsets import (
    Offset,
    from_millis_and_nanos,
    query_partition,
    table_partition_v0,
    table_partition_v1,
)
from sluice.connectors.jdbc.querier import TableQuerier
from sluice.connectors.jdbc.source_config import (
    TIMESTAMP_INITIAL_CURRENT,
    SourceSettings,
)

__all__ = ["JdbcSourceTask"]

log = logging.getLogger(__name__)

MAX_WAIT: Final = 1.0
"""Longest a poll blocks before returning (so pausing and stopping take effect)."""


class JdbcSourceTask(SourceTask):
    """Polls tables in turn; each poll returns at most ``batch.max.rows`` records."""

    def version(self) -> str:
        return sluice.__version__

    def __init__(self) -> None:
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._queriers: list[TableQuerier] = []
        self._db: Database | None = None
        self._raw: Any = None
        self._failures = 0
        self._retry_at = 0.0
        self._closed = False

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self, props: Mapping[str, str]) -> None:
        settings = SourceSettings.parse(props)
        settings.check()
        self._settings = settings
        self._stopping.clear()
        self._closed = False
        if not settings.tables and not settings.query:
            if not settings.tables_fetched:
                log.info("Started JDBC source task. Waiting for DB tables to be fetched.")
                return
            raise ConfigError(
                "Task is being killed because it was not assigned a table nor a query to "
                "execute. If run in table mode please make sure that the tables exist on the "
                "database. If the table does exist on the database, we recommend using the "
                "fully qualified table name."
            )
        if settings.tables and settings.query:
            raise ConfigError(
                "Invalid configuration: a JdbcSourceTask cannot have both a table and a query "
                "assigned to it"
            )
        self._db = Database(
            settings.url,
            settings.user,
            settings.password,
            settings.quote_identifiers,
            settings.connection_attempts,
            settings.connection_backoff,
            self._stopping,
        )
        try:
            self._queriers = self._build_queriers(settings, self._db)
        except BaseException:
            self._db.close()
            self._db = None
            raise
        log.info("Started JDBC source task for %s", ", ".join(str(q) for q in self._queriers))

    def _build_queriers(self, s: SourceSettings, db: Database) -> list[TableQuerier]:
        dialect = db.dialect
        reader = self.context.offset_storage_reader()
        incremental = s.mode != "bulk"
        queriers: list[TableQuerier] = []
        if s.query:
            partition = query_partition()
            stored = reader.offset(partition) if incremental else None
            offset = self._initial_offset(Offset.from_map(stored), stored is not None, db)
            queriers.append(
                TableQuerier(
                    dialect,
                    s,
                    table=None,
                    query=s.query,
                    topic=s.topic_prefix,
                    partition=partition,
                    offset=offset,
                    columns=None,
                    incrementing=(s.incrementing_column or None) if s.uses_incrementing else None,
                    timestamps=s.timestamp_columns if s.uses_timestamp else [],
                    timestamp_utc=False,
                )
            )
            if s.uses_incrementing and not s.incrementing_column:
                raise ConfigError(
                    "incrementing.column.name must be set when a custom query is used in "
                    f"{s.mode} mode",
                    "incrementing.column.name",
                )
            return queriers
        tables = [dialect.parse_table(t) for t in s.tables]
        with db.metadata() as conn:
            described = {t: dialect.reflect_columns(conn, t) for t in tables}
        candidates: list[dict[str, str]] = []
        for t in tables:
            candidates += [table_partition_v1(t), table_partition_v0(t)]
        stored_offsets = reader.offsets(candidates) if incremental else []
        for table in tables:
            columns = described[table]
            if not columns:
                raise ConnectError(f"Table {table.fqn()} does not exist or has no columns")
            incrementing = self._incrementing_column(s, table, columns)
            timestamps = s.timestamp_columns if s.uses_timestamp else []
            self._check_columns(s, table, columns, incrementing, timestamps)
            v1, v0 = table_partition_v1(table), table_partition_v0(table)
            stored = None
            for wanted in (v1, v0):  # newest protocol first, as Confluent looks them up
                stored = next((o for p, o in stored_offsets if p == wanted and o is not None), None)
                if stored is not None:
                    log.info("Found offset %s for partition %s", stored, wanted)
                    break
            offset = self._initial_offset(Offset.from_map(stored), stored is not None, db)
            ts_col = _column(columns, timestamps[0]) if timestamps else None
            queriers.append(
                TableQuerier(
                    dialect,
                    s,
                    table=table,
                    query=None,
                    topic=s.topic_prefix + table.table,
                    partition=v0 if s.mode == "bulk" else v1,
                    offset=offset,
                    columns=columns,
                    incrementing=incrementing,
                    timestamps=timestamps,
                    timestamp_utc=bool(ts_col is not None and ts_col.utc),
                )
            )
        return queriers

    def _incrementing_column(
        self, s: SourceSettings, table: TableId, columns: list[ColumnInfo]
    ) -> str | None:
        if not s.uses_incrementing:
            return None
        if s.incrementing_column:
            return s.incrementing_column
        for col in columns:
            if col.autoincrement:
                log.info("Using auto-increment column %s of %s", col.name, table.fqn())
                return col.name
        raise ConfigError(
            f"Table {table.fqn()} has no auto-increment column: set incrementing.column.name",
            "incrementing.column.name",
        )

    def _check_columns(
        self,
        s: SourceSettings,
        table: TableId,
        columns: list[ColumnInfo],
        incrementing: str | None,
        timestamps: list[str],
    ) -> None:
        if incrementing is not None and _column(columns, incrementing) is None:
            raise ConfigError(
                f"Incrementing column: {incrementing} does not exist in table '{table.fqn()}'",
                "incrementing.column.name",
            )
        missing = [t for t in timestamps if _column(columns, t) is None]
        if missing:
            raise ConfigError(
                f"Timestamp columns: {', '.join(missing)} do not exist in table '{table.fqn()}'",
                "timestamp.column.name",
            )
        if not s.validate_non_null:
            return
        inc_col = _column(columns, incrementing) if incrementing else None
        if inc_col is not None and inc_col.nullable:
            raise ConnectError(
                f"Cannot make incremental queries using incrementing column {incrementing} on "
                f"{table.fqn()} because this column is nullable."
            )
        if timestamps and all(c.nullable for c in (_column(columns, t) for t in timestamps) if c):
            raise ConnectError(
                f"Cannot make incremental queries using timestamp columns {','.join(timestamps)} "
                f"on {table.fqn()} because all of these columns are nullable."
            )
        if inc_col is not None and inc_col.kind not in (
            ColumnKind.INT8,
            ColumnKind.INT16,
            ColumnKind.INT32,
            ColumnKind.INT64,
            ColumnKind.UINT64,
            ColumnKind.DECIMAL,
        ):
            raise ConnectError(
                f"Invalid type for incrementing column {incrementing} of {table.fqn()}: "
                f"{inc_col.type_name or inc_col.kind.value}"
            )

    def _initial_offset(self, found: Offset, stored: bool, db: Database) -> Offset:
        if stored:
            return found
        initial = self._settings.timestamp_initial
        if initial is None:
            return found
        if initial == TIMESTAMP_INITIAL_CURRENT:
            raw = db.raw_connection()
            try:
                now = db.dialect.current_time(raw.dbapi_connection)
                raw.rollback()
            finally:
                raw.close()
            return Offset(now, None)
        return Offset(from_millis_and_nanos(initial, None), None)

    # -- polling ------------------------------------------------------------------------------
    def poll(self) -> list[SourceRecord] | None:
        if not self._queriers:
            self._stopping.wait(MAX_WAIT)
            return None
        if self._stopping.is_set():
            return None
        monotonic = time.monotonic()
        if monotonic < self._retry_at:
            self._stopping.wait(min(self._retry_at - monotonic, MAX_WAIT))
            return None
        querier = min(self._queriers, key=lambda q: (not q.active, q.next_poll))
        if not querier.active and querier.next_poll > monotonic:
            self._stopping.wait(min(querier.next_poll - monotonic, MAX_WAIT))
            return None
        with self._lock:
            if self._stopping.is_set():
                self._release()
                return None
            try:
                return self._poll_one(querier)
            except Exception as e:
                try:
                    self._on_error(querier, e)
                except BaseException:
                    self._release()  # the task fails: nobody calls stop() after this
                    raise
                return None
            finally:
                if self._stopping.is_set():
                    self._release()

    def _poll_one(self, querier: TableQuerier) -> list[SourceRecord]:
        assert self._db is not None
        settings = self._settings
        if self._raw is None:
            self._raw = self._db.raw_connection()
        conn = self._raw.dbapi_connection
        if not querier.active:
            needs_clock = querier.criteria.has_timestamps
            now = self._db.dialect.current_time(conn) if needs_clock else None
            querier.start(conn, now)
        records, done = querier.fetch(settings.batch_max_rows)
        if done:
            querier.finish(settings.poll_interval)
            self._raw.rollback()  # end the read: the next query must see new commits
        self._failures = 0
        return records

    def _on_error(self, querier: TableQuerier, error: Exception) -> None:
        assert self._db is not None
        querier.abandon()
        self._close_connection(discard=True)
        if not _is_database_error(error):
            raise error
        self._failures += 1
        attempts = self._settings.query_retry_attempts
        if attempts >= 0 and self._failures > attempts:
            raise ConnectError(
                f"Failed to query {querier} {self._failures} times: {_short(error)}"
            ) from error
        backoff = self._settings.connection_backoff if self._failures > 1 else 0.0
        log.warning(
            "Failed to query %s (attempt %d, retrying in %.1fs): %s",
            querier,
            self._failures,
            backoff,
            _short(error),
        )
        self._retry_at = time.monotonic() + backoff

    def _close_connection(self, discard: bool) -> None:
        raw, self._raw = self._raw, None
        if raw is None:
            return
        try:
            if discard:
                raw.invalidate()  # an unbuffered read cannot be abandoned without draining it
            else:
                raw.close()
        except Exception as e:
            log.debug("Closing the JDBC connection failed: %s", e)

    def stop(self) -> None:
        self._stopping.set()
        if self._lock.acquire(timeout=5.0):
            try:
                self._release()
            finally:
                self._lock.release()
        else:
            log.warning("JDBC source task still reading at stop; it closes when the read ends")

    def _release(self) -> None:
        if self._closed:
            return
        self._closed = True
        for q in self._queriers:
            q.abandon()
        self._close_connection(discard=True)
        if self._db is not None:
            self._db.close()
            self._db = None


def _column(columns: list[ColumnInfo], name: str) -> ColumnInfo | None:
    wanted = name.rsplit(".", 1)[-1]
    for col in columns:
        if col.name == wanted:
            return col
    lowered = [c for c in columns if c.name.lower() == wanted.lower()]
    return lowered[0] if len(lowered) == 1 else None


def _is_database_error(error: BaseException) -> bool:
    from sqlalchemy.exc import SQLAlchemyError

    seen: BaseException | None = error
    while seen is not None:
        module = type(seen).__module__
        if isinstance(seen, SQLAlchemyError | OSError) or module.startswith(
            ("psycopg", "pymysql", "sqlite3")
        ):
            return True
        seen = seen.__cause__
    return False


def _short(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__
