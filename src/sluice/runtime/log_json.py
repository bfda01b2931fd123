"""Worker log lines as one JSON object per line (``log.format=json``), for log collectors.

Collectors (Loki, Elasticsearch, CloudWatch, ...) split multi-line tracebacks and guess at
prefixes in text logs; a JSON line is one event with named fields, so a query such as "every
ERROR of connector X's task 2" needs no parsing rules. Fields::

    {"time": "2024-12-07T10:00:00.123Z", "level": "INFO", "logger": "sluice.worker",
     "thread": "task-src-0", "connector": "src", "task": 0, "message": "...",
     "exception": "Traceback (most recent call last): ..."}

* ``time``: ISO 8601 in UTC with milliseconds, so lines from workers in different time zones
  sort as text;
* ``level``: log4j's names (``WARN``, ``TRACE``), as in the text format and the
  ``/admin/loggers`` API, so alert rules written for Kafka Connect's logs still match;
* ``connector`` and ``task`` (a number) on lines written in a task's context, ``connector`` and
  ``scope`` (``worker``) in a connector's; absent elsewhere. They come from
  :mod:`sluice.runtime.log_context`'s filter, which the handler must carry;
* ``exception``: the traceback text, when the call logged one (and ``stack`` for
  ``stack_info``).

Values that are not JSON (a message argument with an odd ``__str__``) are written as text;
non-ASCII is escaped, so a line is valid JSON whatever the stream's encoding.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from sluice.runtime.loggers import level_name

__all__ = ["JsonFormatter"]


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object on one line (newlines in the text are escaped)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, tz=UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": level_name(record.levelno),
            "logger": record.name,
            "thread": record.threadName,
        }
        connector = getattr(record, "connector", None)
        if connector is not None:
            line["connector"] = connector
            task = getattr(record, "task", None)
            if task is not None:
                line["task"] = task
            else:
                line["scope"] = getattr(record, "connect_scope", None) or "worker"
        line["message"] = record.getMessage()
        if record.exc_info and not record.exc_text:  # cached on the record, as Formatter does
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str)
