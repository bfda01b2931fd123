"""How the JVM handles numbers as text and in casts, so Python output matches Kafka's bytes.

Kafka prints doubles with ``Double.toString`` and floats with ``Float.toString``. On the Java 17
runtime Kafka 4.x ships with, those methods do *not* always print the shortest decimal that reads
back as the same number: integral values below 2^63 keep extra digits, exact powers of two get one
digit too many, and a few large values differ in the last digit. :func:`double_to_string`
reproduces that algorithm exactly (checked against the JVM by ``tests/compat``); ordinary values
take a fast path through ``repr``, which agrees with it everywhere outside those cases.

The module also holds the Java numeric rules converters and transforms share: narrowing casts that
wrap (``(byte) 300 == 44``), double-to-integer casts that saturate, rounding to 32-bit floats,
``Integer.parseInt``/``Double.parseDouble`` strictness and ``BigDecimal.toString``. It knows
nothing of Connect: the renderings of Connect values live in :mod:`sluice.api.value_text`.
"""

from __future__ import annotations

import decimal
import functools
import math
import re
import struct
from fractions import Fraction
from typing import Final

__all__ = [
    "NumberFormatError",
    "bigdecimal_to_string",
    "double_to_string",
    "exact_to_float32",
    "float_to_int",
    "float_to_string",
    "parse_java_double",
    "parse_java_float",
    "parse_java_int",
    "to_float32",
    "truncate_wrapped",
    "wrap",
]


class NumberFormatError(ValueError):
    """Text Java's number parsers reject (``NumberFormatException``), with Java's message."""


_MIN_NORMAL: Final = 2.2250738585072014e-308
_TWO_53: Final = 9007199254740992.0
_FLT_MAX: Final = 3.4028234663852886e38
_FLT_OVERFLOW: Final = 3.4028235677973366e38  # half an ulp above FLT_MAX: rounds to infinity

_PACK_D: Final = struct.Struct("<d")
_PACK_Q: Final = struct.Struct("<Q")
_PACK_F: Final = struct.Struct("<f")
_PACK_I: Final = struct.Struct("<I")

# Bits needed for 5**i (with 0 for i == 0, as the JDK's table has it).
_N5_BITS: Final = [0] + [(5**i).bit_length() for i in range(1, 27)]
# Decimal digits of an integral double that the JDK 17 fast path treats as noise, per 2^p2.
_INSIGNIFICANT: Final = [
    0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7,
    8, 8, 8, 9, 9, 9, 9, 10, 10, 10, 11, 11, 11, 12, 12, 12, 12, 13, 13, 13, 14, 14, 14,
    15, 15, 15, 15, 16, 16, 16, 17, 17, 17, 18, 18, 18, 19,
]  # fmt: skip


def wrap(value: int, bits: int) -> int:
    """``value`` reduced to a signed ``bits``-wide integer, as a Java narrowing cast does."""
    m = 1 << bits
    value &= m - 1
    return value - m if value >> (bits - 1) else value


def truncate_wrapped(value: decimal.Decimal, bits: int = 64) -> int:
    """``value`` truncated toward zero, reduced to ``bits`` bits, as ``BigDecimal.longValue()``.

    Huge exponents are reduced modulo 2^bits rather than expanded (``1e999999999`` would
    otherwise build a billion-digit integer).
    """
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        return 0
    if exponent < 0:
        return wrap(int(value), bits)
    coefficient = int("".join(map(str, digits)) or "0")
    result = coefficient * pow(10, exponent, 1 << bits)
    return wrap(-result if sign else result, bits)


def to_float32(value: float) -> float:
    """The nearest 32-bit float (ties to even), overflowing to infinity, as ``(float) d``."""
    try:
        return float(_PACK_F.unpack(_PACK_F.pack(value))[0])
    except OverflowError:
        return math.copysign(math.inf, value)


def _next_float32(value: float, up: bool) -> float:
    bits = _PACK_I.unpack(_PACK_F.pack(value))[0]
    if (value > 0) == up or (value == 0 and up):
        bits += 1
    else:
        bits -= 1
    return float(_PACK_F.unpack(_PACK_I.pack(bits & 0xFFFFFFFF))[0])


