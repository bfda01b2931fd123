"""Tables for people: aligned, no trailing blanks, colour that does not break alignment."""

from __future__ import annotations

import io

import pytest

from sluice.cli.tables import format_lag, format_rate, key_values, render, use_colour


def test_columns_align_and_numbers_align_right() -> None:
    text = render(("NAME", "N"), [["a", "1"], ["long-name", "100"]], right=(1,))
    assert text.splitlines() == ["NAME         N", "a            1", "long-name  100"]


def test_colour_marks_states_without_moving_columns() -> None:
    rows = [["RUNNING", "x"], ["FAILED", "y"]]
    plain = render(("STATE", "C"), rows, states=(0,))
    coloured = render(("STATE", "C"), rows, states=(0,), colour=True)
    assert "\x1b[32mRUNNING\x1b[0m" in coloured and "\x1b[31mFAILED\x1b[0m" in coloured
    assert coloured.replace("\x1b[32m", "").replace("\x1b[31m", "").replace("\x1b[0m", "") == plain


def test_no_colour_for_pipes_or_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert use_colour(Tty()) and not use_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(Tty())


def test_cells() -> None:
    assert [format_rate(None), format_rate(2.345), format_rate(1234.5)] == ["-", "2.3", "1234"]
    assert [format_lag(None), format_lag(0), format_lag(42)] == ["-", "0", "42"]
    assert key_values({"a": "1", "long": ""}, "  ") == "  a     1\n  long"
