"""Logger levels read and changed at run time, as Kafka Connect's ``/admin/loggers`` (KIP-495).

Users and tools speak log4j level names (``TRACE``, ``DEBUG``, ``INFO``, ``WARN``, ``ERROR``,
``FATAL``, ``OFF``, ``ALL``); Python's :mod:`logging` has numbers and slightly different names.
This module maps between the two, sets a logger's level together with its existing descendants
(log4j's ``setAllLevels``), and remembers when each level was last changed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

__all__ = ["LEVELS", "ROOT_LOGGER_NAME", "LoggerLevel", "Loggers", "level_name"]

ROOT_LOGGER_NAME: Final = "root"

TRACE: Final = 5
OFF: Final = logging.CRITICAL + 1000
ALL: Final = 1

LEVELS: Final[dict[str, int]] = {
    "OFF": OFF,
    "FATAL": logging.CRITICAL,
    "ERROR": logging.ERROR,
    "WARN": logging.WARNING,
    "INFO": logging.INFO,
    "DEBUG": logging.DEBUG,
    "TRACE": TRACE,
    "ALL": ALL,
}
"""log4j level names and the Python levels they stand for."""

_BY_NUMBER: Final = sorted(((n, name) for name, n in LEVELS.items()), reverse=True)


def level_name(level: int) -> str:
    """The log4j name of a Python level; levels between two names take the lower one."""
    for number, name in _BY_NUMBER:
        if level >= number:
            return name
    return "ALL"  # NOTSET on the root logger lets everything through


@dataclass(frozen=True)
class LoggerLevel:
    level: str
    last_modified: int | None
    """Milliseconds since the epoch of the last change made through this API, else ``None``."""

    def to_json(self) -> dict[str, object]:
        return {"level": self.level, "last_modified": self.last_modified}


class Loggers:
    """Reads and sets levels of the process's Python loggers under log4j names."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last_modified: dict[str, int] = {}
        for name in ("TRACE", "OFF", "ALL"):
            if logging.getLevelName(LEVELS[name]) != name:
                logging.addLevelName(LEVELS[name], name)

    @staticmethod
    def is_valid_level(level: str) -> bool:
        return level.strip().upper() in LEVELS

    @staticmethod
    def _is_root(name: str) -> bool:
        return name.lower() == ROOT_LOGGER_NAME or name == ""

    @staticmethod
    def _existing() -> dict[str, logging.Logger]:
        manager = logging.Logger.manager
        return {
            name: logger
            for name, logger in list(manager.loggerDict.items())
            if isinstance(logger, logging.Logger)
        }

    def _level_of(self, name: str, logger: logging.Logger) -> LoggerLevel:
        return LoggerLevel(level_name(logger.getEffectiveLevel()), self._last_modified.get(name))

    def all_levels(self) -> dict[str, LoggerLevel]:
        """Loggers whose level was set explicitly, and ``root``, sorted by name."""
        with self._lock:
            result = {
                name: self._level_of(name, logger)
                for name, logger in self._existing().items()
                if logger.level != logging.NOTSET
            }
            result[ROOT_LOGGER_NAME] = self._level_of(ROOT_LOGGER_NAME, logging.getLogger())
            return dict(sorted(result.items()))

    def level(self, name: str) -> LoggerLevel | None:
        """The effective level of an existing logger, or ``None`` if no such logger exists."""
        with self._lock:
            if self._is_root(name):
                return self._level_of(ROOT_LOGGER_NAME, logging.getLogger())
            logger = self._existing().get(name)
            return None if logger is None else self._level_of(name, logger)

    def set_level(self, namespace: str, level: str) -> list[str]:
        """Set ``namespace`` and its existing descendants to ``level``; the sorted names of the
        loggers whose level actually changed. ``root`` sets every logger."""
        number = LEVELS.get(level.strip().upper())
        if number is None:
            raise ValueError(f"invalid log level '{level}'.")
        with self._lock:
            existing = self._existing()
            root = self._is_root(namespace)
            targets: dict[str, logging.Logger] = {}
            before: dict[str, str] = {}
            if root:
                targets = dict(existing)
                targets[ROOT_LOGGER_NAME] = logging.getLogger()
            else:
                for name, logger in existing.items():
                    if name == namespace or name.startswith(namespace + "."):
                        targets[name] = logger
            for name, logger in targets.items():
                before[name] = level_name(logger.getEffectiveLevel())
            if not root and namespace not in targets:
                targets[namespace] = logging.getLogger(namespace)
                before[namespace] = ""
            now = int(self._clock() * 1000)
            changed: list[str] = []
            for name, logger in targets.items():
                logger.setLevel(number)
                if before[name] != level_name(number):
                    self._last_modified[name] = now
                    changed.append(name)
            return sorted(changed)