def exact_to_float32(value: int | decimal.Decimal) -> float:
    """``value`` rounded once to a 32-bit float, as ``BigDecimal.floatValue()`` does.

    Rounding to a double first and then to a float can land on a float midpoint that the exact
    value is not on; that case is settled by comparing with the exact value.
    """
    try:
        d = float(value)
    except OverflowError:
        return -math.inf if value < 0 else math.inf
    f = to_float32(d)
    if f == d or d != d:
        return f
    if math.isinf(f):
        if abs(d) == _FLT_OVERFLOW and abs(decimal.Decimal(value)) < decimal.Decimal(_FLT_OVERFLOW):
            return math.copysign(_FLT_MAX, d)
        return f
    other = _next_float32(f, d > f)
    if (f + other) / 2 != d:
        return f
    exact = decimal.Decimal(value)
    ref = decimal.Decimal(d)
    if exact == ref:
        return f
    return max(f, other) if exact > ref else min(f, other)


def bigdecimal_to_string(value: decimal.Decimal) -> str:
    """``BigDecimal.toString()``: Python's scientific-string rules match it, bar negative zero."""
    if value.is_zero() and value.is_signed():
        value = value.copy_abs()
    return str(value)


# -- Double.toString / Float.toString -------------------------------------------------------------
def _estimate_exponent(fract: int, bin_exp: int) -> int:
    d2: float = _PACK_D.unpack(_PACK_Q.pack(0x3FF0000000000000 | (fract & 0xFFFFFFFFFFFFF)))[0]
    return math.floor((d2 - 1.5) * 0.289529654 + 0.176091259 + bin_exp * 0.301029995663981)


def _wrap32(v: int) -> int:
    return wrap(v, 32)


def _wrap64(v: int) -> int:
    return wrap(v, 64)


def _roundup(digits: list[int], dec_exp: int) -> int:
    i = len(digits) - 1
    q = digits[i]
    if q == 9:
        while q == 9 and i > 0:
            digits[i] = 0
            i -= 1
            q = digits[i]
        if q == 9:
            digits[0] = 1
            return dec_exp + 1
    digits[i] = q + 1
    return dec_exp


