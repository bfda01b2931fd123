"""Kafka Connect's logical types: Decimal, Date, Time and Timestamp.

A logical type is a named physical schema with an agreed encoding, so that any converter can carry
it: Decimal is BYTES holding a big-endian two's-complement unscaled integer (``scale`` parameter),
Date is INT32 days since the epoch, Time is INT32 milliseconds since midnight, Timestamp is INT64
milliseconds since the epoch, all in UTC. ``from_logical``/``to_logical`` convert between the
Python value and that encoding.
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
from typing import Final

from sluice.api.errors import DataError
from sluice.api.schema import (
    DATE_NAME,
    DECIMAL_NAME,
    TIME_NAME,
    TIMESTAMP_NAME,
    Schema,
    SchemaBuilder,
)

_EXACT: Final = _decimal.Context(
    prec=_decimal.MAX_PREC, Emax=_decimal.MAX_EMAX, Emin=_decimal.MIN_EMIN
)
"""A context that never rounds: scaling a Decimal by a power of ten in it is exact."""

__all__ = [
    "Date",
    "Decimal",
    "Time",
    "Timestamp",
    "datetime_from_millis",
    "from_epoch_millis",
    "to_epoch_millis",
]

EPOCH_DATE: Final = _dt.date(1970, 1, 1)
EPOCH: Final = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
_MS: Final = _dt.timedelta(milliseconds=1)


class Decimal:
    """Arbitrary-precision decimal numbers with a fixed scale."""

    LOGICAL_NAME: Final = DECIMAL_NAME
    SCALE_FIELD: Final = "scale"

    @staticmethod
    def builder(scale: int) -> SchemaBuilder:
        return SchemaBuilder.bytes().name(DECIMAL_NAME).parameter("scale", str(scale)).version(1)

    @staticmethod
    def schema(scale: int) -> Schema:
        return Decimal.builder(scale).build()

    @staticmethod
    def scale_of(schema: Schema) -> int:
        raw = (schema.parameters or {}).get("scale")
        if raw is None:
            raise DataError("Invalid Decimal schema: scale parameter not found.")
        try:
            return int(raw)
        except ValueError:
            raise DataError(f"Invalid scale parameter found in Decimal schema: {raw}") from None

    @staticmethod
    def from_logical(schema: Schema, value: _decimal.Decimal) -> bytes:
        scale = Decimal.scale_of(schema)
        exponent = value.as_tuple().exponent
        if not isinstance(exponent, int):
            raise DataError(f"Decimal value {value} is not finite")
        if -exponent != scale:
            raise DataError(
                "Decimal value has mismatching scale for given Decimal schema. "
                f"Schema has scale {scale}, value has scale {-exponent}."
            )
        return Decimal.unscaled_bytes(value, scale)

    @staticmethod
    def unscaled_bytes(value: _decimal.Decimal, scale: int) -> bytes:
        """The big-endian two's-complement bytes of ``value`` times 10^scale, as Kafka writes a
        decimal of that scale (``value`` must be finite and have that scale: not checked)."""
        unscaled = int(value.scaleb(scale, _EXACT))
        return unscaled.to_bytes(
            (unscaled + (unscaled < 0)).bit_length() // 8 + 1, "big", signed=True
        )

    @staticmethod
    def to_logical(schema: Schema, value: bytes) -> _decimal.Decimal:
        return Decimal.from_unscaled(
            int.from_bytes(value, "big", signed=True), -Decimal.scale_of(schema)
        )

    @staticmethod
    def from_unscaled(unscaled: int, exponent: int) -> _decimal.Decimal:
        """``unscaled`` times 10^``exponent``, exactly: scaled in a context that never rounds
        (the default context would round to 28 digits), and quicker than parsing text."""
        return _decimal.Decimal(unscaled).scaleb(exponent, _EXACT)


class Date:
    """A calendar date with no time of day."""

    LOGICAL_NAME: Final = DATE_NAME
    SCHEMA: Final = SchemaBuilder.int32().name(DATE_NAME).version(1).build()

    @staticmethod
    def builder() -> SchemaBuilder:
        return SchemaBuilder.int32().name(DATE_NAME).version(1)

    @staticmethod
    def from_logical(schema: Schema, value: _dt.date) -> int:
        if schema.name != DATE_NAME:
            raise DataError("Requested conversion of Date object but the schema does not match.")
        if isinstance(value, _dt.datetime):
            if value.tzinfo is not None:
                value = value.astimezone(_dt.UTC)
            if value.time() != _dt.time(0):
                raise DataError(
                    "Kafka Connect Date type should not have any time fields set to "
                    "non-zero values."
                )
            value = value.date()
        return (value - EPOCH_DATE).days

    @staticmethod
    def to_logical(schema: Schema, value: int) -> _dt.date:
        if schema.name != DATE_NAME:
            raise DataError("Requested conversion of Date object but the schema does not match.")
        return EPOCH_DATE + _dt.timedelta(value)


class Time:
    """A time of day with millisecond precision, no date."""

    LOGICAL_NAME: Final = TIME_NAME
    SCHEMA: Final = SchemaBuilder.int32().name(TIME_NAME).version(1).build()

    @staticmethod
    def builder() -> SchemaBuilder:
        return SchemaBuilder.int32().name(TIME_NAME).version(1)

    @staticmethod
    def from_logical(schema: Schema, value: _dt.time) -> int:
        if schema.name != TIME_NAME:
            raise DataError("Requested conversion of Time object but the schema does not match.")
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        ms = seconds * 1000 + value.microsecond // 1000
        offset = value.utcoffset()
        if offset:  # an aware time counts from midnight UTC, like Java's instant-based Date
            ms = (ms - offset // _MS) % 86400000
        return ms

    @staticmethod
    def to_logical(schema: Schema, value: int) -> _dt.time:
        if schema.name != TIME_NAME:
            raise DataError("Requested conversion of Time object but the schema does not match.")
        if value < 0 or value > 86400000:
            raise DataError(
                "Time values must use number of milliseconds greater than 0 and less than 86400000"
            )
        value %= 86400000
        return _dt.time(
            value // 3600000,
            value // 60000 % 60,
            value // 1000 % 60,
            value % 1000 * 1000,
            tzinfo=_dt.UTC,
        )


class Timestamp:
    """An instant with millisecond precision (epoch milliseconds, UTC)."""

    LOGICAL_NAME: Final = TIMESTAMP_NAME
    SCHEMA: Final = SchemaBuilder.int64().name(TIMESTAMP_NAME).version(1).build()

    @staticmethod
    def builder() -> SchemaBuilder:
        return SchemaBuilder.int64().name(TIMESTAMP_NAME).version(1)

    @staticmethod
    def from_logical(schema: Schema, value: _dt.datetime) -> int:
        if schema.name != TIMESTAMP_NAME:
            raise DataError(
                "Requested conversion of Timestamp object but the schema does not match."
            )
        return to_epoch_millis(value)

    @staticmethod
    def to_logical(schema: Schema, value: int) -> _dt.datetime:
        if schema.name != TIMESTAMP_NAME:
            raise DataError(
                "Requested conversion of Timestamp object but the schema does not match."
            )
        return from_epoch_millis(value)


def to_epoch_millis(value: _dt.datetime) -> int:
    """Milliseconds since the epoch; naive datetimes are taken as UTC, as Connect's are."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.UTC)
    delta = value - EPOCH
    return delta.days * 86400000 + delta.seconds * 1000 + delta.microseconds // 1000


def from_epoch_millis(ms: int) -> _dt.datetime:
    """The UTC datetime ``ms`` milliseconds after the epoch (exact, no float rounding; the
    positional milliseconds argument is about twice as quick as the keyword)."""
    return EPOCH + _dt.timedelta(0, 0, 0, ms)


def datetime_from_millis(millis: int) -> _dt.datetime:
    """As :func:`from_epoch_millis`, with a :class:`DataError` beyond Python's year range."""
    try:
        return EPOCH + _dt.timedelta(0, 0, 0, millis)
    except OverflowError:
        raise DataError(
            f"Timestamp {millis} ms is outside the range Python datetimes can hold "
            "(years 1 to 9999)"
        ) from None
