"""Decoded lines of a file, with the line number and byte position after each one.

Files are read as bytes and split on ``\\n`` before decoding, which keeps memory constant however
large the file is and gives an exact byte position to resume from after a restart (a text-mode file
object cannot ``tell()`` while it is being iterated). That only works for charsets in which a
newline is the single byte ``0x0A`` (UTF-8, Latin-1, Windows code pages...); UTF-16 and UTF-32 are
read through a text wrapper instead and report no position, so resuming them skips records.
Files named ``*.gz``, ``*.bz2`` or ``*.xz`` are decompressed on the fly; positions then count
decompressed bytes.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Final, cast

from sluice.connectors.spooldir.errors import BadDataError

__all__ = ["LineSource", "ascii_compatible", "open_binary", "strip_line_end"]

_PROBE: Final = "\n\r\t ,;|\"'{}[]:az09"


def open_binary(path: Path, original_name: str, buffer_size: int) -> IO[bytes]:
    """Open ``path`` for reading, decompressing by the extension of its ``original_name``."""
    suffix = Path(original_name).suffix.lower()
    # Opened by path so that closing them closes the file; they buffer internally.
    if suffix == ".gz":
        return cast(IO[bytes], gzip.GzipFile(path, mode="rb"))
    if suffix == ".bz2":
        return cast(IO[bytes], bz2.BZ2File(path, mode="rb"))
    if suffix in (".xz", ".lzma"):
        return cast(IO[bytes], lzma.LZMAFile(path, mode="rb"))
    return open(path, "rb", buffering=buffer_size)


def ascii_compatible(charset: str) -> bool:
    """Whether ``charset`` encodes ASCII (above all ``\\n``) as the same single bytes."""
    name = codecs.lookup(charset).name
    if name == "utf-8-sig":
        return True
    try:
        return _PROBE.encode(name) == _PROBE.encode("ascii")
    except UnicodeEncodeError:
        return False


def strip_line_end(line: str) -> str:
    """``line`` without its ``\\n`` or ``\\r\\n`` terminator."""
    if line.endswith("\n"):
        return line[:-2] if line.endswith("\r\n") else line[:-1]
    return line


class LineSource:
    """Iterates decoded lines (terminators kept) and tracks where the reader is.

    ``line`` is the number of lines consumed so far and ``position`` the byte offset just after
    them (``None`` for charsets without byte positions). Both are updated *before* a line is
    handed out, so right after a consumer finished a record they describe the resume point.
    """

    def __init__(self, stream: IO[bytes], charset: str, position: int = 0, line: int = 0) -> None:
        self.stream = stream
        name = codecs.lookup(charset).name
        self.charset = "utf-8" if name == "utf-8-sig" else name
        self.positional = ascii_compatible(charset)
        self.position: int | None = position if self.positional else None
        self.line = line
        self._start = position
        self._lines: Iterator[str] | None = None

    def __iter__(self) -> Iterator[str]:
        """The one iterator over the remaining lines (every call continues the same one)."""
        if self._lines is None:
            self._lines = self._bytes_lines() if self.positional else self._text_lines()
        return self._lines

    def _bytes_lines(self) -> Iterator[str]:
        charset = self.charset
        strip_bom = self._start == 0 and charset == "utf-8"
        position = self._start
        line = self.line
        for raw in self.stream:
            position += len(raw)
            line += 1
            self.position = position
            self.line = line
            try:
                text = raw.decode(charset)
            except UnicodeDecodeError as e:
                raise BadDataError(
                    line,
                    f"byte {e.start + 1} of the line is not valid {charset} ({e.reason}); "
                    "check csv.file.charset / file.charset",
                ) from None
            if strip_bom:
                strip_bom = False
                if text.startswith("\ufeff"):
                    text = text[1:]
            yield text

    def _text_lines(self) -> Iterator[str]:
        wrapper = io.TextIOWrapper(self.stream, encoding=self.charset, newline="")
        line = self.line
        try:
            for text in wrapper:
                line += 1
                self.line = line
                yield text
        except UnicodeDecodeError as e:
            raise BadDataError(
                line + 1, f"the text is not valid {self.charset} ({e.reason})"
            ) from None
        finally:
            wrapper.detach()