def _jdk_digits(bin_exp: int, fract: int, n_sig_bits: int) -> tuple[str, int]:
    """The digits and decimal exponent the JDK 17 ``FloatingDecimal`` produces.

    ``fract`` holds the significand left-aligned on bit 52; ``n_sig_bits`` is 53 for doubles and
    24 for floats (fewer for subnormals). The value is ``0.d1d2... * 10^exponent``.
    """
    tail_zeros = (fract & -fract).bit_length() - 1
    n_fract_bits = 53 - tail_zeros
    n_tiny_bits = max(0, n_fract_bits - bin_exp - 1)
    if 0 <= bin_exp <= 62 and n_tiny_bits == 0:
        # An integer below 2^63: printed from its digits, with low "insignificant" ones rounded.
        p2 = bin_exp - n_sig_bits - 1
        insignificant = _INSIGNIFICANT[p2] if bin_exp > n_sig_bits and 1 < p2 < 64 else 0
        lvalue = fract << (bin_exp - 52) if bin_exp >= 52 else fract >> (52 - bin_exp)
        if insignificant:
            pow10 = 10**insignificant
            lvalue, residue = divmod(lvalue, pow10)
            if residue >= pow10 >> 1:
                lvalue += 1
        text = str(lvalue)
        return text.rstrip("0"), insignificant + len(text)

    dec_exp = _estimate_exponent(fract, bin_exp)
    b5 = max(0, -dec_exp)
    b2 = b5 + n_tiny_bits + bin_exp
    s5 = max(0, dec_exp)
    s2 = s5 + n_tiny_bits
    m5 = b5
    m2 = b2 - n_sig_bits
    fract >>= tail_zeros
    b2 -= n_fract_bits - 1
    common = min(b2, s2)
    b2 -= common
    s2 -= common
    m2 -= common
    if n_fract_bits == 1:
        m2 -= 1
    if m2 < 0:
        b2 -= m2
        s2 -= m2
        m2 = 0
    b_bits = n_fract_bits + b2 + (_N5_BITS[b5] if b5 < len(_N5_BITS) else b5 * 3)
    ten_s_bits = s2 + 1 + (_N5_BITS[s5 + 1] if s5 + 1 < len(_N5_BITS) else (s5 + 1) * 3)
    digits: list[int] = []
    e_form = False
    if b_bits < 64 and ten_s_bits < 64:
        # Fixed-width arithmetic in the JDK: the margin may overflow, which the JDK notices
        # (and handles) only inside the loop.
        w = _wrap32 if b_bits < 32 and ten_s_bits < 32 else _wrap64
        b = (fract * 5**b5) << b2
        s = 5**s5 << s2
        m = 5**m5 << m2
        tens = s * 10
        q, b = divmod(b, s)
        b *= 10
        m = w(m * 10)
        low = b < m
        high = w(b + m) > tens
        if q == 0 and not high:
            dec_exp -= 1
        else:
            digits.append(q)
        e_form = dec_exp < -3 or dec_exp >= 8
        if e_form:
            high = low = False
        while not low and not high:
            q, b = divmod(b, s)
            b *= 10
            m = w(m * 10)
            if m > 0:
                low = b < m
                high = w(b + m) > tens
            else:
                low = high = True
            digits.append(q)
        low_diff = 2 * b - tens
    else:
        big_b = (fract * 5**b5) << b2
        big_s = 5**s5 << s2
        big_m = 5 ** (m5 + 1) << (m2 + 1)
        ten_s = big_s * 10
        q, big_b = divmod(big_b, big_s)
        big_b *= 10
        low = big_b < big_m
        high = big_b + big_m >= ten_s
        if q == 0 and not high:
            dec_exp -= 1
        else:
            digits.append(q)
        e_form = dec_exp < -3 or dec_exp >= 8
        if e_form:
            high = low = False
        while not low and not high:
            q, big_b = divmod(big_b, big_s)
            big_b *= 10
            big_m *= 10
            low = big_b < big_m
            high = big_b + big_m >= ten_s
            digits.append(q)
        low_diff = (2 * big_b > ten_s) - (2 * big_b < ten_s) if high and low else 0
    dec_exponent = dec_exp + 1
    if high and (not low or low_diff > 0 or (low_diff == 0 and digits[-1] & 1)):
        dec_exponent = _roundup(digits, dec_exponent)
    return "".join(map(str, digits)), dec_exponent


def _layout(negative: bool, digits: str, dec_exponent: int) -> str:
    sign = "-" if negative else ""
    n = len(digits)
    if 0 < dec_exponent < 8:
        if n <= dec_exponent:
            return sign + digits + "0" * (dec_exponent - n) + ".0"
        return sign + digits[:dec_exponent] + "." + digits[dec_exponent:]
    if -3 < dec_exponent <= 0:
        return sign + "0." + "0" * -dec_exponent + digits
    return sign + digits[0] + "." + (digits[1:] or "0") + "E" + str(dec_exponent - 1)


def _special(value: float) -> str | None:
    if value != value:
        return "NaN"
    if value == math.inf:
        return "Infinity"
    if value == -math.inf:
        return "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    return None


def _ieee_parts(bits: int, width: int, mantissa_bits: int) -> tuple[bool, int, int, int]:
    """(negative, unbiased binary exponent, significand, significant bits) of an IEEE 754
    value's ``bits``; subnormals are normalized the way the JDK's FloatingDecimal does."""
    exp_bits = width - 1 - mantissa_bits
    fract = bits & ((1 << mantissa_bits) - 1)
    bin_exp = (bits >> mantissa_bits) & ((1 << exp_bits) - 1)
    if bin_exp == 0:
        leading = width - fract.bit_length()
        shift = leading - exp_bits
        fract <<= shift
        bin_exp = 1 - shift
        n_sig = width - leading
    else:
        fract |= 1 << mantissa_bits
        n_sig = mantissa_bits + 1
    return bool(bits >> (width - 1)), bin_exp - ((1 << (exp_bits - 1)) - 1), fract, n_sig


