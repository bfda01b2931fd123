"""Copying existing documents (``startup.mode=copy_existing``) as insert change events.

The namespaces are the configured collection, every collection of the database, or every
collection of every database but ``admin``, ``config`` and ``local`` (``system.*`` collections
left out), filtered by ``startup.mode.copy.existing.namespace.regex`` (a search, not a full match,
as Java's ``Pattern.asPredicate``). Up to ``startup.mode.copy.existing.max.threads`` collections
are read at once into a queue of ``startup.mode.copy.existing.queue.size`` documents that ``poll``
drains.

Each document becomes the event the official connector builds::

    {"_id": {"_id": <id>, "copyingData": true}, "operationType": "insert",
     "documentKey": {"_id": <id>}, "fullDocument": <document>, "ns": {"db": ..., "coll": ...}}

When ``pipeline`` is empty the event is assembled here from a plain read (``find``, or an
aggregation of ``startup.mode.copy.existing.pipeline``), which gives the same document and asks
nothing of the server's aggregation engine. When ``pipeline`` is set, the copied events must go
through it like streamed ones, so the server builds them with the official ``$replaceRoot``
aggregation and runs the pipeline on them.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Final

from pymongo import MongoClient

from sluice.api import ConnectError
from sluice.connectors.mongodb.change_stream import CODEC_OPTIONS
from sluice.connectors.mongodb.source_config import SourceSettings

__all__ = ["CopyExisting", "copy_event", "select_namespaces"]

log = logging.getLogger(__name__)

CHUNK: Final = 256
"""Documents handed from a copying thread to the queue at a time (fewer lock round trips)."""
_ALT_NAMESPACE: Final = "__"


def copy_event(db: str, coll: str, document: Mapping[str, Any]) -> dict[str, Any]:
    """The insert event a copied document becomes (field order as the official connector's)."""
    doc_id = document.get("_id")
    return {
        "_id": {"_id": doc_id, "copyingData": True},
        "operationType": "insert",
        "documentKey": {"_id": doc_id},
        "fullDocument": document,
        "ns": {"db": db, "coll": coll},
    }


def select_namespaces(
    client: MongoClient[dict[str, Any]], settings: SourceSettings
) -> list[tuple[str, str]]:
    """The ``(database, collection)`` pairs to copy."""
    if settings.database and settings.collection:
        namespaces = [(settings.database, settings.collection)]
    else:
        databases = (
            [settings.database]
            if settings.database
            else [
                d
                for d in client.list_database_names()
                if not d.startswith(("admin", "config", "local"))
            ]
        )
        namespaces = [
            (d, c)
            for d in databases
            for c in client[d].list_collection_names()
            if not c.startswith("system.")
        ]
    pattern = settings.copy.namespace_regex
    if pattern:
        regex = re.compile(pattern)
        namespaces = [(d, c) for d, c in namespaces if regex.search(f"{d}.{c}")]
    return namespaces


def _server_pipeline(settings: SourceSettings, db: str, coll: str) -> list[dict[str, Any]]:
    """The official connector's copy aggregation (used when ``pipeline`` must run on copies)."""
    build = {
        "$replaceRoot": {
            "newRoot": {
                "_id": {"_id": "$_id", "copyingData": True},
                "operationType": "insert",
                "ns": {"db": {"$literal": db}, "coll": {"$literal": coll}},
                "documentKey": {"_id": "$_id"},
                "fullDocument": "$$ROOT",
            }
        }
    }
    return [
        *settings.copy.pipeline,
        build,
        *settings.pipeline,
        {"$addFields": {_ALT_NAMESPACE: "$ns"}},
        {"$project": {"ns": 0}},
    ]


def _restore_namespace(event: dict[str, Any]) -> dict[str, Any]:
    """``__`` back to ``ns`` in place (the key keeps its position, as the Java code's byte edit)."""
    if _ALT_NAMESPACE not in event:
        return event
    return {("ns" if k == _ALT_NAMESPACE else k): v for k, v in event.items()}


class CopyExisting:
    """Copies the namespaces on worker threads; the task drains them with :meth:`poll`.

    ``poll`` holds the last event back until the copy is known to be complete, so that the final
    batch always ends with the event that may carry the stream's resume token (otherwise a copy
    finishing between two polls leaves the offset marked ``copy`` and a restart copies again).
    """

    def __init__(self, client: MongoClient[dict[str, Any]], settings: SourceSettings) -> None:
        self.client = client
        self.settings = settings
        self.namespaces = select_namespaces(client, settings)
        log.info(
            "Copying existing data on the following namespaces: %s",
            [f"{d}.{c}" for d, c in self.namespaces],
        )
        chunks = max(1, settings.copy.queue_size // CHUNK)
        self._queue: queue.Queue[list[dict[str, Any]]] = queue.Queue(maxsize=chunks)
        self._closed = threading.Event()
        self._error: BaseException | None = None
        self._pending: list[dict[str, Any]] = []
        self.copied = 0
        workers = max(1, min(len(self.namespaces), settings.copy.max_threads))
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="mongodb-copy")
        self._futures: list[Future[None]] = [
            self._executor.submit(self._copy, d, c) for d, c in self.namespaces
        ]

    # -- the copying threads ------------------------------------------------------------------
    def _documents(self, db: str, coll: str) -> Iterable[dict[str, Any]]:
        s = self.settings
        collection = self.client.get_database(db, codec_options=CODEC_OPTIONS)[coll]
        if s.pipeline:
            for event in collection.aggregate(
                _server_pipeline(s, db, coll), allowDiskUse=s.copy.allow_disk_use
            ):
                yield _restore_namespace(event)
            return
        documents = (
            collection.aggregate(s.copy.pipeline, allowDiskUse=s.copy.allow_disk_use)
            if s.copy.pipeline
            else collection.find()
        )
        for document in documents:
            yield copy_event(db, coll, document)

    def _copy(self, db: str, coll: str) -> None:
        log.debug("Copying existing data from: %s.%s", db, coll)
        chunk: list[dict[str, Any]] = []
        try:
            for event in self._documents(db, coll):
                chunk.append(event)
                if len(chunk) >= CHUNK:
                    self._put(chunk)
                    chunk = []
                if self._closed.is_set():
                    return
            if chunk:
                self._put(chunk)
        except BaseException as e:
            if not self._closed.is_set():
                log.debug("Copying %s.%s failed", db, coll, exc_info=True)
                self._error = ConnectError(f"Copying existing data from {db}.{coll} failed: {e}")
                self._error.__cause__ = e

    def _put(self, chunk: list[dict[str, Any]]) -> None:
        while not self._closed.is_set():
            try:
                self._queue.put(chunk, timeout=0.5)
                return
            except queue.Full:
                continue

    # -- the task's side ----------------------------------------------------------------------
    def poll(self, max_events: int, wait: float) -> tuple[list[dict[str, Any]], bool]:
        """Up to ``max_events`` copied events (waiting up to ``wait`` seconds for the first), and
        whether they are the last ones."""
        if self._error is not None:
            raise self._error
        threads_done = all(f.done() for f in self._futures)
        batch = self._pending
        self._pending = []
        try:
            if not threads_done and len(batch) <= 1:  # at most the held-back event: wait
                batch.extend(self._queue.get(timeout=wait))
            while len(batch) < max_events:
                batch.extend(self._queue.get_nowait())
        except queue.Empty:
            pass
        if self._error is not None:
            raise self._error
        if len(batch) > max_events:
            self._pending = batch[max_events:]
            batch = batch[:max_events]
        done = threads_done and not self._pending and self._queue.empty()
        if not done and batch:
            self._pending.insert(0, batch.pop())
        self.copied += len(batch)
        return batch, done

    def close(self) -> None:
        self._closed.set()
        self._executor.shutdown(wait=False, cancel_futures=True)
