"""``java.util.Date`` and ``GregorianCalendar`` arithmetic in UTC, as Kafka sees time.

Kafka (its SMTs and ``Values``) formats and parses timestamps with ``SimpleDateFormat`` over a
``GregorianCalendar``: a *hybrid* calendar that is Julian before 15 October 1582, with week rules
from the en-US locale (weeks start on Sunday, week 1 holds 1 January) and lenient field resolution
when parsing (``2024-02-30`` is 1 March). Instants are plain epoch milliseconds here, so years far
beyond Python's ``datetime`` range format exactly as in Java.
"""

from __future__ import annotations

import builtins
import datetime as _dt
from dataclasses import dataclass
from typing import Final

__all__ = [
    "AM_PM",
    "DAY_OF_MONTH",
    "DAY_OF_WEEK",
    "DAY_OF_WEEK_IN_MONTH",
    "DAY_OF_YEAR",
    "DST_OFFSET",
    "ERA",
    "HOUR",
    "HOUR_OF_DAY",
    "ISO_DAY_OF_WEEK",
    "MILLISECOND",
    "MILLIS_PER_DAY",
    "MINUTE",
    "MONTH",
    "SECOND",
    "WEEK_OF_MONTH",
    "WEEK_OF_YEAR",
    "WEEK_YEAR",
    "YEAR",
    "ZONE_OFFSET",
    "CalendarError",
    "CalendarFields",
    "FieldResolver",
    "date_to_string",
    "fields_from_millis",
    "millis_of",
]

# java.util.Calendar field numbers (CalendarBuilder adds WEEK_YEAR and ISO_DAY_OF_WEEK).
ERA: Final = 0
YEAR: Final = 1
MONTH: Final = 2
WEEK_OF_YEAR: Final = 3
WEEK_OF_MONTH: Final = 4
DAY_OF_MONTH: Final = 5
DAY_OF_YEAR: Final = 6
DAY_OF_WEEK: Final = 7
DAY_OF_WEEK_IN_MONTH: Final = 8
AM_PM: Final = 9
HOUR: Final = 10
HOUR_OF_DAY: Final = 11
MINUTE: Final = 12
SECOND: Final = 13
MILLISECOND: Final = 14
ZONE_OFFSET: Final = 15
DST_OFFSET: Final = 16
WEEK_YEAR: Final = 17
ISO_DAY_OF_WEEK: Final = 1000


class CalendarError(ValueError):
    """Calendar fields Java's ``GregorianCalendar`` rejects (``IllegalArgumentException``)."""


MILLIS_PER_DAY: Final = 86_400_000
# Fixed dates count days with 0001-01-01 (proleptic Gregorian) as day 1; this is 1970-01-01.
_EPOCH_FIXED: Final = 719_163
_BCE: Final = 0
_CE: Final = 1
_SUNDAY: Final = 1
_FIRST_DAY_OF_WEEK: Final = _SUNDAY  # en-US
_MIN_DAYS_IN_FIRST_WEEK: Final = 1  # en-US
_CUTOVER_YEAR: Final = 1582
_ACCUMULATED_DAYS: Final = (0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)


def _gregorian_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _julian_leap(year: int) -> bool:
    return year % 4 == 0


def _gregorian_fixed(year: int, month: int, day: int) -> int:
    """Fixed date of a proleptic Gregorian (normalized year, 1-based month, day)."""
    y = year - 1
    fixed = 365 * y + y // 4 - y // 100 + y // 400 + (367 * month - 362) // 12 + day
    if month > 2:
        fixed -= 1 if _gregorian_leap(year) else 2
    return fixed


def _julian_fixed(year: int, month: int, day: int) -> int:
    """Fixed date of a Julian (normalized year: 0 is 1 BC, 1-based month, day)."""
    fixed = -2 + 365 * (year - 1) + day + (year - 1) // 4 + (367 * month - 362) // 12
    if month > 2:
        fixed -= 1 if _julian_leap(year) else 2
    return fixed


_CUTOVER_FIXED: Final = _gregorian_fixed(1582, 10, 15)
_LAST_JULIAN_FIXED: Final = _CUTOVER_FIXED - 1


