"""Loggers: log4j level names over Python logging, children included, change times kept."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import pytest

from sluice.runtime.loggers import LEVELS, LoggerLevel, Loggers, level_name


@pytest.fixture
def ns() -> Iterator[str]:
    name = f"sluice.loggerstest{uuid.uuid4().hex[:8]}"
    yield name
    for logger_name, logger in list(logging.Logger.manager.loggerDict.items()):
        if logger_name.startswith(name) and isinstance(logger, logging.Logger):
            logger.setLevel(logging.NOTSET)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("level", "name"),
    [
        (logging.DEBUG, "DEBUG"),
        (logging.INFO, "INFO"),
        (logging.WARNING, "WARN"),
        (logging.ERROR, "ERROR"),
        (logging.CRITICAL, "FATAL"),
        (5, "TRACE"),
        (1, "ALL"),
        (0, "ALL"),
        (15, "DEBUG"),
        (LEVELS["OFF"], "OFF"),
    ],
)
def test_level_names(level: int, name: str) -> None:
    assert level_name(level) == name


def test_valid_levels() -> None:
    for name in ("trace", "DEBUG", "Info", "WARN", "error", "FATAL", "OFF", "all"):
        assert Loggers.is_valid_level(name)
    for name in ("WARNING", "CRITICAL", "", "5", "bogus"):
        assert not Loggers.is_valid_level(name)


def test_set_level_applies_to_children_only(ns: str) -> None:
    clock = Clock()
    loggers = Loggers(clock)
    child = logging.getLogger(f"{ns}.a.b")
    sibling = logging.getLogger(f"{ns}x")  # shares the prefix but is no child
    assert loggers.set_level(ns, "debug") == [ns, f"{ns}.a.b"]
    assert logging.getLogger(ns).level == logging.DEBUG
    assert child.getEffectiveLevel() == logging.DEBUG
    assert sibling.level == logging.NOTSET
    assert loggers.level(f"{ns}.a.b") == LoggerLevel("DEBUG", 1_000_000)
    # loggers created later inherit the level
    assert logging.getLogger(f"{ns}.later").getEffectiveLevel() == logging.DEBUG


def test_only_changed_loggers_are_reported(ns: str) -> None:
    clock = Clock()
    loggers = Loggers(clock)
    loggers.set_level(ns, "INFO")
    clock.now = 2000.0
    assert loggers.set_level(ns, "INFO") == []
    assert loggers.level(ns) == LoggerLevel("INFO", 1_000_000)
    assert loggers.set_level(ns, "TRACE") == [ns]
    assert loggers.level(ns) == LoggerLevel("TRACE", 2_000_000)
    assert logging.getLogger(ns).isEnabledFor(5)


def test_all_levels_lists_explicit_levels_and_root(ns: str) -> None:
    loggers = Loggers(Clock())
    logging.getLogger(f"{ns}.implicit")
    loggers.set_level(f"{ns}.explicit", "ERROR")
    levels = loggers.all_levels()
    assert levels[f"{ns}.explicit"] == LoggerLevel("ERROR", 1_000_000)
    assert f"{ns}.implicit" not in levels
    assert levels["root"].last_modified is None  # Kafka: null until the root level is set here
    assert list(levels) == sorted(levels)


def test_unknown_logger_and_root(ns: str) -> None:
    loggers = Loggers()
    assert loggers.level(f"{ns}.never") is None
    root = loggers.level("ROOT")
    assert root is not None
    assert root.level == level_name(logging.getLogger().getEffectiveLevel())


def test_off_silences(ns: str) -> None:
    loggers = Loggers()
    loggers.set_level(ns, "OFF")
    assert not logging.getLogger(ns).isEnabledFor(logging.CRITICAL)
    assert loggers.level(ns) is not None and loggers.level(ns).level == "OFF"  # type: ignore[union-attr]


def test_invalid_level_raises(ns: str) -> None:
    with pytest.raises(ValueError, match="invalid log level 'loud'"):
        Loggers().set_level(ns, "loud")


def test_root_sets_every_logger(ns: str) -> None:
    manager = logging.Logger.manager
    saved = {
        name: logger.level
        for name, logger in list(manager.loggerDict.items())
        if isinstance(logger, logging.Logger)
    }
    root = logging.getLogger()
    saved_root = root.level
    try:
        logging.getLogger(ns).setLevel(logging.ERROR)
        root.setLevel(logging.INFO)
        changed = Loggers().set_level("root", "WARN")
        assert "root" in changed
        assert ns in changed
        assert changed == sorted(changed)
        assert root.level == logging.WARNING
        assert logging.getLogger(ns).level == logging.WARNING
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
        for name, logger in list(manager.loggerDict.items()):
            if isinstance(logger, logging.Logger) and name not in saved:
                logger.setLevel(logging.NOTSET)
        root.setLevel(saved_root)
