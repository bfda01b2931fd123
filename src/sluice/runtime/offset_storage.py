"""The source task's view of the offset store: read by partition map, written by the task loop."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sluice.api import OffsetStorageReader
from sluice.storage.offset_codec import decode_key, decode_value, encode_key, encode_value
from sluice.storage.offsets import OffsetBackingStore

__all__ = ["ConnectorOffsets", "StoreOffsetReader"]


class StoreOffsetReader(OffsetStorageReader):
    """Reads one connector's committed offsets."""

    def __init__(self, connector: str, store: OffsetBackingStore) -> None:
        self.connector = connector
        self.store = store

    def offset(self, partition: Mapping[str, Any]) -> dict[str, Any] | None:
        key = encode_key(self.connector, partition)
        found = self.store.get([key]).get(key)
        if found is not None:
            return decode_value(found)
        # A key written by another producer may order the partition's keys differently.
        wanted = dict(partition)
        for k in self.store.keys():  # noqa: SIM118 - a store, not a dict
            decoded = decode_key(k)
            if decoded is not None and decoded[0] == self.connector and decoded[1] == wanted:
                value = self.store.get([k]).get(k)
                return decode_value(value) if value is not None else None
        return None


class ConnectorOffsets:
    """All offsets of one connector, for the REST offsets endpoints."""

    def __init__(self, connector: str, store: OffsetBackingStore) -> None:
        self.connector = connector
        self.store = store

    def entries(self) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        out: list[tuple[dict[str, Any], dict[str, Any]]] = []
        keys = self.store.keys()
        values = self.store.get(keys)
        for k in keys:
            decoded = decode_key(k)
            if decoded is None or decoded[0] != self.connector or k not in values:
                continue
            value = decode_value(values[k])
            if value is not None:
                out.append((decoded[1], value))
        return out

    def write(self, offsets: Sequence[tuple[Mapping[str, Any], Mapping[str, Any] | None]]) -> None:
        self.store.set({encode_key(self.connector, p): encode_value(o) for p, o in offsets})

    def reset(self) -> None:
        self.write([(p, None) for p, _ in self.entries()])
