"""Debezium's incremental snapshots, triggered by signals, for the PostgreSQL and MySQL/MariaDB
connectors alike.

A row inserted into the signal table (``signal.data.collection``, columns ``id``, ``type``,
``data``) reaches the connector through the change stream like any other change, so a signal is
acted on exactly where it was committed. ``execute-snapshot`` (``{"data-collections": [...],
"type": "incremental"}``) queues tables; they are then read chunk by chunk in primary key order
(``incremental.snapshot.chunk.size`` rows) while streaming goes on, with Debezium's watermarks
(the ``insert_insert`` strategy): before a chunk is read, a ``snapshot-window-open`` row is
inserted into the signal table, after it a ``snapshot-window-close`` row. Between the two
watermarks in the stream, any change to a key of the chunk drops that key's buffered row: the
change is newer than (or as new as) what the chunk read. At the close watermark the rows left
are emitted as read events (``op: r``, ``source.snapshot: incremental``), and the next chunk is
read. A read event therefore never follows a newer change of its row, and a row deleted before
its read event is not brought back. ``stop-snapshot``, ``pause-snapshot``, ``resume-snapshot``
and ``log`` signals are understood as well.

Progress goes into every source offset while a snapshot runs, under Debezium's keys and in its
encoding (``incremental_snapshot_collections`` as Jackson writes it,
``incremental_snapshot_primary_key`` and ``incremental_snapshot_maximum_key`` as the hex of a
Java-serialized ``Object[]``), so a restarted task, or Debezium itself, resumes after the last key
delivered.

The connectors supply the database side (:class:`ChunkSource`); everything else lives here once.
Bad input (unknown or keyless tables, malformed signals, a failing chunk query) is logged with
what to fix and skipped: a signal never fails the task.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import struct
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from sluice.api import ConfigDef, ConfigType, Importance, Range, SourceRecord, Struct

__all__ = [
    "CHUNK_SIZE",
    "COLLECTIONS",
    "CORRELATION_ID",
    "MAXIMUM_KEY",
    "PRIMARY_KEY",
    "SIGNAL_DATA_COLLECTION",
    "ChunkSource",
    "Collection",
    "IncrementalSnapshot",
    "chunk_query",
    "define_signals",
    "java_deserialize",
    "java_serialize",
    "key_values",
    "max_key_query",
    "parse_collection",
]

log = logging.getLogger(__name__)

SIGNAL_DATA_COLLECTION: Final = "signal.data.collection"
CHUNK_SIZE: Final = "incremental.snapshot.chunk.size"

COLLECTIONS: Final = "incremental_snapshot_collections"
PRIMARY_KEY: Final = "incremental_snapshot_primary_key"
MAXIMUM_KEY: Final = "incremental_snapshot_maximum_key"
CORRELATION_ID: Final = "incremental_snapshot_correlation_id"
_COLLECTION_ID: Final = "incremental_snapshot_collections_id"
_COLLECTION_CONDITION: Final = "incremental_snapshot_collections_additional_condition"
_COLLECTION_SURROGATE: Final = "incremental_snapshot_collections_surrogate_key"

EXECUTE_SNAPSHOT: Final = "execute-snapshot"
STOP_SNAPSHOT: Final = "stop-snapshot"
PAUSE_SNAPSHOT: Final = "pause-snapshot"
RESUME_SNAPSHOT: Final = "resume-snapshot"
WINDOW_OPEN: Final = "snapshot-window-open"
WINDOW_CLOSE: Final = "snapshot-window-close"
LOG: Final = "log"


def define_signals(d: ConfigDef, *, group: str, collection_format: str) -> None:
    """The signalling keys, defined once so both connectors document them alike."""
    d.define(
        SIGNAL_DATA_COLLECTION,
        ConfigType.STRING,
        None,
        importance=Importance.MEDIUM,
        documentation=f"The table ({collection_format}) signals are inserted into, with the "
        "columns id, type and data (strings). An execute-snapshot signal "
        '(data {"data-collections": ["<table>", ...], "type": "incremental"}) starts an '
        "incremental snapshot of those tables while changes stream; stop-snapshot stops it. The "
        "connector writes its window watermarks into the same table, so its user needs INSERT "
        "on it, and the table must be captured (include it in the include lists).",
        group=group,
        display_name="Signal table",
    )
    d.define(
        CHUNK_SIZE,
        ConfigType.INT,
        1024,
        Range.at_least(1),
        Importance.MEDIUM,
        "The maximum number of rows an incremental snapshot reads at once (one chunk, between "
        "two watermarks).",
        group,
        display_name="Incremental snapshot chunk size",
    )


def parse_collection(value: str | None, parts: str) -> tuple[str, str] | None:
    """``signal.data.collection`` as (namespace, table); ``None`` when unset. A value without
    exactly one dot is a :class:`ValueError` naming the key and the expected form."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    pieces = text.split(".")
    if len(pieces) != 2 or not all(pieces):
        raise ValueError(f"{SIGNAL_DATA_COLLECTION}='{text}' is not of the form {parts}")
    return pieces[0], pieces[1]


