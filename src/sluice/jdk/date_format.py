"""A faithful ``java.text.SimpleDateFormat`` for the en-US locale, formatting and parsing in UTC.

``TimestampConverter`` and ``TimestampRouter`` take ``SimpleDateFormat`` patterns, ``Values``
prints and reads ISO dates with it, and configs written for Kafka Connect must keep producing the
same strings: ``yyyy`` versus ``YYYY`` (week year), ``SSS`` as a zero-padded millisecond count
(not a fraction), ``h``/``k``/``K`` hour styles, quoting with ``'``, and Java's lenient parser
(leading blanks before numbers, fixed widths only where numeric fields abut, roll-over of
out-of-range fields, two-digit years pinned to the 100 years starting 80 years ago, text after
the pattern ignored).

Zone names accepted when parsing ``z`` are limited to UTC, GMT, ``GMT+hh:mm`` and a few common
North American and European abbreviations; Java knows every zone of the tz database.
"""

from __future__ import annotations

import datetime as _dt
import operator
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from sluice.jdk import dates as jd

__all__ = ["DatePatternError", "JavaDateFormat", "JavaParseError"]

_PATTERN_CHARS: Final = "GyMdkHmsSEDFwWahKzZYuXL"
_NUMERIC_OBEY: Final = frozenset("ydkHmsSDFwWhKYu")

