"""Connect values to the parameters each driver wants for each target column.

Binding is decided once per (field, column) pair: a timestamp bound for a ``timestamptz`` column
stays an instant, one bound for a wall-clock column (``timestamp``, ``DATETIME``) is turned into
``db.timezone`` local time; SQLite gets ISO text for dates and decimals. Schemaless values (from
JSON without schemas) are coerced by the target column's type: an ISO string or epoch
milliseconds into a timestamp column, nested objects into JSON text.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import json
from collections.abc import Callable
from typing import Any

from sluice.api import DataError, Schema, Struct, Type
from sluice.connectors.jdbc.columns import ColumnInfo, ColumnKind
from sluice.connectors.jdbc.dialects.base import (
    DATE_NAME,
    DECIMAL_NAME,
    TIME_NAME,
    TIMESTAMP_NAME,
    Dialect,
)
from sluice.connectors.jdbc.source_schema import parse_timestamp_text

__all__ = [
    "INLINE_DROP_UTC",
    "INLINE_KEEP_UTC",
    "INLINE_TYPE",
    "Binder",
    "binder_for",
    "inline_form",
]

Binder = Callable[[Any], Any]

INLINE_DROP_UTC = "drop_utc"
"""The binder turns an aware UTC ``datetime`` into the naive one (its other inputs vary)."""
INLINE_KEEP_UTC = "keep_utc"
"""The binder returns an aware UTC ``datetime`` as it is."""
INLINE_TYPE = "type"
"""The binder returns values of one exact type (:func:`inline_form`'s second item) unchanged."""
_INLINE_ATTR = "_sluice_inline"


def _mark(binder: Binder, form: str, kind: type | None = None) -> Binder:
    binder.__dict__[_INLINE_ATTR] = (form, kind)
    return binder


def inline_form(binder: Binder | None) -> tuple[str, type | None] | None:
    """What a generated row reader may do in place of calling ``binder`` for its commonest input
    (a call per value is most of a binder's cost), or None: always call it."""
    if binder is None:
        return None
    form: tuple[str, type | None] | None = getattr(binder, "__dict__", {}).get(_INLINE_ATTR)
    return form


_EPOCH_DATE = dt.date(1970, 1, 1)


def _iso_datetime(value: dt.datetime) -> str:
    return value.isoformat(sep=" ")


def _datetime_binder(dialect: Dialect, column: ColumnInfo | None, zone: dt.tzinfo) -> Binder:
    utc_column = column is not None and column.utc
    text = dialect.text_temporals
    naive = dialect.naive_datetimes
    utc = dt.UTC
    datetime_type = dt.datetime
    # Connect timestamps arrive as aware UTC datetimes; when the column wants UTC too (a UTC
    # column, or db.timezone UTC) the conversion is only dropping or keeping the zone.
    utc_out = (utc_column or zone is utc) and not text
    drop_zone = not utc_column or naive

    def bind(value: Any) -> Any:
        if utc_out and type(value) is datetime_type and value.tzinfo is utc:
            return value.replace(tzinfo=None) if drop_zone else value
        if not isinstance(value, dt.datetime):
            value = _coerce_datetime(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        if utc_column:
            out = value.astimezone(dt.UTC)
            if naive:
                out = out.replace(tzinfo=None)
        else:
            out = value.astimezone(zone).replace(tzinfo=None)
        return _iso_datetime(out) if text else out

    if utc_out:
        return _mark(bind, INLINE_DROP_UTC if drop_zone else INLINE_KEEP_UTC)
    return bind


def _coerce_datetime(value: Any) -> dt.datetime:
    if isinstance(value, bool):
        raise DataError(f"Cannot write {value!r} to a timestamp column")
    if isinstance(value, int | float):
        return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=value)
    if isinstance(value, str):
        parsed = parse_timestamp_text(value)
        if parsed is None:
            raise DataError(f"Cannot write {value!r} to a timestamp column")
        return parsed
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    raise DataError(f"Cannot write {type(value).__name__} to a timestamp column")


def _date_binder(dialect: Dialect) -> Binder:
    text = dialect.text_temporals

    def bind(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            value = value.date()
        elif isinstance(value, int) and not isinstance(value, bool):
            value = _EPOCH_DATE + dt.timedelta(days=value)
        elif isinstance(value, str):
            value = dt.date.fromisoformat(value.strip()[:10])
        if not isinstance(value, dt.date):
            raise DataError(f"Cannot write {type(value).__name__} to a date column")
        return value.isoformat() if text else value

    return bind


def _time_binder(dialect: Dialect) -> Binder:
    text = dialect.text_temporals

    def bind(value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            ms = value % 86400000
            value = dt.time(ms // 3600000, ms // 60000 % 60, ms // 1000 % 60, ms % 1000 * 1000)
        elif isinstance(value, str):
            value = dt.time.fromisoformat(value.strip())
        if not isinstance(value, dt.time):
            raise DataError(f"Cannot write {type(value).__name__} to a time column")
        value = value.replace(tzinfo=None)
        return value.isoformat() if text else value

    return bind


def _decimal_binder(dialect: Dialect) -> Binder:
    text = dialect.text_decimals

    def bind(value: Any) -> Any:
        if isinstance(value, bool):
            value = int(value)
        if isinstance(value, float):
            value = decimal.Decimal(repr(value))
        elif not isinstance(value, decimal.Decimal):
            value = decimal.Decimal(str(value))
        return format(value, "f") if text else value

    return bind if text else _mark(bind, INLINE_TYPE, decimal.Decimal)


def _json_text(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), default=str)
    if isinstance(value, Struct):
        return json.dumps(value.to_dict(), separators=(",", ":"), default=str)
    return value


def _string_binder(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list | Struct):
        return _json_text(value)
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _bytes_binder(value: Any) -> Any:
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):  # schemaless JSON carries bytes as base64
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return value.encode("utf-8")
    raise DataError(f"Cannot write {type(value).__name__} to a binary column")


def _bool_binder(dialect: Dialect) -> Binder:
    def bind(value: Any) -> Any:
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "t", "yes", "y")
        return bool(value)

    return bind


def binder_for(
    schema: Schema | None, column: ColumnInfo | None, dialect: Dialect, zone: dt.tzinfo
) -> Binder | None:
    """How to turn a field's value into the driver parameter for ``column`` (None: as is)."""
    name = schema.name if schema is not None else None
    kind = column.kind if column is not None else None
    if name == TIMESTAMP_NAME or kind is ColumnKind.TIMESTAMP:
        return _datetime_binder(dialect, column, zone)
    if name == DATE_NAME or kind in (ColumnKind.DATE, ColumnKind.YEAR):
        return _date_binder(dialect)
    if name == TIME_NAME or kind is ColumnKind.TIME:
        return _time_binder(dialect)
    if name == DECIMAL_NAME or kind in (ColumnKind.DECIMAL, ColumnKind.UINT64):
        return _decimal_binder(dialect)
    if kind in (ColumnKind.JSON, ColumnKind.STRING, ColumnKind.UUID) or (
        kind is None and schema is not None and schema.type is Type.STRING
    ):
        if schema is not None and schema.type is Type.STRING:
            return None
        return _string_binder
    if kind is ColumnKind.BYTES or (schema is not None and schema.type is Type.BYTES):
        return _bytes_binder
    if kind is ColumnKind.BOOLEAN:
        return _bool_binder(dialect)
    if schema is None:
        # Schemaless values into a column of unknown kind: nested data becomes JSON text.
        return _json_text
    return None
