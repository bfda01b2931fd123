"""Kafka Connect's group protocol: member metadata and assignments, byte for byte.

Workers join the group with protocol type ``connect`` and offer subprotocols by preference:
``sessioned`` (v2), ``compatible`` (v1), ``default`` (v0, eager). The bytes are those of Java's
``ConnectProtocol`` (v0) and ``IncrementalCooperativeConnectProtocol`` (v1, v2), so a sluice worker
and a Java worker can read each other's metadata and assignments.

The encoding is Kafka's protocol types: STRING is an int16 length and UTF-8, ARRAY an int32 count
(-1 for null), NULLABLE_BYTES an int32 length (-1 for null), integers big-endian. Java writes the
connectors of an assignment in the iteration order of a ``HashSet`` built from them, so
:func:`group_by_connector` reproduces that order: a Java worker and a sluice leader then hand out
identical bytes for the same assignment, which keeps group state comparable across the two.

Readers follow Java's: every version is read with the v1 layout, fields missing at the end of an
assignment read as their defaults (no connectors, no revocations, no delay) and bytes after the
last known field are ignored, so a newer worker's additions do not break an older reader.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Final, TypeVar

from sluice.jdk.hashing import hash_set_capacity, hash_set_order
from sluice.storage.states import ConnectorTaskId

__all__ = [
    "CONFIG_MISMATCH",
    "CONNECTOR_TASK",
    "CONNECT_PROTOCOL_V0",
    "CONNECT_PROTOCOL_V1",
    "CONNECT_PROTOCOL_V2",
    "NO_ERROR",
    "Compatibility",
    "ExtendedAssignment",
    "ExtendedWorkerState",
    "ProtocolError",
    "deserialize_assignment",
    "deserialize_metadata",
    "group_by_connector",
    "metadata_request",
    "serialize_assignment",
    "serialize_metadata",
]

CONNECT_PROTOCOL_V0: Final = 0
CONNECT_PROTOCOL_V1: Final = 1
CONNECT_PROTOCOL_V2: Final = 2

NO_ERROR: Final = 0
CONFIG_MISMATCH: Final = 1

CONNECTOR_TASK: Final = -1
"""The task id that stands for the connector instance itself in an assignment."""


class ProtocolError(ValueError):
    """Bytes that are not Connect group metadata or assignment (Kafka's ``SchemaException``)."""


def _equals_ignore_case(a: str, b: str) -> bool:
    """``String.equalsIgnoreCase``: char by char, equal when upper or lower cases match."""
    if len(a) != len(b):
        return False
    pairs = zip(a, b, strict=True)
    return all(x == y or x.upper() == y.upper() or x.lower() == y.lower() for x, y in pairs)


class Compatibility(enum.Enum):
    """``connect.protocol``: which subprotocols a worker offers (Java's
    ``ConnectProtocolCompatibility``)."""

    EAGER = ("default", CONNECT_PROTOCOL_V0)
    COMPATIBLE = ("compatible", CONNECT_PROTOCOL_V1)
    SESSIONED = ("sessioned", CONNECT_PROTOCOL_V2)

    @property
    def protocol(self) -> str:
        """The subprotocol name sent in JoinGroup."""
        return self.value[0]

    @property
    def version(self) -> int:
        return self.value[1]

    def __str__(self) -> str:
        """The ``connect.protocol`` value, as Java prints the mode."""
        return self.name.lower()

    @classmethod
    def from_config(cls, value: str) -> Compatibility:
        """From ``connect.protocol`` (``eager``, ``compatible``, ``sessioned``; any case)."""
        for mode in cls:
            if _equals_ignore_case(mode.name, value):
                return mode
        raise ValueError(f"Unknown Connect protocol compatibility mode: {value}")

    @classmethod
    def from_protocol(cls, protocol: str) -> Compatibility:
        """From a subprotocol name (``default``, ``compatible``, ``sessioned``)."""
        for mode in cls:
            if _equals_ignore_case(mode.protocol, protocol):
                return mode
        raise ValueError(f"Not found Connect protocol compatibility mode for protocol: {protocol}")

    @classmethod
    def from_version(cls, version: int) -> Compatibility:
        for mode in cls:
            if mode.version == version:
                return mode
        raise ValueError(f"Unknown Connect protocol version: {version}")


@dataclass
class ExtendedAssignment:
    """What the leader hands one member: its connectors and tasks, what it must give up, and how
    long until the next rebalance (``delay`` in milliseconds, as on the wire)."""

    version: int
    error: int
    leader: str | None
    leader_url: str | None
    offset: int
    connectors: list[str] = field(default_factory=list)
    tasks: list[ConnectorTaskId] = field(default_factory=list)
    revoked_connectors: list[str] = field(default_factory=list)
    revoked_tasks: list[ConnectorTaskId] = field(default_factory=list)
    delay: int = 0

    def failed(self) -> bool:
        return self.error != NO_ERROR

    @classmethod
    def empty(cls) -> ExtendedAssignment:
        return cls(CONNECT_PROTOCOL_V1, NO_ERROR, None, None, -1)

    def copy(self) -> ExtendedAssignment:
        return ExtendedAssignment(
            self.version,
            self.error,
            self.leader,
            self.leader_url,
            self.offset,
            list(self.connectors),
            list(self.tasks),
            list(self.revoked_connectors),
            list(self.revoked_tasks),
            self.delay,
        )


@dataclass
class ExtendedWorkerState:
    """A member's metadata: its REST URL, how far it read the config topic and (v1+) what it
    runs now."""

    url: str
    offset: int
    assignment: ExtendedAssignment | None = None


# -- writing -----------------------------------------------------------------------------------

_INT16 = struct.Struct(">h")
_INT32 = struct.Struct(">i")
_INT64 = struct.Struct(">q")
_STRING_MAX = 0x7FFF


def _string(out: list[bytes], value: str | None, name: str) -> None:
    if value is None:
        raise ProtocolError(f"Missing value for field '{name}' which has no default value.")
    data = value.encode("utf-8")
    if len(data) > _STRING_MAX:
        raise ProtocolError(f"String length {len(data)} is larger than the maximum string length.")
    out.append(_INT16.pack(len(data)))
    out.append(data)


def _connector_assignments(out: list[bytes], layout: dict[str, list[int]]) -> None:
    out.append(_INT32.pack(len(layout)))
    for connector, tasks in layout.items():
        _string(out, connector, "connector")
        out.append(_INT32.pack(len(tasks)))
        out.extend(_INT32.pack(task) for task in tasks)


def _is_empty(assignment: ExtendedAssignment) -> bool:
    """Java's ``ExtendedAssignment.empty()``, which members send as a null allocation."""
    return (
        assignment.leader is None
        and assignment.leader_url is None
        and assignment.error == NO_ERROR
        and assignment.offset == -1
        and not assignment.connectors
        and not assignment.tasks
        and not assignment.revoked_connectors
        and not assignment.revoked_tasks
        and assignment.delay == 0
    )


def _assignment_bytes(assignment: ExtendedAssignment, version: int) -> bytes:
    """``assignment`` with header ``version``: the v0 layout for 0, the v1 layout otherwise."""
    if version not in (CONNECT_PROTOCOL_V0, CONNECT_PROTOCOL_V1, CONNECT_PROTOCOL_V2):
        raise ValueError(f"Unknown Connect protocol version: {version}")
    out = [_INT16.pack(version), _INT16.pack(assignment.error)]
    _string(out, assignment.leader, "leader")
    _string(out, assignment.leader_url, "leader-url")
    out.append(_INT64.pack(assignment.offset))
    _connector_assignments(out, group_by_connector(assignment.connectors, assignment.tasks))
    if version >= CONNECT_PROTOCOL_V1:
        revoked = group_by_connector(
            assignment.revoked_connectors, assignment.revoked_tasks, revoked=True
        )
        _connector_assignments(out, revoked)
        out.append(_INT32.pack(assignment.delay))
    return b"".join(out)


def serialize_metadata(state: ExtendedWorkerState, version: int) -> bytes:
    """Member metadata with the given header version (0, 1 or 2).

    From v1 on, the member's current assignment travels inside as NULLABLE_BYTES, written with the
    same header version as the metadata (as Java does); no assignment, or an empty one, is null.
    """
    if version not in (CONNECT_PROTOCOL_V0, CONNECT_PROTOCOL_V1, CONNECT_PROTOCOL_V2):
        raise ValueError(f"Unknown Connect protocol version: {version}")
    out = [_INT16.pack(version)]
    _string(out, state.url, "url")
    out.append(_INT64.pack(state.offset))
    if version >= CONNECT_PROTOCOL_V1:
        assignment = state.assignment
        if assignment is None or _is_empty(assignment):
            out.append(_INT32.pack(-1))
        else:
            allocation = _assignment_bytes(assignment, version)
            out.append(_INT32.pack(len(allocation)))
            out.append(allocation)
    return b"".join(out)


def metadata_request(
    state: ExtendedWorkerState, compatibility: Compatibility
) -> list[tuple[str, bytes]]:
    """``(subprotocol, metadata)`` pairs for JoinGroup, most preferred first."""
    modes = [mode for mode in reversed(Compatibility) if mode.version <= compatibility.version]
    return [(mode.protocol, serialize_metadata(state, mode.version)) for mode in modes]


def serialize_assignment(assignment: ExtendedAssignment) -> bytes:
    """``assignment.version`` 0 writes only the v0 fields; 1 and 2 add ``revoked`` and ``delay``."""
    return _assignment_bytes(assignment, assignment.version)


def group_by_connector(
    connectors: Collection[str], tasks: Collection[ConnectorTaskId], *, revoked: bool = False
) -> dict[str, list[int]]:
    """The wire layout of an assignment: connector -> task ids, -1 for the connector itself.

    Assigned connectors come first in the order of a ``HashSet`` built from ``connectors`` (Java's
    ``Assignment.asMap``); with ``revoked`` they keep their given order, duplicates dropped (Java's
    ``revokedAsMap``). Then each task joins its connector's entry, a connector seen only through
    its tasks being added in the order its first task appears.
    """
    if revoked:
        order: Iterable[str] = dict.fromkeys(connectors)
    else:
        order = hash_set_order(connectors, capacity=hash_set_capacity(len(connectors)))
    layout: dict[str, list[int]] = {connector: [CONNECTOR_TASK] for connector in order}
    for task in tasks:
        layout.setdefault(task.connector, []).append(task.task)
    return layout


# -- reading -----------------------------------------------------------------------------------

_T = TypeVar("_T")


class _Reader:
    """A cursor over protocol bytes; every failure is a :class:`ProtocolError` naming the field."""

    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.pos = 0

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def _take(self, size: int) -> memoryview:
        if size > self.remaining():
            raise ProtocolError(f"needs {size} bytes, only {self.remaining()} available")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def int16(self) -> int:
        value: int = _INT16.unpack(self._take(2))[0]
        return value

    def int32(self) -> int:
        value: int = _INT32.unpack(self._take(4))[0]
        return value

    def int64(self) -> int:
        value: int = _INT64.unpack(self._take(8))[0]
        return value

    def string(self) -> str:
        size = self.int16()
        if size < 0:
            raise ProtocolError(f"String length {size} cannot be negative")
        if size > self.remaining():
            raise ProtocolError(
                f"Error reading string of length {size}, only {self.remaining()} bytes available"
            )
        return bytes(self._take(size)).decode("utf-8", errors="replace")

    def nullable_bytes(self) -> bytes | None:
        size = self.int32()
        if size < 0:
            return None
        if size > self.remaining():
            raise ProtocolError(
                f"Error reading bytes of size {size}, only {self.remaining()} bytes available"
            )
        return bytes(self._take(size))

    def array(self, element: Callable[[], _T], nullable: bool) -> list[_T] | None:
        size = self.int32()
        if size < 0:
            if nullable:
                return None
            raise ProtocolError(f"Array size {size} cannot be negative")
        if size > self.remaining():
            raise ProtocolError(
                f"Error reading array of size {size}, only {self.remaining()} bytes available"
            )
        return [element() for _ in range(size)]

    def field(self, name: str, read: Callable[[], _T]) -> _T:
        try:
            return read()
        except ProtocolError as e:
            raise ProtocolError(f"Error reading field '{name}': {e}") from None

    def required(self, name: str, read: Callable[[], _T]) -> _T:
        """A field without a default in a schema that tolerates missing trailing fields."""
        if not self.remaining():
            raise ProtocolError(f"Missing value for field '{name}' which has no default value.")
        return self.field(name, read)

    def optional(self, name: str, read: Callable[[], _T], default: _T) -> _T:
        """A field of a schema that tolerates missing trailing fields: absent means default."""
        return self.field(name, read) if self.remaining() else default


def _read_header(reader: _Reader) -> int:
    version = reader.field("version", reader.int16)
    if version < CONNECT_PROTOCOL_V0:
        raise ProtocolError(f"Unsupported subscription version: {version}")
    return version


def _read_connector_assignment(reader: _Reader) -> tuple[str, list[int]]:
    connector = reader.field("connector", reader.string)
    tasks = reader.field("tasks", lambda: reader.array(reader.int32, nullable=False))
    return connector, tasks or []


def _split(
    entries: list[tuple[str, list[int]]] | None,
) -> tuple[list[str], list[ConnectorTaskId]]:
    connectors: list[str] = []
    tasks: list[ConnectorTaskId] = []
    for connector, ids in entries or []:
        for task in ids:
            if task == CONNECTOR_TASK:
                connectors.append(connector)
            else:
                tasks.append(ConnectorTaskId(connector, task))
    return connectors, tasks


def _read_assignment(reader: _Reader) -> ExtendedAssignment:
    version = _read_header(reader)
    error = reader.required("error", reader.int16)
    leader = reader.required("leader", reader.string)
    leader_url = reader.required("leader-url", reader.string)
    offset = reader.required("config-offset", reader.int64)

    def entries() -> list[tuple[str, list[int]]] | None:
        return reader.array(lambda: _read_connector_assignment(reader), nullable=True)

    assigned = reader.optional("assignment", entries, None)
    revoked = reader.optional("revoked", entries, None)
    delay = reader.optional("delay", reader.int32, 0)
    connectors, tasks = _split(assigned)
    revoked_connectors, revoked_tasks = _split(revoked)
    return ExtendedAssignment(
        version,
        error,
        leader,
        leader_url,
        offset,
        connectors,
        tasks,
        revoked_connectors,
        revoked_tasks,
        delay,
    )


def deserialize_metadata(data: bytes) -> ExtendedWorkerState:
    """Any version; the version read from the header is not returned (the subprotocol says it).

    A v0 member, or a v1+ member with nothing assigned, reads with ``assignment`` None (Java
    substitutes its empty assignment there).
    """
    reader = _Reader(data)
    _read_header(reader)
    url = reader.field("url", reader.string)
    offset = reader.field("config-offset", reader.int64)
    allocation = reader.optional("allocation", reader.nullable_bytes, None)
    assignment = None if allocation is None else _read_assignment(_Reader(allocation))
    return ExtendedWorkerState(url, offset, assignment)


def deserialize_assignment(data: bytes) -> ExtendedAssignment:
    """Any version; missing trailing fields read as empty, as Java reads them."""
    return _read_assignment(_Reader(data))
