"""Destination tables: what they look like, and creating or widening them on demand.

Definitions are reflected once and cached; a plan that needs a table that does not exist is
answered with ``CREATE TABLE`` (``auto.create``), one with fields the table lacks with ``ALTER
TABLE ... ADD`` of nullable columns (``auto.evolve``). Two tasks racing to create the same table
is fine: the loser finds the table on its next look.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from sluice.api import DataError
from sluice.connectors.jdbc.columns import ColumnInfo
from sluice.connectors.jdbc.connection import Database
from sluice.connectors.jdbc.identifiers import TableId
from sluice.connectors.jdbc.sink_config import SinkSettings
from sluice.connectors.jdbc.sink_fields import RecordPlan

__all__ = ["TableError", "TableManager", "TargetColumns"]

log = logging.getLogger(__name__)


class TableError(DataError):
    """The table cannot take the records (missing and not creatable, lacks columns...)."""


@dataclass(frozen=True)
class TargetColumns:
    """The table's actual columns matched to a plan's fields, in the plan's order."""

    table: TableId
    columns: tuple[ColumnInfo, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


class TableManager:
    def __init__(self, db: Database, settings: SinkSettings) -> None:
        self.db = db
        self.settings = settings
        self._definitions: dict[TableId, list[ColumnInfo]] = {}

    def invalidate(self, table: TableId | None = None) -> None:
        if table is None:
            self._definitions.clear()
        else:
            self._definitions.pop(table, None)

    def columns(self, table: TableId, refresh: bool = False) -> list[ColumnInfo]:
        if refresh or table not in self._definitions:
            with self.db.metadata() as conn:
                self._definitions[table] = self.db.dialect.reflect_columns(conn, table)
        return self._definitions[table]

    def ensure(self, table: TableId, plan: RecordPlan) -> TargetColumns:
        """The table's columns for ``plan``, creating or altering the table when allowed."""
        columns = self.columns(table)
        if not columns:
            columns = self.columns(table, refresh=True)
        if not columns:
            if not self.settings.auto_create:
                raise TableError(f"Table {table.fqn()} is missing and auto-creation is disabled")
            self._create(table, plan)
            columns = self.columns(table, refresh=True)
            if not columns:
                raise TableError(f"Table {table.fqn()} could not be created")
        matched, missing = _match(plan, columns)
        if missing:
            columns = self.columns(table, refresh=True)  # another task may have added them
            matched, missing = _match(plan, columns)
        if missing:
            if not self.settings.auto_evolve:
                raise TableError(
                    f"Table {table.fqn()} is missing fields ({', '.join(missing)}) and "
                    "auto-evolution is disabled"
                )
            self._evolve(table, plan, missing)
            columns = self.columns(table, refresh=True)
            matched, missing = _match(plan, columns)
            if missing:
                raise TableError(f"Table {table.fqn()} still lacks columns {', '.join(missing)}")
        return TargetColumns(table, tuple(matched))

    def _create(self, table: TableId, plan: RecordPlan) -> None:
        dialect = self.db.dialect
        sql = dialect.create_table_sql(
            table,
            [(f.name, f.schema, f.is_key) for f in plan.fields],
            [f.name for f in plan.keys],
        )
        log.info("Creating table %s: %s", table.fqn(), sql)
        try:
            self._ddl([sql])
        except SQLAlchemyError as e:
            if self.columns(table, refresh=True):
                log.info("Table %s was created concurrently", table.fqn())
                return
            raise TableError(f"Could not create table {table.fqn()}: {_short(e)}") from e

    def _evolve(self, table: TableId, plan: RecordPlan, missing: list[str]) -> None:
        fields = [(f.name, f.schema) for f in plan.fields if f.name in missing]
        key_missing = [f.name for f in plan.keys if f.name in missing]
        if key_missing:
            raise TableError(
                f"Table {table.fqn()} lacks primary key columns {', '.join(key_missing)}; "
                "auto.evolve only adds value columns"
            )
        statements = self.db.dialect.add_columns_sql(table, fields)
        log.info("Amending table %s: %s", table.fqn(), "; ".join(statements))
        for statement in statements:
            try:
                self._ddl([statement])
            except SQLAlchemyError as e:
                refreshed = self.columns(table, refresh=True)
                _, still = _match(plan, refreshed)
                if not still:
                    return
                raise TableError(f"Could not alter table {table.fqn()}: {_short(e)}") from e

    def _ddl(self, statements: list[str]) -> None:
        with self.db.engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)


def _match(plan: RecordPlan, columns: list[ColumnInfo]) -> tuple[list[ColumnInfo], list[str]]:
    exact = {c.name: c for c in columns}
    folded: dict[str, list[ColumnInfo]] = {}
    for c in columns:
        folded.setdefault(c.name.lower(), []).append(c)
    matched: list[ColumnInfo] = []
    missing: list[str] = []
    for f in plan.fields:
        col = exact.get(f.name)
        if col is None:
            candidates = folded.get(f.name.lower(), [])
            col = candidates[0] if len(candidates) == 1 else None
        if col is None:
            missing.append(f.name)
        else:
            matched.append(col)
    return matched, missing


def _short(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__