def _gregorian_from_fixed(fixed: int) -> tuple[int, int, int]:
    d0 = fixed - 1
    n400, d1 = divmod(d0, 146_097)
    n100, d2 = divmod(d1, 36_524)
    n4, d3 = divmod(d2, 1_461)
    n1, _ = divmod(d3, 365)
    year = 400 * n400 + 100 * n100 + 4 * n4 + n1
    if n100 != 4 and n1 != 4:
        year += 1
    prior = fixed - _gregorian_fixed(year, 1, 1)
    correction = 0
    if fixed >= _gregorian_fixed(year, 3, 1):
        correction = 1 if _gregorian_leap(year) else 2
    month = (12 * (prior + correction) + 373) // 367
    day = fixed - _gregorian_fixed(year, month, 1) + 1
    return year, month, day


def _julian_from_fixed(fixed: int) -> tuple[int, int, int]:
    year = (4 * (fixed + 1) + 1464) // 1461
    jan1 = _julian_fixed(year, 1, 1)
    leap = _julian_leap(year)
    prior = fixed - jan1
    if fixed >= jan1 + 59 + (1 if leap else 0):
        prior += 1 if leap else 2
    month = (12 * prior + 373) // 367
    month1 = jan1 + _ACCUMULATED_DAYS[month] + (1 if leap and month >= 3 else 0)
    return year, month, fixed - month1 + 1


def _day_of_week(fixed: int) -> int:
    """1 = Sunday ... 7 = Saturday (fixed date 1 is a Monday)."""
    return fixed % 7 + 1


def _day_of_week_on_or_before(fixed: int, day_of_week: int) -> int:
    return fixed - (fixed - (day_of_week - 1)) % 7


def _week_number(fixed_day1: int, fixed: int) -> int:
    first = _day_of_week_on_or_before(fixed_day1 + 6, _FIRST_DAY_OF_WEEK)
    if first - fixed_day1 >= _MIN_DAYS_IN_FIRST_WEEK:
        first -= 7
    return (fixed - first) // 7 + 1


@dataclass(frozen=True, slots=True)
class CalendarFields:
    """Calendar fields of one instant in UTC, as ``GregorianCalendar.get`` returns them."""

    era: int
    year: int  # year of era, always >= 1
    month: int  # 0-based
    day_of_month: int
    day_of_year: int
    day_of_week: int  # 1 = Sunday
    day_of_week_in_month: int
    week_of_year: int
    week_of_month: int
    week_year: int  # normalized: 0 is 1 BC, as GregorianCalendar.getWeekYear() returns it
    hour_of_day: int
    minute: int
    second: int
    millisecond: int


def fields_from_millis(millis: int) -> CalendarFields:
    """The calendar fields of ``millis`` (epoch milliseconds) in UTC."""
    day, time_of_day = divmod(millis, MILLIS_PER_DAY)
    fixed = day + _EPOCH_FIXED
    if fixed >= _CUTOVER_FIXED:
        year, month, dom = _gregorian_from_fixed(fixed)
        leap = _gregorian_leap(year)
        jan1 = _gregorian_fixed(year, 1, 1)
        if year == _CUTOVER_YEAR:
            jan1 = _julian_fixed(year, 1, 1)
        month1 = fixed - dom + 1
        if year == _CUTOVER_YEAR and month == 10:
            month1 = _julian_fixed(year, 10, 1)
    else:
        year, month, dom = _julian_from_fixed(fixed)
        leap = _julian_leap(year)
        jan1 = _julian_fixed(year, 1, 1)
        month1 = fixed - dom + 1
    # With en-US rules 1 January is always in week 1, so only the year's end needs care.
    week_of_year = _week_number(jan1, fixed)
    if week_of_year >= 52:
        next_jan1 = jan1 + (366 if leap else 365)
        next_first = _day_of_week_on_or_before(next_jan1 + 6, _FIRST_DAY_OF_WEEK)
        if next_first - next_jan1 >= _MIN_DAYS_IN_FIRST_WEEK and fixed >= next_first - 7:
            week_of_year = 1
    era, year_of_era = (_CE, year) if year > 0 else (_BCE, 1 - year)
    week_year = year
    if month == 1 and week_of_year >= 52:
        week_year -= 1
    elif month != 1 and week_of_year == 1:
        week_year += 1
    hour, rest = divmod(time_of_day, 3_600_000)
    minute, rest = divmod(rest, 60_000)
    second, ms = divmod(rest, 1000)
    return CalendarFields(
        era=era,
        year=year_of_era,
        month=month - 1,
        day_of_month=dom,
        day_of_year=fixed - jan1 + 1,
        day_of_week=_day_of_week(fixed),
        day_of_week_in_month=(fixed - month1) // 7 + 1,
        week_of_year=week_of_year,
        week_of_month=_week_number(month1, fixed),
        week_year=week_year,
        hour_of_day=hour,
        minute=minute,
        second=second,
        millisecond=ms,
    )


