"""Line-delimited files: every line becomes a string record (terminator removed)."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from sluice.api import Schema
from sluice.connectors.spooldir.readers.base import Item, RecordReader, ResumePoint
from sluice.connectors.spooldir.readers.line_source import LineSource, open_binary, strip_line_end

__all__ = ["LinesFormat", "LinesReader"]


class LinesFormat:
    def __init__(self, charset: str) -> None:
        self.charset = charset

    def open(
        self, path: Path, original_name: str, buffer_size: int, resume: ResumePoint | None
    ) -> LinesReader:
        stream = open_binary(path, original_name, buffer_size)
        try:
            return LinesReader(stream, self.charset, resume)
        except BaseException:
            stream.close()
            raise


class LinesReader(RecordReader):
    """Resumes at the committed byte position (or by skipping lines for UTF-16/32)."""

    def __init__(self, stream: IO[bytes], charset: str, resume: ResumePoint | None) -> None:
        super().__init__(stream)
        self.lines = LineSource(stream, charset)
        self.count = 0
        if resume is None or resume.count <= 0:
            return
        if resume.position is not None and self.lines.positional:
            stream.seek(resume.position)
            self.lines = LineSource(stream, charset, resume.position, resume.line or resume.count)
            self.count = resume.count
            return
        source = iter(self.lines)
        for _ in range(resume.count):
            if next(source, None) is None:
                break
            self.count += 1

    @property
    def line(self) -> int:
        return self.lines.line

    def _fill(self, out: list[Item], limit: int) -> None:
        lines = self.lines
        schema = Schema.STRING_SCHEMA
        count = self.count
        try:
            for text in lines:
                count += 1
                out.append(
                    Item(None, None, schema, strip_line_end(text), count, lines.position, count)
                )
                if len(out) >= limit:
                    break
        finally:
            self.count = count
