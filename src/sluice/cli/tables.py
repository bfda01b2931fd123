"""Aligned plain-text tables and the cell formats the people's commands share.

Plain text keeps output greppable and pasteable into tickets; colour marks states only when
stdout is a terminal (and ``NO_COLOR`` is not set), so pipes and files never see escape codes.
Widths are measured before colouring, so coloured tables stay aligned.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Final, TextIO

__all__ = [
    "EMPTY",
    "colour_state",
    "format_lag",
    "format_rate",
    "key_values",
    "render",
    "use_colour",
]

EMPTY: Final = "-"
"""What a cell shows when the value is unknown (e.g. the worker serves no metrics)."""

_STATE_COLOURS: Final = {
    "RUNNING": "32",  # green
    "FAILED": "31",  # red
    "PAUSED": "33",  # yellow
    "STOPPED": "33",
    "UNASSIGNED": "36",  # cyan: transient, a rebalance or start-up is under way
    "RESTARTING": "36",
}


def use_colour(stream: TextIO) -> bool:
    """Colour only for a person at a terminal (https://no-color.org)."""
    if "NO_COLOR" in os.environ or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def colour_state(text: str, padded: str) -> str:
    """``padded`` (``text`` plus alignment blanks) with ``text`` coloured by the state it names."""
    code = _STATE_COLOURS.get(text.strip())
    if code is None:
        return padded
    return padded.replace(text, f"\x1b[{code}m{text}\x1b[0m", 1)


def render(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: Sequence[int] = (),
    states: Sequence[int] = (),
    colour: bool = False,
) -> str:
    """A table with a header line, columns two blanks apart, no trailing blanks.

    ``right`` lists the columns aligned right (numbers); ``states`` those coloured by state when
    ``colour`` is true.
    """
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = []
    for n, row in enumerate([list(headers), *map(list, rows)]):
        cells = []
        for i, cell in enumerate(row):
            padded = cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            if colour and n > 0 and i in states:
                padded = colour_state(cell, padded)
            cells.append(padded)
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def key_values(pairs: Mapping[str, str], indent: str = "") -> str:
    """``key  value`` lines with the values aligned (a connector's config, its summary)."""
    if not pairs:
        return ""
    width = max(len(k) for k in pairs)
    return "\n".join(f"{indent}{k.ljust(width)}  {v}".rstrip() for k, v in pairs.items())


def format_rate(rate: float | None) -> str:
    """Records per second: one decimal below 100/s, where the fraction still tells something."""
    if rate is None:
        return EMPTY
    return f"{rate:.1f}" if rate < 100 else f"{rate:.0f}"


def format_lag(lag: int | None) -> str:
    """Records behind; ``-`` for sources and when unknown (never ``0``, which would claim it is
    caught up)."""
    return EMPTY if lag is None else str(lag)
