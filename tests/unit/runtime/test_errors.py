import threading

import pytest

from sluice.api import DataError, RetriableError
from sluice.runtime.connector_config import ErrorHandlingConfig
from sluice.runtime.errors import (
    ErrorHandler,
    ErrorReporter,
    ProcessingContext,
    Stage,
    ToleranceExceededError,
)


class Recorder(ErrorReporter):
    def __init__(self) -> None:
        self.reports: list[ProcessingContext] = []

    def report(self, context: ProcessingContext) -> None:
        self.reports.append(context)
        return None


def test_tolerance_none_fails_with_kafkas_message() -> None:
    h = ErrorHandler.from_config("c", 0, ErrorHandlingConfig.parse({"errors.tolerance": "none"}))
    with pytest.raises(ToleranceExceededError, match="Tolerance exceeded in error handler"):
        h.fail(
            Stage.VALUE_CONVERTER, "org.apache.kafka.connect.json.JsonConverter", DataError("bad")
        )


def test_untolerable_stage_fails_even_with_all() -> None:
    h = ErrorHandler.from_config("c", 0, ErrorHandlingConfig.parse({"errors.tolerance": "all"}))
    with pytest.raises(ToleranceExceededError, match="Unhandled exception in error handler"):
        h.fail(Stage.TASK_PUT, "org.apache.kafka.connect.sink.SinkTask", ValueError("boom"))


def test_tolerated_failures_are_reported_and_counted() -> None:
    rec = Recorder()
    h = ErrorHandler.from_config(
        "c", 3, ErrorHandlingConfig.parse({"errors.tolerance": "ALL"}), [rec]
    )
    h.fail(Stage.TRANSFORMATION, "org.apache.kafka.connect.transforms.Cast$Value", DataError("x"))
    assert h.total_failures == 1 and h.total_skipped == 1
    assert rec.reports[0].stage is Stage.TRANSFORMATION
    assert rec.reports[0].describe(False) == (
        "Error encountered in task c-3. Executing stage 'TRANSFORMATION' with class "
        "'org.apache.kafka.connect.transforms.Cast$Value'."
    )


def test_retriable_errors_are_retried_with_backoff_until_success() -> None:
    calls = []

    def op() -> str:
        calls.append(1)
        if len(calls) < 2:
            raise RetriableError("again")
        return "ok"

    h = ErrorHandler("c", 0, retry_timeout=5.0, retry_delay_max=0.01)
    assert h.retry(Stage.KEY_CONVERTER, "X", op, RetriableError("first")) == (True, "ok")
    assert h.total_retries == 2


def test_retry_budget_exhausted_then_tolerance_decides() -> None:
    def op() -> str:
        raise RetriableError("never")

    h = ErrorHandler("c", 0, retry_timeout=0.05, retry_delay_max=0.01, tolerate_all=True)
    assert h.retry(Stage.VALUE_CONVERTER, "X", op, RetriableError("first")) == (False, None)
    assert h.total_skipped == 1


def test_stopping_interrupts_retries() -> None:
    stop = threading.Event()
    stop.set()
    h = ErrorHandler("c", 0, retry_timeout=60, retry_delay_max=60, stopping=stop)
    with pytest.raises(ToleranceExceededError):
        h.retry(Stage.VALUE_CONVERTER, "X", lambda: "x", RetriableError("first"))


def test_log_reporter_is_added_by_config(caplog: pytest.LogCaptureFixture) -> None:
    h = ErrorHandler.from_config(
        "c",
        0,
        ErrorHandlingConfig.parse(
            {
                "errors.tolerance": "all",
                "errors.log.enable": True,
                "errors.log.include.messages": True,
            }
        ),
    )
    h.fail(
        Stage.VALUE_CONVERTER,
        "org.apache.kafka.connect.json.JsonConverter",
        DataError("bad json"),
        record="R",
    )
    assert "where source record is = 'R'" in caplog.text
