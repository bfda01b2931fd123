import decimal
import math

import pytest

from sluice.transforms.java_numbers import (
    decimal_to_float32,
    float_to_int,
    int_to_float32,
    java_double_to_string,
    java_float_to_string,
    parse_java_double,
    parse_java_float,
    parse_java_int,
    to_float32,
    wrap_int,
)


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
def test_double_to_string(value: float, text: str) -> None:
    assert java_double_to_string(value) == text


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
def test_float_to_string(value: float, text: str) -> None:
    assert java_float_to_string(to_float32(value)) == text


def test_narrowing() -> None:
    assert wrap_int(300, 8) == 44 and wrap_int(-129, 8) == 127 and wrap_int(2**63, 64) == -(2**63)
    assert float_to_int(1e30, 32) == 2**31 - 1
    assert float_to_int(-1e30, 64) == -(2**63)
    assert float_to_int(3e9, 16) == -1  # (short)(int)3e9
    assert float_to_int(-2.9, 32) == -2
    assert float_to_int(math.nan, 8) == 0


def test_float32_rounding_is_single_and_overflows_to_infinity() -> None:
    assert to_float32(1e39) == math.inf
    assert int_to_float32(2**24 + 1) == 2**24  # ties to even
    assert int_to_float32(2**24 + 3) == 2**24 + 4
    # 1.00000005960464477539062500001 rounds up as a decimal, though its nearest double ties down
    assert (
        decimal_to_float32(decimal.Decimal("1.00000005960464477539062500001")) == 1.0000001192092896
    )
    assert parse_java_float("1.00000005960464477539062500001") == 1.0000001192092896
    assert to_float32(float("1.00000005960464477539062500001")) == 1.0


@pytest.mark.parametrize("text", ["1", "+1", "-0", "٣"])
def test_parse_int_accepts(text: str) -> None:
    assert parse_java_int(text, 32) == int(text)


@pytest.mark.parametrize("text", [" 1", "1 ", "1_0", "", "+", "2147483648", "0x1"])
def test_parse_int_rejects(text: str) -> None:
    with pytest.raises(ValueError):
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
    with pytest.raises(ValueError):
        parse_java_double(text)
