"""A running task's problems in its REST status: a ``trace`` on a RUNNING state, live here."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sluice.runtime.abstract_herder import AbstractHerder
from sluice.runtime.task_problems import LOG, TaskProblems
from sluice.storage.states import ConnectorTaskId, State, StateInfo
from sluice.storage.status import MemoryStatusBackingStore

ME = "127.0.0.1:8083"
TASK = ConnectorTaskId("src", 0)


def _herder(problems: TaskProblems | None) -> Any:
    """The few things the status methods read from a herder."""
    tasks = {} if problems is None else {TASK: SimpleNamespace(problems=problems)}
    herder = SimpleNamespace(
        worker=SimpleNamespace(tasks=tasks),
        worker_id=lambda: ME,
        status=MemoryStatusBackingStore(),
    )

    def put_task(task: ConnectorTaskId, state: State, trace: str | None = None) -> None:
        herder.status.put_task(task, StateInfo(state, ME, trace, 3))

    herder._put_task = put_task
    for name in ("with_problems", "on_task_problem"):
        setattr(herder, name, getattr(AbstractHerder, name).__get__(herder))
    return herder


def test_a_running_task_here_shows_its_live_problem_and_then_none() -> None:
    problems = TaskProblems()
    herder = _herder(problems)
    running = StateInfo(State.RUNNING, ME, None, 3)
    assert herder.with_problems(TASK, running) is running
    problems.report(LOG, "WARNING: file /x not found")
    shown = herder.with_problems(TASK, running)
    assert shown.state is State.RUNNING and shown.trace == "WARNING: file /x not found"
    problems.progress()
    published = StateInfo(State.RUNNING, ME, "WARNING: file /x not found", 3)
    assert herder.with_problems(TASK, published).trace is None  # the live view wins


def test_other_states_and_other_workers_are_shown_as_stored() -> None:
    problems = TaskProblems()
    problems.report(LOG, "WARNING: w")
    herder = _herder(problems)
    failed = StateInfo(State.FAILED, ME, "Traceback", 3)
    paused = StateInfo(State.PAUSED, ME, None, 3)
    elsewhere = StateInfo(State.RUNNING, "10.0.0.2:8083", "WARNING: theirs", 3)
    for state in (failed, paused, elsewhere):
        assert herder.with_problems(TASK, state) is state
    gone = StateInfo(State.RUNNING, ME, None, 3)
    assert _herder(None).with_problems(TASK, gone) is gone


def test_changes_are_written_as_running_states_of_this_worker_only() -> None:
    herder = _herder(TaskProblems())
    herder.on_task_problem(TASK, "WARNING: w")
    assert herder.status.task(TASK) is None  # no state yet: nothing to amend
    herder.status.put_task(TASK, StateInfo(State.RUNNING, ME, None, 3))
    herder.on_task_problem(TASK, "WARNING: w")
    assert herder.status.task(TASK) == StateInfo(State.RUNNING, ME, "WARNING: w", 3)
    herder.on_task_problem(TASK, None)
    assert herder.status.task(TASK).trace is None
    herder.status.put_task(TASK, StateInfo(State.PAUSED, ME, None, 3))
    herder.on_task_problem(TASK, "WARNING: w")
    assert herder.status.task(TASK).state is State.PAUSED
    herder.status.put_task(TASK, StateInfo(State.RUNNING, "10.0.0.2:8083", None, 4))
    herder.on_task_problem(TASK, "WARNING: w")
    assert herder.status.task(TASK).trace is None
