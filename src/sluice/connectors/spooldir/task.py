"""The spooldir source task: claim a file, stream its records, clean it up once committed.

A file moves through these states on the task thread::

    waiting --claim (rename)--> reading --EOF or bad data--> awaiting commit --> finished / failed

It is moved to ``finished.path`` (or deleted, or left, per ``cleanup.policy``) only when the runtime
reports, through :meth:`SpoolDirSourceTask.commit`, that the offset of its last record is in the
offset store: every record of it is then in Kafka and acknowledged. A file with bad data goes to
``error.path`` under the same rule (after the records before the bad one are committed), with a
report beside it. Until then the file keeps its claimed name in ``input.path``; if the worker dies
the restarted task finds it there, looks up its committed offset and continues after the last
committed record, so nothing is lost and nothing committed is sent twice.

Each poll batch holds records of one file only. That keeps the runtime's committable prefix (whole
batches, in order) aligned with files: when a file's last batch is committed, so is all of it.
"""

from __future__ import annotations

import abc
import logging
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import sluice
from sluice.api import ConfigDef, ConfigError, ConnectError, SourceRecord, SourceTask, Timestamp
from sluice.connectors.spooldir.config import SpoolDirSettings, check_writable_directory
from sluice.connectors.spooldir.discovery import STABLE_WINDOW, Discovery, FoundFile
from sluice.connectors.spooldir.errors import BadDataError
from sluice.connectors.spooldir.lifecycle import Claim, claim, fail, finish
from sluice.connectors.spooldir.metadata import FileMetadata
from sluice.connectors.spooldir.offsets import (
    OFFSET_KEY,
    make_offset,
    matches_file,
    partition_of,
    resume_point,
)
from sluice.connectors.spooldir.readers.base import Item, RecordReader, ResumePoint

__all__ = ["FileFormat", "SpoolDirSourceTask"]

log = logging.getLogger(__name__)

MAX_IDLE_WAIT = 1.0
"""``poll`` never blocks longer than this, so stop and pause take effect promptly even with a
long ``empty.poll.wait.ms`` (which then only spaces out directory scans)."""


class FileFormat(Protocol):
    """Opens a claimed file as a :class:`RecordReader` positioned after ``resume``."""

    def open(
        self, path: Path, original_name: str, buffer_size: int, resume: ResumePoint | None
    ) -> RecordReader: ...


@dataclass(eq=False)
class _FileProgress:
    claim: Claim
    partition: dict[str, str]
    metadata: FileMetadata
    mtime_ms: int
    start: int
    """Records of this file committed before it was (re)opened."""
    sent: int
    """The count after the last record handed to the runtime."""
    reader: RecordReader | None = None
    error: BadDataError | None = field(default=None)


