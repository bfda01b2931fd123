"""``String.hashCode`` and the iteration order of ``java.util.HashSet``/``HashMap``.

Kafka lists some things in the order a hash set happens to hold them: the valid values of a
case-insensitive config, the connectors of a rebalance assignment, the keys of a source partition
written to the offsets topic. Its JsonConverter reads JSON objects into ``HashMap``s and its SMTs
copy schemaless values into new ones, so FileStreamSink, StringConverter and JsonConverter print a
map's entries in hash-table order. Byte-compatible output means iterating in that same order.
"""

from __future__ import annotations

import struct as _struct
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Generic, TypeVar, cast

__all__ = [
    "ShapeCache",
    "as_hash_map",
    "as_hash_maps",
    "double_hash",
    "float_hash",
    "hash_map_copy",
    "hash_map_copy_capacity",
    "hash_map_order",
    "hash_set_capacity",
    "hash_set_order",
    "long_hash",
    "string_hash",
    "table_size_for",
]

_T = TypeVar("_T")
_V = TypeVar("_V")
_P = TypeVar("_P")


def string_hash(s: str) -> int:
    """``String.hashCode`` over UTF-16 code units, as an unsigned 32-bit int."""
    h = 0
    if s.isascii() or max(s) <= "\uffff":  # one UTF-16 unit per character
        for c in s:
            h = (31 * h + ord(c)) & 0xFFFFFFFF
        return h
    data = s.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + int.from_bytes(data[i : i + 2], "big")) & 0xFFFFFFFF
    return h


def long_hash(v: int) -> int:
    """``Long.hashCode`` (and ``java.util.Date``'s, of its milliseconds), unsigned."""
    u = v & 0xFFFFFFFFFFFFFFFF
    return (u ^ (u >> 32)) & 0xFFFFFFFF


def double_hash(v: float) -> int:
    """``Double.hashCode``: of ``doubleToLongBits``, which makes every NaN the same."""
    bits = 0x7FF8000000000000 if v != v else _struct.unpack(">Q", _struct.pack(">d", v))[0]
    return long_hash(bits)


def float_hash(v: float) -> int:
    """``Float.hashCode``: ``floatToIntBits`` of the value as a float."""
    return 0x7FC00000 if v != v else _struct.unpack(">I", _struct.pack(">f", v))[0]


def hash_set_order(
    items: Iterable[_T],
    hash_code: Callable[[_T], int] | None = None,
    capacity: int = 16,
) -> list[_T]:
    """The iteration order of a ``java.util.HashSet`` (or a ``HashMap``'s keys) filled with
    ``items`` one by one.

    ``hash_code`` is the element's ``hashCode`` as an unsigned 32-bit int (default: a string's);
    ``capacity`` is the table size the set starts with (16 for ``new HashSet<>()``,
    :func:`hash_set_capacity` for ``new HashSet<>(collection)``). Java walks the table
    bucket by bucket and each bucket in insertion order (resizing keeps that order), which is
    what the stable sort reproduces. Not reproduced: buckets of eight or more colliding keys in a
    table of 64 or more, which Java turns into trees.
    """
    unique = list(dict.fromkeys(items))
    buckets = _grown(capacity, len(unique))
    code = hash_code if hash_code is not None else cast(Callable[[_T], int], string_hash)

    def bucket(item: _T) -> int:
        h = code(item)
        return (h ^ (h >> 16)) & (buckets - 1)

    return sorted(unique, key=bucket)


def _grown(capacity: int, size: int) -> int:
    """The table size after ``size`` puts into a table of ``capacity``: Java doubles it as soon
    as the entries outnumber three quarters of it."""
    while size > capacity * 3 // 4:
        capacity *= 2
    return capacity


def hash_set_capacity(size: int) -> int:
    """The table size of ``new HashSet<>(collection)`` for a collection of ``size`` elements
    (Java 17: room for ``size / 0.75 + 1`` elements, at least 16, rounded up to a power of two).
    """
    return table_size_for(max(int(size / 0.75) + 1, 16))


def table_size_for(capacity: int) -> int:
    """The table size of ``new HashMap<>(capacity)``: the power of two at or above it (or 1)."""
    return 1 if capacity <= 1 else 1 << (capacity - 1).bit_length()


def hash_map_copy_capacity(size: int) -> int:
    """The table size of ``new HashMap<>(map)`` for a map of ``size`` entries, as Java 17 sizes it
    (room for ``size / 0.75 + 1`` entries; an empty map leaves the default of 16). Java 19 and
    later size it for ``size / 0.75`` rounded up, which differs only for 3, 6, 12, 24... entries,
    and then only if no later put grows the table anyway."""
    return 16 if size == 0 else table_size_for(int(size / 0.75 + 1))


