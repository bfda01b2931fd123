"""Where msgspec's compact JSON differs from Jackson's, and the fix.

Kafka Connect writes JSON with Jackson: ``\\u00XX`` escapes with upper-case hex digits, and
characters beyond U+FFFF as an escaped UTF-16 surrogate pair rather than four UTF-8 bytes.
JsonConverter output and the internal topics' records are compared byte for byte with Java's, so
every JSON writer of sluice passes its msgspec output through :func:`as_jackson_writes`.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["as_jackson_writes"]

_LOWER_ESCAPE: Final = re.compile(rb"(?<!\\)((?:\\\\)*)\\u00([0-9a-f]{2})")
_ASTRAL: Final = re.compile(rb"[\xf0-\xf4][\x80-\xbf]{3}")


def _upper_escape(m: re.Match[bytes]) -> bytes:
    return m.group(1) + b"\\u00" + m.group(2).upper()


def _surrogate_escape(m: re.Match[bytes]) -> bytes:
    code = ord(m.group(0).decode()) - 0x10000
    return b"\\u%04X\\u%04X" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))


def as_jackson_writes(out: bytes) -> bytes:
    """msgspec's compact JSON ``out`` as Jackson would have written it (cheap when nothing
    needs fixing: two substring checks)."""
    if b"\\u00" in out:
        out = _LOWER_ESCAPE.sub(_upper_escape, out)
    if not out.isascii() and _ASTRAL.search(out) is not None:
        out = _ASTRAL.sub(_surrogate_escape, out)
    return out