# -- Java serialization of Object[] (the offset's key encoding) -----------------------------------

_MAGIC: Final = b"\xac\xed\x00\x05"
_TC_NULL, _TC_REFERENCE, _TC_CLASSDESC, _TC_OBJECT = 0x70, 0x71, 0x72, 0x73
_TC_STRING, _TC_ARRAY, _TC_ENDBLOCKDATA, _TC_LONGSTRING = 0x74, 0x75, 0x78, 0x7C
_BASE_HANDLE: Final = 0x7E0000

_OBJECT_ARRAY_DESC: Final = (
    b"\x72\x00\x13[Ljava.lang.Object;\x90\xce\x58\x9f\x10\x73\x29\x6c\x02\x00\x00\x78\x70"
)
_NUMBER_DESC: Final = (
    b"\x72\x00\x10java.lang.Number\x86\xac\x95\x1d\x0b\x94\xe0\x8b\x02\x00\x00\x78\x70"
)
_INTEGER_DESC: Final = (
    b"\x72\x00\x11java.lang.Integer\x12\xe2\xa0\xa4\xf7\x81\x87\x38\x02\x00\x01"
    b"\x49\x00\x05value\x78"
)
_LONG_DESC: Final = (
    b"\x72\x00\x0ejava.lang.Long\x3b\x8b\xe4\x90\xcc\x8f\x23\xdf\x02\x00\x01\x4a\x00\x05value\x78"
)


def _modified_utf8(text: str) -> bytes:
    """Java's modified UTF-8: NUL as two bytes, characters beyond the BMP as surrogate pairs."""
    out = bytearray()
    units = text.encode("utf-16-be")
    for i in range(0, len(units), 2):
        c = (units[i] << 8) | units[i + 1]
        if 0 < c < 0x80:
            out.append(c)
        elif c < 0x800:
            out += bytes((0xC0 | (c >> 6), 0x80 | (c & 0x3F)))
        else:
            out += bytes((0xE0 | (c >> 12), 0x80 | ((c >> 6) & 0x3F), 0x80 | (c & 0x3F)))
    return bytes(out)


def _from_modified_utf8(raw: bytes) -> str:
    units: list[int] = []
    i = 0
    while i < len(raw):
        b = raw[i]
        if b < 0x80:
            units.append(b)
            i += 1
        elif b >> 5 == 0b110:
            units.append(((b & 0x1F) << 6) | (raw[i + 1] & 0x3F))
            i += 2
        else:
            units.append(((b & 0x0F) << 12) | ((raw[i + 1] & 0x3F) << 6) | (raw[i + 2] & 0x3F))
            i += 3
    return b"".join(u.to_bytes(2, "big") for u in units).decode("utf-16-be", "surrogatepass")


def java_serialize(values: Sequence[Any] | None) -> str:
    """The hex of ``ObjectOutputStream.writeObject(Object[])`` for ints (``Integer``, or
    ``Long`` beyond 32 bits) and strings, as Debezium stores chunk positions; ``None`` is Java's
    ``null``. Other values are written as their text (the databases compare text with the
    column's type), so the offset stays readable by Debezium."""
    if values is None:
        return (_MAGIC + bytes((_TC_NULL,))).hex()
    out = bytearray(_MAGIC)
    out.append(_TC_ARRAY)
    out += _OBJECT_ARRAY_DESC
    out += struct.pack(">i", len(values))
    handle = _BASE_HANDLE + 2  # 0: the array's class, 1: the array
    handles: dict[str, int] = {}
    for v in values:
        if isinstance(v, bool):
            v = str(v).lower()
        if isinstance(v, int) and -(2**63) <= v < 2**63:
            long = not -(2**31) <= v < 2**31
            name = "long" if long else "int"
            out.append(_TC_OBJECT)
            if name in handles:
                out += bytes((_TC_REFERENCE,)) + struct.pack(">I", handles[name])
            else:
                handles[name] = handle
                out += _LONG_DESC if long else _INTEGER_DESC
                handle += 1
                if "number" in handles:
                    out += bytes((_TC_REFERENCE,)) + struct.pack(">I", handles["number"])
                else:
                    handles["number"] = handle
                    out += _NUMBER_DESC
                    handle += 1
            handle += 1  # the object itself
            out += struct.pack(">q" if long else ">i", v)
            continue
        if v is None:
            out.append(_TC_NULL)
            continue
        raw = _modified_utf8(v if isinstance(v, str) else str(v))
        if len(raw) <= 0xFFFF:
            out.append(_TC_STRING)
            out += struct.pack(">H", len(raw))
        else:
            out.append(_TC_LONGSTRING)
            out += struct.pack(">Q", len(raw))
        out += raw
        handle += 1
    return bytes(out).hex()


