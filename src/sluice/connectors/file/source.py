"""FileStreamSource: lines of a file (or stdin) into a topic, following appends like ``tail -f``."""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
import time
from collections.abc import Mapping
from typing import Any, BinaryIO, Final

import sluice
from sluice.api import (
    ConfigDef,
    ConfigType,
    ConnectError,
    ExactlyOnceSupport,
    Importance,
    NonEmptyString,
    Range,
    Schema,
    SourceConnector,
    SourceRecord,
    SourceTask,
    Task,
)

__all__ = ["FileStreamSourceConnector", "FileStreamSourceTask"]

log = logging.getLogger(__name__)

FILENAME_FIELD: Final = "filename"
POSITION_FIELD: Final = "position"
CHUNK: Final = 1 << 20
_LINE_END: Final = re.compile(rb"\r\n|\r|\n")


def _config_def() -> ConfigDef:
    return (
        ConfigDef()
        .define(
            "file",
            ConfigType.STRING,
            None,
            importance=Importance.HIGH,
            documentation="Source filename. If not specified, the standard input will be used",
        )
        .define(
            "topic",
            ConfigType.STRING,
            validator=NonEmptyString(),
            importance=Importance.HIGH,
            documentation="The topic to publish data to",
        )
        .define(
            "batch.size",
            ConfigType.INT,
            2000,
            Range.at_least(1),
            Importance.LOW,
            "The maximum number of records the source task can read from the file each time "
            "it is polled",
        )
    )


class FileStreamSourceConnector(SourceConnector):
    """Kafka's ``org.apache.kafka.connect.file.FileStreamSourceConnector``; always one task."""

    def version(self) -> str:
        return sluice.__version__

    def start(self, props: Mapping[str, str]) -> None:
        self._props = dict(props)
        parsed = _config_def().parse(props)
        self._file = parsed["file"]
        if not self._file:
            log.warning("No file specified: the connector reads standard input and cannot resume")

    def task_class(self) -> type[Task]:
        return FileStreamSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self._props)]  # one task, configured like the connector (as Kafka's)

    def stop(self) -> None:
        return None

    def config(self) -> ConfigDef:
        return _config_def()

    def exactly_once_support(self, connector_config: Mapping[str, str]) -> ExactlyOnceSupport:
        return (
            ExactlyOnceSupport.SUPPORTED
            if connector_config.get("file")
            else ExactlyOnceSupport.UNSUPPORTED
        )

    def alter_offsets(
        self,
        connector_config: Mapping[str, str],
        offsets: list[tuple[dict[str, Any], dict[str, Any] | None]],
    ) -> bool:
        if not connector_config.get("file"):
            raise ConnectError(
                "Offsets cannot be modified if the 'file' configuration is unspecified. This is "
                "because stdin is used for input and offsets are not tracked."
            )
        for partition, offset in offsets:
            if FILENAME_FIELD not in partition:
                raise ConnectError(f"Partition objects should contain the key '{FILENAME_FIELD}'")
            if offset is None:
                continue
            position = offset.get(POSITION_FIELD)
            if not isinstance(position, int) or isinstance(position, bool):
                raise ConnectError(
                    f"The value for the '{POSITION_FIELD}' key in the offset is expected to be a "
                    "Long value"
                )
            if position < 0:
                raise ConnectError(
                    f"The value for the '{POSITION_FIELD}' key in the offset should be a "
                    "non-negative value"
                )
        return True


