"""Logical types: Decimal, Date, Time, Timestamp.

Expected encodings were produced by Kafka's own ``org.apache.kafka.connect.data`` classes
(connect-api 4.1.1), so a value encoded here reads back the same in a Java worker.
"""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sluice.api import DataError, Date, Decimal, Schema, SchemaBuilder, Time, Timestamp, Type

_UTC = dt.UTC
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)


def _signed(*values: int) -> bytes:
    """Bytes from Java's signed ``byte[]`` printout."""
    return bytes(v & 0xFF for v in values)


# --- schemas -----------------------------------------------------------------------------------


def test_logical_schemas_match_kafkas() -> None:
    d = Decimal.schema(2)
    assert (d.type, d.name, d.version, d.parameters) == (
        Type.BYTES,
        "org.apache.kafka.connect.data.Decimal",
        1,
        {"scale": "2"},
    )
    assert d.name == Decimal.LOGICAL_NAME
    assert Decimal.SCALE_FIELD == "scale"
    for cls, t, name in (
        (Date, Type.INT32, "Date"),
        (Time, Type.INT32, "Time"),
        (Timestamp, Type.INT64, "Timestamp"),
    ):
        full = f"org.apache.kafka.connect.data.{name}"
        assert full == cls.LOGICAL_NAME
        assert (cls.SCHEMA.type, cls.SCHEMA.name, cls.SCHEMA.version) == (t, full, 1)
        assert not cls.SCHEMA.optional
        assert cls.builder().build() == cls.SCHEMA
        assert cls.builder().optional().build().optional


def test_decimal_builder_can_be_extended() -> None:
    schema = Decimal.builder(4).optional().doc("price").build()
    assert schema.optional
    assert Decimal.scale_of(schema) == 4


# --- Decimal -----------------------------------------------------------------------------------

_DECIMALS = [
    ("0.00", _signed(0)),
    ("1.00", _signed(100)),
    ("-0.01", _signed(-1)),
    ("1.27", _signed(127)),
    ("1.28", _signed(0, -128)),
    ("-1.28", _signed(-128)),
    ("-1.29", _signed(-1, 127)),
    ("2.22", _signed(0, -34)),
    ("-2.22", _signed(-1, 34)),
    ("327.67", _signed(127, -1)),
    ("-327.68", _signed(-128, 0)),
    ("-327.69", _signed(-1, 127, -1)),
    (
        "123456789012345678901234567890123456789.01",
        _signed(36, 71, -37, 68, -103, -120, -105, -123, 54, -65, 91, -69, -28, 14, 118, 108, 53),
    ),
]


@pytest.mark.parametrize(("text", "encoded"), _DECIMALS)
def test_decimal_encoding_is_javas_big_integer_to_byte_array(text: str, encoded: bytes) -> None:
    schema = Decimal.schema(2)
    value = decimal.Decimal(text)
    assert Decimal.from_logical(schema, value) == encoded
    back = Decimal.to_logical(schema, encoded)
    assert back == value
    assert back.as_tuple() == value.as_tuple()  # same digits and scale, not just equal


def test_decimal_beyond_the_default_context_precision_is_exact() -> None:
    # 60 significant digits: decimal's default context would round these to 28.
    text = "-" + "9" * 50 + "." + "1234567891"
    schema = Decimal.schema(10)
    assert str(Decimal.to_logical(schema, Decimal.from_logical(schema, decimal.Decimal(text)))) == (
        text
    )


def test_negative_zero_encodes_as_zero() -> None:
    schema = Decimal.schema(1)
    assert Decimal.from_logical(schema, decimal.Decimal("-0.0")) == b"\x00"


def test_decimal_scale_must_match_the_schema() -> None:
    with pytest.raises(DataError) as exc:
        Decimal.from_logical(Decimal.schema(2), decimal.Decimal("1.5"))
    assert str(exc.value) == (
        "Decimal value has mismatching scale for given Decimal schema. "
        "Schema has scale 2, value has scale 1."
    )
    with pytest.raises(DataError, match="Schema has scale 0, value has scale 2"):
        Decimal.from_logical(Decimal.schema(0), decimal.Decimal("1.00"))


def test_negative_scale() -> None:
    schema = Decimal.schema(-2)
    assert Decimal.from_logical(schema, decimal.Decimal("1E+2")) == b"\x01"
    assert Decimal.to_logical(schema, b"\x01") == decimal.Decimal("100")
    assert Decimal.to_logical(schema, b"\x01").as_tuple().exponent == 2


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_non_finite_decimals_are_rejected(value: str) -> None:
    with pytest.raises(DataError, match="is not finite"):
        Decimal.from_logical(Decimal.schema(0), decimal.Decimal(value))


def test_decimal_schema_without_scale() -> None:
    schema = SchemaBuilder.bytes().name(Decimal.LOGICAL_NAME).build()
    with pytest.raises(DataError) as exc:
        Decimal.to_logical(schema, b"\x01")
    assert str(exc.value) == "Invalid Decimal schema: scale parameter not found."