def _wrap32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


class FieldResolver:
    """Turns parsed calendar fields into an instant as a lenient ``GregorianCalendar`` does.

    Fields are recorded in parse order; when several groups could fix the date (say day of month
    and day of year) the most recently set group wins, and out-of-range values roll over.
    """

    __slots__ = ("_next", "_stamp", "_values")

    def __init__(self) -> None:
        self._stamp: dict[int, int] = {}
        self._values: dict[int, int] = {}
        self._next = 2

    def set(self, field: int, value: int) -> FieldResolver:
        if field == ISO_DAY_OF_WEEK:
            field = DAY_OF_WEEK
            if 1 <= value <= 7:
                value = _SUNDAY if value == 7 else value + 1
        self._stamp[field] = self._next
        self._values[field] = _wrap32(value)
        self._next += 1
        return self

    def add_year(self, years: int) -> None:
        """Shift the parsed year and week year (the two-digit-year century correction)."""
        for field in (YEAR, WEEK_YEAR):
            if field in self._values:
                self._values[field] += years

    # -- GregorianCalendar.computeTime -------------------------------------------------------
    def _is_set(self, field: int) -> bool:
        return field in self._stamp

    def _get(self, field: int) -> int:
        return self._values.get(field, 0)

    def _stamp_of(self, field: int) -> int:
        return self._stamp.get(field, 0)

    def establish(self) -> int:
        """The epoch milliseconds the recorded fields denote (UTC unless a zone was parsed)."""
        work = FieldResolver()
        work._stamp, work._values, work._next = dict(self._stamp), dict(self._values), self._next
        if WEEK_YEAR in work._stamp and work._stamp[WEEK_YEAR] > work._stamp.get(YEAR, 0):
            work._apply_week_date()
        return work._compute_time()

    def _apply_week_date(self) -> None:
        week_year = self._values[WEEK_YEAR]
        week = self._get(WEEK_OF_YEAR) if self._is_set(WEEK_OF_YEAR) else 1
        dow = self._get(DAY_OF_WEEK) if self._is_set(DAY_OF_WEEK) else _FIRST_DAY_OF_WEEK
        if not 1 <= dow <= 7:
            if dow >= 8:
                dow -= 1
                week += dow // 7
                dow = dow % 7 + 1
            else:
                while dow <= 0:
                    dow += 7
                    week -= 1
            dow = _SUNDAY if dow == 7 else dow + 1
        era = self._get(ERA) if self._is_set(ERA) else _CE
        year = week_year if era == _CE else 1 - week_year
        jan1 = self._fixed_for(year, 1, 1)
        first = _day_of_week_on_or_before(jan1 + 6, _FIRST_DAY_OF_WEEK)
        if first - jan1 >= _MIN_DAYS_IN_FIRST_WEEK:
            first -= 7
        days = dow - _FIRST_DAY_OF_WEEK
        if days < 0:
            days += 7
        days += 7 * (week - 1)
        fixed = first + days
        y, m, d = (
            _gregorian_from_fixed(fixed) if fixed >= _CUTOVER_FIXED else _julian_from_fixed(fixed)
        )
        for field, value in (
            (ERA, _CE if y > 0 else _BCE),
            (YEAR, y if y > 0 else 1 - y),
            (MONTH, m - 1),
            (DAY_OF_MONTH, d),
        ):
            self.set(field, value)
        self._values[WEEK_OF_YEAR] = week

    @staticmethod
    def _fixed_for(year: int, month: int, day: int) -> int:
        g = _gregorian_fixed(year, month, day)
        return g if g >= _CUTOVER_FIXED else _julian_fixed(year, month, day)

    def _agg(self, a: int, b: int) -> int:
        sa, sb = self._stamp_of(a), self._stamp_of(b)
        return 0 if sa == 0 or sb == 0 else max(sa, sb)

    def _select_fields(self) -> builtins.set[int]:
        mask = {YEAR}
        if self._is_set(ERA):
            mask.add(ERA)
        dow_stamp = self._stamp_of(DAY_OF_WEEK)
        month_stamp = self._stamp_of(MONTH)
        dom_stamp = self._stamp_of(DAY_OF_MONTH)
        wom_stamp = self._agg(WEEK_OF_MONTH, DAY_OF_WEEK)
        dowim_stamp = self._agg(DAY_OF_WEEK_IN_MONTH, DAY_OF_WEEK)
        doy_stamp = self._stamp_of(DAY_OF_YEAR)
        woy_stamp = self._agg(WEEK_OF_YEAR, DAY_OF_WEEK)
        best = max(dom_stamp, wom_stamp, dowim_stamp, doy_stamp, woy_stamp)
        if best == 0:
            wom_stamp = self._stamp_of(WEEK_OF_MONTH)
            dowim_stamp = max(self._stamp_of(DAY_OF_WEEK_IN_MONTH), dow_stamp)
            woy_stamp = self._stamp_of(WEEK_OF_YEAR)
            best = max(wom_stamp, dowim_stamp, woy_stamp)
            if best == 0:
                best = dom_stamp = month_stamp
        woy_raw = self._stamp_of(WEEK_OF_YEAR)
        if (
            best == dom_stamp
            or (best == wom_stamp and self._stamp_of(WEEK_OF_MONTH) >= woy_raw)
            or (best == dowim_stamp and self._stamp_of(DAY_OF_WEEK_IN_MONTH) >= woy_raw)
        ):
            mask.add(MONTH)
            if best == dom_stamp:
                mask.add(DAY_OF_MONTH)
            else:
                if dow_stamp != 0:
                    mask.add(DAY_OF_WEEK)
                if wom_stamp == dowim_stamp:
                    if self._stamp_of(WEEK_OF_MONTH) >= self._stamp_of(DAY_OF_WEEK_IN_MONTH):
                        mask.add(WEEK_OF_MONTH)
                    else:
                        mask.add(DAY_OF_WEEK_IN_MONTH)
                elif best == wom_stamp:
                    mask.add(WEEK_OF_MONTH)
                elif self._stamp_of(DAY_OF_WEEK_IN_MONTH) != 0:
                    mask.add(DAY_OF_WEEK_IN_MONTH)
        elif best == doy_stamp:
            mask.add(DAY_OF_YEAR)
        else:
            if dow_stamp != 0:
                mask.add(DAY_OF_WEEK)
            mask.add(WEEK_OF_YEAR)
        hod_stamp = self._stamp_of(HOUR_OF_DAY)
        hour_stamp = self._agg(HOUR, AM_PM)
        best = max(hour_stamp, hod_stamp)
        if best == 0:
            best = max(self._stamp_of(HOUR), self._stamp_of(AM_PM))
        if best != 0:
            if best == hod_stamp:
                mask.add(HOUR_OF_DAY)
            else:
                mask.add(HOUR)
                if self._is_set(AM_PM):
                    mask.add(AM_PM)
        for f in (MINUTE, SECOND, MILLISECOND, ZONE_OFFSET, DST_OFFSET):
            if self._is_set(f):
                mask.add(f)
        return mask

    def _fixed_date(self, julian: bool, year: int, mask: builtins.set[int]) -> int:
        month = 0
        if MONTH in mask:
            month = self._get(MONTH)
            if month > 11 or month < 0:
                carry, month = divmod(month, 12)
                year += carry
        to_fixed = _julian_fixed if julian else _gregorian_fixed
        fixed = to_fixed(year, month + 1, 1)
        if MONTH in mask:
            if DAY_OF_MONTH in mask:
                if self._is_set(DAY_OF_MONTH):
                    fixed += self._get(DAY_OF_MONTH) - 1
            elif WEEK_OF_MONTH in mask:
                first = _day_of_week_on_or_before(fixed + 6, _FIRST_DAY_OF_WEEK)
                if first - fixed >= _MIN_DAYS_IN_FIRST_WEEK:
                    first -= 7
                if DAY_OF_WEEK in mask:
                    first = _day_of_week_on_or_before(first + 6, self._get(DAY_OF_WEEK))
                fixed = first + 7 * (self._get(WEEK_OF_MONTH) - 1)
            else:
                dow = self._get(DAY_OF_WEEK) if DAY_OF_WEEK in mask else _FIRST_DAY_OF_WEEK
                dowim = self._get(DAY_OF_WEEK_IN_MONTH) if DAY_OF_WEEK_IN_MONTH in mask else 1
                if dowim >= 0:
                    fixed = _day_of_week_on_or_before(fixed + 7 * dowim - 1, dow)
                else:
                    leap = _julian_leap(year) if julian else _gregorian_leap(year)
                    length = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
                    last = length[month] + 7 * (dowim + 1)
                    fixed = _day_of_week_on_or_before(fixed + last - 1, dow)
        else:
            if not julian and year == _CUTOVER_YEAR and fixed < _CUTOVER_FIXED:
                fixed = _CUTOVER_FIXED
            if DAY_OF_YEAR in mask:
                fixed += self._get(DAY_OF_YEAR) - 1
            else:
                first = _day_of_week_on_or_before(fixed + 6, _FIRST_DAY_OF_WEEK)
                if first - fixed >= _MIN_DAYS_IN_FIRST_WEEK:
                    first -= 7
                if DAY_OF_WEEK in mask:
                    dow = self._get(DAY_OF_WEEK)
                    if dow != _FIRST_DAY_OF_WEEK:
                        first = _day_of_week_on_or_before(first + 6, dow)
                fixed = first + 7 * (self._get(WEEK_OF_YEAR) - 1)
        return fixed

    def _compute_time(self) -> int:
        mask = self._select_fields()
        year = self._get(YEAR) if self._is_set(YEAR) else 1970
        era = self._get(ERA) if self._is_set(ERA) else _CE
        if era == _BCE:
            year = 1 - year
        elif era != _CE:
            raise CalendarError("Invalid era")
        if HOUR_OF_DAY in mask:
            time_of_day = self._get(HOUR_OF_DAY)
        else:
            time_of_day = self._get(HOUR)
            if AM_PM in mask:
                time_of_day += 12 * self._get(AM_PM)
        time_of_day = time_of_day * 60 + self._get(MINUTE)
        time_of_day = time_of_day * 60 + self._get(SECOND)
        time_of_day = time_of_day * 1000 + self._get(MILLISECOND)
        fixed, time_of_day = divmod(time_of_day, MILLIS_PER_DAY)
        if year > _CUTOVER_YEAR:
            gfd = fixed + self._fixed_date(False, year, mask)
            fixed = gfd if gfd >= _CUTOVER_FIXED else fixed + self._fixed_date(True, year, mask)
        elif year < _CUTOVER_YEAR:
            jfd = fixed + self._fixed_date(True, year, mask)
            fixed = jfd
        else:
            jfd = fixed + self._fixed_date(True, year, mask)
            gfd = fixed + self._fixed_date(False, year, mask)
            if DAY_OF_YEAR in mask or WEEK_OF_YEAR in mask:
                fixed = jfd
            elif gfd >= _CUTOVER_FIXED:
                fixed = gfd
            else:
                fixed = jfd
        millis = (fixed - _EPOCH_FIXED) * MILLIS_PER_DAY + time_of_day
        return millis - (self._get(ZONE_OFFSET) + self._get(DST_OFFSET))


def millis_of(value: _dt.date | _dt.time) -> int:
    """The ``java.util.Date`` milliseconds behind a Connect Date, Time or Timestamp value."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.UTC).replace(tzinfo=None)
        delta = value - _dt.datetime(1970, 1, 1)
        return delta.days * MILLIS_PER_DAY + delta.seconds * 1000 + delta.microseconds // 1000
    if isinstance(value, _dt.date):
        return (value.toordinal() - _EPOCH_FIXED) * MILLIS_PER_DAY
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1000 + value.microsecond // 1000


_DOW: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MON: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def date_to_string(value: _dt.date | _dt.time) -> str:
    """``java.util.Date.toString()`` in UTC, as a JVM running with ``TZ=UTC`` prints it."""
    if isinstance(value, _dt.datetime):
        moment = value.astimezone(_dt.UTC) if value.tzinfo is not None else value
    elif isinstance(value, _dt.date):
        moment = _dt.datetime(value.year, value.month, value.day)
    else:
        moment = _dt.datetime(1970, 1, 1, value.hour, value.minute, value.second)
    return (
        f"{_DOW[moment.weekday()]} {_MON[moment.month - 1]} {moment.day:02d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} UTC {moment.year}"
    )
