"""A small LRU cache from input schema to derived schema, like Kafka's ``SynchronizedCache``.

Transforms that reshape records (Cast, Flatten, ReplaceField, ...) derive an output schema per
input schema; a steady stream carries the same schema object record after record, so the derived
schema is built once and found again by identity on the fast path.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Final, Generic, TypeVar

from sluice.api.schema import Schema

__all__ = ["SchemaCache"]

V = TypeVar("V")

DEFAULT_SIZE: Final = 16


class SchemaCache(Generic[V]):
    """Thread-safe LRU map keyed by :class:`Schema` (equal schemas share an entry)."""

    __slots__ = ("_entries", "_last", "_lock", "_size")

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[Schema, V] = OrderedDict()
        self._lock = threading.Lock()
        # (key, value) of the latest hit, swapped as one object so readers need no lock.
        self._last: tuple[Schema, V] | None = None

    def get(self, schema: Schema) -> V | None:
        last = self._last
        if last is not None and last[0] is schema:
            return last[1]
        with self._lock:
            value = self._entries.get(schema)
            if value is not None:
                self._entries.move_to_end(schema)
                self._last = (schema, value)
            return value

    def put(self, schema: Schema, value: V) -> None:
        with self._lock:
            self._entries[schema] = value
            self._entries.move_to_end(schema)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
            self._last = (schema, value)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._last = None