class _Reader:
    """Just enough of Java's serialization grammar for arrays of boxed numbers and strings."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0
        self.handles: list[Any] = []

    def take(self, n: int) -> bytes:
        if self.at + n > len(self.data):
            raise ValueError("truncated")
        chunk = self.data[self.at : self.at + n]
        self.at += n
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def utf(self) -> str:
        (n,) = struct.unpack(">H", self.take(2))
        return _from_modified_utf8(self.take(n))

    def ref(self) -> Any:
        (h,) = struct.unpack(">I", self.take(4))
        return self.handles[h - _BASE_HANDLE]

    def class_desc(self) -> tuple[str, list[tuple[str, str]]] | None:
        """(class name, fields of the whole hierarchy, superclass first)."""
        tc = self.u8()
        if tc == _TC_NULL:
            return None
        if tc == _TC_REFERENCE:
            found = self.ref()
            if not isinstance(found, tuple):
                raise ValueError("a reference to a non-class where a class was expected")
            return found
        if tc != _TC_CLASSDESC:
            raise ValueError(f"unexpected type code 0x{tc:02x} for a class")
        name = self.utf()
        self.take(8 + 1)  # serialVersionUID, flags
        index = len(self.handles)
        self.handles.append(None)
        (count,) = struct.unpack(">H", self.take(2))
        fields: list[tuple[str, str]] = []
        for _ in range(count):
            code = chr(self.u8())
            field = self.utf()
            if code in "[L":
                raise ValueError(f"object field {field} of {name} is not supported")
            fields.append((code, field))
        if self.u8() != _TC_ENDBLOCKDATA:
            raise ValueError(f"annotations of {name} are not supported")
        parent = self.class_desc()
        desc = (name, [*(parent[1] if parent else []), *fields])
        self.handles[index] = desc
        return desc

    _PRIMITIVES: Final = {"B": ">b", "C": ">H", "D": ">d", "F": ">f", "I": ">i", "J": ">q"}

    def content(self) -> Any:
        tc = self.u8()
        if tc == _TC_NULL:
            return None
        if tc == _TC_REFERENCE:
            return self.ref()
        if tc == _TC_STRING:
            text = self.utf()
            self.handles.append(text)
            return text
        if tc == _TC_LONGSTRING:
            (n,) = struct.unpack(">Q", self.take(8))
            text = _from_modified_utf8(self.take(n))
            self.handles.append(text)
            return text
        if tc == _TC_ARRAY:
            desc = self.class_desc()
            if desc is None or not desc[0].startswith("[L"):
                raise ValueError(f"unsupported array class {desc and desc[0]}")
            index = len(self.handles)
            self.handles.append(None)
            (n,) = struct.unpack(">i", self.take(4))
            items = [self.content() for _ in range(n)]
            self.handles[index] = items
            return items
        if tc == _TC_OBJECT:
            desc = self.class_desc()
            if desc is None:
                raise ValueError("an object without a class")
            name, fields = desc
            index = len(self.handles)
            self.handles.append(None)
            values: dict[str, Any] = {}
            for code, field in fields:
                if code == "Z":
                    values[field] = self.u8() != 0
                elif code == "S":
                    (values[field],) = struct.unpack(">h", self.take(2))
                else:
                    fmt = self._PRIMITIVES[code]
                    (values[field],) = struct.unpack(fmt, self.take(struct.calcsize(fmt)))
            if name in (
                "java.lang.Integer",
                "java.lang.Long",
                "java.lang.Short",
                "java.lang.Byte",
                "java.lang.Boolean",
                "java.lang.Double",
                "java.lang.Float",
            ):
                value = values["value"]
            else:
                raise ValueError(f"values of class {name} are not supported")
            self.handles[index] = value
            return value
        raise ValueError(f"unexpected type code 0x{tc:02x}")


def java_deserialize(text: str) -> list[Any] | None:
    """The ``Object[]`` of :func:`java_serialize` (or of Debezium) back; a :class:`ValueError`
    for what it cannot read."""
    try:
        data = bytes.fromhex(text)
    except ValueError as e:
        raise ValueError(f"not hexadecimal: {e}") from None
    if not data.startswith(_MAGIC):
        raise ValueError("not a Java serialization stream")
    r = _Reader(data)
    r.at = len(_MAGIC)
    value = r.content()
    if value is not None and not isinstance(value, list):
        raise ValueError("not an array")
    return value


# -- the state machine -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Collection:
    """One table to snapshot, as ``incremental_snapshot_collections`` lists it."""

    id: str
    condition: str = ""
    surrogate_key: str = ""


def _collections_json(collections: Sequence[Collection]) -> str:
    return json.dumps(
        [
            {
                _COLLECTION_ID: c.id,
                _COLLECTION_CONDITION: c.condition or None,
                _COLLECTION_SURROGATE: c.surrogate_key or None,
            }
            for c in collections
        ],
        separators=(",", ":"),
    )


def _hashable(value: Any) -> Hashable:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, Struct):
        return key_values(value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value  # type: ignore[no-any-return]


def key_values(key: Struct) -> tuple[Hashable, ...]:
    """A record key as a hashable tuple: how the window matches stream events to its rows."""
    return tuple(_hashable(key.get(f)) for f in key.schema.fields)


class ChunkSource(Protocol):
    """What a connector does for the incremental snapshot: its database and its records.

    Table ids are ``namespace.table`` (schema for PostgreSQL, database for MySQL). Key values
    are the database's own (ints or text), in primary key order. Methods may raise on database
    errors: the snapshot logs them and skips the table.
    """

    def captured_tables(self) -> list[str]:
        """Every captured table id, to expand the regular expressions of a signal."""
        ...

    def primary_key(self, table: str) -> list[str] | None:
        """The table's key columns; ``None`` when the table does not exist or is not captured."""
        ...

    def max_key(self, table: str, key: list[str], condition: str) -> list[Any] | None:
        """The largest key (that the condition selects); ``None`` for an empty table."""
        ...

    def chunk(
        self,
        table: str,
        key: list[str],
        after: list[Any] | None,
        maximum: list[Any],
        limit: int,
        condition: str,
    ) -> list[tuple[list[Any], Any]]:
        """Up to ``limit`` (key, row) pairs with ``after < key <= maximum``, by key."""
        ...

    def row_key(self, table: str, row: Any) -> Struct | None:
        """The key of the record ``row`` becomes (as stream records of the table carry it)."""
        ...

    def read_record(self, table: str, row: Any, at: SourceRecord) -> SourceRecord:
        """The read event of ``row``, positioned where ``at`` (the close watermark) is."""
        ...

    def insert_signal(self, signal_id: str, signal_type: str, data: str) -> None:
        """Insert and commit one row into the signal table."""
        ...


