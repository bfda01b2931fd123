"""A task's current problems: reported, cleared, expired, published on change, from its log."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest
from confluent_kafka import KafkaError

from sluice.runtime import problem_log, task_problems
from sluice.runtime.kafka_reachability import KafkaReachability
from sluice.runtime.task_problems import KAFKA, LOG, TaskProblems


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> _Clock:
    return _Clock()


@pytest.fixture
def problems(clock: _Clock) -> TaskProblems:
    return TaskProblems(ttl=30.0, publish_interval=10.0, clock=clock, wall_clock=lambda: 0.0)


def test_none_until_reported_and_kafka_first(problems: TaskProblems) -> None:
    assert problems.trace() is None and problems.current() == []
    problems.report(LOG, "WARNING: file /x not found\nsecond line")
    problems.report(KAFKA, "WARNING: cannot reach the Kafka brokers")
    assert problems.trace() == "WARNING: cannot reach the Kafka brokers\nWARNING: file /x not found"
    problems.clear(KAFKA)
    assert [p.kind for p in problems.current()] == [LOG]


def test_a_logged_problem_ends_with_progress_or_after_its_ttl(
    problems: TaskProblems, clock: _Clock
) -> None:
    problems.report(LOG, "WARNING: a")
    problems.progress()
    assert problems.trace() is None
    problems.report(LOG, "WARNING: b")
    clock.now += 29.0
    problems.report(LOG, "WARNING: b")  # still warning: the time starts again
    clock.now += 29.0
    assert problems.trace() == "WARNING: b"
    clock.now += 1.0
    assert problems.trace() is None


def test_progress_leaves_kafka_alone(problems: TaskProblems) -> None:
    problems.report(KAFKA, "WARNING: k")
    problems.progress()
    assert problems.trace() == "WARNING: k"


def test_long_text_is_cut(problems: TaskProblems) -> None:
    problems.report(LOG, "x" * 2000)
    trace = problems.trace()
    assert trace is not None and len(trace) == task_problems.MAX_TEXT


def test_changes_of_kinds_are_published_at_a_bounded_rate(
    problems: TaskProblems, clock: _Clock
) -> None:
    published: list[str | None] = []
    problems.on_change = published.append
    problems.tick()
    assert published == []
    problems.report(LOG, "WARNING: a")
    problems.tick()
    problems.report(LOG, "WARNING: a, again")  # same kinds: nothing to publish
    clock.now += 11.0
    problems.tick()
    assert published == ["WARNING: a"]
    problems.progress()
    problems.tick()  # cleared, published at once (10 s have passed)
    problems.report(LOG, "WARNING: c")
    clock.now += 1.0
    problems.tick()  # too soon after the last publication
    assert published == ["WARNING: a", None]
    clock.now += 10.0
    problems.tick()
    assert published == ["WARNING: a", None, "WARNING: c"]
    problems.republish()  # the task's status was written afresh, without its problem
    problems.tick()
    assert published[-1] == "WARNING: c" and len(published) == 4


@pytest.fixture
def handler() -> Iterator[None]:
    problem_log.install()
    problem_log.install()  # once only
    root = logging.getLogger()
    assert sum(isinstance(h, problem_log.ProblemLogHandler) for h in root.handlers) == 1
    yield
    task_problems.bind(None)


def test_warnings_of_a_task_thread_become_its_problem(
    problems: TaskProblems, handler: None
) -> None:
    log = logging.getLogger("some.connector")
    task_problems.bind(problems)
    log.info("all is well")
    assert problems.trace() is None
    log.warning("Couldn't find file %s", "/x")
    assert problems.trace() == "WARNING: Couldn't find file /x"
    logging.getLogger("librdkafka.producer").error("FAIL [p] down")
    assert problems.trace() == "WARNING: Couldn't find file /x"
    record = logging.LogRecord(
        "c", logging.ERROR, __file__, 1, "boom (2 similar lines)", None, None
    )
    record.repeats_held = 2
    logging.getLogger().handle(record)
    assert problems.trace() == "ERROR: boom"


def test_other_threads_warnings_are_nobodys_problem(problems: TaskProblems, handler: None) -> None:
    task_problems.bind(problems)
    thread = threading.Thread(target=lambda: logging.getLogger("x").warning("elsewhere"))
    thread.start()
    thread.join()
    assert problems.trace() is None


def test_kafka_errors_make_the_brokers_unreachable_until_a_broker_is_up(
    problems: TaskProblems,
) -> None:
    reach = KafkaReachability(problems, wall_clock=lambda: 0.0)
    reach.on_error(KafkaError(KafkaError._MSG_TIMED_OUT, "not about reaching brokers"))
    assert problems.trace() is None
    reach.on_error(KafkaError(KafkaError._ALL_BROKERS_DOWN, "1/1 brokers are down"))
    reach.on_error(KafkaError(KafkaError._TRANSPORT, "Connect to x failed"))
    trace = problems.trace()
    assert trace is not None
    assert trace.startswith("WARNING: cannot reach the Kafka brokers since ")
    assert trace.endswith("(Connect to x failed)")
    reach.on_stats('{"brokers": {"b/bootstrap": {"state": "INIT"}}}')
    assert reach.unreachable
    reach.on_stats('{"brokers": {"b/bootstrap": {"state": "INIT"}, "b/1": {"state": "UP"}}}')
    assert not reach.unreachable and problems.trace() is None


def test_instrument_keeps_the_metrics_callback(problems: TaskProblems) -> None:
    reach = KafkaReachability(problems)
    seen: list[str] = []
    config = reach.instrument({"stats_cb": seen.append, "statistics.interval.ms": 0})
    config["stats_cb"]("{}")
    assert seen == ["{}"] and config["statistics.interval.ms"] == 0
    alone = reach.instrument({"bootstrap.servers": "x"})
    assert alone["stats_cb"] == reach.on_stats and alone["statistics.interval.ms"] == 5000
