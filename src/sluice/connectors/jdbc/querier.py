"""One table (or the custom query) being copied: run the mode's query, stream rows, track offsets.

A query runs on a streaming cursor (PostgreSQL named cursor, MySQL unbuffered cursor, SQLite's
lazy stepping) and is read ``batch.max.rows`` at a time across polls, so a table of any size is
never held in memory. When the result is exhausted the read transaction ends (so the next query
sees new commits) and the table waits ``poll.interval.ms`` before it is queried again.

Late commits in timestamp modes: a row gets its timestamp when it is written but becomes visible
when its transaction commits. If another row with a later timestamp was committed and read first,
the Confluent connector's ``timestamp > last`` skips the late row forever. Here each query starts
``timestamp.lag.window.ms`` below the newest timestamp seen, and rows already sent from that
window (remembered by timestamp and incrementing value, or by their whole content) are skipped,
so a row whose commit lags by less than the window is still delivered, exactly once while the
task runs. After a restart the window is read again, which may repeat rows from it
(at-least-once). Offsets keep the Confluent shape and only move forward.
"""

from __future__ import annotations

import datetime as dt
import decimal
import logging
import time
from collections.abc import Sequence
from typing import Any, Final

from sluice.api import ConnectError, DataError, SourceRecord, Struct
from sluice.connectors.jdbc.columns import ColumnInfo
from sluice.connectors.jdbc.criteria import Criteria, base_select
from sluice.connectors.jdbc.dialects.base import Dialect
from sluice.connectors.jdbc.identifiers import TableId
from sluice.connectors.jdbc.offsets import EPOCH, INCREMENTING_FIELD, Offset
from sluice.connectors.jdbc.source_config import MODE_BULK, SourceSettings
from sluice.connectors.jdbc.source_schema import RowMapper, build_row_mapper

__all__ = ["TableQuerier"]

log = logging.getLogger(__name__)

SKIP: Final[dict[str, Any]] = {}
"""Marks a row of the lag window that was sent already (compared by identity)."""


