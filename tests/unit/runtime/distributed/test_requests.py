"""The herder's request queue: order by due time, then arrival; wakeups; cancellation."""

from __future__ import annotations

import pytest

from sluice.runtime.distributed.requests import RequestQueue


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_requests_run_in_due_order_then_arrival_order() -> None:
    clock = _Clock()
    wakeups: list[int] = []
    queue = RequestQueue(lambda: wakeups.append(1), clock)
    ran: list[str] = []
    queue.add(lambda: ran.append("later"), delay=5)
    queue.add(lambda: ran.append("first"))
    queue.add(lambda: ran.append("second"))
    while (request := queue.pop_due()) is not None:
        request.run()
    assert ran == ["first", "second"]
    assert queue.next_due() == 105.0
    clock.now = 105.0
    request = queue.pop_due()
    assert request is not None
    request.run()
    assert ran == ["first", "second", "later"]
    assert queue.pop_due() is None and queue.next_due() is None


def test_wakeup_only_when_the_new_request_is_the_next_due() -> None:
    clock = _Clock()
    wakeups: list[int] = []
    queue = RequestQueue(lambda: wakeups.append(1), clock)
    queue.add(lambda: None)
    queue.add(lambda: None, delay=10)  # behind the first: the loop will see it anyway
    assert len(wakeups) == 1


def test_results_and_errors_reach_the_future() -> None:
    queue = RequestQueue(lambda: None, _Clock())
    ok = queue.add(lambda: 42)
    bad = queue.add(lambda: 1 / 0)
    while (request := queue.pop_due()) is not None:
        request.run()
    assert ok.result(0) == 42
    with pytest.raises(ZeroDivisionError):
        bad.result(0)


def test_cancel_all_fails_pending_requests() -> None:
    queue = RequestQueue(lambda: None, _Clock())
    future = queue.add(lambda: 1, delay=30)
    queue.cancel_all(RuntimeError("stopping"))
    with pytest.raises(RuntimeError, match="stopping"):
        future.result(0)
    assert queue.pop_due() is None


def test_a_cancelled_request_is_not_run() -> None:
    queue = RequestQueue(lambda: None, _Clock())
    ran: list[int] = []
    future = queue.add(lambda: ran.append(1))
    assert future.cancel()
    request = queue.pop_due()
    assert request is not None
    request.run()
    assert ran == []
