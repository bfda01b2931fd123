"""Request bodies: read, parse and check them as Kafka Connect's Jackson entities would.

Kafka Connect accepts a JSON number or boolean where a string is expected (Jackson coerces it:
``"tasks.max": 1`` works) and rejects unknown fields of its request entities. Unlike Kafka
Connect, a malformed or wrongly typed body is answered with 400, never 500.
"""

from __future__ import annotations

import json
from typing import Any, Final

from fastapi import Request

from sluice.rest.errors import RestError
from sluice.runtime.status import TargetState

__all__ = [
    "config_map",
    "create_connector_request",
    "logger_level_request",
    "offsets_request",
    "parse_json",
    "raw_body",
]

INITIAL_STATES: Final = {
    "RUNNING": TargetState.STARTED,
    "PAUSED": TargetState.PAUSED,
    "STOPPED": TargetState.STOPPED,
}


async def raw_body(request: Request) -> bytes:
    """The request body. Its ``Content-Type`` was checked before routing
    (:mod:`sluice.rest.negotiation`): a body not declared as JSON never gets here (415)."""
    return await request.body()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(raw: bytes, numbers_as_text: bool = False) -> Any:
    """Strict JSON (no ``NaN``); with ``numbers_as_text`` numbers keep their source text."""
    if not raw.strip():
        raise RestError(400, "Request body is missing; a JSON document is required")
    try:
        text = raw.decode("utf-8")
        if numbers_as_text:
            return json.loads(text, parse_int=str, parse_float=str, parse_constant=_reject_constant)
        return json.loads(text, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as e:
        raise RestError(400, f"Request body is not valid JSON: {e}") from None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, (int, float)):
        return "number"
    return "string"


def _scalar_text(value: Any, where: str) -> str:
    """A string, number or boolean as Jackson would coerce it to a Java string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    raise RestError(400, f"{where} must be a string, but it was a JSON {_json_type(value)}")


def config_map(body: Any, what: str = "connector configuration") -> dict[str, str | None]:
    """A ``{string: string}`` map. ``null`` values are kept: PATCH removes such keys, and
    validation reports them ("Null value can not be supplied..."), as Kafka Connect does."""
    if not isinstance(body, dict):
        raise RestError(
            400,
            f"The {what} must be a JSON object of string keys to string values, but it was a "
            f"JSON {_json_type(body)}",
        )
    return {
        key: None if value is None else _scalar_text(value, f"The value of '{key}'")
        for key, value in body.items()
    }


def create_connector_request(body: Any) -> tuple[str, dict[str, str | None], TargetState | None]:
    """``{"name", "config", "initial_state"}`` of ``POST /connectors``; the name is trimmed."""
    if not isinstance(body, dict):
        raise RestError(
            400, f"The request body must be a JSON object, but it was a JSON {_json_type(body)}"
        )
    unknown = [k for k in body if k not in ("name", "config", "initial_state")]
    if unknown:
        raise RestError(
            400,
            f'Unrecognized field "{unknown[0]}" (known properties: "name", "config", '
            '"initial_state")',
        )
    raw_name = body.get("name")
    name = "" if raw_name is None else _scalar_text(raw_name, "The connector 'name'").strip()
    if body.get("config") is None:
        raise RestError(400, "The request body must contain the connector's 'config' object")
    config = config_map(body["config"], what="'config'")
    raw_state = body.get("initial_state")
    state: TargetState | None = None
    if raw_state is not None:
        text = _scalar_text(raw_state, "'initial_state'")
        state = INITIAL_STATES.get(text.strip().upper())
        if state is None:
            raise RestError(
                400,
                f"Invalid 'initial_state' {text!r}: must be one of RUNNING, PAUSED, STOPPED",
            )
    return name, config, state


def offsets_request(body: Any) -> list[dict[str, Any]]:
    """``{"offsets": [{"partition": {...}, "offset": {...} | null}]}`` of an offsets PATCH."""
    if not isinstance(body, dict):
        raise RestError(
            400, f"The request body must be a JSON object, but it was a JSON {_json_type(body)}"
        )
    unknown = [k for k in body if k != "offsets"]
    if unknown:
        raise RestError(400, f'Unrecognized field "{unknown[0]}" (known properties: "offsets")')
    offsets = body.get("offsets")
    if offsets is None or offsets == []:
        raise RestError(
            400, "Partitions / offsets need to be provided for an alter offsets request"
        )
    if not isinstance(offsets, list):
        raise RestError(
            400, f"'offsets' must be a JSON array, but it was a JSON {_json_type(offsets)}"
        )
    out: list[dict[str, Any]] = []
    for i, entry in enumerate(offsets):
        if not isinstance(entry, dict):
            raise RestError(
                400, f"offsets[{i}] must be a JSON object, but it was a JSON {_json_type(entry)}"
            )
        extra = [k for k in entry if k not in ("partition", "offset")]
        if extra:
            raise RestError(
                400,
                f'Unrecognized field "{extra[0]}" in offsets[{i}] (known properties: '
                '"partition", "offset")',
            )
        partition = entry.get("partition")
        if partition is None:
            raise RestError(400, "Partition objects cannot be null")
        if not isinstance(partition, dict):
            raise RestError(
                400,
                f"offsets[{i}].partition must be a JSON object, but it was a JSON "
                f"{_json_type(partition)}",
            )
        offset = entry.get("offset")
        if offset is not None and not isinstance(offset, dict):
            raise RestError(
                400,
                f"offsets[{i}].offset must be a JSON object or null, but it was a JSON "
                f"{_json_type(offset)}",
            )
        out.append({"partition": partition, "offset": offset})
    return out


def logger_level_request(body: Any) -> str:
    """The ``level`` of a logger PUT; other keys are ignored, as Kafka Connect ignores them."""
    if not isinstance(body, dict):
        raise RestError(
            400, f"The request body must be a JSON object, but it was a JSON {_json_type(body)}"
        )
    level = body.get("level")
    if level is None:
        raise RestError(400, "Desired 'level' parameter was not specified in request.")
    return _scalar_text(level, "'level'")
