"""Writing a batch of sink records in one transaction, the fastest way the database allows.

A batch is planned record by record (table, columns, operation), tables are created or widened
first, then every row is written in a single transaction: PostgreSQL inserts through ``COPY`` and
upserts through ``COPY`` into a staging table plus one ``INSERT ... ON CONFLICT``; MySQL/MariaDB
and SQLite through multi-row statements. In keyed modes (upsert/update, deletes) the batch is
reduced to the last operation per key first: the same end state, fewer rows, and no statement
touching one row twice.

Preparing and committing are separate steps (:meth:`SinkWriter.prepare`, :meth:`SinkWriter.commit`)
so that the task can commit one batch on a background thread while it prepares the next (see
:mod:`sluice.connectors.jdbc.sink_pipeline`). The rules that make this safe: ``commit`` is the
only user of the write connection (``_raw``) and never calls the errant record reporter (it hands
rejected records back for the task thread to report); ``prepare`` touches the database only to
compile a new record shape (tables created or altered), and calls ``quiesce`` first, which waits
until no batch is committing.

Failures: an error that may pass (lost connection, deadlock) is raised as
:class:`TransientWriteError` for the task to retry; any other error splits the batch in halves
until the records that cannot be written are isolated, and those go to the errant record
reporter (dead-letter queue) when one is configured, or fail the task when not.
"""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from sluice.api import ConnectError, DataError, ErrantRecordReporter, RetriableError, SinkRecord
from sluice.connectors.jdbc.connection import Database
from sluice.connectors.jdbc.identifiers import TableId
from sluice.connectors.jdbc.sink_config import InsertMode, SinkSettings
from sluice.connectors.jdbc.sink_fields import RecordPlan, compile_extractor, plan_record
from sluice.connectors.jdbc.sink_values import binder_for
from sluice.connectors.jdbc.table_manager import TableManager

__all__ = ["PreparedBatch", "Reject", "SinkWriter", "TransientWriteError"]

log = logging.getLogger(__name__)

INSERT, UPSERT, UPDATE, DELETE = "insert", "upsert", "update", "delete"


class TransientWriteError(RetriableError):
    """The write failed in a way that may pass; nothing of the batch was committed."""


@dataclass(frozen=True)
class _Preparer:
    """How records of one shape (topic, key and value schemas) become parameter rows."""

    op: str
    table: TableId
    keys: tuple[str, ...]
    others: tuple[str, ...]
    extract: Callable[[SinkRecord], tuple[Any, ...]]
    table_key: str
    """The table's name, for finding a key's last operation across groups."""
    group: str
    """Table, operation and columns as one string: grouping and de-duplicating a batch hash
    it for every record, and a string caches its hash where a tuple or a TableId does not."""


_Prepared = tuple[SinkRecord, tuple[Any, ...], _Preparer]
"""One record ready to write: the record, its parameter row, and its preparer (operation, table,
columns). A plain tuple: made for every record, it costs a fraction of an object's ``__init__``."""
RECORD: Final = 0
ROW: Final = 1
PREPARER: Final = 2

Reject = tuple[SinkRecord, BaseException]
"""A record that cannot be written and why, for the errant record reporter."""


@dataclass(frozen=True)
class PreparedBatch:
    """Records ready to commit, as one unit: committed, retried or dropped together."""

    records: list[SinkRecord]
    """Every record the batch settles, the ones already reported while preparing included:
    once the batch is committed, the offsets of all of them are durable."""
    items: list[_Prepared]
    """The parameter rows to write (records reported while preparing have none)."""
    generation: int
    """:attr:`SinkWriter.generation` when preparing began: rows from an older generation may
    have been made by preparers of a table that has since disappeared."""

    def keep(self, wanted: Callable[[SinkRecord], bool]) -> PreparedBatch:
        """The same batch with only the records ``wanted`` accepts (partitions closed)."""
        return PreparedBatch(
            [r for r in self.records if wanted(r)],
            [p for p in self.items if wanted(p[RECORD])],
            self.generation,
        )


