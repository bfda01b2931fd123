"""Following the binlog: events to change records, with Debezium's restart offsets.

A :class:`BinlogReader` thread reads the binlog with ``mysql-replication``'s
``BinLogStreamReader`` (the task thread must return from ``poll`` regularly, and a binlog read
blocks) and puts one list of records per event on a bounded queue, so a slow Kafka holds the
reader back instead of filling memory.

Offsets follow Debezium's ``BinlogOffsetContext``: inside a transaction every record's offset is
the position of the transaction's start (``file``, ``pos``, the ``gtids`` completed before it)
plus ``event`` (row events of the transaction already handled) and ``row`` (rows of the next row
event to skip). A restart from any committed offset therefore re-reads the transaction from its
start and skips exactly what was delivered: nothing is lost, nothing before the offset is sent
again. Between transactions the offset is the plain position after the last one.

DDL statements (``Query`` events other than ``BEGIN``/``COMMIT``) update the table models from
``information_schema``, go to the schema history topic, and (``include.schema.changes``) to the
schema change topic. Every TABLE_MAP event is checked against the model (see ``tables``).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import pymysql  # type: ignore[import-untyped]
from pymysqlreplication import BinLogStreamReader  # type: ignore[import-untyped]
from pymysqlreplication.event import (  # type: ignore[import-untyped]
    GtidEvent,
    HeartbeatLogEvent,
    MariadbGtidEvent,
    QueryEvent,
    RotateEvent,
    XidEvent,
)
from pymysqlreplication.row_event import (  # type: ignore[import-untyped]
    DeleteRowsEvent,
    TableMapEvent,
    UpdateRowsEvent,
    WriteRowsEvent,
)

from sluice.api import ConnectError, ContextThread, SourceRecord
from sluice.connectors.debezium_mysql.columns import UnsupportedTypeError, binlog_time
from sluice.connectors.debezium_mysql.config import Settings
from sluice.connectors.debezium_mysql.history import SchemaHistory
from sluice.connectors.debezium_mysql.records import (
    RecordFactory,
    SourcePosition,
    table_change_dict,
)
from sluice.connectors.debezium_mysql.server import ServerInfo
from sluice.connectors.debezium_mysql.tables import (
    TableId,
    TableModel,
    matches_table_map,
    model_from_table_map,
    read_table,
)

__all__ = ["BinlogReader", "DdlTarget", "StartPosition", "ddl_targets", "merge_gtid"]

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS: Final = 1.0
"""How often an idle server sends a heartbeat event, so the reader sees a stop request."""


@dataclass
class StartPosition:
    """Where to resume: a committed offset, decoded."""

    file: str
    pos: int
    event: int = 0
    row: int = 0
    gtids: str | None = None

    @classmethod
    def from_offset(cls, offset: dict[str, Any]) -> StartPosition:
        if "file" not in offset or "pos" not in offset:
            raise ConnectError(f"Source offset '{offset}' has no 'file' and 'pos'")
        return cls(
            str(offset["file"]),
            int(offset["pos"]),
            int(offset.get("event", 0) or 0),
            int(offset.get("row", 0) or 0),
            offset.get("gtids") or None,
        )


def merge_gtid(gtids: str | None, gtid: str) -> str:
    """MariaDB's GTID position with ``gtid`` (``domain-server-seq``) as its domain's latest."""
    domain = gtid.split("-", 1)[0]
    parts = [p for p in (gtids or "").split(",") if p.strip()]
    kept = [p.strip() for p in parts if p.strip().split("-", 1)[0] != domain]
    return ",".join(sorted([*kept, gtid], key=lambda p: int(p.split("-", 1)[0])))


@dataclass(frozen=True)
class DdlTarget:
    kind: str
    """``CREATE``, ``ALTER`` or ``DROP`` (Debezium's table change types); ``DATABASE`` for
    database-level statements."""
    tables: tuple[TableId, ...]


_NAME: Final = r"(?:`(?:[^`]|``)+`|[\w$]+)"
_QNAME: Final = rf"({_NAME}(?:\s*\.\s*{_NAME})?)"
_CREATE: Final = re.compile(
    rf"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?{_QNAME}",
    re.I | re.S,
)
_ALTER: Final = re.compile(
    rf"^\s*ALTER\s+(?:ONLINE\s+)?(?:IGNORE\s+)?TABLE\s+(?:IF\s+EXISTS\s+)?{_QNAME}", re.I | re.S
)
_DROP: Final = re.compile(
    r"^\s*DROP\s+(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+EXISTS\s+)?(.*?)(?:\s+(?:RESTRICT|CASCADE))?"
    r"\s*(?:/\*.*)?$",
    re.I | re.S,
)
_RENAME: Final = re.compile(r"^\s*RENAME\s+TABLES?\s+(.*)$", re.I | re.S)
_INDEX: Final = re.compile(
    rf"^\s*(?:CREATE|DROP)\s+(?:UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?INDEX\s+.*?\s+ON\s+{_QNAME}",
    re.I | re.S,
)
_DATABASE: Final = re.compile(r"^\s*(?:CREATE|DROP|ALTER)\s+(?:DATABASE|SCHEMA)\b", re.I)


def _unquote(name: str) -> str:
    name = name.strip()
    if name.startswith("`") and name.endswith("`"):
        return name[1:-1].replace("``", "`")
    return name


def _table_id(text: str, db: str) -> TableId:
    parts = re.findall(_NAME, text)
    if len(parts) >= 2:
        return TableId(_unquote(parts[0]), _unquote(parts[1]))
    return TableId(db, _unquote(parts[0]))


def ddl_targets(query: str, db: str) -> DdlTarget | None:
    """The tables a DDL statement changes, or ``None`` when it changes no table's shape."""
    if m := _CREATE.match(query):
        return DdlTarget("CREATE", (_table_id(m.group(1), db),))
    if m := _ALTER.match(query):
        return DdlTarget("ALTER", (_table_id(m.group(1), db),))
    if m := _INDEX.match(query):
        return DdlTarget("ALTER", (_table_id(m.group(1), db),))
    if m := _RENAME.match(query):
        tables: list[TableId] = []
        for pair in m.group(1).split(","):
            sides = re.split(r"\s+TO\s+", pair.strip(), flags=re.I)
            tables.extend(_table_id(side, db) for side in sides if side.strip())
        return DdlTarget("ALTER", tuple(tables))
    if m := _DROP.match(query):
        names = [n for n in m.group(1).split(",") if n.strip()]
        return DdlTarget("DROP", tuple(_table_id(n, db) for n in names))
    if _DATABASE.match(query):
        return DdlTarget("DATABASE", ())
    return None


_Item = list[SourceRecord] | BaseException | None


@dataclass
class _Txn:
    in_txn: bool = False
    file: str = ""
    pos: int = 0
    events: int = 0
    gtid: str | None = None
    thread: int | None = None
    gtids_before: str | None = None
    skip_events: int = 0
    skip_rows: int = 0
    models: dict[int, TableModel | None] = field(default_factory=dict)


class BinlogReader:
    """The binlog reading thread of one task."""

    def __init__(
        self,
        settings: Settings,
        records: RecordFactory,
        history: SchemaHistory,
        server: ServerInfo,
        start: StartPosition,
        connect: Callable[[], pymysql.Connection],
        models: dict[TableId, TableModel] | None = None,
    ) -> None:
        self.s = settings
        self.records = records
        self.history = history
        self.server = server
        self.start_position = start
        self._connect = connect
        self.models: dict[TableId, TableModel] = dict(models or {})
        self.queue: queue.Queue[_Item] = queue.Queue(maxsize=max(1, settings.max_queue // 16))
        self._stopping = threading.Event()
        self._thread = ContextThread(target=self._run, name="binlog-reader", daemon=True)
        self._catalog: pymysql.Connection | None = None
        self._last_heartbeat = time.monotonic()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to stop; it notices within about a second (heartbeat events)."""
        self._stopping.set()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    # -- the thread -------------------------------------------------------------------------------
    def _put(self, item: _Item) -> None:
        while not self._stopping.is_set():
            try:
                self.queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def _run(self) -> None:
        stream: BinLogStreamReader | None = None
        try:
            self._catalog = self._connect()
            st = self.start_position
            extra: dict[str, Any] = {}
            if self.server.mariadb:
                # The library reads MariaDB's binlog by GTID only (given no GTID state it
                # starts at the oldest binlog): the GTID state at the offset's position.
                st.gtids = self._gtid_state(st)
                extra["auto_position"] = st.gtids
            stream = BinLogStreamReader(
                connection_settings={
                    "host": self.s.hostname,
                    "port": self.s.port,
                    "user": self.s.user,
                    "password": self.s.password or "",
                    "connect_timeout": max(1, int(self.s.connect_timeout)),
                },
                server_id=self.s.server_id,
                log_file=st.file,
                log_pos=st.pos,
                resume_stream=True,
                blocking=True,
                is_mariadb=self.server.mariadb,
                slave_heartbeat=HEARTBEAT_SECONDS,
                only_events=[
                    GtidEvent,
                    MariadbGtidEvent,
                    QueryEvent,
                    XidEvent,
                    RotateEvent,
                    TableMapEvent,
                    WriteRowsEvent,
                    UpdateRowsEvent,
                    DeleteRowsEvent,
                    HeartbeatLogEvent,
                ],
                enable_logging=False,
                pymysql_wrapper=_pymysql_connector(),
                **extra,
            )
            self._loop(stream)
        except BaseException as e:  # reported to the task thread, which fails or restarts
            if not self._stopping.is_set():
                self._put(e)
        finally:
            if stream is not None:
                with contextlib.suppress(Exception):  # the connection may be gone already
                    stream.close()
            if self._catalog is not None:
                with contextlib.suppress(Exception):
                    self._catalog.close()
            self._put(None)

    def _gtid_state(self, st: StartPosition) -> str:
        """MariaDB's GTID position at ``st``'s file and position (``BINLOG_GTID_POS``), or the
        offset's own ``gtids`` when the file is gone."""
        assert self._catalog is not None
        try:
            with self._catalog.cursor() as cur:
                cur.execute("SELECT BINLOG_GTID_POS(%s, %s)", (st.file, st.pos))
                row = cur.fetchone()
        except pymysql.MySQLError as e:
            log.info("BINLOG_GTID_POS(%s, %s) failed: %s", st.file, st.pos, e)
            row = None
        if row is not None and row[0] is not None:
            return str(row[0])
        if st.gtids:
            return st.gtids
        raise ConnectError(
            f"The binlog position {st.file}:{st.pos} of the offset is not on the server "
            f"{self.s.hostname}:{self.s.port}, and the offset has no GTID position to resume from"
        )

    def _loop(self, stream: BinLogStreamReader) -> None:
        st = self.start_position
        t = _Txn(file=st.file, pos=st.pos, gtids_before=st.gtids)
        t.skip_events, t.skip_rows = st.event, st.row
        file, restart_pos = st.file, st.pos
        gtids = st.gtids
        for ev in stream:
            if self._stopping.is_set():
                return
            # Exact positions from the event header: the end, and the end less the size.
            end = int(ev.packet.log_pos)
            event_start = end - int(ev.packet.event_size)
            if isinstance(ev, HeartbeatLogEvent):
                self._maybe_heartbeat(t, file, restart_pos, gtids)
                continue
            if isinstance(ev, RotateEvent):
                # A rotate into another file, or the server's fake rotate naming where the
                # stream starts (which is where the offset already points when it is this file).
                if ev.next_binlog != file:
                    file = ev.next_binlog
                    if not t.in_txn:
                        restart_pos = int(ev.position)
                continue
            if isinstance(ev, MariadbGtidEvent | GtidEvent):
                t.in_txn = True
                t.file, t.pos, t.events = file, restart_pos, 0
                t.gtid = str(ev.gtid)
                t.gtids_before = gtids
                t.thread = None
                continue
            if isinstance(ev, QueryEvent):
                query = ev.query if isinstance(ev.query, str) else ev.query.decode()
                upper = query.strip().upper()
                if upper == "BEGIN":
                    if not t.in_txn:
                        t.in_txn = True
                        t.file, t.pos, t.events = file, restart_pos, 0
                        t.gtid = None
                        t.gtids_before = gtids
                    t.thread = int(ev.slave_proxy_id)
                    continue
                if upper != "COMMIT":
                    db = ev.schema.decode() if isinstance(ev.schema, bytes) else str(ev.schema)
                    if t.gtid is not None and self.server.mariadb:
                        gtids = merge_gtid(gtids, t.gtid)
                    after = self._offset_between(file, end, gtids, ev)
                    pos = self._source_pos(file, event_start, 0, ev, t)
                    self._ddl(db, query, pos, after)
                    t = self._committed(t)
                    restart_pos = end
                    continue
                # COMMIT of a non-transactional engine's statement
                if t.gtid is not None and self.server.mariadb:
                    gtids = merge_gtid(gtids, t.gtid)
                t = self._committed(t)
                restart_pos = end
                continue
            if isinstance(ev, XidEvent):
                if t.gtid is not None and self.server.mariadb:
                    gtids = merge_gtid(gtids, t.gtid)
                t = self._committed(t)
                restart_pos = end
                self._maybe_heartbeat(t, file, restart_pos, gtids)
                continue
            if isinstance(ev, TableMapEvent):
                self._table_map(ev, t)
                continue
            if isinstance(ev, WriteRowsEvent | UpdateRowsEvent | DeleteRowsEvent):
                if not t.in_txn:  # a row event outside BEGIN/COMMIT: treat it as its own
                    t.in_txn = True
                    t.file, t.pos, t.events = file, restart_pos, 0
                    t.gtids_before = gtids
                self._rows(ev, t, file, event_start)
                t.events += 1
                continue

    def _committed(self, t: _Txn) -> _Txn:
        """State after a commit; a restart's skipping applies to its first transaction only."""
        return _Txn(models=t.models)

    def _maybe_heartbeat(self, t: _Txn, file: str, pos: int, gtids: str | None) -> None:
        if self.s.heartbeat_interval <= 0 or t.in_txn:
            return
        now = time.monotonic()
        if now - self._last_heartbeat < self.s.heartbeat_interval:
            return
        self._last_heartbeat = now
        offset: dict[str, Any] = {"ts_sec": int(time.time()), "file": file, "pos": pos}
        if gtids:
            offset["gtids"] = gtids
        self._put([self.records.heartbeat(offset)])

    def _offset_between(self, file: str, pos: int, gtids: str | None, ev: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"ts_sec": int(ev.timestamp), "file": file, "pos": pos}
        if gtids:
            out["gtids"] = gtids
        if ev.packet.server_id:
            out["server_id"] = int(ev.packet.server_id)
        return out

    def _source_pos(self, file: str, pos: int, row: int, ev: Any, t: _Txn) -> SourcePosition:
        return SourcePosition(
            file=file,
            pos=pos,
            row=row,
            server_id=int(ev.packet.server_id or 0),
            gtid=t.gtid,
            thread=t.thread,
            ts_ms=int(ev.timestamp) * 1000,
        )

    # -- tables -----------------------------------------------------------------------------------
    def _model(self, tid: TableId, refresh: bool) -> TableModel | None:
        if refresh or tid not in self.models:
            assert self._catalog is not None
            model = read_table(self._catalog, tid)
            if model is None:
                self.models.pop(tid, None)
                return None
            self.models[tid] = model
        return self.models[tid]

    def _table_map(self, ev: TableMapEvent, t: _Txn) -> None:
        tid = TableId(str(ev.schema), str(ev.table))
        if not self.s.filters.table(tid.db, tid.table):
            t.models[ev.table_id] = None
            return
        names = [c.name for c in ev.columns]
        model = self._model(tid, refresh=False)
        if model is None or not matches_table_map(model, names):
            model = self._model(tid, refresh=True)
        if model is None or not matches_table_map(model, names):
            # The reader is behind a later change of the table: the table map is the truth.
            log.info("Table %s: using the binlog's table map (the catalogue has moved on)", tid)
            model = model_from_table_map(tid, ev.columns, bytes(ev.null_bitmask))
        t.models[ev.table_id] = model

    # -- rows -------------------------------------------------------------------------------------
    def _rows(self, ev: Any, t: _Txn, file: str, event_start: int) -> None:
        k = t.events
        if k < t.skip_events:
            return
        skip = t.skip_rows if k == t.skip_events else 0
        model = t.models.get(ev.table_id)
        if model is None:
            return
        rows = ev.rows
        total = len(rows)
        out: list[SourceRecord] = []
        for i, row in enumerate(rows):
            if i < skip:
                continue
            offset: dict[str, Any] = {"ts_sec": int(ev.timestamp), "file": t.file, "pos": t.pos}
            if t.gtids_before:
                offset["gtids"] = t.gtids_before
            if k:
                offset["event"] = k
            offset["row"] = i + 1 if i < total - 1 else total
            if ev.packet.server_id:
                offset["server_id"] = int(ev.packet.server_id)
            pos = self._source_pos(file, event_start, i, ev, t)
            try:
                out.extend(self._row_records(ev, model, row, pos, offset))
            except UnsupportedTypeError:
                raise
            except (ValueError, TypeError) as e:
                raise ConnectError(
                    f"Cannot convert a row of {model.id} at {file}:{event_start}: {e}"
                ) from e
        if out:
            self._put(out)

    def _row_records(
        self,
        ev: Any,
        model: TableModel,
        row: dict[str, Any],
        pos: SourcePosition,
        offset: dict[str, Any],
    ) -> list[SourceRecord]:
        f = self.records
        times = [c.name for c in model.columns if c.base_type == "TIME"]
        if isinstance(ev, WriteRowsEvent):
            return f.change("c", model, None, _values(row, "", times), pos, offset)
        if isinstance(ev, DeleteRowsEvent):
            return f.change("d", model, _values(row, "", times), None, pos, offset)
        before, after = _values(row, "before_", times), _values(row, "after_", times)
        key_before = [before.get(n) for n in model.primary_key]
        key_after = [after.get(n) for n in model.primary_key]
        if model.primary_key and key_before != key_after:
            # A primary key change: Debezium's delete (and tombstone) of the old key, then create.
            return [
                *f.change("d", model, before, None, pos, offset),
                *f.change("c", model, None, after, pos, offset),
            ]
        return f.change("u", model, before, after, pos, offset)

    # -- DDL --------------------------------------------------------------------------------------
    def _ddl(self, db: str, query: str, pos: SourcePosition, offset: dict[str, Any]) -> None:
        """Refresh the models the statement changes, then record it (history topic, and the
        schema change topic) when Debezium would: see ``Settings.records_ddl_of``."""
        target = ddl_targets(query, db)
        if target is None:
            return
        changes: list[tuple[str, TableModel]] = []
        for tid in target.tables:
            wanted = self.s.filters.table(tid.db, tid.table) or self.s.records_ddl_of(
                tid.db, tid.table
            )
            old = self.models.get(tid)
            if target.kind == "DROP":
                self.models.pop(tid, None)
                model: TableModel | None = None
            elif wanted:
                model = self._model(tid, refresh=True)
            else:
                continue
            if not self.s.records_ddl_of(tid.db, tid.table):
                continue
            if model is not None:
                changes.append((target.kind, model))
            elif old is not None or target.kind == "DROP":
                changes.append(("DROP", old or TableModel(tid, [], [])))
        if target.tables and not changes:
            return
        if not target.tables and not self.s.records_ddl_of(db, None):
            return
        ts_ms = pos.ts_ms or int(time.time() * 1000)
        self.history.record(offset, ts_ms, db, query, [table_change_dict(k, m) for k, m in changes])
        if not self.s.schema_changes:
            return
        table = ",".join(m.id.table for _, m in changes) or None
        self._put([self.records.schema_change(db, query, changes, pos, offset, table)])


class StreamLostError(ConnectionError):
    """The binlog connection dropped; the task reconnects from its last delivered offset."""


def _pymysql_connector() -> Callable[..., pymysql.Connection]:
    """``pymysql.connect`` for the replication library, for one reader.

    It renames the deprecated ``db``/``passwd`` arguments the library still passes, and it
    refuses a second binlog connection: after a lost connection the library would reconnect by
    itself from the GTID state it started with (MariaDB) or in the middle of a transaction, which
    replays or misreads events. Refusing ends the reader; the task then starts a new one from
    the offset of the last record it delivered.
    """
    streams = 0

    def connect(**kwargs: Any) -> pymysql.Connection:
        nonlocal streams
        for old, new in (("db", "database"), ("passwd", "password")):
            if old in kwargs:
                kwargs[new] = kwargs.pop(old)
        if "database" not in kwargs:  # the binlog connection (the catalogue one names a db)
            streams += 1
            if streams > 1:
                raise StreamLostError("the binlog connection was lost")
        return pymysql.connect(**kwargs)

    return connect


def _values(row: dict[str, Any], prefix: str, times: list[str]) -> dict[str, Any]:
    """One row image, corrected where the reader is wrong: an empty SET comes back as ``None``
    with a note (it is ``""``), and negative TIME fractions are complemented."""
    values = dict(row[prefix + "values"])
    for name, why in (row.get(prefix + "none_sources") or {}).items():
        if why == "empty set":
            values[name] = ""
    for name in times:
        if name in values:
            values[name] = binlog_time(values[name])
    return values
