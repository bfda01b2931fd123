r"""Failure traces shaped as Java's ``Throwable.printStackTrace``, as Kafka Connect shows them.

A FAILED connector or task carries its trace in the REST status and the status topic, and a
dead-letter record carries one in ``__connect.errors.exception.stacktrace``. Kafka Connect writes
Java's layout there, and people and tools read its first line for the error::

    org.apache.kafka.connect.errors.ConnectException: Tolerance exceeded in error handler
    \tat sluice.runtime.errors.ErrorHandler.fail(errors.py:267)
    \tat sluice.runtime.errors.ErrorHandler.retry(errors.py:235)
    \tat sluice.runtime.worker_sink_task.WorkerSinkTask._convert_each(worker_sink_task.py:318)
    \tat sluice.runtime.worker_sink_task.WorkerSinkTask._process(worker_sink_task.py:216)
    \tat sluice.runtime.worker_sink_task.WorkerSinkTask.execute(worker_sink_task.py:199)
    \tat sluice.runtime.worker_task.WorkerTask.run(worker_task.py:214)
    Caused by: org.apache.kafka.connect.errors.DataException: Converting byte[] to Kafka Connect ...
    \tat sluice.converters._json_read._decode_lenient(_json_read.py:88)
    \tat sluice.converters.json.JsonConverter.to_connect_data(json.py:229)
    \tat sluice.runtime.worker_sink_task.WorkerSinkTask._convert_each(worker_sink_task.py:316)
    \t... 3 more
    Caused by: msgspec.DecodeError: JSON is malformed: invalid character (byte 4)
    \tat sluice.converters.json.JsonConverter.to_connect_data(json.py:223)
    \t... 4 more

:func:`format_trace` renders a Python exception that way: the outermost exception first, then
each cause (``__cause__``, else an unsuppressed ``__context__``) as a ``Caused by:`` section.
Each exception is ``<class>: <message>`` (the class alone when the message is empty), with the
Kafka class name for the sluice errors that stand for Kafka's (``DataError`` is
``org.apache.kafka.connect.errors.DataException``...) and the Python name for the others. Below
it come its Python frames, innermost first, as ``\tat module.function(file.py:line)``; a cause
ends, as in Java, with ``\t... N more`` for the frames it shares with the exception it caused.
"""

from __future__ import annotations

import builtins
import os
import sys
from types import FrameType, TracebackType
from typing import Final

from sluice.api.errors import (
    AlreadyExistsError,
    ConfigError,
    ConnectError,
    DataError,
    IllegalWorkerStateError,
    NotFoundError,
    RetriableError,
    SchemaBuilderError,
    SchemaProjectorError,
)
from sluice.runtime.errors import ToleranceExceededError

__all__ = ["KAFKA_CLASS_NAMES", "exception_class_name", "format_trace"]

_ERRORS: Final = "org.apache.kafka.connect.errors."

KAFKA_CLASS_NAMES: Final[dict[type[BaseException], str]] = {
    ConnectError: _ERRORS + "ConnectException",
    RetriableError: _ERRORS + "RetriableException",
    DataError: _ERRORS + "DataException",
    SchemaBuilderError: _ERRORS + "SchemaBuilderException",
    SchemaProjectorError: _ERRORS + "SchemaProjectorException",
    IllegalWorkerStateError: _ERRORS + "IllegalWorkerStateException",
    NotFoundError: _ERRORS + "NotFoundException",
    AlreadyExistsError: _ERRORS + "AlreadyExistsException",
    ConfigError: "org.apache.kafka.common.config.ConfigException",
    # Kafka's error handler throws a plain ConnectException("Tolerance exceeded in error handler").
    ToleranceExceededError: _ERRORS + "ConnectException",
}
"""The Java class each sluice error stands for. Only these exact classes are renamed: a subclass
(a connector's own ``DataError``, say) keeps its Python name, as a Java subclass keeps its own."""


def exception_class_name(error: BaseException) -> str:
    """``org.apache.kafka.connect.errors.DataException`` for a ``DataError``; ``ValueError`` for
    a built-in; ``package.module.Class`` for any other exception."""
    cls = type(error)
    kafka = KAFKA_CLASS_NAMES.get(cls)
    if kafka is not None:
        return kafka
    if cls.__module__ == builtins.__name__:
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def _message(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:
        return "<exception str() failed>"


def _header(error: BaseException) -> list[str]:
    """Java's ``Throwable.toString()``, then any notes added to the exception."""
    message = _message(error)
    name = exception_class_name(error)
    lines = [f"{name}: {message}" if message else name]
    notes = getattr(error, "__notes__", None)
    if isinstance(notes, list):
        lines.extend(str(note) for note in notes)
    return lines


def _frames(tb: TracebackType | None) -> list[tuple[FrameType, int | None]]:
    """The traceback's frames, outermost (where the exception was caught) first."""
    out: list[tuple[FrameType, int | None]] = []
    while tb is not None:
        out.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    return out


def _frame_line(frame: FrameType, lineno: int | None) -> str:
    code = frame.f_code
    module = frame.f_globals.get("__name__") or "?"
    where = os.path.basename(code.co_filename)
    location = f"{where}:{lineno}" if lineno is not None else where
    return f"\tat {module}.{code.co_qualname}({location})"


def _cause(error: BaseException) -> BaseException | None:
    if error.__cause__ is not None:
        return error.__cause__
    if error.__context__ is not None and not error.__suppress_context__:
        return error.__context__
    return None


def format_trace(error: BaseException | None = None) -> str:
    """``error`` (by default the exception being handled) in Java's stack trace layout; empty
    when there is no exception."""
    if error is None:
        error = sys.exception()
        if error is None:
            return ""
    lines: list[str] = []
    seen: set[int] = set()
    enclosing: list[FrameType] = []
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        own = _frames(current.__traceback__)
        # The frame that caught this exception also runs the one it caused: the frames above it
        # are in common with the enclosing trace, and Java counts them instead of repeating them.
        common = 0
        if own and enclosing:
            catcher = own[0][0]
            common = next((i for i, f in enumerate(enclosing) if f is catcher), 0)
        header = _header(current)
        if lines:
            header[0] = "Caused by: " + header[0]
        lines.extend(header)
        lines.extend(_frame_line(frame, lineno) for frame, lineno in reversed(own))
        if common:
            lines.append(f"\t... {common} more")
        enclosing = enclosing[:common] + [frame for frame, _ in own]
        current = _cause(current)
    return "\n".join(lines) + "\n"
