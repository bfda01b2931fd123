"""JSON-valued settings (the renamers' inline arrays), read as the official connector reads them.

Users write regular expressions in these arrays, and a ``.properties`` file has already turned
``\\\\`` into ``\\`` by the time the value arrives, so ``"^value\\..*"`` is not valid JSON. The
official connector parses the text as is and, when that fails, again with every backslash
doubled; doing the same keeps such configs working unchanged.
"""

from __future__ import annotations

import json
from typing import Any

from sluice.api import ConfigError

__all__ = ["parse_json_array"]


def _array_of_objects(text: str) -> list[dict[str, Any]]:
    parsed = json.loads(text)
    if not isinstance(parsed, list) or not all(isinstance(o, dict) for o in parsed):
        raise ValueError("not an array of JSON objects")
    return parsed


def parse_json_array(key: str, text: str) -> list[dict[str, Any]]:
    """The objects of the JSON array ``text`` (none for an empty string); a
    :class:`ConfigError` naming ``key`` when it is not a JSON array of objects."""
    if not text.strip():
        return []
    try:
        return _array_of_objects(text)
    except ValueError as first:
        try:
            return _array_of_objects(text.replace("\\", "\\\\"))
        except ValueError:
            raise ConfigError.invalid(key, text, f"Not a valid JSON array: {first}") from None
