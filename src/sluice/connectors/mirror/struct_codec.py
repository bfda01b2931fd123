"""Kafka's ``org.apache.kafka.common.protocol.types`` encoding, for the fields MirrorMaker uses.

MirrorMaker 2 writes its offset syncs, checkpoints and heartbeats with Kafka's protocol
``Schema``/``Struct`` classes, not with a Connect converter: a struct is its fields one after the
other, with no field names, no field count and no framing. ``INT16``/``INT32``/``INT64`` are
big-endian two's complement; ``STRING`` is an ``INT16`` byte length followed by UTF-8 bytes (at
most 32767 bytes; never null). A reader of ``Schema.read`` stops after the last field and ignores
anything after it, as Kafka does.
"""

from __future__ import annotations

import struct

__all__ = ["StructFormatError", "StructReader", "StructWriter"]

_MAX_STRING_BYTES = 0x7FFF
_INT16 = struct.Struct(">h")
_INT32 = struct.Struct(">i")
_INT64 = struct.Struct(">q")


class StructFormatError(ValueError):
    """Bytes that are not the struct expected (too short, a negative length, bad UTF-8)."""


class StructWriter:
    """Appends fields in order; ``getvalue()`` returns the bytes."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def int16(self, value: int) -> StructWriter:
        self._parts.append(_INT16.pack(value))
        return self

    def int32(self, value: int) -> StructWriter:
        self._parts.append(_INT32.pack(value))
        return self

    def int64(self, value: int) -> StructWriter:
        self._parts.append(_INT64.pack(value))
        return self

    def string(self, value: str) -> StructWriter:
        data = value.encode("utf-8")
        if len(data) > _MAX_STRING_BYTES:
            raise StructFormatError(
                f"string of {len(data)} UTF-8 bytes is longer than Kafka's limit of "
                f"{_MAX_STRING_BYTES}"
            )
        self._parts.append(_INT16.pack(len(data)))
        self._parts.append(data)
        return self

    def getvalue(self) -> bytes:
        return b"".join(self._parts)


class StructReader:
    """Reads fields in order from ``data``; ``what`` names the record in error messages."""

    def __init__(self, data: bytes, what: str) -> None:
        self._data = memoryview(data)
        self._pos = 0
        self._what = what

    def _take(self, size: int, field: str) -> memoryview:
        end = self._pos + size
        if end > len(self._data):
            raise StructFormatError(
                f"{self._what}: {len(self._data)} bytes end inside field {field!r} "
                f"(needs {size} bytes at position {self._pos})"
            )
        chunk = self._data[self._pos : end]
        self._pos = end
        return chunk

    def int16(self, field: str) -> int:
        value: int = _INT16.unpack(self._take(2, field))[0]
        return value

    def int32(self, field: str) -> int:
        value: int = _INT32.unpack(self._take(4, field))[0]
        return value

    def int64(self, field: str) -> int:
        value: int = _INT64.unpack(self._take(8, field))[0]
        return value

    def string(self, field: str) -> str:
        length = self.int16(field)
        if length < 0:
            raise StructFormatError(f"{self._what}: field {field!r} has negative length {length}")
        raw = self._take(length, field)
        try:
            return bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise StructFormatError(f"{self._what}: field {field!r} is not UTF-8: {exc}") from exc
