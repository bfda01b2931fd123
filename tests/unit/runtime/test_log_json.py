"""``log.format=json``: one JSON object per line, with the connector and task of the thread."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from sluice.cli.startup import StartupError, install_logging
from sluice.runtime import log_context
from sluice.runtime.log_json import JsonFormatter


@pytest.fixture
def root() -> Iterator[logging.Logger]:
    """The root logger, given back as it was (``install`` replaces its handlers)."""
    logger = logging.getLogger()
    handlers, level = logger.handlers[:], logger.level
    yield logger
    logger.handlers[:] = handlers
    logger.setLevel(level)


def _capture(
    formatter: logging.Formatter, name: str = "test.log_json"
) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(log_context.ContextFilter())
    handler.setFormatter(formatter)
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, out


def _lines(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_worker_line_has_the_fields_and_no_context() -> None:
    logger, out = _capture(JsonFormatter())
    logger.warning("two\nlines %s", "é")
    (line,) = _lines(out)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
    assert line["level"] == "WARN" and line["logger"] == "test.log_json"
    assert line["message"] == "two\nlines é" and line["thread"] == "MainThread"
    assert "connector" not in line and "task" not in line and "exception" not in line
    assert out.getvalue().count("\n") == 1


def test_task_and_connector_contexts_in_both_formats() -> None:
    logger, out = _capture(JsonFormatter())
    text_logger, text = _capture(logging.Formatter(log_context.LOG_FORMAT), "test.log_text")

    def task_thread() -> None:
        log_context.set_context("src", 3)
        logger.info("polled")
        text_logger.info("polled")
        with log_context.connector_context("src"):
            logger.info("reconfigured")
        logger.info("back in the task")
        log_context.set_context(None)
        logger.info("done")

    thread = threading.Thread(target=task_thread, name="task-src-3")
    thread.start()
    thread.join()
    polled, reconfigured, back, done = _lines(out)
    assert (polled["connector"], polled["task"], polled["thread"]) == ("src", 3, "task-src-3")
    assert (reconfigured["connector"], reconfigured["scope"]) == ("src", "worker")
    assert "task" not in reconfigured and back["task"] == 3 and "connector" not in done
    assert "[src|task-3] polled" in text.getvalue()


def test_exception_carries_the_traceback() -> None:
    logger, out = _capture(JsonFormatter())
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("task failed")
    (line,) = _lines(out)
    assert line["level"] == "ERROR" and line["message"] == "task failed"
    assert line["exception"].startswith("Traceback") and "ValueError: boom" in line["exception"]


def test_log_format_from_file_and_environment(
    root: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLUICE_LOG_FORMAT", raising=False)
    install_logging("INFO", {"log.format": "json"}, "w.properties")
    assert isinstance(root.handlers[0].formatter, JsonFormatter)
    monkeypatch.setenv("SLUICE_LOG_FORMAT", "text")  # the environment wins over the file
    install_logging("INFO", {"log.format": "json"}, "w.properties")
    assert not isinstance(root.handlers[0].formatter, JsonFormatter)
    monkeypatch.delenv("SLUICE_LOG_FORMAT")
    with pytest.raises(StartupError, match=r"w.properties: log.format: expected text or json"):
        install_logging("INFO", {"log.format": "xml"}, "w.properties")
