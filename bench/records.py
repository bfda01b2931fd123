"""B3's structured records: one schema, written as TSV lines and as JsonConverter envelopes.

The source side reads TSV lines (the bench's generator connector turns each into a ``Struct``,
much as a JDBC or CSV source would); the sink side drains a topic of the same records as
``JsonConverter`` writes them with ``schemas.enable=true``. Both forms come from
:func:`order_fields`, so the two sides carry the same data. Values are derived from the record
number by arithmetic, so inputs are reproducible without storing a seed.
"""

from __future__ import annotations

import json
from typing import Any, Final

__all__ = [
    "FIELDS",
    "SCHEMA_NAME",
    "envelope",
    "order_fields",
    "payload_json",
    "schema_json",
    "tsv_line",
]

SCHEMA_NAME: Final = "bench.Order"

FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("id", "int64"),
    ("user_id", "int32"),
    ("name", "string"),
    ("email", "string"),
    ("country", "string"),
    ("city", "string"),
    ("amount", "double"),
    ("currency", "string"),
    ("active", "boolean"),
    ("created_at", "int64"),
    ("status", "string"),
    ("note", "string"),
    ("internal_note", "string"),
)
"""Field name and JsonConverter type name, in schema order (the generator connectors agree)."""

_FIRST = ("Ada", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances", "Alan")
_LAST = ("Lovelace", "Hopper", "Torvalds", "Liskov", "Thompson", "Hamilton", "Ritchie", "Allen")
_PLACES = (
    ("DE", "Berlin"),
    ("FR", "Lyon"),
    ("NL", "Utrecht"),
    ("PT", "Porto"),
    ("JP", "Osaka"),
    ("BR", "Recife"),
    ("CA", "Halifax"),
)
_CURRENCIES = ("EUR", "USD", "JPY", "BRL", "CAD")
_STATUSES = ("NEW", "PAID", "SHIPPED", "DELIVERED", "RETURNED")
_WORDS = (
    "parcel left at the front desk",
    "customer asked for a paper invoice",
    "gift wrap with a plain card",
    "deliver after six in the evening",
    "second attempt after a missed delivery",
    "fragile glassware inside the box",
)
_BASE_MS: Final = 1_700_000_000_000


def order_fields(i: int) -> list[Any]:
    """Record number ``i`` as a list of values in :data:`FIELDS` order."""
    first = _FIRST[i % len(_FIRST)]
    last = _LAST[(i // 7) % len(_LAST)]
    country, city = _PLACES[(i // 3) % len(_PLACES)]
    note_words = [_WORDS[(i + k) % len(_WORDS)] for k in range(6)]
    return [
        i,
        (i * 7919) % 1_000_000,
        f"{first} {last}",
        f"{first.lower()}.{last.lower()}{i % 997}@example.com",
        country,
        city,
        ((i * 37) % 100_000) / 100.0 + 0.25,
        _CURRENCIES[i % len(_CURRENCIES)],
        i % 3 != 0,
        _BASE_MS + i * 1000,
        _STATUSES[(i // 5) % len(_STATUSES)],
        "; ".join(note_words),
        f"ticket {i * 31 % 100_000:05d} reviewed by ops",
    ]


def _tsv_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def tsv_line(i: int) -> str:
    """Record ``i`` as one tab-separated line, without the newline."""
    return "\t".join(_tsv_value(v) for v in order_fields(i))


def schema_json() -> dict[str, Any]:
    """The record schema as JsonConverter writes it in an envelope."""
    return {
        "type": "struct",
        "fields": [{"type": t, "optional": False, "field": name} for name, t in FIELDS],
        "optional": False,
        "name": SCHEMA_NAME,
    }


_SCHEMA_TEXT: Final = json.dumps(schema_json(), separators=(",", ":"))


def payload_json(i: int) -> str:
    """Record ``i``'s payload as compact JSON (the data part of the record, ~500 bytes)."""
    values = order_fields(i)
    return json.dumps(
        {name: value for (name, _), value in zip(FIELDS, values, strict=True)},
        separators=(",", ":"),
    )


def envelope(i: int) -> bytes:
    """Record ``i`` exactly as ``JsonConverter`` with ``schemas.enable=true`` serializes it."""
    return f'{{"schema":{_SCHEMA_TEXT},"payload":{payload_json(i)}}}'.encode()
