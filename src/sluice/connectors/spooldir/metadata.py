"""The ``file.*`` headers the Java connector puts on every record, built once per file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path, PurePosixPath
from typing import Final

from sluice.api import Header, Headers, Schema, Timestamp

__all__ = ["FileMetadata"]

HEADER_NAME: Final = "file.name"
HEADER_NAME_WITHOUT_EXTENSION: Final = "file.name.without.extension"
HEADER_PATH: Final = "file.path"
HEADER_PARENT_DIR_NAME: Final = "file.parent.dir.name"
HEADER_LENGTH: Final = "file.length"
HEADER_OFFSET: Final = "file.offset"
HEADER_LAST_MODIFIED: Final = "file.last.modified"
HEADER_RELATIVE_PATH: Final = "file.relative.path"


def _string(key: str, value: str | None) -> Header:
    return Header(
        key, value, Schema.STRING_SCHEMA if value is not None else Schema.OPTIONAL_STRING_SCHEMA
    )


class FileMetadata:
    """Headers naming the file a record came from and the record's offset in it.

    Paths name the file as it was dropped (not its claimed name). ``file.relative.path`` is the
    sub-directory under ``input.path`` and only present for files found by a recursive walk.
    """

    __slots__ = ("_after", "_before")

    def __init__(self, original: Path, relative: PurePosixPath, size: int, mtime_ns: int) -> None:
        name = original.name
        stem = name.rsplit(".", 1)[0] if "." in name else name
        modified = dt.datetime.fromtimestamp(mtime_ns // 1_000_000 / 1000, dt.UTC)
        self._before = [
            _string(HEADER_NAME, name),
            _string(HEADER_NAME_WITHOUT_EXTENSION, stem),
            _string(HEADER_PATH, str(original)),
            _string(HEADER_PARENT_DIR_NAME, original.parent.name or None),
            Header(HEADER_LENGTH, size, Schema.INT64_SCHEMA),
        ]
        self._after = [Header(HEADER_LAST_MODIFIED, modified, Timestamp.SCHEMA)]
        if relative.parent.parts:
            self._after.append(_string(HEADER_RELATIVE_PATH, str(relative.parent)))

    def headers(self, offset: int) -> Headers:
        return Headers(
            [*self._before, Header(HEADER_OFFSET, offset, Schema.INT64_SCHEMA), *self._after]
        )
