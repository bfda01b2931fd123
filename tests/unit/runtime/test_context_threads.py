"""A plugin's ContextThread logs as the task or connector that started it, and its warnings
are that task's problems; a plain thread carries nothing, as before."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

import pytest

from sluice.api import ContextThread
from sluice.runtime import log_context, problem_log, task_problems


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.addFilter(log_context.ContextFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def collected() -> Iterator[_Collect]:
    logger = logging.getLogger("sluice.test.context_threads")
    handler = _Collect()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        log_context.set_context(None)
        task_problems.bind(None)


def _log_in(thread_class: type[threading.Thread], message: str) -> None:
    def target() -> None:
        logging.getLogger("sluice.test.context_threads").warning(message)

    thread = thread_class(target=target, name=f"helper-{message}", daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive()


def test_a_context_thread_logs_with_the_task_that_started_it(collected: _Collect) -> None:
    log_context.set_context("orders-sink", 2)
    _log_in(ContextThread, "context")
    _log_in(threading.Thread, "plain")
    prefixes = {r.getMessage(): (r.connect_context, r.connector, r.task) for r in collected.records}  # type: ignore[attr-defined]
    assert prefixes == {
        "context": ("[orders-sink|task-2] ", "orders-sink", 2),
        "plain": ("", None, None),
    }


def test_the_context_is_taken_at_start_not_at_creation(collected: _Collect) -> None:
    def target() -> None:
        logging.getLogger("sluice.test.context_threads").info("later")

    thread = ContextThread(target=target, daemon=True)  # created outside any context
    log_context.set_context("mirror", scope="worker")
    thread.start()
    thread.join(10)
    assert [r.connect_context for r in collected.records] == ["[mirror|worker] "]  # type: ignore[attr-defined]


def test_a_context_threads_warnings_are_its_tasks_problems(collected: _Collect) -> None:
    problems = task_problems.TaskProblems()
    task_problems.bind(problems)
    handler = problem_log.ProblemLogHandler()
    logging.getLogger("sluice.test.context_threads").addHandler(handler)
    try:
        _log_in(threading.Thread, "from a plain thread")
        assert problems.current() == []
        _log_in(ContextThread, "database slow")
    finally:
        logging.getLogger("sluice.test.context_threads").removeHandler(handler)
    assert [p.text for p in problems.current()] == ["WARNING: database slow"]


def test_the_threads_of_a_jdbc_sink_commit_carry_the_task_context(collected: _Collect) -> None:
    from sluice.connectors.jdbc.sink_pipeline import CommitPipeline

    def commit(batch: object) -> list[object]:
        logging.getLogger("sluice.test.context_threads").info("committing")
        return []

    log_context.set_context("jdbc-sink", 0)
    pipeline = CommitPipeline(commit, name="jdbc-commit")  # type: ignore[arg-type]
    pipeline.submit(object())  # type: ignore[arg-type]
    pipeline.join()
    outcome = pipeline.take()
    assert outcome is not None and outcome.error is None
    assert [r.connect_context for r in collected.records] == ["[jdbc-sink|task-0] "]  # type: ignore[attr-defined]


def test_a_hook_registers_once() -> None:
    from sluice.api import threads

    calls: list[str] = []

    def capture() -> Callable[[], None]:
        calls.append("captured")
        return lambda: calls.append("restored")

    before = list(threads._captures)
    try:
        threads.carry_into_threads(capture)
        threads.carry_into_threads(capture)
        thread = ContextThread(target=lambda: None)
        thread.start()
        thread.join(10)
    finally:
        threads._captures[:] = before
    assert calls == ["captured", "restored"]


def test_a_subclass_overriding_run_gets_the_context_too(collected: _Collect) -> None:
    class Reader(ContextThread):
        def run(self) -> None:
            logging.getLogger("sluice.test.context_threads").info("reading")

    log_context.set_context("cdc", 0)
    reader = Reader(daemon=True)
    reader.start()
    reader.join(10)
    assert [r.connect_context for r in collected.records] == ["[cdc|task-0] "]  # type: ignore[attr-defined]
