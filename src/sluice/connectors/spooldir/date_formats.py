"""``java.text.SimpleDateFormat`` patterns, for ``parser.timestamp.date.formats``.

Configs carry Java patterns such as ``yyyy-MM-dd'T'HH:mm:ss``; each is compiled once into a regular
expression plus the rules to assemble a datetime. Like ``SimpleDateFormat.parse(String)`` the
pattern has to match a *prefix* of the text (``2015-12-04T22:18:07Z`` parses with the default
pattern, which ignores the ``Z``), numeric fields take any number of digits unless they abut
another numeric field, and a two-digit ``yy`` year lands within 80 years before and 20 after now.
Out-of-range values (February 30) are rejected instead of rolled over as lenient Java would.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final

__all__ = ["DateFormatError", "JavaDateFormat"]

_MONTHS: Final = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_DAYS: Final = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_NUMERIC: Final = frozenset("yMdHkKhmsSDuFwW")
_KNOWN: Final = _NUMERIC | frozenset("GEaZzX")
_NAMED_ZONES: Final = {"UTC": 0, "GMT": 0, "UT": 0, "Z": 0}


class DateFormatError(ValueError):
    """A pattern this module cannot translate; the message names the pattern and the letter."""


@dataclass(frozen=True)
class _Field:
    letter: str
    count: int


def _tokens(pattern: str) -> list[_Field | str]:
    out: list[_Field | str] = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "'":
            end = i + 1
            text = []
            while end < n:
                if pattern[end] == "'":
                    if end + 1 < n and pattern[end + 1] == "'":
                        text.append("'")
                        end += 2
                        continue
                    break
                text.append(pattern[end])
                end += 1
            if end >= n:
                raise DateFormatError(f"Unterminated quote in date format '{pattern}'")
            out.append("'" if end == i + 1 else "".join(text))
            i = end + 1
        elif c.isascii() and c.isalpha():
            j = i
            while j < n and pattern[j] == c:
                j += 1
            if c not in _KNOWN:
                raise DateFormatError(f"Illegal pattern character '{c}' in date format '{pattern}'")
            out.append(_Field(c, j - i))
            i = j
        else:
            out.append(c)
            i += 1
    return out


def _regex_for(f: _Field, abutting: bool) -> str:
    c, n = f.letter, f.count
    if c in _NUMERIC and not (c == "M" and n >= 3):
        return rf"(\d{{{n}}})" if abutting else r"(\d+)"
    if c == "M":
        return "(" + "|".join(m for m in _MONTHS) + "|" + "|".join(m[:3] for m in _MONTHS) + ")"
    if c == "E":
        return "(" + "|".join(_DAYS) + "|" + "|".join(d[:3] for d in _DAYS) + ")"
    if c == "a":
        return "(am|pm)"
    if c == "G":
        return "(ad|bc)"
    if c == "X":
        return r"(z|[+-]\d{2}(?::?\d{2})?)"
    # z and Z both accept every zone spelling when parsing, as SimpleDateFormat does.
    return r"((?:gmt|utc)[+-]\d{1,2}(?::?\d{2})?|[+-]\d{4}|utc|gmt|ut|z)"


def _offset(text: str) -> dt.tzinfo:
    upper = text.upper()
    if upper in _NAMED_ZONES:
        return dt.UTC
    m = re.fullmatch(r"(?:GMT|UTC)?([+-])(\d{1,2}):?(\d{2})?", upper)
    if m is None:
        raise ValueError(f"unknown time zone {text}")
    minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
    return dt.timezone(dt.timedelta(minutes=-minutes if m.group(1) == "-" else minutes))


class JavaDateFormat:
    """One compiled ``SimpleDateFormat`` pattern."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        tokens = _tokens(pattern)
        parts: list[str] = []
        self._fields: list[_Field] = []
        for i, tok in enumerate(tokens):
            if isinstance(tok, str):
                parts.append(re.escape(tok))
                continue
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            abutting = (
                tok.letter in _NUMERIC
                and isinstance(nxt, _Field)
                and nxt.letter in _NUMERIC
                and not (nxt.letter == "M" and nxt.count >= 3)
            )
            parts.append(_regex_for(tok, abutting))
            self._fields.append(tok)
        self._regex = re.compile("".join(parts), re.IGNORECASE)

    def parse(self, text: str, zone: dt.tzinfo) -> dt.datetime | None:
        """The instant ``text`` starts with (aware, UTC), or ``None`` when it does not match."""
        m = self._regex.match(text)
        if m is None:
            return None
        values: dict[str, int] = {}
        tz: dt.tzinfo | None = None
        pm: bool | None = None
        two_digit_year = False
        for f, raw in zip(self._fields, m.groups(), strict=True):
            c = f.letter
            if c == "M" and f.count >= 3:
                values["M"] = [n[: len(raw)] for n in _MONTHS].index(raw.lower()) + 1
            elif c in _NUMERIC:
                values[c] = int(raw)
                if c == "y" and f.count <= 2 and len(raw) == 2:
                    two_digit_year = True
            elif c == "a":
                pm = raw.lower() == "pm"
            elif c in "zZX":
                try:
                    tz = _offset(raw)
                except ValueError:
                    return None
        try:
            return self._assemble(values, pm, two_digit_year, tz or zone)
        except (ValueError, OverflowError):
            return None

    @staticmethod
    def _assemble(
        v: dict[str, int], pm: bool | None, two_digit_year: bool, tz: dt.tzinfo
    ) -> dt.datetime:
        year = v.get("y", 1970)
        if two_digit_year:
            start = dt.date.today().year - 80
            year = start - start % 100 + year
            if year < start:
                year += 100
        if "D" in v and "M" not in v and "d" not in v:
            base = dt.datetime(year, 1, 1) + dt.timedelta(days=v["D"] - 1)
        else:
            base = dt.datetime(year, v.get("M", 1), v.get("d", 1))
        if "H" in v:
            hour = v["H"]
        elif "k" in v:
            hour = 0 if v["k"] == 24 else v["k"]
        elif "K" in v:
            hour = v["K"] + (12 if pm else 0)
        elif "h" in v:
            hour = (0 if v["h"] == 12 else v["h"]) + (12 if pm else 0)
        else:
            hour = 12 if pm else 0
        if hour > 23 or v.get("m", 0) > 59 or v.get("s", 0) > 59:
            raise ValueError("time of day out of range")
        local = base.replace(hour=hour, minute=v.get("m", 0), second=v.get("s", 0))
        local += dt.timedelta(milliseconds=v.get("S", 0))
        return local.replace(tzinfo=tz).astimezone(dt.UTC)
