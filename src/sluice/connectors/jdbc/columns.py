"""What the connectors know about a column, whichever way it was learned.

Columns are described once, as :class:`ColumnInfo`, from either table reflection (SQLAlchemy's
inspector: exact types, unsigned flags, nullability) or a query's cursor description (custom
``query`` mode). The source's schema mapping and the sink's value binding both work from this one
description, so a type is classified in exactly one place.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import sqlalchemy.types as sqltypes
from sqlalchemy.dialects import mysql, postgresql

__all__ = ["ColumnInfo", "ColumnKind", "kind_of_sqlalchemy_type"]


class ColumnKind(enum.Enum):
    BOOLEAN = "boolean"
    INT8 = "int8"
    INT16 = "int16"
    INT32 = "int32"
    INT64 = "int64"
    UINT64 = "uint64"
    """An unsigned 64-bit integer: carried as Decimal(scale 0), it does not fit int64."""
    FLOAT32 = "float32"
    FLOAT64 = "float64"
    DECIMAL = "decimal"
    STRING = "string"
    JSON = "json"
    """JSON/JSONB text: carried as a string, written back as JSON."""
    UUID = "uuid"
    BYTES = "bytes"
    BIT = "bit"
    DATE = "date"
    YEAR = "year"
    TIME = "time"
    TIMESTAMP = "timestamp"
    OTHER = "other"
    """Anything else (intervals, arrays, network types...): carried as its text form."""


@dataclass(frozen=True)
class ColumnInfo:
    """One column. ``precision``/``scale`` matter for DECIMAL, ``utc`` for TIMESTAMP."""

    name: str
    kind: ColumnKind
    nullable: bool = True
    precision: int | None = None
    scale: int | None = None
    utc: bool = False
    """True when the database hands out instants (``timestamptz``, MySQL ``TIMESTAMP`` in a UTC
    session); False for wall-clock values, which are read in ``db.timezone``."""
    autoincrement: bool = False
    type_name: str = ""
    length: int | None = None


_INT_KINDS = {
    mysql.TINYINT: (ColumnKind.INT8, ColumnKind.INT16),
    sqltypes.SmallInteger: (ColumnKind.INT16, ColumnKind.INT32),
    mysql.MEDIUMINT: (ColumnKind.INT32, ColumnKind.INT32),
    sqltypes.BigInteger: (ColumnKind.INT64, ColumnKind.UINT64),
    sqltypes.Integer: (ColumnKind.INT32, ColumnKind.INT64),
}


def kind_of_sqlalchemy_type(type_: Any, dialect_name: str) -> tuple[ColumnKind, dict[str, Any]]:
    """The kind of a reflected SQLAlchemy type, with precision/scale/utc/length extras."""
    extras: dict[str, Any] = {}
    unsigned = bool(getattr(type_, "unsigned", False))
    if isinstance(type_, sqltypes.Boolean):
        return ColumnKind.BOOLEAN, extras
    if isinstance(type_, mysql.YEAR):
        return ColumnKind.YEAR, extras
    if isinstance(type_, (mysql.BIT, postgresql.BIT)):
        extras["length"] = getattr(type_, "length", None) or 1
        return ColumnKind.BIT, extras
    for cls, (signed_kind, unsigned_kind) in _INT_KINDS.items():
        if isinstance(type_, cls):
            return (unsigned_kind if unsigned else signed_kind), extras
    if isinstance(type_, sqltypes.Float):
        if isinstance(type_, (sqltypes.REAL, mysql.FLOAT)) and not isinstance(
            type_, sqltypes.Double
        ):
            return ColumnKind.FLOAT32, extras
        return ColumnKind.FLOAT64, extras
    if isinstance(type_, sqltypes.Numeric):
        precision = getattr(type_, "precision", None)
        scale = getattr(type_, "scale", None)
        if dialect_name == "sqlite" and precision is None:
            # SQLite's NUMERIC affinity holds integers and reals alike; no declared scale.
            return ColumnKind.DECIMAL, extras
        extras["precision"] = precision
        extras["scale"] = scale if precision is not None else None
        if precision is not None and scale is None:
            extras["scale"] = 0
        return ColumnKind.DECIMAL, extras
    if isinstance(type_, postgresql.MONEY):
        extras.update(precision=19, scale=2)
        return ColumnKind.DECIMAL, extras
    if isinstance(type_, sqltypes.JSON):
        return ColumnKind.JSON, extras
    if isinstance(type_, sqltypes.Uuid):
        return ColumnKind.UUID, extras
    if isinstance(type_, sqltypes.String):  # includes Text, Enum, mysql SET
        extras["length"] = getattr(type_, "length", None)
        return ColumnKind.STRING, extras
    if isinstance(type_, sqltypes._Binary):
        extras["length"] = getattr(type_, "length", None)
        return ColumnKind.BYTES, extras
    if isinstance(type_, sqltypes.DateTime):
        tz = bool(getattr(type_, "timezone", False))
        extras["utc"] = tz or (dialect_name == "mysql" and isinstance(type_, mysql.TIMESTAMP))
        return ColumnKind.TIMESTAMP, extras
    if isinstance(type_, sqltypes.Date):
        return ColumnKind.DATE, extras
    if isinstance(type_, sqltypes.Time):
        return ColumnKind.TIME, extras
    return ColumnKind.OTHER, extras