def max_key_query(quote: Callable[[str], str], table: str, key: list[str], condition: str) -> str:
    """The SELECT of a table's largest key (``table`` already quoted), for PostgreSQL and MySQL
    alike: both order and limit the same way."""
    where = f" WHERE ({condition})" if condition else ""
    order = ", ".join(f"{quote(k)} DESC" for k in key)
    return f"SELECT {', '.join(quote(k) for k in key)} FROM {table}{where} ORDER BY {order} LIMIT 1"


def chunk_query(
    quote: Callable[[str], str],
    table: str,
    columns: str,
    key: list[str],
    after: list[Any] | None,
    maximum: list[Any],
    limit: int,
    condition: str,
) -> tuple[str, list[Any]]:
    """The SELECT of one chunk and its bound values: ``columns`` (SQL) of the rows with
    ``after < key <= maximum``, compared as row values (both databases have them), by key.

    The values are bound with ``%s`` placeholders, so the drivers read every ``%`` as one: the
    SQL's own (in a condition, a name) are doubled here.
    """

    def escape(sql: str) -> str:
        return sql.replace("%", "%%")

    row = escape("(" + ", ".join(quote(c) for c in key) + ")")
    placeholders = "(" + ", ".join(["%s"] * len(key)) + ")"
    where = [f"{row} <= {placeholders}"]
    params: list[Any] = list(maximum)
    if after is not None:
        where.insert(0, f"{row} > {placeholders}")
        params = [*after, *params]
    if condition:
        where.append(f"({escape(condition)})")
    order = ", ".join(str(i + 1) for i in range(len(key)))
    sql = (
        f"SELECT {escape(columns)} FROM {escape(table)} "
        f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT {int(limit)}"
    )
    return sql, params


