"""Source offsets as Kafka Connect stores them.

Keys are the JSON array ``["<connector>", {partition}]`` and values the JSON offset map, both
compact (no spaces) as the schemaless ``JsonConverter`` writes them. Using the same bytes in the
standalone file and in the distributed offsets topic keeps the two interchangeable with Kafka
Connect's topic format.

Kafka Connect finds an offset by the bytes of its key, so sluice must write a key exactly as a Java
worker would for the same partition. Java connectors build their partition maps as ``HashMap``\\ s,
and JsonConverter writes a map's entries in iteration order; :func:`encode_key` therefore writes
the partition's keys in ``HashMap`` order (and :func:`encode_value` the offset's, for symmetry),
with strings escaped and doubles printed as Jackson does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from sluice.jdk.hashing import hash_set_order
from sluice.storage.internal_json import encode, java_double

__all__ = ["decode_key", "decode_value", "encode_key", "encode_value", "java_map_order"]

_decoder = msgspec.json.Decoder()


def java_map_order(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` re-ordered as a ``java.util.HashMap`` filled with them iterates, doubles as
    Jackson prints them. Maps with non-string keys (which Kafka Connect refuses as offsets) keep
    their order."""
    if not all(type(k) is str for k in values):
        return dict(values)
    ordered = {k: values[k] for k in hash_set_order(values)}
    return {k: java_double(v) if type(v) is float else v for k, v in ordered.items()}


def encode_key(connector: str, partition: Mapping[str, Any]) -> bytes:
    return encode([connector, java_map_order(partition)])


def encode_value(offset: Mapping[str, Any] | None) -> bytes | None:
    return None if offset is None else encode(java_map_order(offset))


def decode_key(key: bytes) -> tuple[str, dict[str, Any]] | None:
    """``(connector, partition)``, or ``None`` for keys that are not Connect offset keys."""
    try:
        parsed = _decoder.decode(key)
    except msgspec.DecodeError:
        return None
    if (
        not isinstance(parsed, list)
        or len(parsed) != 2
        or not isinstance(parsed[0], str)
        or not isinstance(parsed[1], dict)
    ):
        return None
    return parsed[0], parsed[1]


def decode_value(value: bytes | None) -> dict[str, Any] | None:
    if value is None:
        return None
    parsed = _decoder.decode(value)
    if parsed is not None and not isinstance(parsed, dict):
        raise ValueError(f"offset value is not a JSON object: {value!r}")
    return parsed
