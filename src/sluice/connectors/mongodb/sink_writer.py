"""Bulk writes to MongoDB, and what a failed one means for each record in it.

:class:`SinkWriter` runs one batch as one ``bulk_write`` (ordered or not, per
``bulk.write.ordered``) on the batch's collection, creating a time series collection first when
the topic asks for one. When the server rejects some writes (a duplicate key, a document too
large, a failed write concern), :func:`failed_records` tells, as the official connector does,
which records failed and why, so they can go to the dead-letter queue one by one:

* a record whose write the server refused: :class:`WriteRecordError`
  (``v=1, code=<code>, message=<message>, details=<json>``);
* in an ordered bulk write, every record after the refused one, which the server did not try:
  :class:`WriteSkippedError`;
* with a write concern error, every other record, which may or may not have been written:
  :class:`WriteConcernFailedError`.

:func:`is_transient` separates failures worth retrying (no server reachable, connection lost,
primary stepped down) from the rest.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any, Final

from bson import json_util
from bson.codec_options import CodecOptions, DatetimeConversion
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.errors import (
    BulkWriteError,
    CollectionInvalid,
    ConnectionFailure,
    OperationFailure,
    PyMongoError,
)

from sluice.api import ConfigError, DataError
from sluice.connectors.mongodb.namespaces import Namespace
from sluice.connectors.mongodb.sink_documents import Document
from sluice.connectors.mongodb.sink_processing import ProcessedRecord
from sluice.connectors.mongodb.sink_topic_config import TopicSettings

__all__ = [
    "SinkWriter",
    "WriteConcernFailedError",
    "WriteRecordError",
    "WriteSkippedError",
    "failed_records",
    "is_transient",
]

log = logging.getLogger(__name__)

_RETRYABLE_CODES: Final = frozenset(
    {6, 7, 89, 91, 134, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436}
)
"""Server error codes for a node going away or losing primary (the driver's retryable set)."""
_OPTIONS: Final[CodecOptions[Document]] = CodecOptions(
    document_class=dict, tz_aware=True, datetime_conversion=DatetimeConversion.DATETIME_AUTO
)
_MESSAGE_FORMAT_VERSION: Final = 1


class WriteRecordError(DataError):
    """The server refused this record's write (the official ``WriteException``)."""

    def __init__(self, error: Document) -> None:
        details = error.get("errInfo") or {}
        super().__init__(
            f"v={_MESSAGE_FORMAT_VERSION}, code={error.get('code')}, "
            f"message={error.get('errmsg')}, details={json_util.dumps(details)}"
        )
        self.code = error.get("code")


class WriteSkippedError(DataError):
    """Not written: an earlier write of the same ordered bulk write failed."""

    def __init__(self) -> None:
        super().__init__(
            "Not written: an earlier write of the same ordered bulk write failed "
            "(bulk.write.ordered=true)"
        )


class WriteConcernFailedError(DataError):
    """The write concern was not satisfied: the record may or may not be written."""

    def __init__(self, error: Document) -> None:
        details = error.get("errInfo") or {}
        super().__init__(
            f"v={_MESSAGE_FORMAT_VERSION}, code={error.get('code')}, "
            f"codeName={error.get('codeName')}, message={error.get('errmsg')}, "
            f"details={json_util.dumps(details)}"
        )


def failed_records(
    batch: list[ProcessedRecord], ordered: bool, error: BulkWriteError
) -> list[tuple[ProcessedRecord, DataError]]:
    """The records of ``batch`` that are not (or maybe not) written, each with its reason, in
    batch order; records before a failed write of an ordered batch were written."""
    details = error.details or {}
    write_errors: list[Document] = list(details.get("writeErrors") or [])
    concern_errors: list[Document] = list(details.get("writeConcernErrors") or [])
    failed: dict[int, DataError] = {}
    for item in write_errors:
        index = item.get("index")
        if isinstance(index, int) and 0 <= index < len(batch):
            failed[index] = WriteRecordError(item)
    if ordered and write_errors:
        first = min(failed) if failed else len(batch)
        skipped = WriteSkippedError()
        for index in range(first + 1, len(batch)):
            failed.setdefault(index, skipped)
    if concern_errors:
        concern = WriteConcernFailedError(concern_errors[0])
        for index in range(len(batch)):
            failed.setdefault(index, concern)
    return [(batch[i], failed[i]) for i in sorted(failed)]


def is_transient(error: BaseException) -> bool:
    """A failure that may pass: nothing answered, the connection broke, the primary changed."""
    if isinstance(error, BulkWriteError):
        return False
    if isinstance(error, ConnectionFailure):
        return True
    if isinstance(error, PyMongoError) and error.has_error_label("RetryableWriteError"):
        return True
    return isinstance(error, OperationFailure) and error.code in _RETRYABLE_CODES


class SinkWriter:
    """Writes batches through one client; owns nothing but the collection handles."""

    def __init__(self, client: MongoClient[Document]) -> None:
        self.client = client
        self._collections: dict[Namespace, Collection[Document]] = {}
        self._checked_timeseries: set[Namespace] = set()

    def collection(self, namespace: Namespace) -> Collection[Document]:
        found = self._collections.get(namespace)
        if found is None:
            database = self.client.get_database(namespace.database, codec_options=_OPTIONS)
            found = self._collections[namespace] = database.get_collection(namespace.collection)
        return found

    def write(self, batch: list[ProcessedRecord], settings: TopicSettings) -> Any:
        """One bulk write of ``batch`` (all in one namespace); pymongo's errors propagate."""
        namespace = batch[0].namespace
        if settings.is_timeseries and namespace not in self._checked_timeseries:
            self._ensure_timeseries(namespace, settings)
            self._checked_timeseries.add(namespace)
        return self.collection(namespace).bulk_write(
            [item.model.to_operation() for item in batch], ordered=settings.bulk_write_ordered
        )

    def _ensure_timeseries(self, namespace: Namespace, s: TopicSettings) -> None:
        """Create the time series collection when missing; refuse a plain one in its place."""
        database = self.client.get_database(namespace.database)
        found = list(database.list_collections(filter={"name": namespace.collection}))
        if found:
            if found[0].get("type") != "timeseries":
                raise ConfigError(
                    f"A collection already exists for: `{namespace}` that is not a timeseries "
                    "collection.",
                    s.key("timeseries.timefield"),
                )
            return
        options: Document = {"timeField": s.timeseries_timefield}
        if s.timeseries_metafield:
            options["metaField"] = s.timeseries_metafield
        if s.timeseries_granularity:
            options["granularity"] = s.timeseries_granularity
        extra: Document = {}
        if s.timeseries_expire_after_seconds > 0:
            extra["expireAfterSeconds"] = s.timeseries_expire_after_seconds
        with contextlib.suppress(CollectionInvalid):  # created meanwhile by another task
            database.create_collection(namespace.collection, timeseries=options, **extra)
        log.info("Created time series collection %s (%s)", namespace, options)
