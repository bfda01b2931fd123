"""``String.hashCode`` and the iteration order of ``java.util.HashSet``/``HashMap``.

Kafka lists some things in the order a hash set happens to hold them: the valid values of a
case-insensitive config, the connectors of a rebalance assignment, the keys of a source partition
written to the offsets topic. Byte-compatible output means iterating in that same order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar, cast

__all__ = ["hash_set_capacity", "hash_set_order", "string_hash"]

_T = TypeVar("_T")


def string_hash(s: str) -> int:
    """``String.hashCode`` over UTF-16 code units, as an unsigned 32-bit int."""
    h = 0
    data = s.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + int.from_bytes(data[i : i + 2], "big")) & 0xFFFFFFFF
    return h


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
    buckets = capacity
    while len(unique) > buckets * 3 // 4:
        buckets *= 2

    code = hash_code if hash_code is not None else cast(Callable[[_T], int], string_hash)

    def bucket(item: _T) -> int:
        h = code(item)
        return (h ^ (h >> 16)) & (buckets - 1)

    return sorted(unique, key=bucket)


def hash_set_capacity(size: int) -> int:
    """The table size of ``new HashSet<>(collection)`` for a collection of ``size`` elements
    (Java 17: room for ``size / 0.75 + 1`` elements, at least 16, rounded up to a power of two).
    """
    wanted = max(int(size / 0.75) + 1, 16)
    return 1 << (wanted - 1).bit_length()
