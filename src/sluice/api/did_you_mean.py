"""The nearest known name to a misspelt one, for "did you mean" hints in error and warning lines.

Used for plugin class names (``FileStreamSorce``) and configuration keys (``batch.sise``). The
comparison ignores case, so ``filestreamsource`` finds ``FileStreamSource``; the candidate is
returned as it is spelt.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Final

__all__ = ["SIMILARITY_CUTOFF", "closest_name"]

SIMILARITY_CUTOFF: Final = 0.75
"""difflib's similarity ratio a candidate needs: high enough that an unrelated name gets no hint
(``foo`` finds nothing among Kafka's keys), low enough for a dropped, doubled or swapped letter
in a short key (``topc`` finds ``topic``, ``fiel`` finds ``file``)."""


def closest_name(
    name: str, candidates: Iterable[str], cutoff: float = SIMILARITY_CUTOFF
) -> str | None:
    """The candidate most like ``name``, or ``None`` when none is close or ``name`` is one."""
    by_lower: dict[str, str] = {}
    for candidate in candidates:
        by_lower.setdefault(candidate.lower(), candidate)
    wanted = name.strip()
    if wanted in by_lower.values():
        return None
    found = difflib.get_close_matches(wanted.lower(), list(by_lower), n=1, cutoff=cutoff)
    return by_lower[found[0]] if found else None
