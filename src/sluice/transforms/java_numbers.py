"""Java's numeric semantics, for transforms whose output must match Kafka's byte for byte.

Kafka's SMTs lean on Java behaviour that Python does not share: narrowing casts wrap around
(``(byte) 300 == 44``), floating-point to integer casts saturate, ``Float`` values are 32-bit,
``Integer.parseInt`` rejects whitespace that ``int()`` accepts, and ``Double.toString`` prints
``1.0E10`` where Python prints ``10000000000.0``. Everything here reproduces the JDK's rule.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import math
import re
import struct
from collections.abc import Callable
from fractions import Fraction
from typing import Any, Final

from sluice.api.schema import DATE_NAME, DECIMAL_NAME, TIME_NAME, TIMESTAMP_NAME, Schema, Type

__all__ = [
    "INT_BITS",
    "decimal_to_float32",
    "float_to_int",
    "int_to_float32",
    "java_class_name",
    "java_double_to_string",
    "java_float_to_string",
    "java_string_of",
    "parse_java_double",
    "parse_java_float",
    "parse_java_int",
    "to_float32",
    "wrap_int",
]

INT_BITS: Final[dict[Type, int]] = {Type.INT8: 8, Type.INT16: 16, Type.INT32: 32, Type.INT64: 64}

_FLOAT32_MAX: Final = struct.unpack(">f", b"\x7f\x7f\xff\xff")[0]
# Doubles at or beyond this magnitude round to infinity as a float (max + half an ulp).
_FLOAT32_OVERFLOW: Final = Fraction(2**128 - 2**103)


def wrap_int(value: int, bits: int) -> int:
    """Two's-complement narrowing, as Java's ``(byte)``/``(short)``/``(int)``/``(long)`` casts."""
    mask = (1 << bits) - 1
    value &= mask
    if value >> (bits - 1):
        value -= 1 << bits
    return value


def float_to_int(value: float, bits: int) -> int:
    """Java's cast of a double to an integer type of ``bits`` bits.

    Doubles first become ``int`` (or ``long``) saturating at the range ends, NaN giving 0; casts to
    ``byte`` and ``short`` then wrap that ``int``.
    """
    wide = 64 if bits == 64 else 32
    if math.isnan(value):
        return 0
    lo, hi = -(2 ** (wide - 1)), 2 ** (wide - 1) - 1
    whole = (hi if value > 0 else lo) if math.isinf(value) else max(lo, min(hi, int(value)))
    return wrap_int(whole, bits) if bits < wide else whole


def _fraction_to_float32(value: Fraction) -> float:
    """Round an exact rational to the nearest float32 (ties to even), overflowing to infinity."""
    if value == 0:
        return 0.0
    sign = -1.0 if value < 0 else 1.0
    mag = abs(value)
    if mag >= _FLOAT32_OVERFLOW:
        return sign * math.inf
    # Scale so the significand has 24 bits, or fewer for subnormals (exponent floor -149).
    exp = mag.numerator.bit_length() - mag.denominator.bit_length()
    if Fraction(2) ** exp > mag:
        exp -= 1
    shift = max(exp - 23, -149)
    scaled = mag / (Fraction(2) ** shift)
    q, r = divmod(scaled.numerator, scaled.denominator)
    twice = 2 * r
    if twice > scaled.denominator or (twice == scaled.denominator and q & 1):
        q += 1
    return sign * math.ldexp(float(q), shift)


def to_float32(value: float) -> float:
    """The double nearest to ``(float) value`` in Java: rounded to 32 bits, inf on overflow."""
    if math.isnan(value) or math.isinf(value) or value == 0.0:
        return value
    if abs(value) <= _FLOAT32_MAX:
        result: float = struct.unpack(">f", struct.pack(">f", value))[0]
        return result
    return _fraction_to_float32(Fraction(value))


def int_to_float32(value: int) -> float:
    """``(float) value`` for a Java integer: the exact integer rounded once to float32."""
    return _fraction_to_float32(Fraction(value))


def decimal_to_float32(value: decimal.Decimal) -> float:
    """``BigDecimal.floatValue()``: the exact decimal rounded once, straight to float32."""
    if not value.is_finite():
        return float(value)
    return _fraction_to_float32(Fraction(value))


def _digits_and_point(text: str) -> tuple[str, int]:
    """Significant digits of a shortest repr and the decimal exponent of its first digit."""
    d = decimal.Decimal(text)
    _, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int)
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    # value = 0.d1d2... * 10**point
    point = len(digits) + exponent
    return ds, point


def _java_fp_format(value: float, shortest: str) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0.0:
        return sign + "0.0"
    digits, point = _digits_and_point(shortest.lstrip("-"))
    mag = abs(value)
    if 1e-3 <= mag < 1e7:
        if point <= 0:
            return sign + "0." + "0" * (-point) + digits
        if point >= len(digits):
            return sign + digits + "0" * (point - len(digits)) + ".0"
        return sign + digits[:point] + "." + digits[point:]
    frac = digits[1:] or "0"
    return f"{sign}{digits[0]}.{frac}E{point - 1}"


def _two_digits_if_one(value: float, shortest: str, round_trip: Callable[[float], float]) -> str:
    """Java prints at least two significant digits, choosing the two-digit decimal closest to
    the value when one digit would do (``Double.MIN_VALUE`` is ``4.9E-324``, not ``5.0E-324``)."""
    digits, _ = _digits_and_point(shortest.lstrip("-"))
    if len(digits) > 1 or value == 0.0 or not math.isfinite(value):
        return shortest
    two = f"{value:.1e}"
    return two if round_trip(float(two)) == value else shortest


def java_double_to_string(value: float) -> str:
    """``Double.toString`` (JDK 19+ rules): the shortest digits that read back as ``value``,
    at least two of them, in scientific notation outside [1e-3, 1e7)."""
    if not math.isfinite(value) or value == 0.0:
        return _java_fp_format(value, "0")
    return _java_fp_format(value, _two_digits_if_one(value, repr(value), float))


def _float32_shortest(value: float) -> str:
    for precision in range(1, 10):
        text = f"{value:.{precision - 1}e}"
        if to_float32(float(text)) == value:
            return text
    return repr(value)


def java_float_to_string(value: float) -> str:
    """``Float.toString`` of a float32 value held in a Python float (JDK 19+ rules)."""
    if math.isnan(value) or math.isinf(value) or value == 0.0:
        return _java_fp_format(value, "0")
    magnitude = abs(value)
    shortest = _two_digits_if_one(magnitude, _float32_shortest(magnitude), to_float32)
    return _java_fp_format(value, shortest)


def java_string_of(value: Any, schema: Schema | None = None) -> str:
    """``String.valueOf(value)`` for Connect primitives (``true``, ``1.0E10``, ``12``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if schema is not None and schema.type is Type.FLOAT32:
            return java_float_to_string(value)
        return java_double_to_string(value)
    return str(value)


_INT_TEXT: Final = re.compile(r"[+-]?\d+")


def parse_java_int(text: str, bits: int) -> int:
    """``Byte/Short/Integer/Long.parseXxx``: optional sign then digits, nothing else.

    Raises ``ValueError`` (Java's ``NumberFormatException``) on bad text or overflow.
    """
    if not _INT_TEXT.fullmatch(text):
        raise ValueError(f'For input string: "{text}"')
    value = int(text)
    if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        raise ValueError(f'Value out of range. Value:"{text}" Radix:10')
    return value


_FP_TEXT: Final = re.compile(
    r"[+-]?(NaN|Infinity|((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdD]?))", re.ASCII
)
_HEX_FP_TEXT: Final = re.compile(
    r"([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+)[fFdD]?", re.ASCII
)


def _parse_fp(text: str) -> Fraction | float:
    # Java trims every character <= U+0020 before parsing.
    stripped = text.strip("".join(chr(c) for c in range(0x21)))
    hexm = _HEX_FP_TEXT.fullmatch(stripped)
    if hexm and (hexm.group(2) or hexm.group(3)):
        mantissa = int((hexm.group(2) + hexm.group(3)) or "0", 16)
        exp = int(hexm.group(4)) - 4 * len(hexm.group(3))
        frac = Fraction(mantissa) * (Fraction(2) ** exp)
        return -frac if hexm.group(1) == "-" else frac
    m = _FP_TEXT.fullmatch(stripped)
    if not m:
        raise ValueError(f'For input string: "{text}"')
    body = stripped.rstrip("fFdD") if m.group(2) else stripped
    negative = body.startswith("-")
    core = body.lstrip("+-")
    if core == "NaN":
        return math.nan
    if core == "Infinity":
        return -math.inf if negative else math.inf
    frac = Fraction(decimal.Decimal(core))
    return -frac if negative else frac


def parse_java_double(text: str) -> float:
    """``Double.parseDouble``; raises ``ValueError`` on text Java rejects."""
    parsed = _parse_fp(text)
    if isinstance(parsed, float):
        return parsed
    try:
        return float(parsed)
    except OverflowError:
        return math.inf if parsed > 0 else -math.inf


def parse_java_float(text: str) -> float:
    """``Float.parseFloat``: decimal text rounded once, straight to float32."""
    parsed = _parse_fp(text)
    if isinstance(parsed, float):
        return parsed
    return _fraction_to_float32(parsed)


_SCHEMA_CLASS: Final[dict[Type, str]] = {
    Type.INT8: "java.lang.Byte",
    Type.INT16: "java.lang.Short",
    Type.INT32: "java.lang.Integer",
    Type.INT64: "java.lang.Long",
    Type.FLOAT32: "java.lang.Float",
    Type.FLOAT64: "java.lang.Double",
    Type.BOOLEAN: "java.lang.Boolean",
    Type.STRING: "java.lang.String",
    Type.BYTES: "[B",
    Type.ARRAY: "java.util.ArrayList",
    Type.MAP: "java.util.HashMap",
    Type.STRUCT: "org.apache.kafka.connect.data.Struct",
}


def java_class_name(value: Any, schema: Schema | None = None) -> str:
    """The Java class Kafka would hold ``value`` in, for error messages that name it."""
    if value is None:
        return "null"
    if schema is not None:
        if schema.name in (DATE_NAME, TIME_NAME, TIMESTAMP_NAME):
            return "java.util.Date"
        if schema.name == DECIMAL_NAME:
            return "java.math.BigDecimal"
        return _SCHEMA_CLASS[schema.type]
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, int):
        return "java.lang.Long"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "[B"
    if isinstance(value, list):
        return "java.util.ArrayList"
    if isinstance(value, dict):
        return "java.util.HashMap"
    if isinstance(value, decimal.Decimal):
        return "java.math.BigDecimal"
    if isinstance(value, (_dt.date, _dt.time)):
        return "java.util.Date"
    from sluice.api.struct import Struct

    if isinstance(value, Struct):
        return "org.apache.kafka.connect.data.Struct"
    return type(value).__qualname__
