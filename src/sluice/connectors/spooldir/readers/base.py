"""What every format reader provides: batches of parsed records with their resume points."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import IO, Any, NamedTuple

from sluice.api import Schema
from sluice.connectors.spooldir.errors import BadDataError

__all__ = ["Item", "RecordReader", "ResumePoint"]


@dataclass(frozen=True)
class ResumePoint:
    """Where a file's committed progress ends.

    ``count`` records were delivered; ``position`` (when known) is the byte offset just after the
    last of them and ``line`` the number of lines it had consumed. Readers that can seek go to
    ``position``; the others re-read and drop the first ``count`` records.
    """

    count: int
    position: int | None = None
    line: int | None = None


class Item(NamedTuple):
    """One parsed record and where the file stands right after it."""

    key_schema: Schema | None
    key: Any
    value_schema: Schema | None
    value: Any
    number: int
    """The record's 1-based number in the file: the count delivered once it is."""
    position: int | None
    line: int


class RecordReader(abc.ABC):
    """Reads one claimed file as records.

    ``read`` returns up to ``limit`` items and ``[]`` once the file is exhausted. Input that cannot
    become a record raises :class:`BadDataError`; records parsed before it in the same call are
    returned first and the error is raised by the following call, so nothing valid is dropped.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self._pending: BadDataError | None = None

    def read(self, limit: int) -> list[Item]:
        if self._pending is not None:
            error, self._pending = self._pending, None
            raise error
        out: list[Item] = []
        try:
            self._fill(out, limit)
        except BadDataError as e:
            if not out:
                raise
            self._pending = e
        return out

    @abc.abstractmethod
    def _fill(self, out: list[Item], limit: int) -> None:
        """Append up to ``limit`` items to ``out``; append none at the end of the file."""

    @property
    @abc.abstractmethod
    def line(self) -> int:
        """Lines consumed so far (for messages about failures outside a record)."""

    def close(self) -> None:
        self.stream.close()
