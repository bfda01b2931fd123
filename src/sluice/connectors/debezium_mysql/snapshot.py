"""The initial snapshot: every captured row as a read event (op ``r``), consistent with the
binlog position streaming then starts from.

Consistency as Debezium gets it, without holding a lock while rows are read: on MariaDB, one
``START TRANSACTION WITH CONSISTENT SNAPSHOT`` and the server's ``binlog_snapshot_file`` /
``binlog_snapshot_position`` status (the binlog position of exactly that snapshot, lock-free);
on MySQL, ``FLUSH TABLES WITH READ LOCK`` held only while the transaction starts and
``SHOW MASTER STATUS`` is read. Every row read is as of that position, and every change after it
is in the binlog from that position on, so nothing is missed and nothing is read twice.

Offsets: every snapshot record carries ``{"file", "pos", "snapshot": "INITIAL"}`` (Debezium's
marker of an unfinished snapshot), except the very last, which carries the plain position: once it
is committed, a restart streams; before that, a restart snapshots again from the beginning (as
Debezium does), delivering the rows again but losing none.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pymysql  # type: ignore[import-untyped]
import pymysql.cursors  # type: ignore[import-untyped]

from sluice.api import SourceRecord
from sluice.connectors.debezium_mysql.history import SchemaHistory
from sluice.connectors.debezium_mysql.records import (
    RecordFactory,
    SourcePosition,
    table_change_dict,
)
from sluice.connectors.debezium_mysql.server import ServerInfo, gtid_position, master_status
from sluice.connectors.debezium_mysql.tables import (
    TableId,
    TableModel,
    all_tables,
    list_tables,
    read_table,
)

__all__ = ["SnapshotReader", "quote"]

log = logging.getLogger(__name__)


def quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class SnapshotReader:
    """Reads the snapshot in batches; :meth:`batches` yields lists of records."""

    def __init__(
        self,
        connect: Callable[[], pymysql.Connection],
        records: RecordFactory,
        history: SchemaHistory,
        server: ServerInfo,
        data: bool,
    ) -> None:
        self._connect = connect
        self._records = records
        self._history = history
        self._server = server
        self._data = data
        self.file = ""
        self.pos = 0
        self.gtids: str | None = None
        self.models: dict[TableId, TableModel] = {}
        self._conn: pymysql.Connection | None = None
        self._rows_started = False

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # already broken: nothing to release
                self._conn.close()
            self._conn = None

    def _begin(self) -> pymysql.Connection:
        conn = self._connect()
        self._conn = conn
        with conn.cursor() as cur:
            cur.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            if self._server.mariadb:
                cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
                cur.execute("SHOW STATUS LIKE 'binlog_snapshot_%'")
                status = {str(k).lower(): str(v) for k, v in cur.fetchall()}
                self.file = status["binlog_snapshot_file"]
                self.pos = int(status["binlog_snapshot_position"])
                # The GTID position of exactly that binlog position.
                cur.execute("SELECT BINLOG_GTID_POS(%s, %s)", (self.file, self.pos))
                row = cur.fetchone()
                self.gtids = str(row[0]) if row and row[0] else None
            else:
                cur.execute("FLUSH TABLES WITH READ LOCK")
                try:
                    cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT")
                    self.file, self.pos = master_status(conn)
                    self.gtids = gtid_position(conn, False)
                finally:
                    cur.execute("UNLOCK TABLES")
        return conn

    def offset(self, done: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"ts_sec": int(time.time()), "file": self.file, "pos": self.pos}
        if self.gtids:
            out["gtids"] = self.gtids
        if not done:
            out["snapshot"] = "INITIAL"
        return out

    def batches(self, fetch_size: int, max_batch: int) -> Iterator[list[SourceRecord]]:
        """The schema records, then the rows, in batches of at most ``max_batch``; the last
        record of all carries the finished snapshot's offset."""
        conn = self._begin()
        s = self._records.s
        tables = list_tables(conn, s.filters)
        log.info(
            "Snapshot at %s:%s of %d tables%s",
            self.file,
            self.pos,
            len(tables),
            "" if self._data else " (schemas only: snapshot.mode=no_data)",
        )
        pending: SourceRecord | None = None
        batch: list[SourceRecord] = []

        def push(record: SourceRecord) -> Iterator[list[SourceRecord]]:
            nonlocal pending, batch
            if pending is not None:
                batch.append(pending)
                if len(batch) >= max_batch:
                    out, batch = batch, []
                    yield out
            pending = record

        for db, ddl, changes, table, with_tables in self._schema_statements(conn, tables):
            offset = self.offset(False)
            self._history.record(
                offset,
                int(time.time() * 1000),
                db,
                ddl,
                [table_change_dict(k, m, with_tables) for k, m in changes],
            )
            if s.schema_changes:
                pos = SourcePosition(self.file, self.pos, snapshot="true")
                yield from push(
                    self._records.schema_change(db, ddl, changes, pos, offset, table, with_tables)
                )
        if self._data:
            for tid in tables:
                model = self.models.get(tid)
                if model is not None:
                    yield from self._table_rows(conn, model, fetch_size, push)
        conn.commit()
        self.close()
        if pending is not None:
            pending.source_offset = self.offset(True)
            value = pending.value
            if value is not None and value.schema.field("source") is not None:
                value.get("source").put("snapshot", "last")
            batch.append(pending)
        if batch:
            yield batch

    def _schema_statements(
        self,
        conn: pymysql.Connection,
        tables: list[TableId],
    ) -> Iterator[tuple[str, str, list[tuple[str, TableModel]], str | None, bool]]:
        """The DDL a snapshot records, in Debezium's order: the server's character set, a
        ``DROP TABLE`` per table, then per database ``DROP DATABASE``, ``CREATE DATABASE``,
        ``USE`` and the ``CREATE TABLE`` of each table (``SHOW CREATE TABLE``). Each item is
        (database, ddl, table changes, table, whether the changes carry the table)."""
        s = self._records.s
        with conn.cursor() as cur:
            cur.execute("SELECT @@character_set_server, @@collation_server")
            charset, collation = cur.fetchone()
            cur.execute(
                "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
                "FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME"
            )
            databases = [
                (str(n), str(c), str(o))
                for n, c, o in cur.fetchall()
                if str(n) and s.records_ddl_of(str(n), None)
            ]
        names = {db for db, _, _ in databases}
        recorded = sorted({*tables, *(t for t in all_tables(conn) if t.db in names)})
        for tid in recorded:
            if not s.records_ddl_of(tid.db, tid.table) and tid not in tables:
                continue
            model = read_table(conn, tid)
            if model is not None:
                self.models[tid] = model
        # Only databases with a recorded table are recorded, as in Debezium.
        with_tables = {tid.db for tid in self.models}
        databases = [d for d in databases if d[0] in with_tables]
        yield (
            "",
            f"SET character_set_server={charset}, collation_server={collation}",
            [],
            None,
            True,
        )
        for tid, model in self.models.items():
            ddl = f"DROP TABLE IF EXISTS {quote(tid.db)}.{quote(tid.table)}"
            yield tid.db, ddl, [("DROP", model)], tid.table, False
        for db, db_charset, db_collation in databases:
            yield db, f"DROP DATABASE IF EXISTS {quote(db)}", [], None, True
            ddl = f"CREATE DATABASE {quote(db)} CHARSET {db_charset} COLLATE {db_collation}"
            yield db, ddl, [], None, True
            yield db, f"USE {quote(db)}", [], None, True
            for tid, model in self.models.items():
                if tid.db != db:
                    continue
                with conn.cursor() as cur:
                    cur.execute(f"SHOW CREATE TABLE {quote(tid.db)}.{quote(tid.table)}")
                    ddl = str(cur.fetchone()[1])
                yield db, ddl, [("CREATE", model)], tid.table, True

    def _table_rows(
        self,
        conn: pymysql.Connection,
        model: TableModel,
        fetch_size: int,
        push: Callable[[SourceRecord], Iterator[list[SourceRecord]]],
    ) -> Iterator[list[SourceRecord]]:
        names = [c.name for c in model.columns]
        sql = (
            f"SELECT {', '.join(quote(n) for n in names)} FROM "
            f"{quote(model.id.db)}.{quote(model.id.table)}"
        )
        cur = conn.cursor(pymysql.cursors.SSCursor)
        try:
            cur.execute(sql)
            previous: tuple[Any, ...] | None = None
            first = True
            while True:
                rows = cur.fetchmany(fetch_size)
                if not rows:
                    break
                for row in rows:
                    if previous is not None:
                        yield from push(self._record(model, previous, first, False))
                        first = False
                    previous = row
            if previous is not None:
                yield from push(self._record(model, previous, first, True))
        finally:
            cur.close()

    def _record(
        self, model: TableModel, row: tuple[Any, ...], first: bool, last: bool
    ) -> SourceRecord:
        if not self._rows_started:
            marker = "first"
            self._rows_started = True
        elif last:
            marker = "last_in_data_collection"
        elif first:
            marker = "first_in_data_collection"
        else:
            marker = "true"
        # No server id: the snapshot reads tables, not binlog events (Debezium shows 0 too).
        pos = SourcePosition(self.file, self.pos, snapshot=marker)
        values = dict(zip((c.name for c in model.columns), row, strict=True))
        return self._records.change("r", model, None, values, pos, self.offset(False))[0]