class TableQuerier:
    """Copies one table or query. Not thread-safe: the source task serializes calls."""

    def __init__(
        self,
        dialect: Dialect,
        settings: SourceSettings,
        *,
        table: TableId | None,
        query: str | None,
        topic: str,
        partition: dict[str, str],
        offset: Offset,
        columns: list[ColumnInfo] | None,
        incrementing: str | None,
        timestamps: list[str],
        timestamp_utc: bool,
    ) -> None:
        self.dialect = dialect
        self.settings = settings
        self.table = table
        self.query = query
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.columns = columns
        self.bulk = settings.mode == MODE_BULK
        window = settings.lag_window if timestamps else 0.0
        self.window = dt.timedelta(seconds=window)
        self.criteria = Criteria(
            dialect,
            incrementing if not self.bulk else None,
            tuple(timestamps) if not self.bulk else (),
            timestamp_utc,
            lag_window=window > 0,
        )
        self.next_poll = 0.0
        self.cursor: Any = None
        self.mapper: RowMapper | None = None
        self._inc_field: int | None = None
        self._ts_fields: list[int] = []
        self._seen: dict[tuple[Any, ...], dt.datetime] = {}
        self._newest: dt.datetime | None = offset.timestamp
        self._restarted = True

    def __str__(self) -> str:
        if self.table is not None:
            return f"table {self.table.fqn()}"
        return "query" if self.settings.query_masked else f"query '{self.query}'"

    @property
    def active(self) -> bool:
        return self.cursor is not None

    # -- running the query --------------------------------------------------------------------
    def sql(self) -> str:
        where = self.criteria.where()
        text = base_select(self.dialect, self.table, self.query, wrap=bool(where))
        text += where
        if self.settings.query_suffix:
            text += " " + self.settings.query_suffix
        return text

    def start(self, dbapi_connection: Any, now: dt.datetime | None) -> None:
        """Open the streaming cursor for the next round (``now`` is the database's clock)."""
        params: list[Any] = []
        if self.criteria.has_timestamps or self.criteria.has_incrementing:
            end = (now or EPOCH) - dt.timedelta(seconds=self.settings.timestamp_delay)
            begin = self.offset.timestamp_or_epoch
            if self.criteria.lag_window:
                begin = max((self._newest or begin) - self.window, EPOCH)
            params = self.criteria.params(
                begin, end, self.offset.incrementing_or_default, self.settings.zone
            )
        sql = self.sql()
        log.debug("%s: executing %s", self, "(masked)" if self.settings.query_masked else sql)
        self.cursor = self.dialect.open_stream(dbapi_connection, sql, params)
        self.mapper = None

    def _prepare_mapper(self, rows: Sequence[Sequence[Any]]) -> RowMapper:
        described = self.dialect.description_columns(self.cursor)
        names = [c.name for c in described]
        columns = self.columns
        if columns is not None and [c.name for c in columns] == names:
            chosen = columns
        else:
            # A custom query, or a table whose columns changed since they were reflected.
            chosen = self.dialect.refine_columns(described, rows)
            if columns is not None:
                by_name = {c.name: c for c in columns}
                chosen = [by_name.get(c.name, c) for c in chosen]
        schema_name = self.table.table if self.table is not None else None
        mapper = build_row_mapper(
            schema_name, chosen, self.settings.numeric_mapping, self.settings.zone
        )
        fields = [f.name for f in mapper.schema.fields]
        self._inc_field = None
        self._ts_fields = []
        if self.criteria.incrementing is not None:
            self._inc_field = _find(fields, self.criteria.incrementing, "Incrementing")
        for ts in self.criteria.timestamps:
            self._ts_fields.append(_find(fields, ts, "Timestamp"))
        return mapper

    def fetch(self, max_rows: int) -> tuple[list[SourceRecord], bool]:
        """Up to ``max_rows`` records; the flag says the result is exhausted."""
        rows = self.cursor.fetchmany(max_rows)
        if self.mapper is None:
            self.mapper = self._prepare_mapper(rows)
        done = len(rows) < max_rows
        if not rows:
            return [], done
        mapper = self.mapper
        batch = mapper.values_many(rows)
        if not mapper.checked:
            mapper.struct(list(batch[0]))  # the first row of a mapping is validated field by field
        if self.bulk:
            return self._bulk_records(batch), done
        if self._inc_field is not None and not self._ts_fields and not self.criteria.lag_window:
            return self._incrementing_records(batch, self._inc_field), done
        records: list[SourceRecord] = []
        partition, topic, schema = self.partition, self.topic, mapper.schema
        trusted = Struct.trusted
        for row, values in zip(rows, batch, strict=True):
            offset_map = self._advance(values, row)
            if offset_map is SKIP:
                continue
            records.append(
                SourceRecord(
                    partition, offset_map, topic, None, None, None, schema, trusted(schema, values)
                )
            )
        return records, done

    def _bulk_records(self, batch: list[list[Any]]) -> list[SourceRecord]:
        """Bulk mode: no offsets to track."""
        assert self.mapper is not None
        partition, topic, schema = self.partition, self.topic, self.mapper.schema
        trusted = Struct.trusted
        return [
            SourceRecord(partition, None, topic, None, None, None, schema, trusted(schema, values))
            for values in batch
        ]

    def _incrementing_records(self, batch: list[list[Any]], inc_field: int) -> list[SourceRecord]:
        """Incrementing mode, the common case, without :meth:`_advance`'s general bookkeeping.

        Offsets come out exactly as there: ``{"incrementing": n}`` for a row above the offset,
        else the offset as it stands; an offset object is made only for such a repeat.
        """
        assert self.mapper is not None
        partition, topic, schema = self.partition, self.topic, self.mapper.schema
        trusted = Struct.trusted
        offset: Offset | None = self.offset
        last = self.offset.incrementing_or_default
        records: list[SourceRecord] = []
        append = records.append
        for values in batch:
            inc = values[inc_field]
            if type(inc) is not int:
                inc = _as_int(inc)
            if inc > last:
                last = inc
                offset = None
                offset_map = {INCREMENTING_FIELD: inc}
            else:
                if offset is None:
                    offset = Offset(None, last)
                offset_map = offset.to_map()
            append(
                SourceRecord(
                    partition, offset_map, topic, None, None, None, schema, trusted(schema, values)
                )
            )
        self.offset = offset if offset is not None else Offset(None, last)
        return records

    def finish(self, poll_interval: float) -> None:
        """The result was read to its end (or abandoned): close it and schedule the next round."""
        cursor, self.cursor = self.cursor, None
        if cursor is not None:
            try:
                cursor.close()
            except Exception as e:  # the connection is reset by the caller anyway
                log.debug("%s: closing the cursor failed: %s", self, e)
        self._prune()
        self.next_poll = time.monotonic() + poll_interval

    def abandon(self) -> None:
        """Forget the open cursor without reading it (its connection is being discarded)."""
        self.cursor = None
        self.mapper = None

    # -- offsets ------------------------------------------------------------------------------
    def _advance(self, values: list[Any], row: Sequence[Any]) -> dict[str, Any] | None:
        """The record's offset map, or :data:`SKIP` when the row was already sent."""
        if self.bulk:
            return None
        inc = None
        if self._inc_field is not None:
            inc = values[self._inc_field]
            if type(inc) is not int:
                inc = _as_int(inc)
        ts: dt.datetime | None = None
        for index in self._ts_fields:
            candidate = values[index]
            if candidate is not None:
                ts = _as_instant(candidate, self.settings.zone)
                break
        if self.criteria.lag_window:
            if ts is None:
                return SKIP
            key: tuple[Any, ...] = (ts, inc) if inc is not None else (ts, *_hashable(row))
            if key in self._seen:
                return SKIP
            self._seen[key] = ts
            if self._newest is None or ts > self._newest:
                self._newest = ts
        current = self.offset
        if ts is None and inc is not None and inc > current.incrementing_or_default:
            self.offset = Offset(None, inc)  # incrementing mode: the common, fast case
            return {INCREMENTING_FIELD: inc}
        if self.criteria.has_timestamps:
            if ts is not None and (
                current.timestamp is None
                or ts > current.timestamp
                or (
                    ts == current.timestamp
                    and inc is not None
                    and inc > current.incrementing_or_default
                )
            ):
                self.offset = Offset(ts, inc if self.criteria.has_incrementing else None)
        elif inc is not None and inc > current.incrementing_or_default:
            self.offset = Offset(None, inc)
        return self.offset.to_map()

    def _prune(self) -> None:
        if not self._seen or self._newest is None:
            return
        floor = self._newest - self.window
        self._seen = {k: v for k, v in self._seen.items() if v > floor}


def _find(fields: list[str], name: str, what: str) -> int:
    """The field for a configured column: exact match first, then a unique case-insensitive one."""
    wanted = name.rsplit(".", 1)[-1] if "." in name else name
    if wanted in fields:
        return fields.index(wanted)
    lowered = [f.lower() for f in fields]
    if lowered.count(wanted.lower()) == 1:
        return lowered.index(wanted.lower())
    raise DataError(f"{what} column {name} not found in {','.join(fields)}")


def _as_int(value: Any) -> int:
    if value is None:
        raise ConnectError("Null value for incrementing column")
    if isinstance(value, bool):
        raise ConnectError("Invalid type for incrementing column: boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, decimal.Decimal):
        if value != value.to_integral_value():
            raise ConnectError("Scale of Decimal value for incrementing column must be 0")
        return int(value)
    raise ConnectError(f"Invalid type for incrementing column: {type(value).__name__}")


def _as_instant(value: Any, zone: dt.tzinfo) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=zone).astimezone(dt.UTC)
    raise DataError(f"Timestamp column holds {type(value).__name__}, not a timestamp")


def _hashable(values: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(bytes(v) if isinstance(v, bytearray | memoryview) else v for v in values)
