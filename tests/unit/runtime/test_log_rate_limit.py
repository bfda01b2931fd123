"""Repeats of a line pass at 1 s, 2 s, 4 s ... with a count; other lines pass untouched."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from sluice.runtime import log_context
from sluice.runtime.log_rate_limit import MAX_INTERVAL, RESET_AFTER, RepeatFilter


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _record(name: str, msg: str, *args: object, level: int = logging.WARNING) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, args, None)


@pytest.fixture
def clock() -> _Clock:
    return _Clock()


@pytest.fixture
def limiter(clock: _Clock) -> RepeatFilter:
    return RepeatFilter(clock)


@pytest.fixture(autouse=True)
def no_context() -> Iterator[None]:
    log_context.set_context(None)
    yield
    log_context.set_context(None)


def _once_a_second(limiter: RepeatFilter, clock: _Clock, seconds: int, name: str) -> list[str]:
    passed = []
    for _ in range(seconds):
        record = _record(name, "Couldn't find file %s", "/x")
        if limiter.filter(record):
            passed.append(record.getMessage())
        clock.now += 1.0
    return passed


def test_a_warning_every_second_passes_at_a_slowing_pace(
    limiter: RepeatFilter, clock: _Clock
) -> None:
    passed = _once_a_second(limiter, clock, 31, "sluice.connectors.file.source")
    assert passed == [
        "Couldn't find file /x",  # t=0
        "Couldn't find file /x",  # t=1
        "Couldn't find file /x (1 similar line suppressed)",  # t=3
        "Couldn't find file /x (3 similar lines suppressed)",  # t=7
        "Couldn't find file /x (7 similar lines suppressed)",  # t=15; the next one at t=31
    ]


def test_the_pace_never_drops_below_one_line_a_minute(limiter: RepeatFilter, clock: _Clock) -> None:
    passed = _once_a_second(limiter, clock, 600, "c")
    gaps = [int(p.split("(")[1].split()[0]) + 1 for p in passed[2:]]
    assert max(gaps) == MAX_INTERVAL
    assert len(passed) < 20


def test_a_kind_quiet_for_long_starts_over_and_keeps_its_count(
    limiter: RepeatFilter, clock: _Clock
) -> None:
    assert limiter.filter(_record("c", "x"))
    assert limiter.filter(_record("c", "x")) is False
    clock.now += RESET_AFTER
    record = _record("c", "x")
    assert limiter.filter(record)
    assert record.getMessage() == "x (1 similar line suppressed)"
    assert getattr(record, "repeats_held", 0) == 1


def test_tasks_and_messages_are_separate_kinds(limiter: RepeatFilter) -> None:
    assert limiter.filter(_record("c", "one"))
    assert limiter.filter(_record("c", "two"))
    assert limiter.filter(_record("other", "one"))
    log_context.set_context("conn", 1)
    assert limiter.filter(_record("c", "one"))
    assert limiter.filter(_record("c", "one")) is False


def test_sluice_lines_differing_in_digits_are_different(limiter: RepeatFilter) -> None:
    assert limiter.filter(_record("sluice.runtime.errors", "Error at offset 5"))
    assert limiter.filter(_record("sluice.runtime.errors", "Error at offset 6"))


def test_client_lines_differing_in_digits_are_repeats(limiter: RepeatFilter) -> None:
    first = _record("librdkafka.producer", "FAIL [p#producer-1] failed (after 0ms)", level=40)
    again = _record("librdkafka.producer", "FAIL [p#producer-1] failed (after 12ms)", level=40)
    assert limiter.filter(first)
    assert limiter.filter(again) is False
    assert limiter.filter(_record("kafka.conn", "connect to 1 failed", level=30))
    assert limiter.filter(_record("kafka.conn", "connect to 2 failed", level=30)) is False


def test_info_lines_pass_untouched_except_the_clients(limiter: RepeatFilter) -> None:
    for _ in range(5):
        assert limiter.filter(_record("sluice.runtime.worker", "Task started", level=20))
    assert limiter.filter(_record("librdkafka.consumer", "REQTMOUT x", level=20))
    assert limiter.filter(_record("librdkafka.consumer", "REQTMOUT x", level=20)) is False