class FileStreamSourceTask(SourceTask):
    """Reads lines in 1 MiB chunks; ``position`` is the byte offset after the last line sent."""

    def version(self) -> str:
        return sluice.__version__

    def start(self, props: Mapping[str, str]) -> None:
        parsed = _config_def().parse(props)
        self.filename: str | None = parsed["file"] or None
        self.topic: str = parsed["topic"]
        self.batch_size: int = parsed["batch.size"]
        self.stream: BinaryIO | None = None
        self.position = 0
        self.buffer = b""
        self.partition = {FILENAME_FIELD: self.filename} if self.filename else None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._inode: int | None = None
        self._lines: list[str] | list[bytes] = []
        self._at = 0
        self._crlf = False

    def _open(self) -> bool:
        if self.stream is not None:
            return True
        if self.filename is None:
            self.stream = sys.stdin.buffer
            return True
        try:
            stream = open(self.filename, "rb")  # noqa: SIM115 - kept open across polls
        except FileNotFoundError:
            log.warning(
                "Couldn't find file %s for FileStreamSourceTask, sleeping to wait for "
                "it to be created",
                self.filename,
            )
            return False
        except OSError as e:
            raise ConnectError(f"Cannot read file {self.filename}: {e}") from e
        offset = self.context.offset_storage_reader().offset(self.partition or {})
        position = 0
        if offset is not None:
            raw = offset.get(POSITION_FIELD)
            if not isinstance(raw, int):
                stream.close()
                raise ConnectError(f"Offset position is the incorrect type: {raw!r}")
            position = raw
            size = os.fstat(stream.fileno()).st_size
            if position > size:
                log.warning(
                    "File %s is shorter (%d bytes) than the committed position %d: it "
                    "was truncated, reading it from the start",
                    self.filename,
                    size,
                    position,
                )
                position = 0
            stream.seek(position)
            log.info("Found previous offset, trying to skip to file offset %d", position)
        self.position = position
        self._inode = os.fstat(stream.fileno()).st_ino
        self.stream = stream
        self._reset_buffer()
        return True

    def poll(self) -> list[SourceRecord] | None:
        with self._lock:
            if self._stop.is_set():
                return None
            records = self._poll_locked()
        if records is None:
            self._stop.wait(1.0)  # no data yet: Kafka's task sleeps a second too
        return records or None

    def _poll_locked(self) -> list[SourceRecord] | None:
        """Complete lines, ``[]`` when only a partial line was read, ``None`` when idle.

        Each chunk is split into lines once and handed out ``batch.size`` lines at a time;
        re-scanning the rest of a 1 MiB buffer on every poll cost more than the records did.
        """
        if not self._open():
            return None
        if self._at < len(self._lines):
            return self._emit_lines()
        if self._crlf:
            records = self._take_lines()
            if records:
                return records
        chunk = self._read()
        if not chunk:
            self._check_truncation()
            return None
        buf = self.buffer + chunk
        self._crlf = b"\r" in buf
        if self._crlf:
            self.buffer = buf
            return self._take_lines()
        lines: list[str] | list[bytes]
        if buf.isascii():  # one decode per chunk; a character is then a byte
            text = buf.decode("ascii").split("\n")
            self.buffer = text.pop().encode("ascii")
            lines = text
        else:
            raw = buf.split(b"\n")
            self.buffer = raw.pop()
            lines = raw
        self._lines, self._at = lines, 0
        return self._emit_lines()

    def _read(self) -> bytes:
        assert self.stream is not None
        if self.filename is None:
            return self.stream.read1(CHUNK)  # type: ignore[attr-defined,no-any-return]
        return self.stream.read(CHUNK)

    def _emit_lines(self) -> list[SourceRecord]:
        """The next ``batch.size`` lines of the split chunk (``\n`` endings only)."""
        at = self._at
        end = min(at + self.batch_size, len(self._lines))
        lines = self._lines[at:end]
        if end == len(self._lines):
            self._lines, self._at = [], 0
        else:
            self._at = end
        topic = self.topic
        partition = self.partition
        schema = Schema.STRING_SCHEMA
        position = self.position
        now = int(time.time() * 1000)
        records: list[SourceRecord] = []
        append = records.append
        for line in lines:
            position += len(line) + 1  # an ASCII chunk's lines are str, a character a byte
            append(
                SourceRecord(
                    partition,
                    {POSITION_FIELD: position} if partition else None,
                    topic,
                    None,
                    None,
                    None,
                    schema,
                    line if isinstance(line, str) else line.decode("utf-8", "replace"),
                    now,
                )
            )
        self.position = position
        return records

    def _take_lines(self) -> list[SourceRecord]:
        """Split lines ending in ``\r\n``, ``\r`` or ``\n`` off the buffer."""
        buf = self.buffer
        records: list[SourceRecord] = []
        topic = self.topic
        partition = self.partition
        position = self.position
        limit = self.batch_size
        start = 0
        now = int(time.time() * 1000)
        while len(records) < limit:
            m = _LINE_END.search(buf, start)
            if m is None:
                break
            if m.group() == b"\r" and m.end() == len(buf):
                break  # a \r\n may be split across reads
            end, nxt = m.start(), m.end()
            line = buf[start:end].decode("utf-8", "replace")
            position += nxt - start
            start = nxt
            records.append(
                SourceRecord(
                    partition,
                    {POSITION_FIELD: position} if partition else None,
                    topic,
                    None,
                    None,
                    None,
                    Schema.STRING_SCHEMA,
                    line,
                    now,
                )
            )
        self.buffer = buf[start:]
        self.position = position
        return records

    def _check_truncation(self) -> None:
        if self.filename is None or self.stream is None:
            return
        try:
            st = os.stat(self.filename)
        except FileNotFoundError:
            return
        if st.st_ino != self._inode or st.st_size < self.position + len(self.buffer):
            log.warning(
                "File %s was truncated or replaced; reading it from the start", self.filename
            )
            self.stream.close()
            self.stream = None
            self._reset_buffer()
            if self._open_fresh():
                self.position = 0

    def _reset_buffer(self) -> None:
        self.buffer = b""
        self._lines, self._at, self._crlf = [], 0, False

    def _open_fresh(self) -> bool:
        assert self.filename is not None
        try:
            self.stream = open(self.filename, "rb")  # noqa: SIM115
        except OSError:
            return False
        self._inode = os.fstat(self.stream.fileno()).st_ino
        return True

    def stop(self) -> None:
        """Called from another thread: wake ``poll`` and close the file once it returns."""
        self._stop.set()
        with self._lock:
            if self.stream is not None and self.filename is not None:
                self.stream.close()
            self.stream = None
