"""The PostgreSQL change-capture task: snapshot, then the ``pgoutput`` stream of the slot.

Start-up follows Debezium: check the server and the user, create or check the publication and
the slot, then snapshot (per ``snapshot.mode`` and the stored offset) and stream. Each change of a
captured table becomes one record (plus a tombstone after a delete, and delete + tombstone +
create when an update changed the primary key, as Debezium emits them).

At-least-once: the slot's confirmed position is moved only by :meth:`commit`, which the runtime
calls after it wrote offsets, and only to the position the *committed* offset proves delivered
(:func:`flush_lsn_of`). After a crash the stream restarts at the committed offset's
``lsn_commit``; changes of the transaction the offset is inside of that were already delivered
are skipped, so what was acknowledged is not sent again while nothing unacknowledged is lost.

Threading: ``start``, ``poll`` run on the task thread; ``commit`` may run on the runtime's
committer thread and only records the position to confirm, which ``poll`` sends (psycopg2's
connection is not shared between threads). ``stop`` comes from another thread: it closes
everything unless a ``poll`` is in progress, which then closes on its way out.
"""

from __future__ import annotations

import datetime as dt
import logging
import select
import threading
import time
from collections.abc import Mapping
from typing import Any

import psycopg2
import psycopg2.extras

import sluice
from sluice.api import ConnectError, RetriableError, SourceRecord, SourceTask
from sluice.connectors.debezium import pgoutput
from sluice.connectors.debezium.common_config import HOSTNAME, USER
from sluice.connectors.debezium.heartbeat import heartbeat_record
from sluice.connectors.debezium.incremental_snapshot import (
    SIGNAL_DATA_COLLECTION,
    IncrementalSnapshot,
)
from sluice.connectors.debezium.postgres_catalog import (
    TableInfo,
    check_server,
    check_slot,
    ensure_publication,
    list_tables,
    slot_info,
    table_columns,
    table_oid,
)
from sluice.connectors.debezium.postgres_config import DBNAME, SLOT_NAME, PostgresSettings
from sluice.connectors.debezium.postgres_offsets import (
    LSN,
    LSN_COMMIT,
    LSN_EVENTS_PROCESSED,
    LSN_PROC,
    MESSAGE_TYPE,
    SERVER,
    TS_USEC,
    TX_ID,
    ResumePoint,
    flush_lsn_of,
    snapshot_finished,
)
from sluice.connectors.debezium.postgres_records import (
    SourcePosition,
    TableSchema,
    build_table_schema,
    source_struct,
)
from sluice.connectors.debezium.postgres_signals import PostgresChunkSource
from sluice.connectors.debezium.postgres_snapshot import Snapshot
from sluice.connectors.debezium.postgres_types import ColumnInfo

__all__ = ["PostgresConnectorTask"]

log = logging.getLogger(__name__)

RECONNECT_BACKOFF = (0.5, 1.0, 2.0, 5.0, 10.0)
"""Seconds between attempts to reconnect after the stream was lost (a restarting server); the
last one repeats: the task stays RUNNING and retries until the server is back."""


def _micros(value: dt.datetime) -> int:
    delta = value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _connect_error(settings: PostgresSettings, e: Exception) -> ConnectError:
    text = str(e).strip()
    hint = ""
    if "password authentication failed" in text or "no pg_hba.conf entry" in text:
        hint = f" Check {USER} and database.password, and pg_hba.conf (replication entries)."
    elif "does not exist" in text and "database" in text:
        hint = f" Check {DBNAME}."
    elif "Connection refused" in text or "could not translate host" in text:
        hint = f" Check {HOSTNAME} and database.port."
    return ConnectError(
        f"Unable to connect to PostgreSQL at {settings.hostname}:{settings.port}/"
        f"{settings.dbname} as {settings.user}: {text}.{hint}"
    )


