"""Record headers: an ordered multimap of keys to schema-tagged values."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from sluice.api.schema import Schema

__all__ = ["Header", "Headers"]


class Header(NamedTuple):
    """One header; ``schema`` may be ``None`` for schemaless values."""

    key: str
    value: Any
    schema: Schema | None = None

    def rename(self, key: str) -> Header:
        return Header(key, self.value, self.schema)


class Headers:
    """Headers of one record, in order; keys may repeat, as in Kafka.

    Mutating methods return ``self`` so calls chain as in Kafka's ``ConnectHeaders``.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[Header] | None = None) -> None:
        self._items: list[Header] = list(items) if items is not None else []

    def add(self, key: str, value: Any, schema: Schema | None = None) -> Headers:
        self._items.append(Header(key, value, schema))
        return self

    def add_header(self, header: Header) -> Headers:
        self._items.append(header)
        return self

    def last_with_name(self, key: str) -> Header | None:
        h: Header
        for h in reversed(self._items):
            if h.key == key:
                return h
        return None

    def all_with_name(self, key: str) -> list[Header]:
        return [h for h in self._items if h.key == key]

    def remove(self, key: str) -> Headers:
        self._items = [h for h in self._items if h.key != key]
        return self

    def retain_latest(self, key: str | None = None) -> Headers:
        """Keep only the last header of ``key`` (or of every key when ``None``)."""
        seen: set[str] = set()
        kept: list[Header] = []
        for h in reversed(self._items):
            if (key is None or h.key == key) and h.key in seen:
                continue
            seen.add(h.key)
            kept.append(h)
        kept.reverse()
        self._items = kept
        return self

    def clear(self) -> Headers:
        self._items.clear()
        return self

    def duplicate(self) -> Headers:
        return Headers(self._items)

    def __iter__(self) -> Iterator[Header]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Headers) and self._items == other._items

    def __hash__(self) -> int:
        return hash(tuple(h.key for h in self._items))

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"