class SpoolDirSourceTask(SourceTask, abc.ABC):
    """Base of the format tasks: they say how to parse a file, this class does the rest."""

    settings: SpoolDirSettings

    @abc.abstractmethod
    def config_definition(self) -> ConfigDef:
        """The connector's keys, used to parse the task configuration."""

    @abc.abstractmethod
    def make_format(self, values: Mapping[str, Any], settings: SpoolDirSettings) -> FileFormat:
        """Build the format from the parsed configuration (schemas, CSV options...)."""

    def timestamp_field(self) -> str | None:
        """The value field holding the record timestamp under ``timestamp.mode=FIELD``."""
        return None

    def version(self) -> str:
        return sluice.__version__

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self, props: Mapping[str, str]) -> None:
        values = self.config_definition().parse(props)
        self.settings = s = SpoolDirSettings.from_values(values)
        if s.finished_path is not None:
            check_writable_directory("finished.path", str(s.finished_path))
        for key, path in (("finished.path", s.finished_path), ("error.path", s.error_path)):
            if path == s.input_path:
                raise ConfigError.invalid(
                    key, str(path), "must not be input.path, or its files would be read again"
                )
        self.format = self.make_format(values, s)
        self._field = self.timestamp_field() if s.timestamp_mode == "FIELD" else None
        self._discovery = Discovery(s)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._queue: deque[FoundFile] = deque()
        self._current: _FileProgress | None = None
        self._awaiting: list[_FileProgress] = []
        self._tracked: set[Path] = set()
        self._left_in_place: set[tuple[Path, int, int]] = set()
        self._next_scan = 0.0
        log.info(
            "Spooling %s (pattern %s) into topic %s as task %d of %d",
            s.input_path,
            s.input_file_pattern.pattern,
            s.topic,
            s.task_index,
            s.task_count,
        )

    def stop(self) -> None:
        """Called from another thread: wake ``poll``; the current file stays claimed."""
        self._stopping.set()
        with self._lock:
            cur = self._current
            if cur is not None and cur.reader is not None:
                cur.reader.close()
                cur.reader = None

    # -- polling ------------------------------------------------------------------------------
    def poll(self) -> list[SourceRecord] | None:
        with self._lock:
            if self._stopping.is_set():
                return None
            records = self._poll_locked()
            if records:
                return records
            wait = self._idle_wait()
        if wait > 0:
            self._stopping.wait(wait)
        return None

    def _idle_wait(self) -> float:
        if self._current is not None or self._queue:
            return 0.0
        return max(0.0, min(self._next_scan - time.monotonic(), MAX_IDLE_WAIT))

    def _poll_locked(self) -> list[SourceRecord] | None:
        cur = self._current
        if cur is None:
            cur = self._current = self._open_next()
            if cur is None:
                return None
        assert cur.reader is not None
        try:
            items = cur.reader.read(self.settings.batch_size)
        except BadDataError as e:
            self._bad_data(cur, e)
            return None
        except OSError as e:
            self._bad_data(cur, BadDataError(cur.reader.line + 1, f"cannot read the file: {e}"))
            return None
        if not items:
            self._done_reading(cur)
            return None
        return self._records(cur, items)

    def _open_next(self) -> _FileProgress | None:
        while True:
            if not self._queue:
                now = time.monotonic()
                if now < self._next_scan:
                    return None
                found = self._discovery.scan()
                delay = STABLE_WINDOW if self._discovery.waiting else self.settings.empty_poll_wait
                self._next_scan = now + delay
                self._queue.extend(
                    f
                    for f in found
                    if f.path not in self._tracked
                    and (f.path, f.size, f.mtime_ns) not in self._left_in_place
                )
                if not self._queue:
                    return None
            taken = claim(self.settings, self._queue.popleft())
            if taken is None:
                continue
            opened = self._open(taken)
            if opened is not None:
                return opened

    def _open(self, c: Claim) -> _FileProgress | None:
        mtime_ms = c.mtime_ns // 1_000_000
        partition = partition_of(c.relative)
        committed = self.context.offset_storage_reader().offset(partition)
        resume = resume_point(committed, c.size, mtime_ms)
        if committed and not matches_file(committed, c.size, mtime_ms):
            log.info(
                "The committed offset of %s belongs to an earlier file of that name; "
                "reading it from the start",
                c.original,
            )
        start = resume.count if resume is not None else 0
        p = _FileProgress(
            c,
            partition,
            FileMetadata(c.original, c.relative, c.size, c.mtime_ns),
            mtime_ms,
            start,
            start,
        )
        self._tracked.add(c.path)
        try:
            p.reader = self.format.open(c.path, c.relative.name, self.settings.buffer_size, resume)
        except BadDataError as e:
            self._bad_data(p, e)
            return None
        except OSError as e:
            self._bad_data(p, BadDataError(0, f"cannot open the file: {e}"))
            return None
        if resume is not None:
            log.info("Opened %s after %d committed record(s)", c.original, start)
        else:
            log.info("Opened %s", c.original)
        return p

    def _records(self, p: _FileProgress, items: list[Item]) -> list[SourceRecord]:
        topic = self.settings.topic
        partition = p.partition
        size = p.claim.size
        mtime_ms = p.mtime_ms
        headers = p.metadata.headers
        ts: int | None = mtime_ms if self.settings.timestamp_mode == "FILE_TIME" else None
        ts_field = self._field
        out: list[SourceRecord] = []
        for it in items:
            if ts_field is not None:
                ts = Timestamp.from_logical(Timestamp.SCHEMA, it.value.get(ts_field))
            out.append(
                SourceRecord(
                    partition,
                    make_offset(it.number, it.position, it.line, size, mtime_ms),
                    topic,
                    None,
                    it.key_schema,
                    it.key,
                    it.value_schema,
                    it.value,
                    ts,
                    headers(it.number),
                )
            )
        p.sent = items[-1].number
        return out

    def _done_reading(self, p: _FileProgress) -> None:
        if p.reader is not None:
            p.reader.close()
            p.reader = None
        self._current = None
        self._next_scan = 0.0  # look for the next file right away, as the Java task does
        log.info("Read %s: %d record(s)", p.claim.original, p.sent)
        self._await_commit(p)

    def _bad_data(self, p: _FileProgress, e: BadDataError) -> None:
        if p.reader is not None:
            p.reader.close()
            p.reader = None
        self._current = None
        p.error = e
        message = f"{p.claim.original}: {e}"
        if self.settings.halt_on_error:
            try:
                fail(self.settings, p.claim, self._report(p, e))
            finally:
                self._tracked.discard(p.claim.path)
            raise ConnectError(
                f"Bad data in {message} (the file was moved to {self.settings.error_path}; "
                "halt.on.error=true stops the task)"
            )
        log.error("Bad data in %s; the file goes to %s", message, self.settings.error_path)
        self._await_commit(p)

    def _await_commit(self, p: _FileProgress) -> None:
        if p.sent == p.start:  # nothing in flight: no commit to wait for
            if not self._clean_up(p):
                self._awaiting.append(p)
        else:
            self._awaiting.append(p)

    @staticmethod
    def _report(p: _FileProgress, e: BadDataError) -> str:
        return (
            f"file: {p.claim.original}\n"
            f"line: {e.line}\n"
            f"problem: {e.reason}\n"
            f"records delivered before the problem: {p.sent}\n"
            f"time: {time.strftime('%Y-%m-%dT%H:%M:%S%z')}\n"
        )

    # -- commits ------------------------------------------------------------------------------
    def commit(self) -> None:
        """Offsets were just committed: clean up the files whose last record is among them."""
        with self._lock:
            if not self._awaiting:
                return
            reader = self.context.offset_storage_reader()
            keep: list[_FileProgress] = []
            for p in self._awaiting:
                if p.sent > p.start:
                    committed = reader.offset(p.partition)
                    if (
                        committed is None
                        or not matches_file(committed, p.claim.size, p.mtime_ms)
                        or committed.get(OFFSET_KEY, 0) < p.sent
                    ):
                        keep.append(p)
                        continue
                if not self._clean_up(p):
                    keep.append(p)
            self._awaiting = keep

    def _clean_up(self, p: _FileProgress) -> bool:
        """Finish or fail a file whose records are all committed; False to retry later."""
        try:
            if p.error is not None:
                fail(self.settings, p.claim, self._report(p, p.error))
            else:
                dest = finish(self.settings, p.claim)
                if dest is not None and self.settings.cleanup_policy == "NONE":
                    self._left_in_place.add((dest, p.claim.size, p.claim.mtime_ns))
        except OSError:
            log.exception("Could not clean up %s; will retry", p.claim.path)
            return False
        self._tracked.discard(p.claim.path)
        return True
