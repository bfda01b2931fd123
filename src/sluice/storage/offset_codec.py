"""Source offsets as Kafka Connect stores them.

Keys are the JSON array ``["<connector>", {partition}]`` and values the JSON offset map, both
compact (no spaces) as the schemaless ``JsonConverter`` writes them. Using the same bytes in the
standalone file and in the distributed offsets topic keeps the two interchangeable with Kafka
Connect's topic format.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

__all__ = ["decode_key", "decode_value", "encode_key", "encode_value"]

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


def encode_key(connector: str, partition: Mapping[str, Any]) -> bytes:
    return _encoder.encode([connector, dict(partition)])


def encode_value(offset: Mapping[str, Any] | None) -> bytes | None:
    return None if offset is None else _encoder.encode(dict(offset))


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