class ShapeCache(Generic[_P]):
    """What ``make`` gives for a map's key tuple (its shape), made once per shape.

    Schemaless records of one stream share a few shapes, so the hash-order sort behind a plan
    runs once per shape. The cache is emptied when it fills, so that maps keyed by data (user
    ids, ...) cannot grow it without bound, and maps of more than 64 keys are not held at all.
    """

    __slots__ = ("_make", "held")

    def __init__(self, make: Callable[[tuple[Any, ...]], _P]) -> None:
        self._make = make
        self.held: dict[tuple[Any, ...], _P] = {}
        """The plans made so far, for loops that look them up without a call."""

    def __call__(self, keys: tuple[Any, ...]) -> _P:
        try:
            return self.held[keys]
        except KeyError:
            plan = self._make(keys)
            if len(keys) <= _CACHED_KEYS:
                if len(self.held) >= _CACHED_SHAPES:
                    self.held.clear()
                self.held[keys] = plan
            return plan


_CACHED_SHAPES: Final = 4096
_CACHED_KEYS: Final = 64
_HASHES: Final[dict[str, int]] = {}


def hash_map_order(keys: Iterable[Any], capacity: int = 16) -> list[Any]:
    """``keys`` in the order a ``java.util.HashMap`` that starts with a table of ``capacity``
    (16 for ``new HashMap<>()``; :func:`table_size_for` and :func:`hash_map_copy_capacity` for
    the other constructors) iterates them after they were put in this order (a repeated key
    keeps its first place). Only string keys (those of every JSON object) have a hash reproduced
    here: keys of other types are left in their order.
    """
    unique = list(dict.fromkeys(keys))
    if not all(type(k) is str for k in unique):
        return unique
    return hash_set_order(unique, _cached_string_hash, capacity)


def _cached_string_hash(key: str) -> int:
    hashes = _HASHES
    h = hashes.get(key)
    if h is None:
        if len(hashes) >= _CACHED_SHAPES * 4:
            hashes.clear()
        h = hashes[key] = string_hash(key)
    return h


def _reordering(capacity: int) -> ShapeCache[dict[Any, None] | None]:
    """Per shape, a template of the keys in iteration order (a dict of Nones, which ``copy``
    then ``update`` fill in half the time a comprehension takes), or None if nothing moves."""

    def template(keys: tuple[Any, ...]) -> dict[Any, None] | None:
        order = hash_map_order(keys, capacity)
        return None if order == list(keys) else dict.fromkeys(order)

    return ShapeCache(template)


_REORDERINGS: Final[dict[int, ShapeCache[dict[Any, None] | None]]] = {}


def as_hash_map(entries: dict[Any, _V], capacity: int = 16) -> dict[Any, _V]:
    """``entries`` in the order of :func:`hash_map_order`: ``entries`` itself when that is the
    order they are in, else a new dict."""
    return as_hash_maps([entries], capacity)[0]


def hash_map_copy(
    original: Mapping[Any, _V], puts: Mapping[Any, _V] | None = None
) -> dict[Any, _V]:
    """``new HashMap<>(original)`` then a ``put`` of each of ``puts``, in their order: a new dict
    in the order that map iterates. Kafka's SMTs that edit a schemaless value build it so."""
    updated = dict(original)
    if puts:
        updated.update(puts)
    return as_hash_map(updated, hash_map_copy_capacity(len(original)))


def as_hash_maps(maps: list[dict[Any, _V]], capacity: int = 16) -> list[dict[Any, _V]]:
    """:func:`as_hash_map` of each map, in one loop for a batch of decoded JSON objects."""
    reordering = _REORDERINGS.get(capacity)
    if reordering is None:
        reordering = _REORDERINGS.setdefault(capacity, _reordering(capacity))
    held = reordering.held
    out: list[dict[Any, _V]] = []
    append = out.append
    for entries in maps:
        keys = tuple(entries)
        template = held.get(keys, _UNKNOWN) if len(keys) > 1 else None
        if template is _UNKNOWN:
            template = reordering(keys)
        if template is None:
            append(entries)
        else:
            ordered: dict[Any, Any] = template.copy()
            ordered.update(entries)  # the same keys: values replaced in place, order kept
            append(ordered)
    return out


_UNKNOWN: Final[Any] = object()
