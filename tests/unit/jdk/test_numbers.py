"""The JVM's number rendering and conversions that converters and transforms rely on (expected
texts come from Java 17's ``Double.toString``/``Float.toString``; ``tests/compat`` checks
thousands more)."""

from __future__ import annotations

import decimal
import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sluice.jdk.numbers import (
    NumberFormatError,
    _jdk_double,
    bigdecimal_to_string,
    double_to_string,
    exact_to_float32,
    float_to_int,
    float_to_string,
    parse_java_double,
    parse_java_float,
    parse_java_int,
    to_float32,
    truncate_wrapped,
    wrap,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.0, "1.0"),
        (100.0, "100.0"),
        (1e7, "1.0E7"),
        (9999999.0, "9999999.0"),
        (0.001, "0.001"),
        (0.0009, "9.0E-4"),
        (1e-5, "1.0E-5"),
        (1e23, "9.999999999999999E22"),  # the JDK 17 quirk (later JDKs print 1.0E23)
        (0.1 + 0.2, "0.30000000000000004"),
        (4.35, "4.35"),
        (5e-324, "4.9E-324"),
        (1.7976931348623157e308, "1.7976931348623157E308"),
        (2.0**-44, "5.6843418860808015E-14"),
        (2.0**60, "1.15292150460684698E18"),
        (1.6013015666345599e19, "1.6013015666345599E19"),
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
        (float("-inf"), "-Infinity"),
    ],
)
def test_double_to_string_matches_java_17(value: float, text: str) -> None:
    assert double_to_string(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.1, "0.1"),
        (1.5, "1.5"),
        (1.68271167e11, "1.68271167E11"),
        (-1915074.75, "-1915074.8"),
        (3.4028234663852886e38, "3.4028235E38"),
        (1.401298464324817e-45, "1.4E-45"),
        (1e39, "Infinity"),
        (-0.0, "-0.0"),
    ],
)
def test_float_to_string_matches_java_17(value: float, text: str) -> None:
    assert float_to_string(value) == text


@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f != 0))
def test_fast_path_agrees_with_the_jdk_algorithm(value: float) -> None:
    assert double_to_string(value) == _jdk_double(value)


def test_to_float32_rounds_to_nearest_and_overflows_to_infinity() -> None:
    assert to_float32(0.1) == 0.10000000149011612
    assert to_float32(16777217.0) == 16777216.0  # tie to even
    assert to_float32(1e39) == math.inf and to_float32(-1e39) == -math.inf


def test_exact_to_float32_rounds_once_from_the_exact_value() -> None:
    lo = 1.0
    hi = struct.unpack("<f", struct.pack("<I", 0x3F800001))[0]
    midpoint = (decimal.Decimal(lo) + decimal.Decimal(hi)) / 2
    # Just above the midpoint rounds up even where the nearest double is the midpoint itself.
    with decimal.localcontext(prec=100):
        above = midpoint + decimal.Decimal("1e-30")
        below = midpoint - decimal.Decimal("1e-30")
    assert float(above) == float(midpoint) == float(below)
    assert exact_to_float32(above) == hi
    assert exact_to_float32(below) == lo
    assert exact_to_float32(midpoint) == lo  # a true tie goes to even
    assert exact_to_float32(2**200) == math.inf
    assert exact_to_float32(-(2**2000)) == -math.inf
    assert exact_to_float32(decimal.Decimal("1E+400")) == math.inf


def test_integer_narrowing_is_twos_complement() -> None:
    assert wrap(300, 8) == 44 and wrap(-129, 8) == 127 and wrap(2**63, 64) == -(2**63)
    assert float_to_int(math.nan, 64) == 0 and float_to_int(1e30, 64) == 2**63 - 1
    assert float_to_int(-2.9, 64) == -2
    assert truncate_wrapped(decimal.Decimal("-2.9")) == -2
    assert truncate_wrapped(decimal.Decimal("1E+999999999")) == wrap(pow(10, 999999999, 2**64), 64)
    assert truncate_wrapped(decimal.Decimal("123456789012345678901234567890")) == (
        -4362896299872285998
    )
    assert truncate_wrapped(decimal.Decimal("300.7"), 8) == 44


