"""Whether a task's Kafka clients reach the brokers, as the task's :data:`KAFKA` problem.

librdkafka retries a lost broker forever and a task keeps running meanwhile, so nothing in Kafka
Connect's states says that a task's records are going nowhere. Its clients do say it, through
their error callbacks: ``_ALL_BROKERS_DOWN`` (every broker connection is down), ``_TRANSPORT``
(a connection attempt failed) and ``_RESOLVE`` (a broker's name did not resolve). Any of them makes
the task's problem "cannot reach the Kafka brokers since <time> (<last error>)".

The problem clears when a client shows it works again: a statistics report (every
``statistics.interval.ms``, 5 s by default, see
:mod:`sluice.runtime.metrics.client_stats`) with a broker connection UP, or records consumed.
A disconnection alone, which librdkafka logs but reports as no error, is not a problem: an idle
connection closed by the broker reconnects when next needed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

import msgspec
from confluent_kafka import KafkaError

from sluice.runtime.metrics.client_stats import STATS_INTERVAL_MS
from sluice.runtime.task_problems import KAFKA, TaskProblems

__all__ = ["UNREACHABLE", "KafkaReachability"]

log = logging.getLogger(__name__)

UNREACHABLE: Final = frozenset(
    {KafkaError._ALL_BROKERS_DOWN, KafkaError._TRANSPORT, KafkaError._RESOLVE}
)


class _Broker(msgspec.Struct):
    state: str = ""


class _Stats(msgspec.Struct):
    brokers: dict[str, _Broker] = {}


_decode_stats = msgspec.json.Decoder(_Stats).decode


class KafkaReachability:
    """Turns one task's client callbacks into its :data:`KAFKA` problem."""

    def __init__(self, problems: TaskProblems, wall_clock: Callable[[], float] = time.time):
        self.problems = problems
        self._wall_clock = wall_clock
        self._since: float | None = None

    @property
    def unreachable(self) -> bool:
        return self._since is not None

    def on_error(self, error: KafkaError) -> None:
        """A client's ``error_cb`` (through :func:`sluice.kafka.client_logs.logged_config`)."""
        if error.code() not in UNREACHABLE:
            return
        if self._since is None:
            self._since = self._wall_clock()
        since = datetime.fromtimestamp(self._since).strftime("%H:%M:%S")
        self.problems.report(
            KAFKA, f"WARNING: cannot reach the Kafka brokers since {since} ({error.str()})"
        )

    def reachable(self) -> None:
        """A client has shown that the brokers answer."""
        since = self._since
        if since is not None:
            self._since = None
            self.problems.clear(KAFKA)
            log.info(
                "The Kafka brokers answer again (unreachable since %s)",
                datetime.fromtimestamp(since).strftime("%H:%M:%S"),
            )

    def on_stats(self, raw: str) -> None:
        if self._since is None:
            return
        try:
            stats = _decode_stats(raw)
        except msgspec.DecodeError:
            return
        if any(b.state == "UP" for b in stats.brokers.values()):
            self.reachable()

    def instrument(self, config: dict[str, Any]) -> dict[str, Any]:
        """``config`` with its statistics callback also telling this object (and statistics
        asked for every 5 s if nobody asked yet; a ``statistics.interval.ms`` of 0 is kept, and
        then only consumed records clear the problem)."""
        previous = config.get("stats_cb")
        if previous is None:
            defaults = {"statistics.interval.ms": STATS_INTERVAL_MS}
            return {**defaults, **config, "stats_cb": self.on_stats}

        def stats_cb(raw: str) -> None:
            previous(raw)
            self.on_stats(raw)

        return {**config, "stats_cb": stats_cb}
