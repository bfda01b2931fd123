"""The initial snapshot: every captured row as a read (``op=r``) event, consistent with the slot.

When the task created the slot, the snapshot runs in a ``REPEATABLE READ`` transaction that
imports the snapshot the slot exported (``SET TRANSACTION SNAPSHOT``), so it sees exactly the
data the slot's stream starts after: no change is missed or doubled. A slot that already existed
has no snapshot to import; the rows are then read in a fresh transaction and the stream replays
from the slot's position, as Debezium does (changes may arrive twice, none is lost).

Rows are read through a server-side cursor ``snapshot.fetch.size`` at a time, every column cast to
``text`` so the converters of the streaming phase serve here too. Debezium marks
``source.snapshot`` as ``first``, ``first_in_data_collection``, ``true``,
``last_in_data_collection`` and, on the very last record, ``last``; one record is held back so
the last can be marked when the snapshot ends.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import psycopg2

from sluice.api import ConnectError, SourceRecord
from sluice.connectors.debezium.postgres_catalog import (
    TableInfo,
    quote_ident,
    table_columns,
)
from sluice.connectors.debezium.postgres_config import PostgresSettings
from sluice.connectors.debezium.postgres_offsets import (
    LAST_SNAPSHOT_RECORD,
    LSN,
    SNAPSHOT,
    SNAPSHOT_COMPLETED,
    TS_USEC,
    TX_ID,
)
from sluice.connectors.debezium.postgres_records import (
    SourcePosition,
    build_table_schema,
    source_struct,
)
from sluice.connectors.debezium.postgres_types import BPCHAR, ColumnInfo

__all__ = ["Snapshot", "as_text"]

log = logging.getLogger(__name__)


def as_text(column: ColumnInfo) -> str:
    """The column in PostgreSQL's text output, as pgoutput sends it: a ``::text`` cast, except
    for ``char(n)``, whose cast to text drops the padding its output keeps (psycopg2 returns it
    as the server wrote it)."""
    name = quote_ident(column.name)
    return name if column.type_oid == BPCHAR else f"{name}::text"


def _marker(first_table: bool, last_table: bool, first_row: bool, last_row: bool) -> str:
    """Debezium's ``setSnapshotMarker``."""
    if last_row and last_table:
        return "last"
    if first_row and first_table:
        return "first"
    if last_row:
        return "last_in_data_collection"
    if first_row:
        return "first_in_data_collection"
    return "true"


class Snapshot:
    """Reads the tables batch by batch; :meth:`next_batch` returns ``None`` once done."""

    def __init__(
        self,
        settings: PostgresSettings,
        partition: Mapping[str, Any],
        tables: list[TableInfo],
        exported_snapshot: str | None,
        lsn: int,
    ) -> None:
        self._settings = settings
        self._partition = partition
        self._tables = tables
        self._lsn = lsn
        self._conn = psycopg2.connect(**settings.dsn())
        self._conn.set_session(isolation_level="REPEATABLE READ")
        cur = self._conn.cursor()
        if exported_snapshot is not None:
            cur.execute("SET TRANSACTION SNAPSHOT %s", (exported_snapshot,))
        cur.execute("SELECT txid_current()")
        self._tx_id = int(cur.fetchone()[0])
        cur.close()
        self._rows = self._all_rows()
        self._held: SourceRecord | None = None
        self._done = False
        log.info(
            "Snapshot of %d tables at LSN %d (%s)",
            len(tables),
            lsn,
            "exported by the new slot" if exported_snapshot else "fresh; the slot existed",
        )

    def _offset(self, last: bool, ts: dt.datetime) -> dict[str, Any]:
        us = int((ts - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) / dt.timedelta(microseconds=1))
        return {
            LAST_SNAPSHOT_RECORD: last,
            LSN: self._lsn,
            TX_ID: self._tx_id,
            TS_USEC: us,
            SNAPSHOT: "INITIAL",
            SNAPSHOT_COMPLETED: False,
        }

    def _all_rows(self) -> Iterator[SourceRecord]:
        s = self._settings
        count = len(self._tables)
        for index, table in enumerate(self._tables):
            meta = self._conn.cursor()
            columns, key = table_columns(meta, table.oid)
            meta.close()
            schema = build_table_schema(s.topic_prefix, table.schema, table.table, columns, key, s)
            if not key:
                log.warning(
                    "Table %s.%s has no primary key: its change events have a null key",
                    table.schema,
                    table.table,
                )
            select = ", ".join(as_text(c) for c in columns) or "NULL"
            cur = self._conn.cursor(name=f"sluice_snapshot_{index}")
            cur.itersize = s.snapshot_fetch_size
            try:
                cur.execute(f"SELECT {select} FROM {table.qualified}")
            except psycopg2.Error as e:
                raise ConnectError(
                    f"Cannot read table {table.schema}.{table.table} for the snapshot: "
                    f"{str(e).strip()} (grant SELECT on it to the connector's user, or leave it "
                    "out with table.include.list / table.exclude.list)"
                ) from e
            ts = dt.datetime.now(dt.UTC)
            rows = 0
            pending: tuple[Any, ...] | None = None
            while True:
                batch = cur.fetchmany(s.snapshot_fetch_size)
                for row in batch:
                    if pending is not None:
                        yield self._record(schema, pending, index, count, rows, False, ts)
                        rows += 1
                    pending = row
                if len(batch) < s.snapshot_fetch_size:
                    break
            if pending is not None:
                yield self._record(schema, pending, index, count, rows, True, ts)
                rows += 1
            cur.close()
            log.info("Snapshot of %s.%s: %d rows", table.schema, table.table, rows)

    def _record(
        self,
        schema: Any,
        row: tuple[Any, ...],
        index: int,
        count: int,
        row_index: int,
        last_row: bool,
        ts: dt.datetime,
    ) -> SourceRecord:
        marker = _marker(index == 0, index == count - 1, row_index == 0, last_row)
        pos = SourcePosition(schema.schema, schema.table, ts, marker, self._tx_id, self._lsn, None)
        source = source_struct(self._settings.topic_prefix, self._settings.dbname, pos)
        record: SourceRecord = schema.record(
            self._partition, self._offset(False, ts), "r", None, row, source
        )
        return record

    def next_batch(self, max_records: int) -> list[SourceRecord] | None:
        """Up to ``max_records`` records; ``None`` once the snapshot has been returned in full."""
        if self._done:
            return None
        out: list[SourceRecord] = []
        for record in self._rows:
            if self._held is not None:
                out.append(self._held)
            self._held = record
            if len(out) >= max_records:
                return out
        if self._held is not None:
            out.append(self._mark_last(self._held))
            self._held = None
        self._done = True
        self.close()
        return out

    def _mark_last(self, record: SourceRecord) -> SourceRecord:
        """The final record says ``last`` and carries ``last_snapshot_record`` (Debezium's
        buffering snapshot receiver rewrites the held record the same way)."""
        value = record.value
        value.get("source").put("snapshot", "last")
        offset = dict(record.source_offset or {})
        offset[LAST_SNAPSHOT_RECORD] = True
        return SourceRecord(
            record.source_partition,
            offset,
            record.topic,
            None,
            record.key_schema,
            record.key,
            record.value_schema,
            value,
        )

    def close(self) -> None:
        if not self._conn.closed:
            try:
                self._conn.rollback()
            finally:
                self._conn.close()