def test_bigdecimal_to_string() -> None:
    assert bigdecimal_to_string(decimal.Decimal("1E+3")) == "1E+3"
    assert bigdecimal_to_string(decimal.Decimal("0.000001")) == "0.000001"
    assert bigdecimal_to_string(decimal.Decimal("1E-7")) == "1E-7"
    assert bigdecimal_to_string(decimal.Decimal("-0.00")) == "0.00"
    assert bigdecimal_to_string(decimal.Decimal("123E+2")) == "1.23E+4"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.1, "0.1"),
        (1.1, "1.1"),
        (1e10, "1.0E10"),
        (3.4028234663852886e38, "3.4028235E38"),
        (16777216.0, "1.6777216E7"),
    ],
)
def test_float_to_string_short_cases(value: float, text: str) -> None:
    assert float_to_string(to_float32(value)) == text


def test_narrowing() -> None:
    assert wrap(300, 8) == 44 and wrap(-129, 8) == 127 and wrap(2**63, 64) == -(2**63)
    assert float_to_int(1e30, 32) == 2**31 - 1
    assert float_to_int(-1e30, 64) == -(2**63)
    assert float_to_int(3e9, 16) == -1  # (short)(int)3e9
    assert float_to_int(-2.9, 32) == -2
    assert float_to_int(math.nan, 8) == 0


def test_float32_rounding_is_single_and_overflows_to_infinity() -> None:
    assert to_float32(1e39) == math.inf
    assert exact_to_float32(2**24 + 1) == 2**24  # ties to even
    assert exact_to_float32(2**24 + 3) == 2**24 + 4
    # 1.00000005960464477539062500001 rounds up as a decimal, though its nearest double ties down
    assert (
        exact_to_float32(decimal.Decimal("1.00000005960464477539062500001")) == 1.0000001192092896
    )
    assert parse_java_float("1.00000005960464477539062500001") == 1.0000001192092896
    assert to_float32(float("1.00000005960464477539062500001")) == 1.0


@pytest.mark.parametrize("text", ["1", "+1", "-0", "٣"])
def test_parse_int_accepts(text: str) -> None:
    assert parse_java_int(text, 32) == int(text)


@pytest.mark.parametrize("text", [" 1", "1 ", "1_0", "", "+", "2147483648", "0x1"])
def test_parse_int_rejects(text: str) -> None:
    with pytest.raises(NumberFormatError):
        parse_java_int(text, 32)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (" 1.5 ", 1.5),
        ("1.", 1.0),
        (".5", 0.5),
        ("1e3", 1000.0),
        ("2d", 2.0),
        ("-Infinity", -math.inf),
        ("0x1.8p1", 3.0),
        ("1e400", math.inf),
    ],
)
def test_parse_double(text: str, value: float) -> None:
    assert parse_java_double(text) == value


@pytest.mark.parametrize("text", ["abc", "1,5", "Infinityd", "", "1e"])
def test_parse_double_rejects(text: str) -> None:
    with pytest.raises(NumberFormatError):
        parse_java_double(text)


# --- Java casts and parsing, as Cast and MaskField need them -------------------------------------
@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.0, "1.0"),
        (100.0, "100.0"),
        (0.001, "0.001"),
        (0.0001, "1.0E-4"),
        (1234567.0, "1234567.0"),
        (1e7, "1.0E7"),
        (1.5e21, "1.5E21"),
        (-2.5e-4, "-2.5E-4"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
        (math.nan, "NaN"),
        (5e-324, "4.9E-324"),
    ],
)
def test_double_to_string_short_cases(value: float, text: str) -> None:
    assert double_to_string(value) == text
