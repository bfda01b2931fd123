"""The SQL each mode runs: which rows are new since the last offset, in which order.

Same conditions as the Confluent connector (``incrementing > ?``; ``timestamp > ? AND timestamp
< ?``; and for timestamp+incrementing ``ts < ? AND ((ts = ? AND inc > ?) OR ts > ?)``, ordered by
the columns), with two changes:

* a custom ``query`` is wrapped as a subquery, so a query with its own ``WHERE`` or ``GROUP BY``
  still gets a correct condition (Confluent appends ``WHERE`` to the text);
* with a lag window, timestamp modes read from ``newest - window`` and leave the skipping of rows
  already sent to the querier (see :mod:`sluice.connectors.jdbc.querier`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sluice.connectors.jdbc.dialects.base import Dialect
from sluice.connectors.jdbc.identifiers import TableId

__all__ = ["Criteria", "base_select"]

SUBQUERY_ALIAS = "sluice_q"


def base_select(dialect: Dialect, table: TableId | None, query: str | None, wrap: bool) -> str:
    """``SELECT * FROM table`` or the custom query (wrapped when a condition follows)."""
    if table is not None:
        return f"SELECT * FROM {dialect.table_sql(table)}"
    assert query is not None
    text = query.strip().rstrip(";")
    if not wrap:
        return text
    return f"SELECT * FROM ({text}) {SUBQUERY_ALIAS}"


def _column_name(name: str) -> str:
    """A configured column; ``t.col`` names the subquery's output column ``col``."""
    return name.rsplit(".", 1)[-1] if "." in name and not name.startswith(('"', "`")) else name


@dataclass(frozen=True)
class Criteria:
    """The WHERE/ORDER BY of one querier and the parameters that go with it."""

    dialect: Dialect
    incrementing: str | None
    timestamps: tuple[str, ...]
    timestamp_utc: bool = False
    lag_window: bool = False
    """Timestamp modes read a window below the last timestamp (``ts > ? AND ts < ?``)."""

    @property
    def has_timestamps(self) -> bool:
        return bool(self.timestamps)

    @property
    def has_incrementing(self) -> bool:
        return self.incrementing is not None

    def _ts(self) -> str:
        cols = [
            self.dialect.timestamp_expression(self.dialect.quote(_column_name(c)))
            for c in self.timestamps
        ]
        if len(cols) == 1:
            return cols[0]
        return "COALESCE(" + ", ".join(cols) + ")"

    def _inc(self) -> str:
        assert self.incrementing is not None
        return self.dialect.quote(_column_name(self.incrementing))

    def where(self) -> str:
        """The condition and ordering, starting with a space; empty for bulk."""
        p = self.dialect.placeholder
        if self.has_timestamps and self.has_incrementing:
            ts, inc = self._ts(), self._inc()
            if self.lag_window:
                return f" WHERE {ts} > {p} AND {ts} < {p} ORDER BY {ts}, {inc} ASC"
            return (
                f" WHERE {ts} < {p} AND (({ts} = {p} AND {inc} > {p}) OR {ts} > {p})"
                f" ORDER BY {ts}, {inc} ASC"
            )
        if self.has_timestamps:
            ts = self._ts()
            return f" WHERE {ts} > {p} AND {ts} < {p} ORDER BY {ts} ASC"
        if self.has_incrementing:
            inc = self._inc()
            return f" WHERE {inc} > {p} ORDER BY {inc} ASC"
        return ""

    def params(
        self, begin: dt.datetime, end: dt.datetime, last_incrementing: int, zone: dt.tzinfo
    ) -> list[Any]:
        """Parameters for :meth:`where`, in order; ``begin``/``end`` are aware instants."""
        if self.has_timestamps:
            b = self.dialect.timestamp_param(begin, self.timestamp_utc, zone)
            e = self.dialect.timestamp_param(end, self.timestamp_utc, zone)
            if self.has_incrementing and not self.lag_window:
                return [e, b, last_incrementing, b]
            return [b, e]
        if self.has_incrementing:
            return [last_incrementing]
        return []
