"""Failure traces in Java's layout: outermost exception first, Kafka's class names, causes after."""

from __future__ import annotations

import linecache
import re
from pathlib import Path

from sluice.api import ConfigError, DataError, RetriableError
from sluice.runtime.errors import ToleranceExceededError
from sluice.runtime.java_traces import exception_class_name, format_trace

FRAME = re.compile(r"\tat ([\w.<>]+)\.([\w<>]+)\(([\w.]+\.py):(\d+)\)")


def _frame(line: str) -> tuple[str, str]:
    """``(function, the first 12 characters of its source line)`` of a
    ``\tat module.function(file.py:N)`` line of this module."""
    match = FRAME.fullmatch(line)
    assert match is not None, line
    module, function, file, number = match.groups()
    assert (module, file) == (__name__, Path(__file__).name)
    return function, linecache.getline(__file__, int(number)).strip()[:12]


def _convert() -> None:
    try:
        {}["k"]
    except KeyError as e:
        raise DataError("Converting byte[] to Kafka Connect data failed") from e


def _handle() -> None:
    try:
        _convert()
    except DataError as e:
        raise ToleranceExceededError("Tolerance exceeded in error handler") from e


def _failure() -> BaseException:
    try:
        _handle()
    except ToleranceExceededError as e:
        return e
    raise AssertionError("no failure")


def test_outermost_first_with_kafka_names_and_caused_by_sections() -> None:
    lines = format_trace(_failure()).splitlines()
    assert lines[0] == (
        "org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler"
    )
    headers = [line for line in lines if not line.startswith("\t")]
    assert headers == [
        lines[0],
        "Caused by: org.apache.kafka.connect.errors.DataException: "
        "Converting byte[] to Kafka Connect data failed",
        "Caused by: KeyError: 'k'",
    ]
    frames = [line for line in lines if line.startswith("\tat ")]
    assert frames and all(FRAME.fullmatch(line) for line in frames), frames
    # innermost frame first, as Java prints them, each naming its function and line
    outer = lines[1 : lines.index(headers[1])]
    assert [_frame(line) for line in outer] == [
        ("_handle", "raise Tolera"),
        ("_failure", "_handle()"),
    ]
    # a cause shares the frames above the one that caught it: Java counts them
    cause = lines[lines.index(headers[1]) + 1 : lines.index(headers[2])]
    assert [_frame(line) for line in cause[:-1]] == [
        ("_convert", "raise DataEr"),
        ("_handle", "_convert()"),
    ]
    assert cause[-1] == "\t... 1 more"
    assert lines[-1] == "\t... 2 more"
    assert format_trace(_failure()).endswith("\n")


def _raise_while_handling() -> None:
    try:
        raise RetriableError("broker gone")
    except RetriableError:
        raise ConfigError("bad")  # noqa: B904 - an implicit context, on purpose


def test_the_exception_being_handled_and_implicit_context() -> None:
    try:
        try:
            raise RetriableError("broker gone")
        except RetriableError:
            raise ValueError("while retrying") from None
    except ValueError:
        lines = format_trace().splitlines()
        assert lines[0] == "ValueError: while retrying"
        assert _frame(lines[1]) == (
            "test_the_exception_being_handled_and_implicit_context",
            "raise ValueE",
        )
        assert len(lines) == 2
    try:
        _raise_while_handling()
    except ConfigError as e:
        text = format_trace(e)
    assert text.startswith("org.apache.kafka.common.config.ConfigException: bad\n")
    assert "\nCaused by: org.apache.kafka.connect.errors.RetriableException: broker gone\n" in text
    assert format_trace() == ""


def test_an_exception_never_raised_is_its_header_alone() -> None:
    assert format_trace(RuntimeError()) == "RuntimeError\n"
    assert format_trace(DataError("x")) == "org.apache.kafka.connect.errors.DataException: x\n"


def test_class_names() -> None:
    class BadRowError(DataError):
        pass

    assert exception_class_name(ToleranceExceededError()) == (
        "org.apache.kafka.connect.errors.ConnectException"
    )
    assert exception_class_name(ValueError()) == "ValueError"
    # a subclass is not Kafka's class: it keeps its own name, as a Java subclass would
    assert exception_class_name(BadRowError()).endswith(".BadRowError")
