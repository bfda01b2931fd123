"""The MySQL/MariaDB source task: snapshot if needed, then follow the binlog.

Start-up decides as Debezium does: with no committed offset (or one still marked
``"snapshot": "INITIAL"``: the previous snapshot did not finish), ``snapshot.mode`` says whether
rows are read first; with an offset whose binlog file the server no longer has,
``snapshot.mode=when_needed`` snapshots again and the other modes fail naming the setting. Then
the binlog is read from the snapshot's position or the committed offset.

Threading: ``start``, ``poll`` and ``stop``'s caller follow the runtime's contract. The snapshot
runs on the task thread, one batch per ``poll``; the binlog is read by a :class:`BinlogReader`
thread and handed over through its queue. If that thread fails on a lost connection (a server
restart), ``poll`` starts a new one from the offset of the last record it returned, after a
backoff; any other failure fails the task with the reason.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Final

import pymysql  # type: ignore[import-untyped]

import sluice
from sluice.api import ConnectError, RetriableError, SourceRecord, SourceTask
from sluice.connectors.debezium.incremental_snapshot import (
    SIGNAL_DATA_COLLECTION,
    IncrementalSnapshot,
)
from sluice.connectors.debezium_mysql.binlog import BinlogReader, StartPosition
from sluice.connectors.debezium_mysql.config import SNAPSHOT_MODE, Settings, SnapshotMode
from sluice.connectors.debezium_mysql.history import SchemaHistory
from sluice.connectors.debezium_mysql.records import RecordFactory
from sluice.connectors.debezium_mysql.server import (
    ServerInfo,
    binlog_files,
    check_server,
    connect,
)
from sluice.connectors.debezium_mysql.signals import MySqlChunkSource
from sluice.connectors.debezium_mysql.snapshot import SnapshotReader
from sluice.connectors.debezium_mysql.tables import TableId, TableModel

__all__ = ["MariaDbConnectorTask", "MySqlConnectorTask"]

log = logging.getLogger(__name__)

RESTART_BACKOFF: Final = (1.0, 2.0, 5.0, 10.0)
MAX_RESTARTS: Final = 30
"""Consecutive failed reconnections before the task fails (about five minutes)."""


class _BinlogSourceTask(SourceTask):
    CONNECTOR: ClassVar[str] = "mysql"

    def version(self) -> str:
        return sluice.__version__

    def __init__(self) -> None:
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        """Held by ``poll`` while it uses the connections ``stop`` would close."""
        self._reader: BinlogReader | None = None
        self._snapshot: SnapshotReader | None = None
        self._batches: Iterator[list[SourceRecord]] | None = None
        self._last_offset: dict[str, Any] | None = None
        self._restarts = 0
        self._restart_at = 0.0
        self._streaming = True
        self._history: SchemaHistory | None = None
        self._models: dict[TableId, TableModel] = {}
        self._chunks: MySqlChunkSource | None = None
        self._incremental: IncrementalSnapshot | None = None
        self._reader_started = False

    def start(self, props: Mapping[str, str]) -> None:
        s = Settings.parse(props)
        self.s = s
        self._stopping.clear()
        self._records = RecordFactory(s, self.CONNECTOR)
        conn = connect(s)
        try:
            self._server: ServerInfo = check_server(conn, s)
            files = binlog_files(conn)
        finally:
            conn.close()
        offset = self.context.offset_storage_reader().offset(self._records.partition)
        snapshot, data = self._plan(offset, files)
        self._chunks = MySqlChunkSource(self._records, lambda: connect(s))
        signals = s.signal_data_collection
        if signals is not None and not s.filters.table(*signals):
            log.warning(
                "The signal table %s (%s) is not captured: signals and incremental snapshots "
                "need it selected by the include/exclude lists",
                ".".join(signals),
                SIGNAL_DATA_COLLECTION,
            )
        self._incremental = IncrementalSnapshot(
            self._chunks,
            None if signals is None else ".".join(signals),
            s.incremental_chunk_size,
            "db",
        )
        self._reader_started = False
        if not snapshot:
            self._incremental.restore(offset)
        self._history = SchemaHistory(s.history_bootstrap, s.history_topic, s.topic_prefix)
        self._history.start()
        self._streaming = s.snapshot_mode is not SnapshotMode.INITIAL_ONLY
        if snapshot:
            self._snapshot = SnapshotReader(
                lambda: connect(s), self._records, self._history, self._server, data
            )
            self._batches = self._snapshot.batches(s.fetch_size, s.max_batch)
        else:
            assert offset is not None
            self._last_offset = dict(offset)
            if self._streaming:
                self._start_reader(StartPosition.from_offset(dict(offset)))
        log.info(
            "Started %s source task on %s (%s)%s",
            self.CONNECTOR,
            self._server.version,
            s.topic_prefix,
            " with a snapshot" if snapshot else f" from {offset}",
        )

    def _plan(self, offset: dict[str, Any] | None, files: list[str]) -> tuple[bool, bool]:
        """(snapshot?, read rows?) as ``snapshot.mode`` and the committed offset say."""
        mode = self.s.snapshot_mode
        data = mode is not SnapshotMode.NO_DATA
        if offset is None:
            return True, data
        if offset.get("snapshot") not in (None, False, "false"):
            log.warning(
                "The previous snapshot did not finish (its offset is still marked snapshot): "
                "snapshotting again from the start; rows already sent are sent again."
            )
            return True, data
        file = str(offset.get("file", ""))
        if file not in files:
            if mode is SnapshotMode.WHEN_NEEDED:
                log.warning("Binlog file %s is gone from the server: snapshotting again", file)
                return True, True
            raise ConnectError(
                f"The binlog file {file} of the stored offset is no longer on the server "
                f"{self.s.hostname}:{self.s.port} (purged): changes after it are lost to the "
                f"connector. Set {SNAPSHOT_MODE}=when_needed to take a new snapshot."
            )
        return False, data

    def _start_reader(self, start: StartPosition) -> None:
        s = self.s
        assert self._history is not None
        self._reader = BinlogReader(
            s, self._records, self._history, self._server, start, lambda: connect(s), self._models
        )
        self._reader.start()
        if not self._reader_started:
            self._reader_started = True
            if self._incremental is not None:
                self._incremental.start()  # an incremental snapshot taken up from the offset

    # -- poll -------------------------------------------------------------------------------------
    def poll(self) -> list[SourceRecord] | None:
        with self._lock:
            if self._stopping.is_set():
                self._close()
                return None
            try:
                return self._poll()
            except Exception:
                if self._stopping.is_set():
                    return None  # resources closed under a stop: not a failure
                raise
            finally:
                if self._stopping.is_set():
                    self._close()

    def _poll(self) -> list[SourceRecord] | None:
        if self._batches is not None:
            try:
                batch = next(self._batches)
            except StopIteration:
                batch = []
                self._finish_snapshot()
            if batch:
                self._last_offset = dict(batch[-1].source_offset or {})
            return batch
        if self._reader is None:
            if (
                self._streaming
                and self._last_offset is not None
                and time.monotonic() >= self._restart_at
            ):
                self._start_reader(StartPosition.from_offset(self._last_offset))
            else:
                self._stopping.wait(min(self.s.poll_interval, 1.0))
            return None
        return self._drain(self._reader)

    def _finish_snapshot(self) -> None:
        snap = self._snapshot
        assert snap is not None
        self._batches = None
        self._models = dict(snap.models)
        self._last_offset = snap.offset(True)
        self._snapshot = None
        log.info("Snapshot finished at %s:%s", snap.file, snap.pos)
        if self._streaming:
            self._start_reader(StartPosition(snap.file, snap.pos, gtids=snap.gtids))
        else:
            log.info("snapshot.mode=initial_only: not streaming")

    def _drain(self, reader: BinlogReader) -> list[SourceRecord] | None:
        out: list[SourceRecord] = []
        timeout = self.s.poll_interval
        while len(out) < self.s.max_batch:
            try:
                item = reader.queue.get(timeout=timeout) if not out else reader.queue.get_nowait()
            except queue.Empty:
                break
            if item is None:  # the reader ended (after a stop request)
                break
            if isinstance(item, BaseException):
                if out:  # deliver what came before the failure first
                    reader.queue.put(item)
                    break
                self._reader_failed(reader, item)
                break
            out.extend(item)
            timeout = 0.0
        if out and self._incremental is not None:
            out = self._incremental.process(out)
        if out:
            self._last_offset = dict(out[-1].source_offset or {})
            self._restarts = 0
        return out or None

    def _reader_failed(self, reader: BinlogReader, error: BaseException) -> None:
        reader.stop()
        self._reader = None
        lost = isinstance(
            error,
            pymysql.err.OperationalError
            | pymysql.err.InterfaceError
            | ConnectionError
            | OSError
            | RetriableError,
        )
        if not lost or self._restarts >= MAX_RESTARTS:
            if isinstance(error, ConnectError):
                raise error
            raise ConnectError(f"Reading the binlog failed: {error}") from error
        delay = RESTART_BACKOFF[min(self._restarts, len(RESTART_BACKOFF) - 1)]
        self._restarts += 1
        self._restart_at = time.monotonic() + delay
        log.warning(
            "Lost the binlog connection (%s); reconnecting in %.0f s from %s",
            error,
            delay,
            self._last_offset,
        )

    def stop(self) -> None:
        """Ask everything to stop; the connections are closed here unless a ``poll`` is using
        them, in which case that ``poll`` closes them as it returns."""
        self._stopping.set()
        reader = self._reader
        if reader is not None:
            reader.stop()
        if self._lock.acquire(blocking=False):
            try:
                self._close()
            finally:
                self._lock.release()

    def _close(self) -> None:
        if self._reader is not None:
            self._reader.stop()
        self._batches = None
        snap, self._snapshot = self._snapshot, None
        if snap is not None:
            snap.close()
        history, self._history = self._history, None
        if history is not None:
            history.close()
        chunks, self._chunks = self._chunks, None
        if chunks is not None:
            chunks.close()


class MySqlConnectorTask(_BinlogSourceTask):
    """``io.debezium.connector.mysql.MySqlConnectorTask``."""

    CONNECTOR = "mysql"


class MariaDbConnectorTask(_BinlogSourceTask):
    """``io.debezium.connector.mariadb.MariaDbConnectorTask``."""

    CONNECTOR = "mariadb"