def _jdk_double(value: float) -> str:
    negative, exponent, fract, n_sig = _ieee_parts(_PACK_Q.unpack(_PACK_D.pack(value))[0], 64, 52)
    return _layout(negative, *_jdk_digits(exponent, fract, n_sig))


def _sci_from_repr(text: str) -> str:
    """Java's ``d.dddE<n>`` layout from a positive double's ``repr``."""
    if "e" in text:
        mantissa, _, exp = text.partition("e")
        exponent = int(exp)
        digits = mantissa.replace(".", "")
    else:
        whole, _, frac = text.partition(".")
        if whole != "0":
            digits = whole + frac
            exponent = len(whole) - 1
        else:
            stripped = frac.lstrip("0")
            exponent = len(stripped) - len(frac) - 1
            digits = stripped
    digits = digits.rstrip("0") or "0"
    return digits[0] + "." + (digits[1:] or "0") + "E" + str(exponent)


def double_to_string(value: float) -> str:
    """``Double.toString(value)`` exactly as the Java 17 runtime prints it."""
    a = abs(value)
    if _MIN_NORMAL <= a < _TWO_53 and math.frexp(a)[0] != 0.5:
        # Normal, non-integral-above-2^53, not a power of two: the JDK prints the shortest
        # round-tripping digits here, which is what repr() gives.
        if 1e-3 <= a < 1e7:
            return repr(value)
        text = _sci_from_repr(repr(a))
        return "-" + text if value < 0 else text
    special = _special(value)
    if special is not None:
        return special
    if _MIN_NORMAL <= a < _TWO_53:  # a power of two (1.0, 0.5, 8.0 ...): few, and common
        known = _POWERS_OF_TWO.get(value)
        if known is None:
            known = _POWERS_OF_TWO[value] = _jdk_double(value)
        return known
    return _jdk_double(value)


# Double.toString of the normal powers of two below 2^53, as computed (at most 2 x 1075 keys).
_POWERS_OF_TWO: dict[float, str] = {}


def float_to_string(value: float) -> str:
    """``Float.toString((float) value)`` as the Java 17 runtime prints it."""
    f = to_float32(value)
    special = _special(f)
    if special is not None:
        return special
    return _float32_digits(f)


# Cached by value, which is why zeros (0.0 == -0.0) and NaN never get here.
@functools.lru_cache(maxsize=4096)
def _float32_digits(f: float) -> str:
    negative, exponent, fract, n_sig = _ieee_parts(_PACK_I.unpack(_PACK_F.pack(f))[0], 32, 23)
    # The JDK runs floats through the double algorithm: a 24-bit significand widened to 53.
    return _layout(negative, *_jdk_digits(exponent, fract << 29, n_sig))


# -- Java casts and parsing ----------------------------------------------------------------------
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
    return wrap(whole, bits) if bits < wide else whole


def _fraction_to_float32(value: Fraction) -> float:
    """Round an exact rational to the nearest float32 (ties to even), overflowing to infinity."""
    if value == 0:
        return 0.0
    sign = -1.0 if value < 0 else 1.0
    mag = abs(value)
    if mag >= _FRACTION_OVERFLOW:
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


_INT_TEXT: Final = re.compile(r"[+-]?\d+")


def parse_java_int(text: str, bits: int) -> int:
    """``Byte/Short/Integer/Long.parseXxx``: optional sign then digits, nothing else.

    Raises ``ValueError`` (Java's ``NumberFormatException``) on bad text or overflow.
    """
    if not _INT_TEXT.fullmatch(text):
        raise NumberFormatError(f'For input string: "{text}"')
    value = int(text)
    if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        raise NumberFormatError(f'Value out of range. Value:"{text}" Radix:10')
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
        raise NumberFormatError(f'For input string: "{text}"')
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


# Doubles at or beyond this magnitude round to infinity as a float (max + half an ulp).
_FRACTION_OVERFLOW: Final = Fraction(2**128 - 2**103)
