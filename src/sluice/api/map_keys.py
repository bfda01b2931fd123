"""Map keys that Python could not otherwise hold.

Connect maps may have arrays or maps as keys (Java hashes lists and maps by value); Python dicts
cannot, so such keys become :class:`HashableList`/:class:`HashableDict`, which still are a
``list``/``dict`` to every other piece of code.
"""

from __future__ import annotations

from typing import Any

__all__ = ["HashableDict", "HashableList", "as_map_key"]


class HashableList(list[Any]):
    """A list usable as a dict key (hashed by content, like ``java.util.List``)."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self))


class HashableDict(dict[Any, Any]):
    """A dict usable as a dict key (hashed by content, like ``java.util.Map``)."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))


def as_map_key(value: Any) -> Any:
    """``value`` in a form that can key a dict: unchanged when already hashable."""
    if isinstance(value, list):
        return HashableList(as_map_key(v) for v in value)
    if isinstance(value, dict):
        return HashableDict((as_map_key(k), as_map_key(v)) for k, v in value.items())
    if isinstance(value, bytearray):
        return bytes(value)
    return value
