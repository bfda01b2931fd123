"""Decoding PostgreSQL's ``pgoutput`` logical replication messages (protocol version 1).

psycopg2's replication cursor hands over each ``XLogData`` payload as bytes; this module turns one
payload into a typed message. The layout is PostgreSQL's "Logical Replication Message Formats"
chapter: a one-byte tag, then big-endian integers, NUL-terminated strings and, for row data,
``TupleData`` with one ``n`` (null), ``u`` (unchanged TOAST value, not sent) or ``t`` (text)
entry per column. Values stay in PostgreSQL's text output format; :mod:`postgres_types` converts
them, the same way the snapshot's ``::text`` columns are converted, so both phases agree.

Kept free of I/O so it is unit tested byte for byte.
"""

from __future__ import annotations

import datetime as dt
import struct
from dataclasses import dataclass
from typing import Final

__all__ = [
    "PG_EPOCH",
    "UNCHANGED_TOAST",
    "Begin",
    "Commit",
    "Delete",
    "Insert",
    "Message",
    "Origin",
    "PgOutputError",
    "Relation",
    "RelationColumn",
    "Truncate",
    "TypeMessage",
    "Update",
    "decode",
    "format_lsn",
    "parse_lsn",
]

PG_EPOCH: Final = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
"""PostgreSQL timestamps on the wire count microseconds from here."""

UNCHANGED_TOAST: Final = object()
"""Stands for a TOASTed column an UPDATE did not change: the server does not send its value."""

TupleValue = str | None | object
"""One column of a tuple: its text, ``None`` for NULL, or :data:`UNCHANGED_TOAST`."""


class PgOutputError(ValueError):
    """A payload that is not a pgoutput message this decoder knows."""


@dataclass(frozen=True)
class Begin:
    final_lsn: int
    """LSN of the transaction's commit record."""
    commit_time: dt.datetime
    xid: int


@dataclass(frozen=True)
class Commit:
    flags: int
    commit_lsn: int
    end_lsn: int
    """End of the commit record: the position to confirm once the transaction is delivered."""
    commit_time: dt.datetime


@dataclass(frozen=True)
class Origin:
    lsn: int
    name: str


@dataclass(frozen=True)
class RelationColumn:
    key: bool
    """Part of the replica identity (the primary key, with ``REPLICA IDENTITY DEFAULT``)."""
    name: str
    type_oid: int
    type_modifier: int


@dataclass(frozen=True)
class Relation:
    oid: int
    namespace: str
    name: str
    replica_identity: str
    """``d`` default, ``n`` nothing, ``f`` full, ``i`` index."""
    columns: tuple[RelationColumn, ...]


@dataclass(frozen=True)
class TypeMessage:
    oid: int
    namespace: str
    name: str


@dataclass(frozen=True)
class Insert:
    relation_oid: int
    new: tuple[TupleValue, ...]


@dataclass(frozen=True)
class Update:
    relation_oid: int
    old: tuple[TupleValue, ...] | None
    """The old row: all columns (``REPLICA IDENTITY FULL``), the old key (``K``, when the key
    changed) or ``None`` (the key did not change)."""
    old_is_key: bool
    new: tuple[TupleValue, ...]


@dataclass(frozen=True)
class Delete:
    relation_oid: int
    old: tuple[TupleValue, ...]
    old_is_key: bool


@dataclass(frozen=True)
class Truncate:
    options: int
    relation_oids: tuple[int, ...]


@dataclass(frozen=True)
class Message:
    """A ``pg_logical_emit_message`` message (only sent with the ``messages`` option)."""

    transactional: bool
    lsn: int
    prefix: str
    content: bytes


PgOutputMessage = (
    Begin | Commit | Origin | Relation | TypeMessage | Insert | Update | Delete | Truncate | Message
)