def test_decimal_schema_with_a_non_numeric_scale() -> None:
    schema = SchemaBuilder.bytes().name(Decimal.LOGICAL_NAME).parameter("scale", "x").build()
    with pytest.raises(DataError, match="Invalid scale parameter found in Decimal schema: x"):
        Decimal.scale_of(schema)


@given(
    unscaled=st.integers(min_value=-(10**60), max_value=10**60),
    scale=st.integers(min_value=-20, max_value=40),
)
def test_decimal_round_trip(unscaled: int, scale: int) -> None:
    schema = Decimal.schema(scale)
    value = decimal.Decimal(unscaled).scaleb(-scale, decimal.Context(prec=200))
    encoded = Decimal.from_logical(schema, value)
    # Minimal two's complement, as BigInteger.toByteArray: bitLength() // 8 + 1 bytes.
    java_bit_length = (unscaled if unscaled >= 0 else ~unscaled).bit_length()
    assert len(encoded) == java_bit_length // 8 + 1
    assert int.from_bytes(encoded, "big", signed=True) == unscaled
    back = Decimal.to_logical(schema, encoded)
    assert back == value
    assert back.as_tuple().exponent == -scale


# --- Date --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "days"),
    [
        (dt.date(1970, 1, 1), 0),
        (dt.date(1970, 1, 2), 1),
        (dt.date(1969, 12, 31), -1),
        (dt.date(1969, 1, 1), -365),
        (dt.date(2024, 2, 29), 19782),
        (dt.date(1, 1, 1), -719162),
        (dt.date(9999, 12, 31), 2932896),
    ],
)
def test_date_is_days_since_the_epoch(day: dt.date, days: int) -> None:
    assert Date.from_logical(Date.SCHEMA, day) == days
    assert Date.to_logical(Date.SCHEMA, days) == day


def test_date_accepts_a_midnight_datetime() -> None:
    assert Date.from_logical(Date.SCHEMA, dt.datetime(1970, 1, 3)) == 2
    assert Date.from_logical(Date.SCHEMA, dt.datetime(1969, 12, 31, tzinfo=_UTC)) == -1
    # Midnight in UTC+2 is 22:00 UTC the day before: not a date in UTC.
    plus2 = dt.timezone(dt.timedelta(hours=2))
    with pytest.raises(DataError):
        Date.from_logical(Date.SCHEMA, dt.datetime(1970, 1, 3, tzinfo=plus2))
    # 02:00 in UTC+2 is midnight UTC.
    assert Date.from_logical(Date.SCHEMA, dt.datetime(1970, 1, 3, 2, tzinfo=plus2)) == 2


def test_date_rejects_a_time_of_day() -> None:
    with pytest.raises(DataError) as exc:
        Date.from_logical(Date.SCHEMA, dt.datetime(1970, 1, 1, 0, 0, 1))
    assert str(exc.value) == (
        "Kafka Connect Date type should not have any time fields set to non-zero values."
    )
    with pytest.raises(DataError):
        Date.from_logical(Date.SCHEMA, dt.datetime(1970, 1, 1, 0, 0, 0, 1000))


@pytest.mark.parametrize(
    ("cls", "kind", "value"),
    [
        (Date, "Date", dt.date(1970, 1, 1)),
        (Time, "Time", dt.time(0)),
        (Timestamp, "Timestamp", _EPOCH),
    ],
)
def test_conversions_require_their_own_schema(cls: type, kind: str, value: object) -> None:
    wrong: Schema = Schema.INT64_SCHEMA
    message = f"Requested conversion of {kind} object but the schema does not match."
    with pytest.raises(DataError) as exc:
        cls.from_logical(wrong, value)  # type: ignore[attr-defined]
    assert str(exc.value) == message
    with pytest.raises(DataError) as exc:
        cls.to_logical(wrong, 0)  # type: ignore[attr-defined]
    assert str(exc.value) == message


@given(st.dates())
def test_date_round_trip(day: dt.date) -> None:
    days = Date.from_logical(Date.SCHEMA, day)
    assert days == (day - dt.date(1970, 1, 1)).days
    assert Date.to_logical(Date.SCHEMA, days) == day


# --- Time --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("time", "ms"),
    [
        (dt.time(0), 0),
        (dt.time(0, 0, 0, 1000), 1),
        (dt.time(12, 30, 15, 123000), 45015123),
        (dt.time(23, 59, 59, 999000), 86399999),
    ],
)
def test_time_is_milliseconds_since_midnight(time: dt.time, ms: int) -> None:
    assert Time.from_logical(Time.SCHEMA, time) == ms
    back = Time.to_logical(Time.SCHEMA, ms)
    assert back == time.replace(tzinfo=_UTC)
    assert back.tzinfo is _UTC


def test_time_truncates_below_a_millisecond() -> None:
    assert Time.from_logical(Time.SCHEMA, dt.time(0, 0, 0, 999)) == 0
    assert Time.from_logical(Time.SCHEMA, dt.time(23, 59, 59, 999999)) == 86399999