_ERAS: Final = ("BC", "AD")
_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "",
)
_SHORT_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
    "",
)
_WEEKDAYS: Final = (
    "",
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
)
_SHORT_WEEKDAYS: Final = ("", "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
_AM_PM: Final = ("AM", "PM")

_HOUR_MS: Final = 3_600_000
# (name, standard offset, is daylight time): what ``z`` accepts besides UTC/GMT offsets.
_ZONE_NAMES: Final[tuple[tuple[str, int, bool], ...]] = (
    ("Coordinated Universal Time", 0, False),
    ("Greenwich Mean Time", 0, False),
    ("UTC", 0, False),
    ("GMT", 0, False),
    ("Eastern Standard Time", -5 * _HOUR_MS, False),
    ("Eastern Daylight Time", -5 * _HOUR_MS, True),
    ("Central Standard Time", -6 * _HOUR_MS, False),
    ("Central Daylight Time", -6 * _HOUR_MS, True),
    ("Mountain Standard Time", -7 * _HOUR_MS, False),
    ("Mountain Daylight Time", -7 * _HOUR_MS, True),
    ("Pacific Standard Time", -8 * _HOUR_MS, False),
    ("Pacific Daylight Time", -8 * _HOUR_MS, True),
    ("Central European Standard Time", 1 * _HOUR_MS, False),
    ("Central European Summer Time", 1 * _HOUR_MS, True),
    ("EST", -5 * _HOUR_MS, False),
    ("EDT", -5 * _HOUR_MS, True),
    ("CST", -6 * _HOUR_MS, False),
    ("CDT", -6 * _HOUR_MS, True),
    ("MST", -7 * _HOUR_MS, False),
    ("MDT", -7 * _HOUR_MS, True),
    ("PST", -8 * _HOUR_MS, False),
    ("PDT", -8 * _HOUR_MS, True),
    ("CET", 1 * _HOUR_MS, False),
    ("CEST", 1 * _HOUR_MS, True),
)

_FIELD_OF: Final[dict[str, int]] = {
    "G": jd.ERA,
    "y": jd.YEAR,
    "Y": jd.WEEK_YEAR,
    "M": jd.MONTH,
    "L": jd.MONTH,
    "d": jd.DAY_OF_MONTH,
    "k": jd.HOUR_OF_DAY,
    "H": jd.HOUR_OF_DAY,
    "m": jd.MINUTE,
    "s": jd.SECOND,
    "S": jd.MILLISECOND,
    "E": jd.DAY_OF_WEEK,
    "D": jd.DAY_OF_YEAR,
    "F": jd.DAY_OF_WEEK_IN_MONTH,
    "w": jd.WEEK_OF_YEAR,
    "W": jd.WEEK_OF_MONTH,
    "a": jd.AM_PM,
    "h": jd.HOUR,
    "K": jd.HOUR,
    "u": jd.ISO_DAY_OF_WEEK,
}


class DatePatternError(ValueError):
    """A pattern ``SimpleDateFormat`` rejects; the message is its ``IllegalArgumentException``'s."""


class JavaParseError(ValueError):
    """Text that does not match the pattern (Java's ``ParseException``)."""

    def __init__(self, message: str, error_offset: int) -> None:
        super().__init__(message)
        self.error_offset = error_offset


@dataclass(frozen=True, slots=True)
class _Field:
    letter: str
    count: int


@dataclass(frozen=True, slots=True)
class _Literal:
    text: str


_Token = _Field | _Literal


def _compile(pattern: str) -> tuple[_Token, ...]:
    """Split a pattern into fields and literals with Java's quoting rules.

    Raises ``ValueError`` with Java's ``IllegalArgumentException`` message on a bad pattern.
    """
    tokens: list[_Token] = []
    quoted: list[str] | None = None
    last = ""
    count = 0

    def flush() -> None:
        nonlocal last, count
        if count:
            if last == "X" and count >= 4:
                raise ValueError(f"invalid ISO 8601 format: length={count}")
            tokens.append(_Field(last, count))
        last, count = "", 0

    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "'":
            if i + 1 < n and pattern[i + 1] == "'":
                i += 2
                flush()
                if quoted is not None:
                    quoted.append("'")
                else:
                    tokens.append(_Literal("'"))
                continue
            if quoted is None:
                flush()
                quoted = []
            else:
                if quoted:
                    tokens.append(_Literal("".join(quoted)))
                quoted = None
            i += 1
            continue
        if quoted is not None:
            quoted.append(c)
            i += 1
            continue
        if not ("a" <= c <= "z" or "A" <= c <= "Z"):
            flush()
            if ord(c) < 128:
                tokens.append(_Literal(c))
                i += 1
            else:
                j = i + 1
                while (
                    j < n
                    and pattern[j] != "'"
                    and not ("a" <= pattern[j] <= "z" or "A" <= pattern[j] <= "Z")
                ):
                    j += 1
                tokens.append(_Literal(pattern[i:j]))
                i = j
            continue
        if c not in _PATTERN_CHARS:
            raise ValueError(f"Illegal pattern character '{c}'")
        if last in ("", c):
            last = c
            count += 1
        else:
            flush()
            last, count = c, 1
        i += 1
    if quoted is not None:
        raise ValueError("Unterminated quote")
    flush()
    return tuple(tokens)


_FAST_LETTERS: Final = frozenset("yMdHmsS")
_FAST_LETTERS_ORDER: Final = "yMdHmsS"
_EPOCH: Final = _dt.datetime(1970, 1, 1)
_FAST_FROM: Final = int((_dt.datetime(1600, 1, 1) - _EPOCH).total_seconds() * 1000)
_FAST_UNTIL: Final = int((_dt.datetime(9999, 12, 31) - _EPOCH).total_seconds() * 1000)


def _pad(value: int, min_digits: int, max_digits: int | None = None) -> str:
    digits = str(abs(value))
    if max_digits is not None and len(digits) > max_digits:
        digits = digits[-max_digits:]
    digits = digits.rjust(min_digits, "0")
    return "-" + digits if value < 0 else digits


def _digit(ch: str) -> int:
    """``Character.digit(ch, 10)``: any Unicode decimal digit, else -1."""
    if "0" <= ch <= "9":
        return ord(ch) - 48
    return unicodedata.decimal(ch, -1)


def _parse_number(text: str, start: int, limit: int) -> tuple[int, int] | None:
    """``DecimalFormat`` integer parsing as SimpleDateFormat uses it: ``-``? digits.

    Returns (Java ``Number.intValue()``, end index), or ``None`` when no digit is found.
    """
    i = start
    negative = False
    if i < limit and text[i] == "-":
        negative = True
        i += 1
    digits_start = i
    value = 0
    while i < limit:
        d = _digit(text[i])
        if d < 0:
            break
        value = value * 10 + d
        i += 1
    if i == digits_start:
        return None
    if negative:
        value = -value
    if -(2**63) <= value < 2**63:
        as_int = value & 0xFFFFFFFF
        if as_int & 0x80000000:
            as_int -= 1 << 32
    else:  # DecimalFormat returns a Double; intValue() saturates.
        as_int = 2**31 - 1 if value > 0 else -(2**31)
    return as_int, i


def _match_longest(text: str, start: int, names: Sequence[str], first: int = 0) -> int:
    """Index of the longest name matching ``text`` at ``start`` ignoring case, or -1."""
    best, best_len = -1, 0
    folded = text.casefold()
    for idx in range(first, len(names)):
        name = names[idx]
        if len(name) > best_len and folded.startswith(name.casefold(), start):
            best, best_len = idx, len(name)
    return best


def _picker(order: list[int]) -> Callable[[tuple[int, ...]], tuple[int, ...]]:
    """The items at ``order`` as a tuple (itemgetter of one index returns the bare item)."""
    if len(order) > 1:
        return operator.itemgetter(*order)
    return lambda fields: tuple(fields[i] for i in order)


class JavaDateFormat:
    """One compiled pattern; ``format`` and ``parse`` work on epoch milliseconds in UTC.

    Raises :class:`DatePatternError` for patterns Java rejects.
    """

    __slots__ = (
        "_century_start",
        "_century_start_year",
        "_fast",
        "_minutes",
        "_pick",
        "_pick_second",
        "_template",
        "_tokens",
        "pattern",
    )

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        try:
            self._tokens = _compile(pattern)
        except ValueError as e:
            raise DatePatternError(str(e)) from None
        now = int(time.time() * 1000)
        start = jd.FieldResolver()
        f = jd.fields_from_millis(now)
        start.set(jd.YEAR, f.year - 80 if f.era == 1 else 1 - f.year - 80)
        for field, value in (
            (jd.MONTH, f.month),
            (jd.DAY_OF_MONTH, f.day_of_month),
            (jd.HOUR_OF_DAY, f.hour_of_day),
            (jd.MINUTE, f.minute),
            (jd.SECOND, f.second),
            (jd.MILLISECOND, f.millisecond),
        ):
            start.set(field, value)
        self._century_start = start.establish()
        self._century_start_year = jd.fields_from_millis(self._century_start).year
        # Numeric year/month/day/time fields only: formatted from time.gmtime, see format().
        self._fast = all(
            isinstance(t, _Literal)
            or (
                t.letter in _FAST_LETTERS
                and (t.letter, t.count) != ("y", 2)
                and (t.letter != "M" or t.count <= 2)
            )
            for t in self._tokens
        )
        # The fast patterns as one %-template over the fields they name, picked in pattern
        # order from (y, M, d, H, m, s, S): zero-padded to the letter count and never
        # truncated, as SimpleDateFormat pads non-negative numbers.
        self._template = (
            "".join(
                t.text.replace("%", "%%") if isinstance(t, _Literal) else f"%0{t.count}d"
                for t in self._tokens
            )
            if self._fast
            else ""
        )
        order = (
            [_FAST_LETTERS_ORDER.index(t.letter) for t in self._tokens if isinstance(t, _Field)]
            if self._fast
            else []
        )
        self._pick: Callable[[tuple[int, ...]], tuple[int, ...]] = _picker(order)
        # Per minute, the template with year to minute already filled in: records close in
        # time share it, and formatting is then only the seconds and milliseconds.
        self._minutes: dict[int, str] = {}
        self._pick_second = _picker([i - 5 for i in order if i >= 5])

    # -- formatting ----------------------------------------------------------------------------
    def format(self, millis: int) -> str:
        """The text Java's ``format(new Date(millis))`` produces with a UTC time zone."""
        if self._fast and _FAST_FROM <= millis < _FAST_UNTIL:
            # Gregorian years 1600-9999 (AD): Python's calendar agrees with Java's there, and
            # datetime arithmetic is far cheaper than the general field computation.
            seconds, ms = divmod(millis, 1000)
            minute, second = divmod(seconds, 60)
            template = self._minutes.get(minute)
            if template is None:
                template = self._minute_template(minute)
            return template % self._pick_second((second, ms))
        f = jd.fields_from_millis(millis)
        out: list[str] = []
        for token in self._tokens:
            if isinstance(token, _Literal):
                out.append(token.text)
            else:
                out.append(self._format_field(token.letter, token.count, f))
        return "".join(out)

    def _minute_template(self, minute: int) -> str:
        """The fast template with the fields from year to minute set to ``minute``'s."""
        fields = time.gmtime(minute * 60)[:5]
        parts = []
        for t in self._tokens:
            if isinstance(t, _Literal):
                parts.append(t.text.replace("%", "%%"))
            elif t.letter in "sS":
                parts.append(f"%0{t.count}d")
            else:
                parts.append(f"{fields[_FAST_LETTERS_ORDER.index(t.letter)]:0{t.count}d}")
        template = "".join(parts)
        if len(self._minutes) >= 4096:  # a bound for data spread over many minutes
            self._minutes.clear()
        self._minutes[minute] = template
        return template

    @staticmethod
    def _format_field(letter: str, count: int, f: jd.CalendarFields) -> str:
        if letter == "G":
            return _ERAS[f.era]
        if letter in "yY":
            value = f.year if letter == "y" else f.week_year
            return _pad(value, 2, 2) if count == 2 else _pad(value, count)
        if letter in "ML":
            if count >= 4:
                return _MONTHS[f.month]
            if count == 3:
                return _SHORT_MONTHS[f.month]
            return _pad(f.month + 1, count)
        if letter == "E":
            return _WEEKDAYS[f.day_of_week] if count >= 4 else _SHORT_WEEKDAYS[f.day_of_week]
        if letter == "a":
            return _AM_PM[1 if f.hour_of_day >= 12 else 0]
        if letter == "z":
            return "Coordinated Universal Time" if count >= 4 else "UTC"
        if letter == "Z":
            return "+0000"
        if letter == "X":
            return "Z"
        value = {
            "d": f.day_of_month,
            "k": f.hour_of_day or 24,
            "H": f.hour_of_day,
            "m": f.minute,
            "s": f.second,
            "S": f.millisecond,
            "D": f.day_of_year,
            "F": f.day_of_week_in_month,
            "w": f.week_of_year,
            "W": f.week_of_month,
            "h": (f.hour_of_day % 12) or 12,
            "K": f.hour_of_day % 12,
            "u": 7 if f.day_of_week == 1 else f.day_of_week - 1,
        }[letter]
        return _pad(value, count)

    # -- parsing -------------------------------------------------------------------------------
    def parse(self, text: str) -> int:
        """Epoch milliseconds of the leading part of ``text`` that matches the pattern.

        Raises :class:`JavaParseError` (``Unparseable date: "..."``) when nothing matches.
        """
        result = self.parse_at(text, 0)
        if result is None:
            raise JavaParseError(f'Unparseable date: "{text}"', 0)
        return result[0]

    def parse_at(self, text: str, start: int) -> tuple[int, int] | None:
        """(millis, end index) parsing from ``start``, or ``None`` (Java's ``ParsePosition``)."""
        resolver = jd.FieldResolver()
        ambiguous = False
        pos = start
        tokens = self._tokens
        for i, token in enumerate(tokens):
            if isinstance(token, _Literal):
                for ch in token.text:
                    if pos >= len(text) or text[pos] != ch:
                        return None
                    pos += 1
                continue
            obey = False
            minus_delimits = False
            if i + 1 < len(tokens):
                nxt = tokens[i + 1]
                if isinstance(nxt, _Field):
                    obey = nxt.letter in _NUMERIC_OBEY or (nxt.letter in "ML" and nxt.count <= 2)
                else:
                    minus_delimits = nxt.text[0] == "-"
            parsed = self._parse_field(text, pos, token, obey, minus_delimits, resolver)
            if parsed is None:
                return None
            pos, was_ambiguous = parsed
            ambiguous = ambiguous or was_ambiguous
        try:
            millis = resolver.establish()
            if ambiguous and millis < self._century_start:
                resolver.add_year(100)
                millis = resolver.establish()
        except ValueError:
            return None
        return millis, pos

    def _parse_field(
        self,
        text: str,
        start: int,
        token: _Field,
        obey: bool,
        minus_delimits: bool,
        resolver: jd.FieldResolver,
    ) -> tuple[int, bool] | None:
        letter, count = token.letter, token.count
        n = len(text)
        pos = start
        while True:
            if pos >= n:
                return None
            if text[pos] not in " \t":
                break
            pos += 1
        actual_start = pos

        def number() -> tuple[int, int] | None:
            if obey:
                if start + count > n:
                    return None
                got = _parse_number(text, pos, start + count)
            else:
                got = _parse_number(text, pos, n)
            if got is None:
                return None
            value, end = got
            if (
                minus_delimits
                and value < 0
                and ((end < n and text[end] != "-") or (end == n and text[end - 1] == "-"))
            ):
                value, end = -value, end - 1
            return value, end

        if letter == "G":
            idx = _match_longest(text, start, _ERAS)
            if idx < 0:
                return None
            resolver.set(jd.ERA, idx)
            return start + len(_ERAS[idx]), False
        if letter in "yY":
            got = number()
            if got is None:
                return None
            value, end = got
            ambiguous = False
            if (
                count <= 2
                and end - actual_start == 2
                and _digit(text[actual_start]) >= 0
                and _digit(text[actual_start + 1]) >= 0
            ):
                two_digit = self._century_start_year % 100
                ambiguous = value == two_digit
                value += (self._century_start_year // 100) * 100 + (100 if value < two_digit else 0)
            resolver.set(_FIELD_OF[letter], value)
            return end, ambiguous
        if letter in "ML":
            if count <= 2:
                got = number()
                if got is None:
                    return None
                resolver.set(jd.MONTH, got[0] - 1)
                return got[1], False
            for month_names in (_MONTHS, _SHORT_MONTHS):
                idx = _match_longest(text, start, month_names)
                if idx >= 0:
                    resolver.set(jd.MONTH, idx)
                    return start + len(month_names[idx]), False
            return None
        if letter == "E":
            for names in (_WEEKDAYS, _SHORT_WEEKDAYS):
                idx = _match_longest(text, start, names, first=1)
                if idx >= 0:
                    resolver.set(jd.DAY_OF_WEEK, idx)
                    return start + len(names[idx]), False
            return None
        if letter == "a":
            idx = _match_longest(text, start, _AM_PM)
            if idx < 0:
                return None
            resolver.set(jd.AM_PM, idx)
            return start + len(_AM_PM[idx]), False
        if letter in "zZ":
            zone_end = self._parse_zone(text, pos, resolver)
            return None if zone_end is None else (zone_end, False)
        if letter == "X":
            return self._parse_iso_zone(text, pos, count, resolver)
        got = number()
        if got is None:
            return None
        value, end = got
        if (letter == "k" and value == 24) or (letter == "h" and value == 12):
            value = 0
        resolver.set(_FIELD_OF[letter], value)
        return end, False

    @staticmethod
    def _set_zone(resolver: jd.FieldResolver, offset: int, dst: int = 0) -> None:
        resolver.set(jd.ZONE_OFFSET, offset)
        resolver.set(jd.DST_OFFSET, dst)

    def _parse_zone(self, text: str, pos: int, resolver: jd.FieldResolver) -> int | None:
        c = text[pos]
        sign = 1 if c == "+" else -1 if c == "-" else 0
        if sign:
            return self._numeric_zone(text, pos + 1, sign, 0, False, resolver)
        if c in "Gg" and text[pos : pos + 3].upper() == "GMT":
            end = pos + 3
            if end < len(text) and text[end] in "+-":
                sign = 1 if text[end] == "+" else -1
                return self._numeric_zone(text, end + 1, sign, 0, True, resolver)
            self._set_zone(resolver, 0)
            return end
        folded = text.casefold()
        best: tuple[str, int, bool] | None = None
        for entry in _ZONE_NAMES:
            if folded.startswith(entry[0].casefold(), pos) and (
                best is None or len(entry[0]) > len(best[0])
            ):
                best = entry
        if best is None:
            return None
        self._set_zone(resolver, best[1], _HOUR_MS if best[2] else 0)
        return pos + len(best[0])

    def _parse_iso_zone(
        self, text: str, pos: int, count: int, resolver: jd.FieldResolver
    ) -> tuple[int, bool] | None:
        c = text[pos]
        if c == "Z":
            self._set_zone(resolver, 0)
            return pos + 1, False
        if c not in "+-":
            return None
        end = self._numeric_zone(text, pos + 1, 1 if c == "+" else -1, count, count == 3, resolver)
        return None if end is None else (end, False)

    def _numeric_zone(
        self,
        text: str,
        index: int,
        sign: int,
        count: int,
        colon: bool,
        resolver: jd.FieldResolver,
    ) -> int | None:
        def at(i: int) -> str | None:
            return text[i] if i < len(text) else None

        c = at(index)
        if c is None or not "0" <= c <= "9":
            return None
        hours = ord(c) - 48
        index += 1
        c = at(index)
        if c is None:
            return None
        if "0" <= c <= "9":
            hours = hours * 10 + ord(c) - 48
            index += 1
        elif count > 0 or not colon:
            return None
        if hours > 23:
            return None
        minutes = 0
        if count != 1:
            c = at(index)
            if colon:
                if c != ":":
                    return None
                index += 1
                c = at(index)
            if c is None or not "0" <= c <= "9":
                return None
            minutes = ord(c) - 48
            c = at(index + 1)
            if c is None or not "0" <= c <= "9":
                return None
            minutes = minutes * 10 + ord(c) - 48
            index += 2
            if minutes > 59:
                return None
        self._set_zone(resolver, (hours * 60 + minutes) * 60_000 * sign)
        return index
