"""Finding the files a task may take: pattern, partition, age, stable size and sort order.

A file is ready once it matches ``input.file.pattern``, belongs to this task (``task.partitioner``
ByName: a hash of its name modulo ``task.count``, the same hash the Java connector uses, so files
land on the same task index), was last modified at least ``file.minimum.age.ms`` ago, and kept the
same size and modification time across two scans at least :data:`STABLE_WINDOW` apart (or was
last modified more than :data:`SETTLED_AGE` ago). The last rule keeps a file that is still being
copied in from being read half-written even with the default minimum age of zero.

Files already renamed with ``processing.file.extension`` were claimed by this task before a crash
or restart; they are reported first so the task finishes them before starting new ones.
"""

from __future__ import annotations

import logging
import os
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from sluice.connectors.spooldir.config import SpoolDirSettings

__all__ = ["SETTLED_AGE", "STABLE_WINDOW", "Discovery", "FoundFile", "owner_of"]

log = logging.getLogger(__name__)

STABLE_WINDOW: Final = 0.5
"""Seconds a new file's size and mtime must stay unchanged before it is taken."""

SETTLED_AGE: Final = 5.0
"""A file untouched for this long counts as stable at once (a margin over coarse mtimes)."""


@dataclass(frozen=True)
class FoundFile:
    """A file on disk; ``relative`` is its name under ``input.path`` without the claim suffix."""

    path: Path
    relative: PurePosixPath
    size: int
    mtime_ns: int
    claimed: bool


def owner_of(name: str, task_count: int) -> int:
    """The task index that owns a file name (Guava ``adler32().hashUnencodedChars``, abs, mod)."""
    checksum = zlib.adler32(name.encode("utf-16-le"))
    signed = checksum - (1 << 32) if checksum >= 1 << 31 else checksum
    return abs(signed) % task_count


class Discovery:
    """Lists the ready files of one task; call :meth:`scan` every time the queue runs dry."""

    def __init__(
        self,
        settings: SpoolDirSettings,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.s = settings
        self.clock = clock
        self.monotonic = monotonic
        self._seen: dict[Path, tuple[int, int, float]] = {}
        self.waiting = False
        """True after a scan that saw files not yet old or stable enough: scan again soon."""
        excluded = {settings.error_path}
        if settings.finished_path is not None:
            excluded.add(settings.finished_path)
        self._excluded = {str(p) for p in excluded}

    def owns(self, name: str) -> bool:
        return self.s.task_count == 1 or owner_of(name, self.s.task_count) == self.s.task_index

    def _entries(self) -> Iterator[tuple[Path, PurePosixPath]]:
        root = self.s.input_path
        if not self.s.walk_recursively:
            try:
                with os.scandir(root) as it:
                    for entry in it:
                        if entry.is_file(follow_symlinks=False):
                            yield Path(entry.path), PurePosixPath(entry.name)
            except FileNotFoundError:
                log.warning("input.path %s does not exist", root)
            return
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [
                d for d in sorted(dirnames) if os.path.join(dirpath, d) not in self._excluded
            ]
            rel_dir = PurePosixPath(Path(dirpath).relative_to(root).as_posix())
            for name in filenames:
                yield Path(dirpath, name), rel_dir / name

    def candidates(self) -> Iterator[FoundFile]:
        """Every matching file of this task, ready or not, with its claim state."""
        ext = self.s.processing_extension
        pattern = self.s.input_file_pattern
        for path, relative in self._entries():
            name = relative.name
            claimed = name.endswith(ext)
            original = name[: -len(ext)] if claimed else name
            if not original or not pattern.fullmatch(original) or not self.owns(original):
                continue
            try:
                st = path.stat()
            except FileNotFoundError:
                continue  # taken or removed since the listing
            yield FoundFile(
                path,
                relative.with_name(original),
                st.st_size,
                st.st_mtime_ns,
                claimed,
            )

    def scan(self) -> list[FoundFile]:
        """The ready files: claimed ones first, then new ones in ``files.sort.attributes`` order."""
        now = self.clock()
        mono = self.monotonic()
        seen: dict[Path, tuple[int, int, float]] = {}
        resumed: list[FoundFile] = []
        fresh: list[FoundFile] = []
        self.waiting = False
        for f in self.candidates():
            if f.claimed:
                resumed.append(f)
                continue
            previous = self._seen.get(f.path)
            since = mono
            if previous is not None and previous[:2] == (f.size, f.mtime_ns):
                since = previous[2]
            seen[f.path] = (f.size, f.mtime_ns, since)
            age = now - f.mtime_ns / 1e9
            if age < 0:
                log.warning("File %s has a modification time in the future.", f.path)
            stable = mono - since >= STABLE_WINDOW or age >= SETTLED_AGE
            if age >= self.s.minimum_age and stable:
                fresh.append(f)
            else:
                self.waiting = True
                log.debug("Skipping %s: too recent or still changing.", f.path)
        self._seen = seen
        resumed.sort(key=lambda f: str(f.relative))
        fresh.sort(key=self._sort_key)
        return resumed + fresh

    def _sort_key(self, f: FoundFile) -> tuple[object, ...]:
        keys: list[object] = []
        for attr in self.s.sort_attributes:
            if attr == "NameAsc":
                keys.append(_Text(f.relative.name))
            elif attr == "NameDesc":
                keys.append(_Text(f.relative.name, reverse=True))
            elif attr == "LengthAsc":
                keys.append(f.size)
            elif attr == "LengthDesc":
                keys.append(-f.size)
            elif attr == "LastModifiedAsc":
                keys.append(f.mtime_ns)
            elif attr == "LastModifiedDesc":
                keys.append(-f.mtime_ns)
        keys.append(_Text(str(f.relative)))
        return tuple(keys)


class _Text:
    """A sort key that can be reversed for strings (which have no negation)."""

    __slots__ = ("reverse", "text")

    def __init__(self, text: str, reverse: bool = False) -> None:
        self.text = text
        self.reverse = reverse

    def __lt__(self, other: _Text) -> bool:
        return other.text < self.text if self.reverse else self.text < other.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Text) and self.text == other.text

    def __hash__(self) -> int:
        return hash(self.text)
