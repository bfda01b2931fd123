"""Offset backing stores: where committed source offsets live.

The interface is the narrow one Kafka Connect uses: ``get`` by serialized key, ``set`` a batch
atomically (``set_async`` without waiting), ``keys`` and ``connector_partitions``. The memory store
serves tests; the file store is standalone mode's ``offset.storage.file.filename``; the Kafka-topic
store (:mod:`sluice.storage.kafka_offsets`) serves distributed mode, where ``get`` first reads the
offsets topic to its end so a task resumes from what any worker committed.
"""

from __future__ import annotations

import abc
import base64
import logging
import os
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import msgspec

from sluice.api import ConnectError
from sluice.storage.offset_codec import decode_key

__all__ = ["FileOffsetBackingStore", "MemoryOffsetBackingStore", "OffsetBackingStore"]

log = logging.getLogger(__name__)


class OffsetBackingStore(abc.ABC):
    """Committed offsets keyed by serialized ``[connector, partition]`` bytes."""

    def start(self) -> None:
        """Load existing offsets."""

    def stop(self) -> None:
        """Release resources."""

    @abc.abstractmethod
    def get(self, keys: Iterable[bytes]) -> dict[bytes, bytes]:
        """Values of the keys that have one."""

    @abc.abstractmethod
    def set(self, values: Mapping[bytes, bytes | None]) -> None:
        """Store a batch durably before returning; ``None`` deletes the key."""

    def set_async(self, values: Mapping[bytes, bytes | None]) -> Future[None]:
        """Start storing a batch; the future completes once it is durable (or failed).

        The default stores synchronously; the Kafka store returns once the records are sent.
        """
        done: Future[None] = Future()
        try:
            self.set(values)
        except BaseException as e:
            done.set_exception(e)
        else:
            done.set_result(None)
        return done

    @abc.abstractmethod
    def keys(self) -> list[bytes]:
        """Every stored key."""

    def connector_partitions(self, connector: str) -> list[dict[str, Any]]:
        """The source partitions ``connector`` has offsets for (Kafka's ``connectorPartitions``)."""
        out: list[dict[str, Any]] = []
        for key in self.keys():
            decoded = decode_key(key)
            if decoded is not None and decoded[0] == connector:
                out.append(decoded[1])
        return out


class MemoryOffsetBackingStore(OffsetBackingStore):
    """Offsets in a dict; ``set`` is atomic under a lock."""

    def __init__(self) -> None:
        self._data: dict[bytes, bytes] = {}
        self._lock = threading.Lock()

    def get(self, keys: Iterable[bytes]) -> dict[bytes, bytes]:
        with self._lock:
            return {k: self._data[k] for k in keys if k in self._data}

    def set(self, values: Mapping[bytes, bytes | None]) -> None:
        with self._lock:
            self._apply(values)
            self._persist()

    def _apply(self, values: Mapping[bytes, bytes | None]) -> None:
        for k, v in values.items():
            if v is None:
                self._data.pop(k, None)
            else:
                self._data[k] = v

    def _persist(self) -> None:
        """Make the current state durable; nothing to do in memory."""

    def keys(self) -> list[bytes]:
        with self._lock:
            return list(self._data)


class _FileFormat(msgspec.Struct):
    format: str
    offsets: list[tuple[str, str]]


class FileOffsetBackingStore(MemoryOffsetBackingStore):
    """Offsets in a JSON file, rewritten atomically (temp file, fsync, rename) on every ``set``.

    Kafka Connect's file holds a Java-serialized map; Python cannot share that file, so sluice
    writes ``{"format": "sluice-offsets-v1", "offsets": [[key, value], ...]}`` with the key and
    value bytes base64-encoded. The key and value bytes are Kafka Connect's own (see
    :mod:`sluice.storage.offset_codec`).
    """

    FORMAT = "sluice-offsets-v1"

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)
        self._loaded = False

    def start(self) -> None:
        """Read the file, once: ``sluice standalone`` starts the store itself, to report a bad
        file as a start-up error before anything else starts, and the worker starts it again
        as it starts every store; reading twice would only say "Loaded ..." twice (the memory
        already holds every offset written since, as each ``set`` writes through)."""
        with self._lock:
            if self._loaded:
                return
            if not self.path.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._loaded = True
                return
            try:
                doc = msgspec.json.decode(self.path.read_bytes(), type=_FileFormat)
            except (msgspec.DecodeError, msgspec.ValidationError) as e:
                raise ConnectError(
                    f"offset.storage.file.filename {self.path}: not a sluice offsets file ({e})"
                ) from e
            if doc.format != self.FORMAT:
                raise ConnectError(
                    f"offset.storage.file.filename {self.path}: unknown format {doc.format!r}"
                )
            self._data = {base64.b64decode(k): base64.b64decode(v) for k, v in doc.offsets}
            self._loaded = True
        log.info("Loaded %d source offsets from %s", len(self._data), self.path)

    def _persist(self) -> None:
        doc = _FileFormat(
            self.FORMAT,
            [
                (base64.b64encode(k).decode(), base64.b64encode(v).decode())
                for k, v in self._data.items()
            ],
        )
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(msgspec.json.encode(doc))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