def test_aware_time_counts_from_midnight_utc() -> None:
    plus2 = dt.timezone(dt.timedelta(hours=2))
    assert Time.from_logical(Time.SCHEMA, dt.time(10, 0, tzinfo=plus2)) == 8 * 3600 * 1000
    # 01:00 at UTC+2 is 23:00 UTC (the day before, which a time of day cannot show).
    assert Time.from_logical(Time.SCHEMA, dt.time(1, 0, tzinfo=plus2)) == 23 * 3600 * 1000
    assert Time.from_logical(Time.SCHEMA, dt.time(10, 0, tzinfo=_UTC)) == 10 * 3600 * 1000


@pytest.mark.parametrize("ms", [-1, 86400001, -86400000])
def test_time_out_of_range(ms: int) -> None:
    with pytest.raises(DataError) as exc:
        Time.to_logical(Time.SCHEMA, ms)
    assert str(exc.value) == (
        "Time values must use number of milliseconds greater than 0 and less than 86400000"
    )


def test_time_accepts_exactly_one_day_as_kafka_does() -> None:
    assert Time.to_logical(Time.SCHEMA, 86400000) == dt.time(0, tzinfo=_UTC)


@given(st.integers(min_value=0, max_value=86399999))
def test_time_round_trip(ms: int) -> None:
    assert Time.from_logical(Time.SCHEMA, Time.to_logical(Time.SCHEMA, ms)) == ms


# --- Timestamp ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "ms"),
    [
        (_EPOCH, 0),
        (dt.datetime(1970, 1, 1), 0),  # naive means UTC
        (dt.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=_UTC), 1704164645678),
        (dt.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=_UTC), -1),
        (dt.datetime(1900, 1, 1, tzinfo=_UTC), -2208988800000),
        (dt.datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=_UTC), 253402300799999),
    ],
)
def test_timestamp_is_epoch_milliseconds(moment: dt.datetime, ms: int) -> None:
    assert Timestamp.from_logical(Timestamp.SCHEMA, moment) == ms
    assert Timestamp.to_logical(Timestamp.SCHEMA, ms) == moment.replace(tzinfo=_UTC)


def test_timestamp_in_another_zone_is_the_same_instant() -> None:
    tokyo = dt.timezone(dt.timedelta(hours=9))
    assert Timestamp.from_logical(Timestamp.SCHEMA, dt.datetime(1970, 1, 1, 9, tzinfo=tokyo)) == 0


def test_timestamp_to_logical_is_utc() -> None:
    assert Timestamp.to_logical(Timestamp.SCHEMA, 0).tzinfo is _UTC


def test_sub_millisecond_parts_are_floored_like_instant_to_epoch_milli() -> None:
    # Floor, not round and not truncate toward zero: before 1970 that makes a difference.
    after = dt.datetime(1970, 1, 1, 0, 0, 0, 1999, tzinfo=_UTC)
    assert Timestamp.from_logical(Timestamp.SCHEMA, after) == 1
    just_before = _EPOCH - dt.timedelta(microseconds=1)
    assert Timestamp.from_logical(Timestamp.SCHEMA, just_before) == -1
    half_before = dt.datetime(1969, 12, 31, 23, 59, 59, 999500, tzinfo=_UTC)
    assert Timestamp.from_logical(Timestamp.SCHEMA, half_before) == -1
    assert Timestamp.from_logical(Timestamp.SCHEMA, _EPOCH - dt.timedelta(microseconds=1001)) == -2


@given(st.integers(min_value=-62135596800000, max_value=253402300799999))
def test_timestamp_round_trip_from_millis(ms: int) -> None:
    moment = Timestamp.to_logical(Timestamp.SCHEMA, ms)
    assert Timestamp.from_logical(Timestamp.SCHEMA, moment) == ms


@given(
    st.datetimes(
        min_value=dt.datetime(1, 1, 2),
        max_value=dt.datetime(9999, 12, 30),
        timezones=st.sampled_from([_UTC, dt.timezone(dt.timedelta(hours=-7, minutes=-30))]),
    )
)
def test_timestamp_round_trip_from_datetime_truncates_to_the_millisecond(
    moment: dt.datetime,
) -> None:
    ms = Timestamp.from_logical(Timestamp.SCHEMA, moment)
    back = Timestamp.to_logical(Timestamp.SCHEMA, ms)
    assert back <= moment < back + dt.timedelta(milliseconds=1)
    assert back.microsecond % 1000 == 0


@pytest.mark.parametrize("scale", [-3, 0, 2, 40])
@pytest.mark.parametrize(
    "text", ["0", "-1", "7", "123456789012345678901234567890123456789", "-99999999999"]
)
def test_decimal_bytes_round_trip_exactly_beyond_the_context_precision(
    scale: int, text: str
) -> None:
    value = decimal.Decimal(f"{text}E{-scale}")
    schema = Decimal.schema(scale)
    raw = Decimal.from_logical(schema, value)
    assert int.from_bytes(raw, "big", signed=True) == int(text)
    back = Decimal.to_logical(schema, raw)
    assert back.as_tuple() == value.as_tuple()
