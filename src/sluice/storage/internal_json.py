"""JSON exactly as Kafka Connect writes its internal topics, and read as it reads them.

Kafka Connect serializes every internal record value (and the offsets topic's keys) with
``JsonConverter`` and ``schemas.enable=false``: compact Jackson output. Offset keys are looked up
by their bytes and config and status records are compared byte for byte by the compat tests, so
the encoder here fixes where msgspec's output differs from Jackson's
(:mod:`sluice.jdk.jackson`, shared with the JsonConverter). Doubles travel as ``msgspec.Raw``
text from ``Double.toString``, as Jackson prints them.
"""

from __future__ import annotations

import math
from typing import Any, Final

import msgspec

from sluice.jdk.jackson import as_jackson_writes
from sluice.jdk.numbers import double_to_string

__all__ = ["JsonError", "decode", "encode", "java_double"]

_encode = msgspec.json.encode
_decoder: Final = msgspec.json.Decoder()


class JsonError(ValueError):
    """Bytes that are not JSON (or text that cannot be written as JSON)."""


def encode(tree: Any) -> bytes:
    """``tree`` (dicts in the key order wanted, lists, str, int, bool, None, ``msgspec.Raw``) as
    Jackson's compact output."""
    try:
        out = _encode(tree)
    except (UnicodeEncodeError, TypeError) as e:
        raise JsonError(f"cannot write as JSON: {e}") from e
    return as_jackson_writes(out)


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