def _stream_lost(e: psycopg2.Error) -> bool:
    """Whether ``e`` says the replication connection is gone: a broken connection, or the
    server ending the stream as it shuts down (psycopg2's plain "no COPY in progress")."""
    return isinstance(e, psycopg2.OperationalError | psycopg2.InterfaceError) or (
        type(e) is psycopg2.DatabaseError
    )


class _Relation:
    """One relation of the stream: its schema, or ``None`` when the filters leave it out."""

    __slots__ = ("schema",)

    def __init__(self, schema: TableSchema | None) -> None:
        self.schema = schema


class PostgresConnectorTask(SourceTask):
    """The task of ``io.debezium.connector.postgresql.PostgresConnector``."""

    def version(self) -> str:
        return sluice.__version__

    def __init__(self) -> None:
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._meta: Any = None
        self._repl: Any = None
        self._cursor: Any = None
        self._snapshot: Snapshot | None = None
        self._flush_target: int | None = None
        self._flushed = 0
        self._closed = True
        self._reconnects = 0
        self._reconnect_at = 0.0
        self._handed: Mapping[str, Any] | None = None
        """The offset of the last record ``poll`` returned (task thread)."""
        self._committed: Mapping[str, Any] | None = None
        """The last offset the runtime stored (set by ``commit``)."""

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self, props: Mapping[str, str]) -> None:
        s = PostgresSettings.parse(props)
        self._settings = s
        self._stopping.clear()
        self._partition = {SERVER: s.topic_prefix}
        offset = self.context.offset_storage_reader().offset(self._partition)
        self._relations: dict[int, _Relation] = {}
        self._streaming = False
        self._stream_started = False
        self._tx: pgoutput.Begin | None = None
        self._last_commit_lsn: int | None = None
        self._last_lsn = 0
        self._lsn_events = 0
        self._last_event_offset: dict[str, Any] | None = None
        self._next_status = 0.0
        self._next_heartbeat = time.monotonic() + s.heartbeat_interval
        self._closed = False
        self._incremental = IncrementalSnapshot(
            PostgresChunkSource(s, lambda: self._meta, self._partition),
            s.signal_data_collection,
            s.incremental_chunk_size,
            "schema",
        )
        if offset is not None and snapshot_finished(offset):
            self._incremental.restore(offset)
        try:
            self._open(offset)
        except BaseException:
            self._close()
            raise

    def _open(self, offset: Mapping[str, Any] | None) -> None:
        s = self._settings
        try:
            self._meta = psycopg2.connect(**s.dsn())
        except psycopg2.Error as e:
            raise _connect_error(s, e) from e
        self._meta.autocommit = True
        cur = self._meta.cursor()
        check_server(cur, s)
        tables = list_tables(cur, s)
        if not tables:
            log.warning("No table matches the include/exclude lists: no change will be captured")
        for t in tables:
            self._warn_identity(cur, t)
        self._check_signal_table(tables)
        ensure_publication(cur, s, tables)
        slot = slot_info(cur, s)
        for _ in range(s.slot_max_retries):
            if slot is None or not slot.active or self._stopping.is_set():
                break
            # A previous task's walsender may still be letting go of it (Debezium retries too).
            log.info(
                "Replication slot '%s' is active for PID %s: retrying in %.1f s",
                s.slot_name,
                slot.active_pid,
                s.slot_retry_delay,
            )
            self._stopping.wait(s.slot_retry_delay)
            slot = slot_info(cur, s)
        check_slot(slot, s)
        done = snapshot_finished(offset)
        if s.snapshot_mode in ("initial", "initial_only"):
            wants_snapshot = not done
        elif s.snapshot_mode == "when_needed":
            wants_snapshot = not done or slot is None
            if done and slot is None:
                log.warning(
                    "The slot '%s' is gone although offsets exist: taking a new snapshot "
                    "(snapshot.mode=when_needed)",
                    s.slot_name,
                )
        else:
            wants_snapshot = False
        if offset is not None and done and slot is None and not wants_snapshot:
            log.warning(
                "The replication slot '%s' (%s) does not exist although offsets do: it is "
                "created again, and changes made while it did not exist are not captured",
                s.slot_name,
                SLOT_NAME,
            )
        try:
            self._repl = psycopg2.connect(
                connection_factory=psycopg2.extras.LogicalReplicationConnection,
                **s.dsn(),
            )
        except psycopg2.Error as e:
            raise _connect_error(s, e) from e
        self._cursor = self._repl.cursor()
        exported: str | None = None
        if slot is None:
            try:
                self._cursor.create_replication_slot(s.slot_name, output_plugin="pgoutput")
            except psycopg2.Error as e:
                raise ConnectError(
                    f"Unable to create the replication slot '{s.slot_name}' ({SLOT_NAME}): "
                    f"{str(e).strip()}"
                ) from e
            _, consistent_point, exported, _ = self._cursor.fetchone()
            slot_lsn = pgoutput.parse_lsn(consistent_point)
            log.info("Created replication slot '%s' at %s", s.slot_name, consistent_point)
        else:
            slot_lsn = pgoutput.parse_lsn(slot.confirmed_flush_lsn or "0/0")
            log.info(
                "Reusing replication slot '%s' (confirmed flush %s)",
                s.slot_name,
                slot.confirmed_flush_lsn,
            )
        if wants_snapshot:
            self._snapshot = Snapshot(s, self._partition, tables, exported, slot_lsn)
            self._resume = ResumePoint(slot_lsn, None, 0, 0)
        else:
            self._resume = ResumePoint.of(offset) if done else ResumePoint(slot_lsn, None, 0, 0)
            if offset is not None and done and not offset.get("snapshot"):
                self._last_commit_lsn = flush_lsn_of(offset)
            self._start_streaming()

    def _warn_identity(self, cur: Any, table: TableInfo) -> None:
        _, key = table_columns(cur, table.oid)
        if not key and table.replica_identity in ("d", "n"):
            log.warning(
                "Table %s.%s has no primary key and REPLICA IDENTITY %s: its records have a null "
                "key, and PostgreSQL refuses its UPDATEs and DELETEs while it is published "
                "(ALTER TABLE ... REPLICA IDENTITY FULL, or add a primary key)",
                table.schema,
                table.table,
                "DEFAULT" if table.replica_identity == "d" else "NOTHING",
            )

    def _check_signal_table(self, tables: list[TableInfo]) -> None:
        signals = self._settings.signal_data_collection
        if signals is None:
            return
        if not any(f"{t.schema}.{t.table}" == signals for t in tables):
            log.warning(
                "The signal table %s (%s) does not exist or is not captured: signals and "
                "incremental snapshots need it created (id, type, data) and selected by the "
                "include/exclude lists",
                signals,
                SIGNAL_DATA_COLLECTION,
            )

    def _start_streaming(self) -> None:
        s = self._settings
        if s.snapshot_mode == "initial_only":
            log.info("snapshot.mode=initial_only: the snapshot is done, no change is streamed")
            self._streaming = False
            return
        try:
            self._cursor.start_replication(
                slot_name=s.slot_name,
                decode=False,
                start_lsn=self._resume.start_lsn,
                options={"proto_version": "1", "publication_names": s.publication_name},
                status_interval=max(1.0, s.status_interval),
            )
        except psycopg2.Error as e:
            text = str(e).strip()
            if "is active for PID" in text:
                raise ConnectError(
                    f"Failed to start replication stream: {text}: another client holds the slot "
                    f"'{s.slot_name}' ({SLOT_NAME})"
                ) from e
            raise ConnectError(
                f"Failed to start replication stream on slot '{s.slot_name}' ({SLOT_NAME}) "
                f"with publication '{s.publication_name}' (publication.name): {text}"
            ) from e
        self._streaming = True
        first = not self._stream_started
        self._stream_started = True
        if first:
            self._incremental.start()  # an incremental snapshot taken up from the offset
        log.info(
            "Streaming changes from slot '%s' at %s",
            s.slot_name,
            pgoutput.format_lsn(self._resume.start_lsn),
        )

    def stop(self) -> None:
        self._stopping.set()
        if self._lock.acquire(blocking=False):
            try:
                self._close()
            finally:
                self._lock.release()

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._snapshot is not None:
            try:
                self._snapshot.close()
            except Exception:
                log.debug("closing the snapshot connection", exc_info=True)
            self._snapshot = None
        for conn in (self._repl,):
            if conn is not None and not conn.closed:
                try:
                    conn.close()
                except Exception:
                    log.debug("closing the replication connection", exc_info=True)
        self._repl = None
        self._cursor = None
        if self._meta is not None and not self._meta.closed:
            if self._settings.slot_drop_on_stop:
                self._drop_slot()
            self._meta.close()
        self._meta = None

    def _drop_slot(self) -> None:
        s = self._settings
        cur = self._meta.cursor()
        for _ in range(50):  # the walsender lets go of the slot shortly after the disconnect
            try:
                cur.execute(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                    "WHERE slot_name = %s",
                    (s.slot_name,),
                )
                log.info("Dropped replication slot '%s' (slot.drop.on.stop)", s.slot_name)
                return
            except psycopg2.Error as e:
                if "is active" not in str(e):
                    log.warning("Could not drop the slot '%s': %s", s.slot_name, e)
                    return
                time.sleep(0.1)
        log.warning("Could not drop the slot '%s': still active", s.slot_name)

    # -- offsets --------------------------------------------------------------------------------
    def commit(self) -> None:
        """Runs after the runtime stored offsets: confirm what the stored offset proves done."""
        try:
            offset = self.context.offset_storage_reader().offset(self._partition)
        except Exception:
            log.debug("reading the committed offset", exc_info=True)
            return
        self._committed = offset
        lsn = flush_lsn_of(offset)
        if lsn is not None and (self._flush_target is None or lsn > self._flush_target):
            self._flush_target = lsn

    def _send_feedback(self, now: float) -> None:
        target = self._flush_target
        if target is not None and target > self._flushed:
            self._cursor.send_feedback(write_lsn=target, flush_lsn=target, force=True)
            self._flushed = target
            log.debug("Confirmed LSN %s to the server", pgoutput.format_lsn(target))
            self._next_status = now + self._settings.status_interval
        elif now >= self._next_status:
            self._cursor.send_feedback(force=True)  # keepalive with the same positions
            self._next_status = now + self._settings.status_interval

    # -- polling --------------------------------------------------------------------------------
    def poll(self) -> list[SourceRecord] | None:
        with self._lock:
            try:
                if self._stopping.is_set() or self._closed:
                    return None
                records = self._poll()
                if records:
                    self._handed = records[-1].source_offset
                return records
            finally:
                if self._stopping.is_set():
                    self._close()

    def _poll(self) -> list[SourceRecord] | None:
        s = self._settings
        if self._snapshot is not None:
            batch = self._snapshot.next_batch(s.max_batch_size)
            if batch:
                return batch
            self._snapshot = None
            self._start_streaming()
            return None
        if not self._streaming:
            self._stopping.wait(s.poll_interval)
            return None
        if self._repl is None:
            wait = self._reconnect_at - time.monotonic()
            if wait > 0:  # back off while the server is away, instead of spinning
                self._stopping.wait(min(wait, s.poll_interval))
                return None
            self._reconnect()
        records: list[SourceRecord] = []
        deadline = time.monotonic() + s.poll_interval
        try:
            while len(records) < s.max_batch_size and not self._stopping.is_set():
                now = time.monotonic()
                self._send_feedback(now)
                msg = self._cursor.read_message()
                if msg is None:
                    if self._tx is None:
                        self._maybe_heartbeat(records, now)
                        if not records:
                            self._confirm_when_idle()
                    if records and self._tx is None:
                        break
                    remaining = deadline - now
                    if remaining <= 0:
                        break
                    select.select([self._cursor], [], [], min(remaining, 0.5))
                    continue
                self._handle(msg.payload, msg.data_start, records)
        except psycopg2.Error as e:
            if not _stream_lost(e):
                raise
            # The server went away (restart, network): resume after what was handed out.
            log.warning("Replication stream lost (%s); reconnecting", str(e).strip())
            self._drop_connection()
            if records:
                return self._incremental.process(records)
            raise RetriableError(f"Replication stream lost: {str(e).strip()}") from e
        return self._incremental.process(records) if records else None

    def _confirm_when_idle(self) -> None:
        """Between transactions, with every record handed out stored by the runtime, all the
        server sent is done with: the slot may be confirmed up to the server's end of WAL. A
        server shutting down waits for that (its walsender leaves only once the client confirmed
        all it sent), and WAL of changes not captured is released meanwhile."""
        if self._handed is not None and self._handed != self._committed:
            return
        end = self._cursor.wal_end
        if end and (self._flush_target is None or end > self._flush_target):
            self._flush_target = end

    def _drop_connection(self) -> None:
        if self._repl is not None:
            try:
                self._repl.close()
            except Exception:
                log.debug("closing the lost replication connection", exc_info=True)
        if self._meta is not None:
            try:
                self._meta.close()
            except Exception:
                log.debug("closing the lost connection", exc_info=True)
        self._repl = self._cursor = self._meta = None
        self._resume = ResumePoint.of(self._last_event_offset)
        if self._last_event_offset is None:
            self._resume = ResumePoint(self._last_commit_lsn or 0, None, 0, 0)
        self._tx = None
        self._relations.clear()
        self._flushed = 0

    def _reconnect(self) -> None:
        s = self._settings
        try:
            self._meta = psycopg2.connect(**s.dsn())
            self._meta.autocommit = True
            self._repl = psycopg2.connect(
                connection_factory=psycopg2.extras.LogicalReplicationConnection,
                **s.dsn(),
            )
            self._cursor = self._repl.cursor()
        except psycopg2.Error as e:
            self._drop_connection()
            delay = RECONNECT_BACKOFF[min(self._reconnects, len(RECONNECT_BACKOFF) - 1)]
            self._reconnects += 1
            self._reconnect_at = time.monotonic() + delay
            raise RetriableError(
                f"Reconnecting to PostgreSQL at {s.hostname}:{s.port} failed (attempt "
                f"{self._reconnects}, next in {delay:.1f} s): {str(e).strip()}"
            ) from e
        self._start_streaming()
        self._reconnects = 0

    def _maybe_heartbeat(self, records: list[SourceRecord], now: float) -> None:
        s = self._settings
        if s.heartbeat_interval <= 0 or now < self._next_heartbeat:
            return
        self._next_heartbeat = now + s.heartbeat_interval
        if self._last_commit_lsn is None:
            return
        offset = {
            LSN_PROC: self._last_commit_lsn,
            LSN_COMMIT: self._last_commit_lsn,
            LSN: self._last_commit_lsn,
        }
        records.append(heartbeat_record(self._partition, offset, s.heartbeat_topic, s.topic_prefix))

    # -- messages -------------------------------------------------------------------------------
    def _handle(self, payload: bytes, lsn: int, records: list[SourceRecord]) -> None:
        msg = pgoutput.decode(payload)
        if isinstance(msg, pgoutput.Begin):
            self._tx = msg
            self._last_lsn = 0
            self._lsn_events = 0
        elif isinstance(msg, pgoutput.Commit):
            self._tx = None
            self._last_commit_lsn = msg.end_lsn
        elif isinstance(msg, pgoutput.Relation):
            self._relations[msg.oid] = _Relation(self._relation_schema(msg))
        elif isinstance(msg, pgoutput.Insert | pgoutput.Update | pgoutput.Delete):
            self._change(msg, lsn, records)
        # Truncate: Debezium skips it by default (skipped.operations=t); Origin, Type, Message:
        # nothing to emit.

    def _relation_schema(self, rel: pgoutput.Relation) -> TableSchema | None:
        s = self._settings
        if not s.captures_table(rel.namespace, rel.name):
            return None
        cur = self._meta.cursor()
        oid = table_oid(cur, rel.namespace, rel.name)
        catalog: dict[str, ColumnInfo] = {}
        key: list[str] = []
        if oid is not None:
            cols, key = table_columns(cur, oid)
            catalog = {c.name: c for c in cols}
        cur.close()
        columns = []
        for c in rel.columns:
            known = catalog.get(c.name)
            if known is not None and known.type_oid != c.type_oid:
                # a domain: the catalog resolved it to its base type
                columns.append(known)
            elif known is not None:
                columns.append(
                    ColumnInfo(
                        c.name,
                        c.type_oid,
                        c.type_modifier,
                        known.optional,
                        known.type_name,
                        known.enum_values,
                        known.udt_name,
                        known.default_expr,
                    )
                )
            else:
                columns.append(ColumnInfo(c.name, c.type_oid, c.type_modifier, True))
        if oid is None:
            key = [c.name for c in rel.columns if c.key]
        names = {c.name for c in rel.columns}
        return build_table_schema(
            s.topic_prefix, rel.namespace, rel.name, columns, [k for k in key if k in names], s
        )

    def _change(
        self,
        msg: pgoutput.Insert | pgoutput.Update | pgoutput.Delete,
        lsn: int,
        records: list[SourceRecord],
    ) -> None:
        rel = self._relations.get(msg.relation_oid)
        if rel is None:
            raise ConnectError(f"Change for relation {msg.relation_oid} before its description")
        tx = self._tx
        if tx is None:
            raise ConnectError("Change outside of a transaction in the replication stream")
        if lsn == self._last_lsn:
            self._lsn_events += 1
        else:
            self._last_lsn, self._lsn_events = lsn, 1
        schema = rel.schema
        if schema is None:
            return
        if self._resume.skips(tx.xid, lsn, self._lsn_events):
            return
        kind = {pgoutput.Insert: "INSERT", pgoutput.Update: "UPDATE", pgoutput.Delete: "DELETE"}[
            type(msg)
        ]
        offset: dict[str, Any] = {
            LSN_PROC: lsn,
            LSN: lsn,
            TX_ID: tx.xid,
            TS_USEC: _micros(tx.commit_time),
            MESSAGE_TYPE: kind,
            LSN_EVENTS_PROCESSED: self._lsn_events,
        }
        if self._last_commit_lsn is not None:
            offset[LSN_COMMIT] = self._last_commit_lsn
        self._last_event_offset = offset
        pos = SourcePosition(
            schema.schema, schema.table, tx.commit_time, "false", tx.xid, lsn, self._last_commit_lsn
        )
        s = self._settings
        source = source_struct(s.topic_prefix, s.dbname, pos)
        p = self._partition
        if isinstance(msg, pgoutput.Insert):
            records.append(schema.record(p, offset, "c", None, msg.new, source))
        elif isinstance(msg, pgoutput.Update):
            before = None if msg.old_is_key else msg.old
            old_key = schema.key(msg.old) if msg.old is not None else None
            new_key = schema.key(msg.new)
            if old_key is not None and old_key != new_key:
                assert msg.old is not None
                # The primary key changed: delete + tombstone under the old key, create under
                # the new one (Debezium's PostgresChangeRecordEmitter).
                records.append(schema.record(p, offset, "d", msg.old, None, source))
                if s.tombstones_on_delete:
                    records.append(schema.tombstone(p, offset, msg.old))
                records.append(schema.record(p, offset, "c", None, msg.new, source))
            else:
                records.append(schema.record(p, offset, "u", before, msg.new, source))
        else:
            records.append(schema.record(p, offset, "d", msg.old, None, source))
            if s.tombstones_on_delete:
                records.append(schema.tombstone(p, offset, msg.old))