def _key_text(values: Sequence[Any] | None) -> str:
    return "[]" if values is None else "[" + ", ".join(repr(v) for v in values) + "]"


def _native(values: Sequence[Any]) -> list[Any]:
    """Key values as offsets keep them: ints stay, the rest is their text."""
    return [
        v if (isinstance(v, int) and not isinstance(v, bool)) or v is None else str(v)
        for v in values
    ]


class IncrementalSnapshot:
    """One task's incremental snapshot: signals in, read events and offset fields out.

    Runs on the task thread; :meth:`process` takes each batch of stream records in order.
    """

    def __init__(
        self,
        source: ChunkSource,
        signal_table: str | None,
        chunk_size: int,
        namespace_field: str,
    ) -> None:
        self._source = source
        self._signal_table = signal_table
        self._chunk_size = chunk_size
        self._namespace_field = namespace_field
        self._collections: list[Collection] = []
        self._window: OrderedDict[Hashable, tuple[list[Any], Any]] = OrderedDict()
        self._window_open = False
        self._chunk_id: str | None = None
        self._chunk_end: list[Any] | None = None
        self._last_sent: list[Any] | None = None
        self._maximum: list[Any] | None = None
        self._correlation_id: str | None = None
        self._paused = False
        """``pause-snapshot``: no next chunk until ``resume-snapshot`` (not kept in offsets,
        as in Debezium)."""
        self._pending = False
        """Watermarks of a chunk are written and its close is not back yet."""
        self._json: tuple[tuple[Collection, ...], str] = ((), "[]")
        """The collections as offsets carry them, kept: they are written into every offset."""

    # -- state ------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return bool(self._collections)

    @property
    def collections(self) -> list[str]:
        return [c.id for c in self._collections]

    def restore(self, offset: Mapping[str, Any] | None) -> None:
        """Take up the snapshot a committed offset was in the middle of (Debezium's or ours)."""
        self._collections = []
        if not offset or not offset.get(COLLECTIONS):
            return
        try:
            listed = json.loads(str(offset[COLLECTIONS]))
            self._collections = [
                Collection(
                    str(c[_COLLECTION_ID]),
                    str(c.get(_COLLECTION_CONDITION) or ""),
                    str(c.get(_COLLECTION_SURROGATE) or ""),
                )
                for c in listed
            ]
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            log.error(
                "The stored offset's %s cannot be read (%s): the incremental snapshot it was "
                "taking is abandoned; send execute-snapshot again",
                COLLECTIONS,
                e,
            )
            return
        for name, attr in ((PRIMARY_KEY, "_chunk_end"), (MAXIMUM_KEY, "_maximum")):
            raw = offset.get(name)
            value: list[Any] | None = None
            if raw:
                try:
                    value = java_deserialize(str(raw))
                except (ValueError, IndexError, struct.error) as e:
                    log.warning(
                        "The stored offset's %s cannot be read (%s): table %s is snapshotted "
                        "again from its start",
                        name,
                        e,
                        self._collections[0].id,
                    )
                    self._chunk_end = self._maximum = None
                    break
            setattr(self, attr, value)
        self._last_sent = self._chunk_end
        cid = offset.get(CORRELATION_ID)
        self._correlation_id = None if cid is None else str(cid)
        log.info(
            "Resuming the incremental snapshot of %s after key %s",
            ", ".join(self.collections),
            _key_text(self._chunk_end),
        )

    def offset_fields(self) -> dict[str, Any]:
        """What every offset carries while a snapshot runs (Debezium's ``store``)."""
        if not self._collections:
            return {}
        return {
            PRIMARY_KEY: java_serialize(self._last_sent),
            MAXIMUM_KEY: java_serialize(self._maximum),
            COLLECTIONS: self._collections_json(),
            CORRELATION_ID: self._correlation_id,
        }

    def _collections_json(self) -> str:
        current = tuple(self._collections)
        if self._json[0] != current:
            self._json = (current, _collections_json(current))
        return self._json[1]

    def _stamp(self, record: SourceRecord, fields: Mapping[str, Any]) -> SourceRecord:
        offset = record.source_offset
        if offset is None:
            return record
        if fields:
            record.source_offset = {**offset, **fields}
        elif COLLECTIONS in offset:
            record.source_offset = {
                k: v
                for k, v in offset.items()
                if k not in (COLLECTIONS, PRIMARY_KEY, MAXIMUM_KEY, CORRELATION_ID)
            }
        return record

    def start(self) -> None:
        """Streaming (re)started: a snapshot restored from the offset reads its next chunk, as
        Debezium's ``init`` does (watermarks of chunks from before the restart are ignored)."""
        if self.running:
            self._read_chunk()

    # -- the stream ----------------------------------------------------------------------------
    def table_of(self, record: SourceRecord) -> str | None:
        value = record.value
        if not isinstance(value, Struct) or value.schema.field("source") is None:
            return None
        source = value.get("source")
        if not isinstance(source, Struct) or source.schema.field("table") is None:
            return None
        space, table = source.get(self._namespace_field), source.get("table")
        if space is None or table is None:
            return None
        return f"{space}.{table}"

    def process(self, records: list[SourceRecord]) -> list[SourceRecord]:
        """The batch with read events inserted where their close watermarks are, and every
        offset carrying the snapshot's progress."""
        if not self._collections and self._signal_table is None:
            return records
        out: list[SourceRecord] = []
        for record in records:
            table = self.table_of(record)
            if (
                table is not None
                and self._window_open
                and self._window
                and self._collections
                and table == self._collections[0].id
                and isinstance(record.key, Struct)
            ):
                dropped = self._window.pop(key_values(record.key), None)
                if dropped is not None:
                    log.debug("Removed %s from the window: the stream has a newer change", table)
            if table is not None and table == self._signal_table:
                op = record.value.get("op") if isinstance(record.value, Struct) else None
                if op == "c":
                    out.extend(self._signal(record))
            out.append(self._stamp(record, self.offset_fields()))
        return out

    # -- signals -------------------------------------------------------------------------------
    def _signal(self, record: SourceRecord) -> list[SourceRecord]:
        after = record.value.get("after")
        if not isinstance(after, Struct) or len(after.schema.fields) < 2:
            log.error(
                "A row of the signal table %s (%s) lacks the columns id, type and data: ignored",
                self._signal_table,
                SIGNAL_DATA_COLLECTION,
            )
            return []
        fields = after.schema.fields
        signal_id = str(after.get(fields[0]))
        kind = str(after.get(fields[1]) or "").strip()
        data = after.get(fields[2]) if len(fields) > 2 else None
        try:
            if kind == WINDOW_OPEN:
                self._open_window(signal_id)
            elif kind == WINDOW_CLOSE:
                return self._close_window(signal_id, record)
            elif kind == EXECUTE_SNAPSHOT:
                self._execute(signal_id, _document(signal_id, kind, data))
            elif kind == STOP_SNAPSHOT:
                self._stop(_document(signal_id, kind, data, required=False))
            elif kind == PAUSE_SNAPSHOT:
                log.info("Pausing incremental snapshot")
                self._paused = True
            elif kind == RESUME_SNAPSHOT:
                log.info("Resuming incremental snapshot")
                if self._paused:
                    self._paused = False
                    if not self._pending:
                        self._read_chunk()
            elif kind == LOG:
                message = _document(signal_id, kind, data).get("message")
                log.info("Signal %s: %s", signal_id, message)
            else:
                log.warning(
                    "Signal '%s' has the type '%s', which the connector does not know: ignored "
                    "(known: %s)",
                    signal_id,
                    kind,
                    ", ".join(
                        (EXECUTE_SNAPSHOT, STOP_SNAPSHOT, PAUSE_SNAPSHOT, RESUME_SNAPSHOT, LOG)
                    ),
                )
        except _BadSignal as e:
            log.error("Signal '%s' (%s) ignored: %s", signal_id, kind, e)
        except Exception as e:  # the database, typically: the stream must go on regardless
            log.error("Signal '%s' (%s) failed and is ignored: %s", signal_id, kind, e)
        return []

    def _open_window(self, signal_id: str) -> None:
        if self._chunk_id is None or not signal_id.startswith(self._chunk_id):
            log.info(
                "Received request to open window with id = '%s', expected = '%s', request ignored",
                signal_id,
                self._chunk_id,
            )
            return
        self._window_open = True

    def _close_window(self, signal_id: str, at: SourceRecord) -> list[SourceRecord]:
        if self._chunk_id is None or not signal_id.startswith(self._chunk_id):
            log.info(
                "Received request to close window with id = '%s', expected = '%s', request ignored",
                signal_id,
                self._chunk_id,
            )
            return []
        self._window_open = False
        out: list[SourceRecord] = []
        if self._collections and self._window:
            table = self._collections[0].id
            try:
                for native, row in self._window.values():
                    record = self._source.read_record(table, row, at)
                    self._last_sent = native
                    out.append(self._stamp(record, self.offset_fields()))
            except Exception as e:
                log.error(
                    "Incremental snapshot of table %s failed and is skipped: a row cannot be "
                    "made into a read event: %s",
                    table,
                    str(e).strip(),
                )
                self._next_table()
        self._window.clear()
        self._read_chunk()
        return out

    def _execute(self, signal_id: str, doc: Mapping[str, Any]) -> None:
        kind = str(doc.get("type") or "incremental").strip().lower()
        if kind != "incremental":
            raise _BadSignal(
                f"snapshot type '{kind}' is not supported (only 'incremental'); nothing was done"
            )
        names = doc.get("data-collections")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise _BadSignal(
                "'data-collections' must be a non-empty array of table names "
                f"(regular expressions), not {names!r}"
            )
        if doc.get("surrogate-key"):
            raise _BadSignal("'surrogate-key' is not supported: the primary key is used")
        conditions: list[tuple[re.Pattern[str], str]] = []
        legacy = doc.get("additional-condition")
        if isinstance(legacy, str) and legacy.strip():
            conditions.append((re.compile(".*"), legacy.strip()))
        raw_conditions = doc.get("additional-conditions") or []
        if not isinstance(raw_conditions, list):
            raise _BadSignal("'additional-conditions' must be an array")
        for c in raw_conditions:
            if (
                not isinstance(c, dict)
                or not isinstance(c.get("data-collection"), str)
                or not isinstance(c.get("filter"), str)
            ):
                raise _BadSignal(
                    "each of 'additional-conditions' needs the strings 'data-collection' and "
                    f"'filter', not {c!r}"
                )
            try:
                pattern = re.compile(c["data-collection"], re.IGNORECASE)
            except re.error as e:
                raise _BadSignal(f"'data-collection' {c['data-collection']!r}: {e}") from None
            conditions.append((pattern, c["filter"].strip()))
        tables = self._source.captured_tables()
        added: list[Collection] = []
        for name in (n.strip() for n in names):
            try:
                pattern = re.compile(name)
                matched = [t for t in tables if pattern.fullmatch(t)]
            except re.error:
                matched = []
            if not matched:
                matched = [name] if name in tables else []
            if not matched:
                log.error(
                    "Signal '%s': the data collection '%s' matches no captured table: skipped "
                    "(captured: %s)",
                    signal_id,
                    name,
                    ", ".join(tables) or "none",
                )
                continue
            for t in matched:
                condition = next((f for p, f in conditions if p.fullmatch(t)), "")
                collection = Collection(t, condition)
                if collection not in self._collections and collection not in added:
                    added.append(collection)
        if not added:
            return
        log.info(
            "Requested 'INCREMENTAL' snapshot of data collections '%s'",
            [c.id for c in added],
        )
        idle = not self._collections
        self._collections.extend(added)
        self._correlation_id = signal_id
        if idle:
            self._reset_table()
            self._read_chunk()

    def _stop(self, doc: Mapping[str, Any]) -> None:
        names = doc.get("data-collections")
        if not self._collections:
            log.info("stop-snapshot: no incremental snapshot is running")
            return
        if not names:
            log.info("Stopping the incremental snapshot of %s", ", ".join(self.collections))
            self._collections = []
            self._window.clear()
            self._window_open = False
            self._reset_table()
            return
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise _BadSignal(f"'data-collections' must be an array of table names, not {names!r}")
        for name in names:
            try:
                pattern = re.compile(name.strip())
            except re.error as e:
                raise _BadSignal(f"'{name}' is not a regular expression: {e}") from None
            for i, c in reversed(list(enumerate(self._collections))):
                if not pattern.fullmatch(c.id):
                    continue
                log.info("Stopping the incremental snapshot of %s", c.id)
                del self._collections[i]
                if i == 0:
                    # the pending close watermark then starts the next table
                    self._window.clear()
                    self._reset_table()

    # -- chunks --------------------------------------------------------------------------------
    def _reset_table(self) -> None:
        self._chunk_end = self._last_sent = self._maximum = None

    def _next_table(self) -> None:
        self._collections.pop(0)
        self._reset_table()
        if not self._collections:
            log.info("Incremental snapshot completed")

    def _read_chunk(self) -> None:
        """Debezium's ``readChunk``: open watermark, the next non-empty chunk, close watermark."""
        self._pending = False
        if not self._collections:
            self._chunk_id = None
            return
        if self._paused:
            log.info("Incremental snapshot was paused")
            return
        self._chunk_id = str(uuid.uuid4())
        stamp = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
        try:
            self._source.insert_signal(
                f"{self._chunk_id}-open", WINDOW_OPEN, json.dumps({"openWindowTimestamp": stamp})
            )
        except Exception as e:
            log.error(
                "Cannot write the watermark into the signal table %s (%s): %s. The incremental "
                "snapshot of %s is abandoned; grant INSERT on it and send execute-snapshot again",
                self._signal_table,
                SIGNAL_DATA_COLLECTION,
                str(e).strip(),
                ", ".join(self.collections),
            )
            self._collections = []
            self._window.clear()
            self._reset_table()
            self._chunk_id = None
            return
        while self._collections:
            current = self._collections[0]
            try:
                if self._fill_window(current):
                    break
            except Exception as e:
                log.error(
                    "Incremental snapshot of table %s failed and is skipped: %s%s",
                    current.id,
                    str(e).strip(),
                    f" (additional condition: {current.condition})" if current.condition else "",
                )
                self._window.clear()
            self._next_table()
        close = dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")
        try:
            self._source.insert_signal(
                f"{self._chunk_id}-close",
                WINDOW_CLOSE,
                json.dumps({"openWindowTimestamp": stamp, "closeWindowTimestamp": close}),
            )
            self._pending = True
        except Exception as e:
            log.error(
                "Cannot write the close watermark into %s (%s): %s; the incremental snapshot "
                "is abandoned",
                self._signal_table,
                SIGNAL_DATA_COLLECTION,
                str(e).strip(),
            )
            self._collections = []
            self._window.clear()
            self._reset_table()

    def _fill_window(self, current: Collection) -> bool:
        """Read the table's next chunk into the window; ``False`` when the table is done."""
        key = self._source.primary_key(current.id)
        if key is None:
            log.error(
                "Incremental snapshot: table %s does not exist or is not captured: skipped",
                current.id,
            )
            return False
        if not key:
            log.warning(
                "Incremental snapshot for table '%s' skipped cause the table has no primary keys",
                current.id,
            )
            return False
        if self._maximum is None:
            found = self._source.max_key(current.id, key, current.condition)
            if found is None:
                log.info(
                    "No maximum key returned by the query, incremental snapshotting of table "
                    "'%s' finished as it is empty",
                    current.id,
                )
                return False
            self._maximum = _native(found)
            log.info(
                "Incremental snapshot for table '%s' will end at position %s",
                current.id,
                _key_text(self._maximum),
            )
        rows = self._source.chunk(
            current.id, key, self._chunk_end, self._maximum, self._chunk_size, current.condition
        )
        if not rows:
            log.info(
                "No data returned by the query, incremental snapshotting of table '%s' finished",
                current.id,
            )
            return False
        self._window.clear()
        for native, row in rows:
            struct_key = self._source.row_key(current.id, row)
            self._window[key_values(struct_key) if struct_key is not None else id(row)] = (
                _native(native),
                row,
            )
        self._chunk_end = _native(rows[-1][0])
        return True


class _BadSignal(ValueError):
    """A signal that cannot be acted on; logged, never raised out of :meth:`process`."""


def _document(signal_id: str, kind: str, data: Any, required: bool = True) -> Mapping[str, Any]:
    if data is None or (isinstance(data, str) and not data.strip()):
        if required:
            raise _BadSignal("its 'data' column is empty; it must hold a JSON object")
        return {}
    text = data.decode() if isinstance(data, bytes) else str(data)
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise _BadSignal(f"its 'data' column is not JSON ({e}): {text[:200]!r}") from None
    if not isinstance(doc, dict):
        raise _BadSignal(f"its 'data' column must hold a JSON object, not {text[:200]!r}")
    return doc