class SinkWriter:
    """Plans, prepares and writes batches; owns the task's database connection."""

    def __init__(
        self,
        db: Database,
        settings: SinkSettings,
        reporter: ErrantRecordReporter | None,
        quiesce: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.reporter = reporter
        self.quiesce = quiesce
        """Waits until no batch is committing: called before preparing touches the database."""
        self.tables = TableManager(db, settings)
        self._raw: Any = None
        self._preparers: dict[tuple[Any, ...], _Preparer] = {}
        self._last_preparer: _Preparer | None = None
        self._tables: dict[str, TableId] = {}
        self.generation = 0
        """Bumped when a commit finds a table missing and forgets the preparers."""
        self.reports: list[concurrent.futures.Future[None]] = []
        """The errant record reporter's futures, for the task to await before committing
        offsets past the reported records."""
        self.rows_written = 0

    # -- public -------------------------------------------------------------------------------
    def prepare(self, records: list[SinkRecord]) -> PreparedBatch:
        """Parameter rows for ``records``; records that cannot be prepared are reported at once.

        Runs on the task thread, possibly while another batch commits: only compiling a new
        record shape uses the database, after :attr:`quiesce`. Raises
        :class:`TransientWriteError` when preparing should be tried again as a whole."""
        generation = self.generation
        prepared: list[_Prepared] = []
        append = prepared.append
        # The preparer of the previous record, reused while records carry the very same schema
        # objects (the converters hand out one object per schema): no cache key to build.
        last: _Preparer | None = None
        last_topic = last_key_schema = last_value_schema = None
        for record in records:
            vschema = record.value_schema
            if (
                last is not None
                and vschema is last_value_schema
                and record.key_schema is last_key_schema
                and (last_key_schema is not None or record.key is None)
                and record.topic == last_topic
                and record.value is not None
            ):
                try:
                    row = last.extract(record)
                except Exception:  # the general path below decides what the error means
                    pass
                else:
                    append((record, row, last))
                    continue
            try:
                item = self._prepare(record)
            except TransientWriteError:
                raise
            except Exception as e:
                if self._is_transient(e):
                    self.quiesce()  # the connection may be in use by the committing batch
                    self._reset()
                    raise TransientWriteError(f"Preparing the write failed: {_short(e)}") from e
                self._reject(record, e)
                continue
            if item is not None:
                append(item)
                if (
                    vschema is not None
                    and record.value is not None
                    and (record.key_schema is not None or record.key is None)
                ):
                    last = self._last_preparer
                    last_topic = record.topic
                    last_key_schema, last_value_schema = record.key_schema, vschema
                else:
                    last = None
        return PreparedBatch(records, prepared, generation)

    def refresh(self, batch: PreparedBatch) -> PreparedBatch:
        """``batch`` itself, or prepared again if a commit forgot the preparers meanwhile (a
        table went missing): its rows may be bound for a table that must be created anew."""
        if batch.generation == self.generation:
            return batch
        again = self.prepare([p[RECORD] for p in batch.items])
        return PreparedBatch(batch.records, again.items, again.generation)

    def commit(self, batch: PreparedBatch) -> list[Reject]:
        """Write ``batch`` in one transaction, bisecting around records that cannot be written.

        Safe on a background thread while the task thread prepares: it alone uses the write
        connection, and it does not call the errant record reporter (which belongs to the task
        thread) but returns the rejected records for :meth:`report`. Without a reporter, a
        rejected record raises :class:`~sluice.api.ConnectError` as before. Raises
        :class:`TransientWriteError` when the batch should be tried again as a whole."""
        rejects: list[Reject] = []
        if batch.items:
            self._commit_bisecting(batch.items, rejects)
        return rejects

    def report(self, rejects: list[Reject]) -> None:
        """Hand records :meth:`commit` rejected to the errant record reporter (task thread)."""
        if self.reporter is None:
            return
        for record, error in rejects:
            log.warning(
                "Sending record %s-%s@%s to the error handler: %s",
                record.topic,
                record.kafka_partition,
                record.kafka_offset,
                _short(error),
            )
            self.reports.append(self.reporter.report(record, error))

    def close(self) -> None:
        self._reset(invalidate=False)

    # -- preparing ----------------------------------------------------------------------------
    def _table_for(self, topic: str) -> TableId:
        table = self._tables.get(topic)
        if table is None:
            name = self.settings.table_name_format.replace("${topic}", topic)
            table = self._tables[topic] = self.db.dialect.parse_table(name)
        return table

    def _prepare(self, record: SinkRecord) -> _Prepared | None:
        value = record.value
        vschema = record.value_schema
        kschema = record.key_schema
        shape: Any = vschema
        if vschema is None and isinstance(value, dict):
            shape = tuple(value)
        key_shape: Any = kschema
        if kschema is None:
            key = record.key
            key_shape = tuple(key) if isinstance(key, dict) else type(key)
        cache_key = (record.topic, key_shape, shape, value is None)
        preparer = self._preparers.get(cache_key)
        if preparer is None:
            preparer = self._compile(record)
            if len(self._preparers) > 1000:
                self._preparers.clear()
            self._preparers[cache_key] = preparer
        self._last_preparer = preparer
        return (record, preparer.extract(record), preparer)

    def _compile(self, record: SinkRecord) -> _Preparer:
        """Plan, table and binders for records shaped like ``record``, decided once."""
        s = self.settings
        tombstone = record.value is None
        if tombstone and not s.delete_enabled:
            raise DataError(
                f"Record (topic='{record.topic}',partition={record.kafka_partition},"
                f"offset={record.kafka_offset}) has a null value, and delete.enabled=false: "
                "tombstones need delete.enabled=true with pk.mode=record_key"
            )
        table = self._table_for(record.topic)
        plan = plan_record(record, s, table.fqn())
        if tombstone:
            plan = RecordPlan(plan.keys, ())
        self.quiesce()  # tables may be created or altered, and _reset may follow a failure
        target = self.tables.ensure(table, plan)
        names = target.names
        keys, others = tuple(names[: len(plan.keys)]), tuple(names[len(plan.keys) :])
        if tombstone:
            op = DELETE
        elif s.insert_mode is InsertMode.UPSERT:
            op = UPSERT
        elif s.insert_mode is InsertMode.UPDATE:
            op = UPDATE
        else:
            op = INSERT
        if op != INSERT and not keys:
            raise DataError(
                f"Write to table '{table.fqn()}' in {op.upper()} mode requires key field names "
                "to be known, check the primary key configuration"
            )
        binders = [
            binder_for(None if spec.inferred else spec.schema, column, self.db.dialect, s.zone)
            for spec, column in zip(plan.fields, target.columns, strict=True)
        ]
        extract = compile_extractor(plan, binders, record.key_schema, record.value_schema)
        # Unambiguous where fqn() is not (a quoted "a.b" table and table b of schema a).
        table_key = "\x1f".join([table.catalog or "", table.schema or "", table.table])
        group = "\x00".join([table_key, op, *keys, "\x01", *others])
        return _Preparer(op, table, keys, others, extract, table_key, group)

    # -- committing ---------------------------------------------------------------------------
    def _commit_bisecting(self, items: list[_Prepared], rejects: list[Reject]) -> None:
        try:
            self._commit(items)
        except TransientWriteError:
            raise
        except Exception as e:
            if self._is_transient(e):
                raise TransientWriteError(f"Write failed: {_short(e)}") from e
            if self.db.dialect.is_missing_table(e):
                self.tables.invalidate()
                self._preparers.clear()
                self.generation += 1
            if len(items) == 1:
                self._reportable(items[0][RECORD], e)
                rejects.append((items[0][RECORD], e))
                return
            log.warning(
                "Write of %d records failed (%s); splitting the batch to isolate bad records",
                len(items),
                _short(e),
            )
            middle = len(items) // 2
            self._commit_bisecting(items[:middle], rejects)
            self._commit_bisecting(items[middle:], rejects)

    def _commit(self, items: list[_Prepared]) -> None:
        if self._raw is None:
            self._raw = self.db.raw_connection()
        conn = self._raw.dbapi_connection
        try:
            for group in _groups(items, self.settings.insert_mode):
                self._execute(conn, group)
            self._raw.commit()
        except BaseException:
            self._reset()
            raise
        self.rows_written += len(items)

    def _execute(self, conn: Any, group: list[_Prepared]) -> None:
        first = group[0][PREPARER]
        dialect = self.db.dialect
        rows = [p[ROW] for p in group]
        if first.op == DELETE:
            dialect.write_deletes(conn, first.table, first.keys, rows)
        elif first.op == UPSERT:
            dialect.write_upserts(conn, first.table, first.keys, first.others, rows)
        elif first.op == UPDATE:
            dialect.write_updates(conn, first.table, first.keys, first.others, rows)
        else:
            dialect.write_inserts(conn, first.table, [*first.keys, *first.others], rows)

    def _reset(self, invalidate: bool = True) -> None:
        raw, self._raw = self._raw, None
        if raw is None:
            return
        try:
            if invalidate:
                raw.invalidate()
            else:
                raw.rollback()
                raw.close()
        except Exception as e:
            log.debug("Releasing the sink connection failed: %s", e)

    def _is_transient(self, error: BaseException) -> bool:
        seen: BaseException | None = error
        while seen is not None:
            if self.db.dialect.is_transient(seen):
                return True
            seen = seen.__cause__
        return False

    def _reject(self, record: SinkRecord, error: BaseException) -> None:
        """Report a record that cannot be prepared, at once (task thread)."""
        self._reportable(record, error)
        self.report([(record, error)])

    def _reportable(self, record: SinkRecord, error: BaseException) -> None:
        """Without an errant record reporter, a record that cannot be written fails the task."""
        if self.reporter is None:
            raise ConnectError(
                f"Record (topic='{record.topic}',partition={record.kafka_partition},"
                f"offset={record.kafka_offset}) cannot be written: {_short(error)}"
            ) from error


def _groups(items: list[_Prepared], mode: InsertMode) -> list[list[_Prepared]]:
    """Statements to run, in order: same table, columns and operation per group."""
    if not items:
        return []
    keyed = mode is not InsertMode.INSERT
    first = items[0][PREPARER]
    # One shape throughout, the common case: no grouping by string.
    single = all(p[PREPARER] is first for p in items)
    if keyed or any(p[PREPARER].op == DELETE for p in items):
        if keyed:
            # Last operation per key wins: same end state, and no statement hits a row twice.
            latest: dict[tuple[Any, ...], _Prepared] = {}
            if single:
                width = len(first.keys)
                for p in items:
                    key = p[ROW][:width]
                    latest.pop(key, None)  # re-inserted: the dict keeps the last write's place
                    latest[key] = p
                return [list(latest.values())]
            for p in items:
                preparer = p[PREPARER]
                full = (preparer.table_key, p[ROW][: len(preparer.keys)])
                latest.pop(full, None)
                latest[full] = p
            items = list(latest.values())
            out: dict[str, list[_Prepared]] = {}
            for p in items:
                out.setdefault(p[PREPARER].group, []).append(p)
            # Deletes first: keys are unique after the reduction, so order between keys is free.
            return sorted(out.values(), key=lambda g: g[0][PREPARER].op != DELETE)
        if single:
            return [items]
        # Plain inserts mixed with deletes: keep their order, run by run.
        runs: list[list[_Prepared]] = []
        for p in items:
            if runs and _same(runs[-1][0], p):
                runs[-1].append(p)
            else:
                runs.append([p])
        return runs
    if single:
        return [items]
    grouped: dict[str, list[_Prepared]] = {}
    for p in items:
        grouped.setdefault(p[PREPARER].group, []).append(p)
    return list(grouped.values())


def _same(a: _Prepared, b: _Prepared) -> bool:
    return a[PREPARER].group == b[PREPARER].group


def _short(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__
