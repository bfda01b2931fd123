"""JSON exactly as Kafka Connect writes its internal topics, and read as it reads them.

Kafka Connect serializes every internal record value (and the offsets topic's keys) with
``JsonConverter`` and ``schemas.enable=false``: compact Jackson output. Offset keys are looked up
by their bytes and config and status records are compared byte for byte by the compat tests, so
the encoder here fixes the two places where msgspec's output differs from Jackson's: Jackson writes
``\\u00XX`` escapes with upper-case hex digits, and characters beyond U+FFFF as an escaped UTF-16
surrogate pair rather than four UTF-8 bytes. (The JsonConverter in :mod:`sluice.converters` makes
the same two fixes; the storage layer may not import it.) Doubles travel as ``msgspec.Raw`` text
from ``Double.toString``, as Jackson prints them.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

import msgspec

from sluice.api._java_text import double_to_string

__all__ = ["JsonError", "decode", "encode", "java_double"]

_encode = msgspec.json.encode
_decoder: Final = msgspec.json.Decoder()
_LOWER_ESCAPE: Final = re.compile(rb"(?<!\\)((?:\\\\)*)\\u00([0-9a-f]{2})")
_ASTRAL: Final = re.compile(rb"[\xf0-\xf4][\x80-\xbf]{3}")


class JsonError(ValueError):
    """Bytes that are not JSON (or text that cannot be written as JSON)."""


def _upper_escape(m: re.Match[bytes]) -> bytes:
    return m.group(1) + b"\\u00" + m.group(2).upper()


def _surrogate_escape(m: re.Match[bytes]) -> bytes:
    code = ord(m.group(0).decode()) - 0x10000
    return b"\\u%04X\\u%04X" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))


def encode(tree: Any) -> bytes:
    """``tree`` (dicts in the key order wanted, lists, str, int, bool, None, ``msgspec.Raw``) as
    Jackson's compact output."""
    try:
        out = _encode(tree)
    except (UnicodeEncodeError, TypeError) as e:
        raise JsonError(f"cannot write as JSON: {e}") from e
    if b"\\u00" in out:
        out = _LOWER_ESCAPE.sub(_upper_escape, out)
    if not out.isascii() and _ASTRAL.search(out) is not None:
        out = _ASTRAL.sub(_surrogate_escape, out)
    return out


def decode(data: bytes) -> Any:
    """The JSON value in ``data``; :class:`JsonError` when it is not JSON."""
    try:
        return _decoder.decode(data)
    except msgspec.DecodeError as e:
        raise JsonError(str(e)) from e


def java_double(value: float) -> float | msgspec.Raw:
    """A double as Jackson writes it (``Double.toString``: ``1.0E-5``, ``100.0``)."""
    if not math.isfinite(value):
        # Jackson quotes them (WRITE_NAN_AS_STRINGS); msgspec would write null
        return msgspec.Raw(b'"' + double_to_string(value).encode() + b'"')
    return msgspec.Raw(double_to_string(value).encode())
