"""SimpleDateFormat patterns as the Java parser reads them."""

from __future__ import annotations

import datetime as dt

import pytest

from sluice.connectors.spooldir.date_formats import DateFormatError, JavaDateFormat

UTC = dt.UTC


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("yyyy-MM-dd'T'HH:mm:ss", "2015-12-04T22:18:07Z", at(2015, 12, 4, 22, 18, 7)),
        ("yyyy-MM-dd' 'HH:mm:ss", "2015-12-04 22:18:07", at(2015, 12, 4, 22, 18, 7)),
        ("yyyyMMddHHmmss", "20151204221807", at(2015, 12, 4, 22, 18, 7)),
        (
            "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
            "2015-12-04T22:18:07.250+01:00",
            at(2015, 12, 4, 21, 18, 7, 250000),
        ),
        ("yyyy-MM-dd'T'HH:mm:ssZ", "2015-12-04T22:18:07-0800", at(2015, 12, 5, 6, 18, 7)),
        ("dd/MMM/yyyy:HH:mm:ss z", "04/Dec/2015:22:18:07 GMT", at(2015, 12, 4, 22, 18, 7)),
        ("MMMM d, yyyy h:mm a", "December 4, 2015 10:18 PM", at(2015, 12, 4, 22, 18)),
        ("EEE, d MMM yyyy", "Fri, 4 Dec 2015", at(2015, 12, 4)),
        ("yyyy-MM-dd", "2015-1-4", at(2015, 1, 4)),
        ("'day' D 'of' yyyy", "day 32 of 2020", at(2020, 2, 1)),
        ("h 'o''clock' a", "12 o'clock AM", at(1970, 1, 1)),
    ],
)
def test_parses(pattern: str, text: str, expected: dt.datetime) -> None:
    assert JavaDateFormat(pattern).parse(text, UTC) == expected


def test_zone_applies_when_the_text_has_none() -> None:
    tz = dt.timezone(dt.timedelta(hours=-5))
    assert JavaDateFormat("yyyy-MM-dd HH:mm").parse("2020-01-01 00:00", tz) == at(2020, 1, 1, 5)


def test_two_digit_years_land_near_now() -> None:
    parsed = JavaDateFormat("yy-MM-dd").parse("15-01-02", UTC)
    assert parsed is not None and parsed.year == 2015
    parsed = JavaDateFormat("yy-MM-dd").parse("99-01-02", UTC)
    assert parsed is not None and parsed.year == 1999


@pytest.mark.parametrize("text", ["2015-02-30 10:00:00", "2015-12-04T22:18", "garbage", ""])
def test_rejects(text: str) -> None:
    assert JavaDateFormat("yyyy-MM-dd HH:mm:ss").parse(text, UTC) is None


def test_unknown_letters_are_errors() -> None:
    with pytest.raises(DateFormatError, match="Illegal pattern character 'q'"):
        JavaDateFormat("yyyy-qq")
    with pytest.raises(DateFormatError, match="Unterminated quote"):
        JavaDateFormat("yyyy 'T")
