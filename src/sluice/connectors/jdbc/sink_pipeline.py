"""Committing one sink batch on a background thread while the task thread prepares the next.

Most of a JDBC sink batch's time is spent waiting for the database (statements and COMMIT);
preparing the next batch's rows is Python work on the task thread. :class:`CommitPipeline` lets
the two overlap, with at most one batch in flight, so the order of writes is the order of
batches and nothing about delivery changes:

* the outcome of a batch (its rejected records, or the error that stopped it) is kept until the
  task thread takes it with :meth:`CommitPipeline.take`, and only then are offsets advanced and
  rejected records reported, on the task thread: the runtime's errant record reporter is not
  thread-safe (it looks records up in a map the task thread refills at every poll, and counts
  errors and collects futures without a lock);
* :meth:`CommitPipeline.join` waits for the batch without taking its outcome: the writer calls it
  before preparing touches the database, so the connection is never used by two threads.

One short-lived daemon thread per batch rather than a pool: starting a thread costs far less
than a batch's round trips, there is no idle worker to shut down, and waiting for a batch is
joining its thread, so nothing outlives :meth:`CommitPipeline.close`.

The thread is a :class:`~sluice.api.ContextThread`: its log lines name the connector and task
(``[connector|task-0]``) as the task thread's do.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sluice.api import ContextThread
from sluice.connectors.jdbc.sink_writer import PreparedBatch, Reject

__all__ = ["CommitPipeline", "Committed"]


@dataclass(frozen=True)
class Committed:
    """The outcome of one batch: committed with ``rejects`` to report, or stopped by ``error``
    (nothing of the batch is then known to be durable)."""

    batch: PreparedBatch
    rejects: list[Reject]
    error: BaseException | None
    seconds: float
    """How long the commit took (the database's share of the batch's time)."""


class CommitPipeline:
    """Runs ``commit`` for one batch at a time on a background thread."""

    def __init__(self, commit: Callable[[PreparedBatch], list[Reject]], name: str) -> None:
        self._commit = commit
        self._name = name
        self._thread: threading.Thread | None = None
        self._outcome: Committed | None = None

    @property
    def idle(self) -> bool:
        """No batch is committing, and no outcome waits to be taken."""
        return self._thread is None

    @property
    def finished(self) -> bool:
        """A batch was submitted and its outcome can be taken without waiting."""
        return self._thread is not None and not self._thread.is_alive()

    def submit(self, batch: PreparedBatch) -> None:
        """Start committing ``batch``; the previous outcome must have been taken."""
        if self._thread is not None:
            raise RuntimeError("a batch is already in flight")
        self._outcome = None
        self._thread = ContextThread(target=self._run, args=(batch,), name=self._name, daemon=True)
        self._thread.start()

    def _run(self, batch: PreparedBatch) -> None:
        started = time.monotonic()
        try:
            rejects = self._commit(batch)
        except BaseException as e:  # handed to the task thread, which decides what it means
            self._outcome = Committed(batch, [], e, time.monotonic() - started)
        else:
            self._outcome = Committed(batch, rejects, None, time.monotonic() - started)

    def join(self) -> None:
        """Wait until the batch in flight, if any, has finished; its outcome stays to be taken."""
        if self._thread is not None:
            self._thread.join()

    def take(self) -> Committed | None:
        """Wait for the batch in flight and hand over its outcome (``None`` if there was none)."""
        if self._thread is None:
            return None
        self._thread.join()
        outcome, self._outcome, self._thread = self._outcome, None, None
        assert outcome is not None
        return outcome

    def close(self) -> None:
        """Wait for the batch in flight and drop its outcome: the thread is gone afterwards."""
        self.take()
