"""Moving files through their life: claimed, then finished (per ``cleanup.policy``) or failed.

Claiming renames ``name`` to ``name`` + ``processing.file.extension`` in place. A rename is atomic,
so a file is either waiting or claimed, never both, and the claimed name survives a crash: the task
that owns the name resumes it on restart. Nothing here overwrites an existing file: a destination
that is taken gets a numbered name instead.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sluice.connectors.spooldir.config import SpoolDirSettings
from sluice.connectors.spooldir.discovery import FoundFile

__all__ = ["Claim", "claim", "fail", "finish"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    """A file this task holds: its claimed path and what it looked like when taken."""

    path: Path
    relative: PurePosixPath
    original: Path
    size: int
    mtime_ns: int


def claim(s: SpoolDirSettings, found: FoundFile) -> Claim | None:
    """Rename ``found`` to its claimed name; ``None`` if it vanished or the name is taken."""
    original = s.input_path.joinpath(*found.relative.parts)
    target = found.path
    if not found.claimed:
        target = found.path.with_name(found.path.name + s.processing_extension)
        if target.exists():
            log.warning(
                "Not taking %s: %s exists (a file of the same name is still being processed)",
                found.path,
                target,
            )
            return None
        try:
            os.rename(found.path, target)
        except FileNotFoundError:
            return None
        log.info("Claimed %s", found.path)
    else:
        log.info("Resuming %s, claimed before a restart", found.path)
    try:
        st = target.stat()
    except FileNotFoundError:
        return None
    return Claim(target, found.relative, original, st.st_size, st.st_mtime_ns)


def _unique(directory: Path, name: str) -> Path:
    candidate = directory / name
    n = 0
    while candidate.exists():
        n += 1
        candidate = directory / f"{name}.{n}"
    if n:
        log.warning("%s exists; using %s", directory / name, candidate)
    return candidate


def _move(src: Path, directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    dest = _unique(directory, name)
    shutil.move(src, dest)  # a rename, or copy and delete across filesystems
    return dest


def _remove_empty_dirs(s: SpoolDirSettings, relative: PurePosixPath) -> None:
    """Drop the walked sub-directories a file left empty (unless configured to keep them)."""
    if s.keep_relative_dirs:
        return
    parent = relative.parent
    while parent.parts:
        try:
            s.input_path.joinpath(*parent.parts).rmdir()
        except OSError:
            return  # not empty, or already gone
        log.info("Removed the empty directory %s", parent)
        parent = parent.parent


def finish(s: SpoolDirSettings, c: Claim) -> Path | None:
    """Apply ``cleanup.policy`` to a fully committed file; the new path, or ``None`` if deleted."""
    subdir = c.relative.parent.parts
    dest: Path | None
    if s.cleanup_policy in ("MOVE", "MOVEBYDATE"):
        assert s.finished_path is not None
        base = s.finished_path
        if s.cleanup_policy == "MOVEBYDATE":
            day = dt.datetime.fromtimestamp(c.mtime_ns / 1e9).strftime("%Y-%m-%d")
            base = base / day
        dest = _move(c.path, base.joinpath(*subdir), c.relative.name)
        log.info("Finished %s: moved to %s", c.original, dest)
    elif s.cleanup_policy == "DELETE":
        c.path.unlink(missing_ok=True)
        dest = None
        log.info("Finished %s: deleted", c.original)
    else:  # NONE: back under its own name, where it stays
        dest = _unique(c.original.parent, c.original.name)
        os.rename(c.path, dest)
        log.info("Finished %s: left in place", c.original)
    if subdir and s.cleanup_policy != "NONE":
        _remove_empty_dirs(s, c.relative)
    return dest


def fail(s: SpoolDirSettings, c: Claim, report: str) -> Path:
    """Move a file with bad data to ``error.path`` and write ``report`` beside it."""
    directory = s.error_path.joinpath(*c.relative.parent.parts)
    directory.mkdir(parents=True, exist_ok=True)
    dest = _unique(directory, c.relative.name)
    # The report goes first: after a crash in between, the file is still claimed, fails again on
    # restart and the same report name is reused.
    report_path = dest.with_name(dest.name + ".error.txt")
    tmp = report_path.with_name(report_path.name + ".tmp")
    tmp.write_text(report, encoding="utf-8")
    os.replace(tmp, report_path)
    shutil.move(c.path, dest)
    log.error("Moved %s to %s; the problem is described in %s", c.original, dest, report_path)
    if c.relative.parent.parts:
        _remove_empty_dirs(s, c.relative)
    return dest
