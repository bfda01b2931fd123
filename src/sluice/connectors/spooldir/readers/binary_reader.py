"""Binary files: the whole (decompressed) file becomes one bytes record."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from sluice.api import Schema
from sluice.connectors.spooldir.readers.base import Item, RecordReader, ResumePoint
from sluice.connectors.spooldir.readers.line_source import open_binary

__all__ = ["BinaryFormat", "BinaryReader"]


class BinaryFormat:
    def open(
        self, path: Path, original_name: str, buffer_size: int, resume: ResumePoint | None
    ) -> BinaryReader:
        return BinaryReader(open_binary(path, original_name, buffer_size), resume)


class BinaryReader(RecordReader):
    """Holds one file in memory at a time: the record is the file, so it cannot stream."""

    def __init__(self, stream: IO[bytes], resume: ResumePoint | None) -> None:
        super().__init__(stream)
        self.done = resume is not None and resume.count >= 1

    @property
    def line(self) -> int:
        return 0

    def _fill(self, out: list[Item], limit: int) -> None:
        if self.done:
            return
        data = self.stream.read()
        self.done = True
        if not data:
            return  # an empty file has no record, as in the Java connector
        out.append(Item(None, None, Schema.BYTES_SCHEMA, data, 1, len(data), 0))
