"""The distributed herder's request queue: work handed to its tick thread by other threads.

Everything that changes the herder's state runs on one thread (as in Kafka's
``DistributedHerder``), so REST handlers, connectors asking for reconfiguration and retries all
queue a request and wait on its future. Requests run in order of their due time, then of arrival.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

__all__ = ["HerderRequest", "RequestQueue"]

T = TypeVar("T")


class HerderRequest:
    """One queued action and the future its result goes to."""

    __slots__ = ("action", "at", "future", "seq")

    def __init__(self, at: float, seq: int, action: Callable[[], Any]) -> None:
        self.at = at
        self.seq = seq
        self.action = action
        self.future: Future[Any] = Future()

    def __lt__(self, other: HerderRequest) -> bool:
        return (self.at, self.seq) < (other.at, other.seq)

    def run(self) -> None:
        if not self.future.set_running_or_notify_cancel():
            return
        try:
            result = self.action()
        except BaseException as e:
            self.future.set_exception(e)
        else:
            self.future.set_result(result)


class RequestQueue:
    """A thread-safe queue of :class:`HerderRequest`, ordered by due time.

    ``wakeup`` is called when a request becomes the next one due, so the tick thread stops
    waiting on the group and serves it.
    """

    def __init__(
        self, wakeup: Callable[[], None], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._wakeup = wakeup
        self._clock = clock
        self._heap: list[HerderRequest] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()

    def add(self, action: Callable[[], T], delay: float = 0.0) -> Future[T]:
        request = HerderRequest(self._clock() + delay, next(self._seq), action)
        with self._lock:
            heapq.heappush(self._heap, request)
            first = self._heap[0] is request
        if first:
            self._wakeup()
        return request.future

    def pop_due(self) -> HerderRequest | None:
        """The next request if it is due now, else ``None``."""
        with self._lock:
            if self._heap and self._heap[0].at <= self._clock():
                return heapq.heappop(self._heap)
            return None

    def next_due(self) -> float | None:
        """When the next request is due (clock time), ``None`` if the queue is empty."""
        with self._lock:
            return self._heap[0].at if self._heap else None

    def cancel_all(self, error: BaseException) -> None:
        """Fail every queued request (the herder is stopping)."""
        with self._lock:
            pending, self._heap = self._heap, []
        for request in pending:
            if request.future.set_running_or_notify_cancel():
                request.future.set_exception(error)
