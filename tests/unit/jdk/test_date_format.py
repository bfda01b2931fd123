import pytest

from sluice.jdk.date_format import DatePatternError, JavaDateFormat, JavaParseError

MILLIS = 1_700_000_123_456  # Tuesday 2023-11-14T22:15:23.456Z


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("yyyyMMdd", "20231114"),
        ("yy-M-d", "23-11-14"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2023-11-14T22:15:23.456Z"),
        ("EEE, d MMM yyyy HH:mm:ss Z", "Tue, 14 Nov 2023 22:15:23 +0000"),
        ("EEEE MMMM", "Tuesday November"),
        ("h:mm a k K", "10:15 PM 22 10"),
        ("S SSSS", "456 0456"),
        ("D w W F u", "318 46 3 2 2"),
        ("'o''clock' ''", "o'clock '"),
        ("'{'yyyyy'}' MM/dd HH:mm:ss.SSSS {0}", "{02023} 11/14 22:15:23.0456 {0}"),
        ("y M d H m s S", "2023 11 14 22 15 23 456"),
        ("G z zzzz", "AD UTC Coordinated Universal Time"),
    ],
)
def test_format(pattern: str, text: str) -> None:
    assert JavaDateFormat(pattern).format(MILLIS) == text


def test_julian_calendar_before_the_gregorian_reform() -> None:
    fmt = JavaDateFormat("yyyy-MM-dd G")
    assert fmt.format(-12_219_292_800_000) == "1582-10-15 AD"
    assert fmt.format(-12_219_292_800_001) == "1582-10-04 AD"  # the day before, in Julian
    # Gregorian 0001-01-01 is Julian 0001-01-03, so the Julian year 1 starts two days earlier.
    assert fmt.format(-62_135_596_800_001) == "0001-01-02 AD"
    assert fmt.format(-62_135_769_600_001) == "0001-12-31 BC"


def test_week_year_differs_from_year_at_year_end() -> None:
    assert JavaDateFormat("YYYY-ww").format(1_703_980_800_000) == "2024-01"  # 2023-12-31


@pytest.mark.parametrize(
    ("pattern", "text", "millis"),
    [
        ("yyyy-MM-dd HH:mm:ss", "2024-01-31 10:15:30", 1_706_696_130_000),
        ("yyyy-MM-dd", "2024-02-30", 1_709_251_200_000),  # lenient: March 1st
        ("yyyy-MM-dd", " 2024-1-2 and more", 1_704_153_600_000),
        ("yyyyMMdd", "20240131", 1_706_659_200_000),
        ("yyyy-MM-dd'T'HH:mmXXX", "2024-01-31T10:15+05:30", 1_706_676_300_000),
        ("MMM d yyyy h a", "jan 31 2024 12 AM", 1_706_659_200_000),
    ],
)
def test_parse(pattern: str, text: str, millis: int) -> None:
    assert JavaDateFormat(pattern).parse(text) == millis


def test_parse_failures() -> None:
    with pytest.raises(JavaParseError, match='Unparseable date: "2024/01/31"'):
        JavaDateFormat("yyyy-MM-dd").parse("2024/01/31")
    assert JavaDateFormat("yyyyMMdd").parse_at("20x40131", 0) is None
    # Only fields followed by another number keep their width: the last one takes what is left.
    assert JavaDateFormat("yyyyMMdd").parse_at("2024013", 0) == (1_704_240_000_000, 7)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("yyyy-bb", "Illegal pattern character 'b'"),
        ("'open", "Unterminated quote"),
        ("XXXX", "invalid ISO 8601 format: length=4"),
    ],
)
def test_bad_patterns(pattern: str, message: str) -> None:
    with pytest.raises(DatePatternError, match=message):
        JavaDateFormat(pattern)