_I8 = struct.Struct(">b")
_I16 = struct.Struct(">h")
_I32 = struct.Struct(">i")
_U32 = struct.Struct(">I")
_I64 = struct.Struct(">q")
_U64 = struct.Struct(">Q")


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise PgOutputError(f"pgoutput message truncated at byte {self.pos} (needs {n} more)")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def byte(self) -> int:
        return int(_I8.unpack(self._take(1))[0])

    def char(self) -> str:
        return self._take(1).decode("ascii")

    def int16(self) -> int:
        return int(_I16.unpack(self._take(2))[0])

    def int32(self) -> int:
        return int(_I32.unpack(self._take(4))[0])

    def uint32(self) -> int:
        return int(_U32.unpack(self._take(4))[0])

    def int64(self) -> int:
        return int(_I64.unpack(self._take(8))[0])

    def uint64(self) -> int:
        return int(_U64.unpack(self._take(8))[0])

    def timestamp(self) -> dt.datetime:
        return PG_EPOCH + dt.timedelta(microseconds=self.int64())

    def string(self) -> str:
        end = self.data.find(b"\x00", self.pos)
        if end < 0:
            raise PgOutputError(f"unterminated string at byte {self.pos}")
        text = self.data[self.pos : end].decode("utf-8")
        self.pos = end + 1
        return text

    def tuple_data(self) -> tuple[TupleValue, ...]:
        # Inlined reads: this runs for every change and every column.
        data = self.data
        pos = self.pos
        size = len(data)
        try:
            (count,) = _I16.unpack_from(data, pos)
            pos += 2
            values: list[TupleValue] = []
            append = values.append
            for _ in range(count):
                kind = data[pos]
                pos += 1
                if kind == 0x74:  # 't'
                    (length,) = _I32.unpack_from(data, pos)
                    pos += 4
                    end = pos + length
                    if end > size:
                        raise PgOutputError(f"pgoutput message truncated at byte {pos}")
                    append(data[pos:end].decode("utf-8"))
                    pos = end
                elif kind == 0x6E:  # 'n'
                    append(None)
                elif kind == 0x75:  # 'u'
                    append(UNCHANGED_TOAST)
                elif kind == 0x62:  # 'b'
                    raise PgOutputError("binary tuple data was not asked for (binary=false)")
                else:
                    raise PgOutputError(f"unknown tuple data kind {chr(kind)!r}")
        except (struct.error, IndexError) as e:
            raise PgOutputError(f"pgoutput message truncated at byte {pos}") from e
        self.pos = pos
        return tuple(values)


def decode(payload: bytes) -> PgOutputMessage:
    """The message in one ``XLogData`` payload (:class:`PgOutputError` if malformed)."""
    if not payload:
        raise PgOutputError("empty pgoutput message")
    r = _Reader(bytes(payload))
    tag = r.char()
    if tag == "B":
        return Begin(r.uint64(), r.timestamp(), r.uint32())
    if tag == "C":
        return Commit(r.byte(), r.uint64(), r.uint64(), r.timestamp())
    if tag == "O":
        return Origin(r.uint64(), r.string())
    if tag == "R":
        oid = r.uint32()
        namespace = r.string() or "pg_catalog"
        name = r.string()
        identity = r.char()
        columns = []
        for _ in range(r.int16()):
            flags = r.byte()
            columns.append(RelationColumn(bool(flags & 1), r.string(), r.uint32(), r.int32()))
        return Relation(oid, namespace, name, identity, tuple(columns))
    if tag == "Y":
        oid = r.uint32()
        return TypeMessage(oid, r.string(), r.string())
    if tag == "I":
        oid = r.uint32()
        if r.char() != "N":
            raise PgOutputError("INSERT without a new tuple")
        return Insert(oid, r.tuple_data())
    if tag == "U":
        oid = r.uint32()
        kind = r.char()
        old: tuple[TupleValue, ...] | None = None
        old_is_key = False
        if kind in ("K", "O"):
            old_is_key = kind == "K"
            old = r.tuple_data()
            kind = r.char()
        if kind != "N":
            raise PgOutputError(f"UPDATE without a new tuple (got {kind!r})")
        return Update(oid, old, old_is_key, r.tuple_data())
    if tag == "D":
        oid = r.uint32()
        kind = r.char()
        if kind not in ("K", "O"):
            raise PgOutputError(f"DELETE without an old tuple (got {kind!r})")
        return Delete(oid, r.tuple_data(), kind == "K")
    if tag == "T":
        count = r.int32()
        options = r.byte()
        return Truncate(options, tuple(r.uint32() for _ in range(count)))
    if tag == "M":
        flags = r.byte()
        lsn = r.uint64()
        prefix = r.string()
        length = r.int32()
        return Message(bool(flags & 1), lsn, prefix, r._take(length))
    raise PgOutputError(f"unknown pgoutput message type {tag!r}")


def format_lsn(lsn: int) -> str:
    """PostgreSQL's ``XXX/XXXXXXXX`` form of an LSN."""
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def parse_lsn(text: str) -> int:
    """The integer LSN of PostgreSQL's ``XXX/XXXXXXXX`` text."""
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) | int(low, 16)
