import re

import pytest

from sluice.api import DataError
from sluice.transforms.java_regex import (
    compile_java_regex,
    java_replace_first,
    translate_java_regex,
)


@pytest.mark.parametrize(
    ("java", "matches", "rejects"),
    [
        ("(?<name>[a-z]+)-\\k<name>", ["ab-ab"], ["ab-cd"]),
        ("\\Qa.b*\\E", ["a.b*"], ["axb"]),
        ("\\p{Alpha}+\\p{Digit}", ["ab1"], ["é1"]),
        ("\\P{Digit}", ["x"], ["1"]),
        ("[\\p{Lower}\\d]+", ["a1"], ["A"]),
        ("a\\z", ["a"], ["a\n"]),
        ("\\w+", ["abc_9"], ["ø"]),
        ("(?i)abc", ["ABC"], ["abd"]),
        ("a++b", ["aab"], []),
        ("\\x{41}\\0101", ["AA"], []),
    ],
)
def test_translated_patterns(java: str, matches: list[str], rejects: list[str]) -> None:
    pattern = compile_java_regex(java)
    for text in matches:
        assert pattern.fullmatch(text), text
    for text in rejects:
        assert not pattern.fullmatch(text), text


@pytest.mark.parametrize("java", ["[a&&[b]]", "[a[b]]", "a(?i)b", "\\p{L}", "\\G"])
def test_unsupported_constructs_are_refused(java: str) -> None:
    with pytest.raises(ValueError):
        translate_java_regex(java)


@pytest.mark.parametrize(
    ("regex", "text", "replacement", "expected"),
    [
        ("(a)(b)?", "a", "[$2]", "[]"),
        ("(a)", "xa", "\\\\$1\\n", "x\\an"),
        ("(?<g>a)", "a", "${g}${g}", "aa"),
        ("x", "axbx", "y", "aybx"),
    ],
)
def test_replace_first(regex: str, text: str, replacement: str, expected: str) -> None:
    assert java_replace_first(compile_java_regex(regex), text, replacement) == expected


@pytest.mark.parametrize(
    ("replacement", "message"),
    [
        ("$", "group index is missing"),
        ("\\", "character to be escaped is missing"),
        ("${}", "0 length name"),
        ("${x}", "No group with name {x}"),
        ("${1a}", "starts with digit"),
    ],
)
def test_bad_replacements(replacement: str, message: str) -> None:
    with pytest.raises(DataError, match=re.escape(message)):
        java_replace_first(compile_java_regex("(a)"), "a", replacement)
