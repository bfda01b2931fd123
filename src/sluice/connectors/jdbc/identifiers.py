"""Table names: parsing ``db.table`` / ``schema.table`` strings and rendering them for SQL.

A table is named by up to three parts. Which part a dotted name fills depends on the database:
MySQL has databases (JDBC "catalogs") but no schemas, so ``mydb.users`` is catalog ``mydb``;
PostgreSQL has schemas inside one database, so ``public.users`` is schema ``public``. The
Confluent connector keys its offsets by the unquoted dotted name, which :meth:`TableId.fqn`
reproduces.
"""

from __future__ import annotations

from dataclasses import dataclass

from sluice.api import ConfigError

__all__ = ["TableId", "quote_identifier", "split_identifier"]

_QUOTES = {'"': '"', "`": "`", "[": "]"}


@dataclass(frozen=True, order=True)
class TableId:
    """A table: ``catalog`` (MySQL database) and ``schema`` (PostgreSQL schema) may be None."""

    catalog: str | None
    schema: str | None
    table: str

    def parts(self) -> list[str]:
        return [p for p in (self.catalog, self.schema, self.table) if p]

    def fqn(self) -> str:
        """The unquoted dotted name (``mydb.users``): the Confluent offset partition's key."""
        return ".".join(self.parts())

    def __str__(self) -> str:
        return self.fqn()


def split_identifier(name: str) -> list[str]:
    """Split ``a.b.c`` on dots outside quotes; quotes (``"`` `````` ``[]``) are removed.

    Doubled quote characters inside a quoted part stand for one, as in SQL.
    """
    parts: list[str] = []
    current: list[str] = []
    i = 0
    quoted_any = False
    while i < len(name):
        ch = name[i]
        if ch in _QUOTES:
            close = _QUOTES[ch]
            i += 1
            quoted_any = True
            while i < len(name):
                if name[i] == close:
                    if i + 1 < len(name) and name[i + 1] == close and close != "]":
                        current.append(close)
                        i += 2
                        continue
                    break
                current.append(name[i])
                i += 1
            else:
                raise ConfigError(f"Unbalanced quote in identifier: {name}")
            i += 1
            continue
        if ch == ".":
            parts.append("".join(current))
            current = []
            i += 1
            continue
        current.append(ch)
        i += 1
    parts.append("".join(current))
    if any(p == "" for p in parts) and not (quoted_any and len(parts) == 1):
        raise ConfigError(f"Invalid table name '{name}': empty part")
    return [p.strip() if not quoted_any else p for p in parts]


def quote_identifier(name: str, quote: str) -> str:
    """``name`` between ``quote`` characters, doubling any inside it."""
    return quote + name.replace(quote, quote + quote) + quote
