"""Source partitions and offsets of spooled files, and resuming from them.

The partition is ``{"fileName": <path under input.path>}`` (the bare name for files at the top,
as the Java connector writes it). The offset counts the records delivered (``offset``, Java's key)
and adds where the next one starts (``position`` in bytes and ``line``) plus the file's size and
modification time. Those last two tell a resumed file from a new file dropped later under the same
name, whose stale offset must not make the task skip its first records.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any, Final

from sluice.connectors.spooldir.readers.base import ResumePoint

__all__ = ["PARTITION_KEY", "make_offset", "matches_file", "partition_of", "resume_point"]

PARTITION_KEY: Final = "fileName"
OFFSET_KEY: Final = "offset"


def partition_of(relative: PurePosixPath) -> dict[str, str]:
    return {PARTITION_KEY: str(relative)}


def make_offset(
    count: int, position: int | None, line: int, size: int, mtime_ms: int
) -> dict[str, Any]:
    offset: dict[str, Any] = {OFFSET_KEY: count, "line": line, "length": size, "modified": mtime_ms}
    if position is not None:
        offset["position"] = position
    return offset


def matches_file(offset: Mapping[str, Any], size: int, mtime_ms: int) -> bool:
    """Whether ``offset`` was written for this file (Java's offsets carry no identity: yes)."""
    if "length" not in offset and "modified" not in offset:
        return True
    return offset.get("length") == size and offset.get("modified") == mtime_ms


def resume_point(offset: Mapping[str, Any] | None, size: int, mtime_ms: int) -> ResumePoint | None:
    """Where to resume this file from its committed ``offset``, or ``None`` to start over."""
    if not offset or not matches_file(offset, size, mtime_ms):
        return None
    count = offset.get(OFFSET_KEY)
    if not isinstance(count, int) or isinstance(count, bool) or count <= 0:
        return None
    position = offset.get("position")
    line = offset.get("line")
    return ResumePoint(
        count,
        position if isinstance(position, int) and not isinstance(position, bool) else None,
        line if isinstance(line, int) and not isinstance(line, bool) else None,
    )
