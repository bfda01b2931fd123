"""The error a reader raises for input it cannot turn into a record."""

from __future__ import annotations

from sluice.api import DataError

__all__ = ["BadDataError"]


class BadDataError(DataError):
    """Input that cannot become a record: ``line`` is the 1-based line where it starts.

    The task turns it into the error report written beside the file in ``error.path`` (or into
    the task failure under ``halt.on.error=true``), so the message says what is wrong in terms of
    the data, without the file name, which the report adds.
    """

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason
