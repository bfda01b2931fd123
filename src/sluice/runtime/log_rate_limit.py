"""Repeated log lines, collapsed: the first of a kind is written, its repeats at a slowing pace.

A broker that is down makes every Kafka client retry its connections several times a second, and
a connector waiting for something (FileStreamSource for its file) may warn on every poll. Each
line is true, but hundreds of copies bury the few lines that say what is wrong. The filter here
lets the first line of a kind through, then one after 1 s, 2 s, 4 s ... (at most one a minute
once the repeats go on), each saying how many similar lines it stands for; a kind that stays
quiet for :data:`RESET_AFTER` seconds starts over.

A line's kind is its logger, the connector/task context of the thread that wrote it (two tasks
with the same trouble both get their say) and its text. For the Kafka client libraries' loggers
(librdkafka's and kafka-python's) digits are ignored, since their repeats differ only in timings
and counters (``after 0ms in state CONNECT``, ``1/1 brokers are down``); sluice's and the
connectors' lines must match exactly, so that distinct events (a record at another offset) are
never mistaken for repeats.

Which lines: WARNING and above from every logger, every level from the client libraries.
INFO and DEBUG lines of sluice and the connectors narrate distinct steps, which operators and
tests count on, and whoever turns DEBUG on wants every line of it.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sluice.kafka.client_logs import LOGGER as LIBRDKAFKA_LOGGER
from sluice.runtime import log_context

__all__ = ["FIRST_INTERVAL", "MAX_INTERVAL", "RESET_AFTER", "RepeatFilter"]

FIRST_INTERVAL: Final = 1.0
"""Seconds before the first repeat of a kind may pass; each later wait doubles."""
MAX_INTERVAL: Final = 60.0
"""The longest wait between two lines of a kind."""
RESET_AFTER: Final = 600.0
"""A kind unseen this long starts over: its next line passes at once."""
MAX_KINDS: Final = 10_000
"""Kinds remembered at most; the stalest are forgotten first."""

_CLIENT_LOGGERS: Final = (LIBRDKAFKA_LOGGER, "kafka")
_DIGITS: Final = re.compile(r"\d+")


@dataclass
class _Kind:
    next_at: float
    interval: float
    last_seen: float
    held: int = 0


def _is_client_logger(name: str) -> bool:
    return any(name == n or name.startswith(n + ".") for n in _CLIENT_LOGGERS)


class RepeatFilter(logging.Filter):
    """A handler filter that holds back repeats of a line (see the module's description).

    It runs on the thread that logs, like :class:`~sluice.runtime.log_context.ContextFilter`,
    so it can read that thread's connector/task context.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._clock = clock
        self._kinds: dict[tuple[str, str, str], _Kind] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        client = _is_client_logger(record.name)
        if record.levelno < logging.WARNING and not client:
            return True
        try:
            message = record.getMessage()
        except Exception:
            return True  # a broken record: let logging report it as usual
        text = _DIGITS.sub("#", message) if client else message
        key = (record.name, log_context.current().prefix, text)
        now = self._clock()
        with self._lock:
            kind = self._kinds.get(key)
            if kind is None or now - kind.last_seen >= RESET_AFTER:
                held = kind.held if kind is not None else 0
                self._remember(key, _Kind(now + FIRST_INTERVAL, FIRST_INTERVAL, now))
                passes = True
            elif now >= kind.next_at:
                held, kind.held = kind.held, 0
                kind.interval = min(2 * kind.interval, MAX_INTERVAL)
                kind.next_at = now + kind.interval
                kind.last_seen = now
                passes = True
            else:
                kind.held += 1
                kind.last_seen = now
                passes = False
        if passes and held:
            record.msg = f"{message} ({_similar(held)})"
            record.args = None
            record.repeats_held = held  # handlers after this one can tell the note from the line
        return passes

    def _remember(self, key: tuple[str, str, str], kind: _Kind) -> None:
        kinds = self._kinds
        kinds.pop(key, None)
        if len(kinds) >= MAX_KINDS:
            for stale in list(kinds)[: MAX_KINDS // 10]:  # insertion order: oldest first
                del kinds[stale]
        kinds[key] = kind


def _similar(count: int) -> str:
    return f"{count} similar line{'' if count == 1 else 's'} suppressed"
