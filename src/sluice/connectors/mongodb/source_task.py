"""The MongoDB source task: copy existing documents if asked, then follow the change stream.

Start-up follows the official ``MongoSourceTask``: with ``startup.mode=copy_existing`` and no
offset (or an offset still marked ``copy``: the copy was interrupted), the task notes where the
change stream is, copies every document as an insert event, and then follows the stream from the
noted point, so changes made during the copy arrive too (some twice; change events are
idempotent). An interrupted copy starts again from the beginning, as the official connector
restarts it, and the task says so at WARN. Otherwise the stream resumes after the stored resume
token, or starts as ``startup.mode`` says.

Each event becomes one record: topic from the topic mapper, key ``documentKey`` (or
``{"_id": <resume token>}``), value the event or, with ``publish.full.document.only``, the
document. An event the output formats cannot express fails the task, is skipped, or goes to the
connector's dead letter queue topic, per ``errors.tolerance`` (``mongo.errors.*`` override).

Threading: ``start``, ``poll`` and ``commit_record`` run on the task thread; ``stop`` comes from
another one while ``poll`` may be waiting on the server (at most about a second). ``poll`` holds a
lock while it uses the client; ``stop`` takes it to close everything, or leaves the closing to the
``poll`` in progress.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any, Final

from bson.codec_options import DatetimeConversion
from pymongo import MongoClient
from pymongo.driver_info import DriverInfo
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError
from pymongo.server_api import ServerApi

import sluice
from sluice.api import (
    ConnectError,
    RetriableError,
    SourceRecord,
    SourceTask,
)
from sluice.connectors.mongodb.change_stream import (
    ILLEGAL_OPERATION,
    NAMESPACE_NOT_FOUND,
    UNKNOWN_FIELD,
    ChangeStream,
    describe,
    error_code,
    invalidated_resume_token,
    resume_token_lost,
)
from sluice.connectors.mongodb.client import connect, pem_file, redact
from sluice.connectors.mongodb.copy_existing import CopyExisting
from sluice.connectors.mongodb.heartbeats import Heartbeats
from sluice.connectors.mongodb.json_formatters import RELAXED_JSON
from sluice.connectors.mongodb.source_config import (
    COLLECTION,
    CONNECTION_URI,
    DATABASE,
    SourceSettings,
    StartupMode,
)
from sluice.connectors.mongodb.source_offsets import (
    COPY_KEY,
    HEARTBEAT_KEY,
    ID_FIELD,
    offset_of,
    partition_of,
    resume_token_of,
)
from sluice.connectors.mongodb.source_records import RecordBuilder

__all__ = ["MongoSourceTask", "open_client"]

log = logging.getLogger(__name__)

COPY_WAIT: Final = 0.5
"""Longest a poll waits for copied documents."""
QUIET_WAIT: Final = 0.2
"""Pause after an empty read the server answered at once (a server that ignores maxAwaitTimeMS
would otherwise be asked again in a tight loop)."""
RETRY_BACKOFF: Final = (1.0, 2.0, 5.0, 10.0)
_STREAM_BANNER: Final = "=" * 83


def open_client(settings: SourceSettings) -> MongoClient[dict[str, Any]]:
    """A client on ``connection.uri`` that answered a ping (:class:`ConnectError` naming it
    otherwise), with the server API and TLS files configured."""
    options: dict[str, Any] = {
        "driver": DriverInfo("sluice-source", sluice.__version__),
        # dates outside Python's range stay exact (DatetimeMS) instead of failing the decode
        "datetime_conversion": DatetimeConversion.DATETIME_AUTO,
    }
    if settings.server_api_version:
        options["server_api"] = ServerApi(
            settings.server_api_version,
            strict=settings.server_api_strict,
            deprecation_errors=settings.server_api_deprecation_errors,
        )
    if settings.truststore:
        options["tlsCAFile"] = pem_file("connection.ssl.truststore", settings.truststore)
    if settings.keystore:
        options["tlsCertificateKeyFile"] = pem_file("connection.ssl.keystore", settings.keystore)
        if settings.keystore_password:
            options["tlsCertificateKeyFilePassword"] = settings.keystore_password
    return connect(settings.uri, **options)


class MongoSourceTask(SourceTask):
    """``com.mongodb.kafka.connect.source.MongoSourceTask``."""

    def version(self) -> str:
        return sluice.__version__

    def __init__(self) -> None:
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._closed = True
        self._client: MongoClient[dict[str, Any]] | None = None
        self._copy: CopyExisting | None = None
        self._stream: ChangeStream | None = None
        self._heartbeats: Heartbeats | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self, props: Mapping[str, str]) -> None:
        log.info("Starting MongoDB source task")
        s = SourceSettings.parse(props)
        self._settings = s
        self._stopping.clear()
        self._partition = partition_of(s.uri, s.database, s.collection, s.offset_partition_name)
        self._records = RecordBuilder(s, self._partition)
        offset = self.context.offset_storage_reader().offset(self._partition)
        copy_wanted = s.startup_mode == StartupMode.COPY_EXISTING
        copying = copy_wanted and (offset is None or COPY_KEY in offset)
        if copying and offset is not None:
            log.warning(
                "The copy of existing data into %s did not finish before the task stopped "
                "(its offset is still marked copy): copying again from the start, as MongoDB's "
                "connector does; documents already sent are sent again.",
                self._partition["ns"],
            )
        self._offset_token = resume_token_of(offset)
        if offset is not None and HEARTBEAT_KEY in offset:
            log.info("Resume token from heartbeat: %s", offset.get(ID_FIELD))
        self._client = open_client(s)
        self._closed = False
        try:
            self._warn_missing_namespace()
            self._stream = ChangeStream(self._client, s)
            self._heartbeats = None
            self._next_token: Mapping[str, Any] | None = None
            self._forget_offset = False
            self._cached_event: dict[str, Any] | None = None
            self._failures = 0
            self._retry_at = 0.0
            self._copying = copying
            if copying:
                self._cached_event, self._next_token = self._stream.snapshot()
                self._copy = CopyExisting(self._client, s)
            else:
                self._open_stream()
        except BaseException:
            self._release()
            raise
        log.info("Started MongoDB source task")

    def _warn_missing_namespace(self) -> None:
        """A database or collection that does not exist yet is legal (the stream reports it once
        created) but is more often a typo: say so, naming the setting."""
        assert self._client is not None
        s = self._settings
        if not s.database:
            return
        try:
            databases = self._client.list_database_names()
            if s.database not in databases:
                log.warning(
                    "The database '%s' (%s) does not exist on %s: there is nothing to copy, and "
                    "the change stream reports its changes once it is created.",
                    s.database,
                    DATABASE,
                    redact(s.uri),
                )
            elif (
                s.collection
                and s.collection not in self._client[s.database].list_collection_names()
            ):
                log.warning(
                    "The collection '%s' (%s) does not exist in the database '%s': the change "
                    "stream reports its changes once it is created.",
                    s.collection,
                    COLLECTION,
                    s.database,
                )
        except PyMongoError as e:  # listing needs privileges the connector does not need
            log.debug("Could not list databases or collections: %s", e)

    def stop(self) -> None:
        log.info("Stopping MongoDB source task")
        self._stopping.set()
        if self._lock.acquire(timeout=5.0):
            try:
                self._release()
            finally:
                self._lock.release()
        else:
            log.warning("MongoDB source task still reading at stop; it closes when the read ends")

    def _release(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._copy is not None:
            self._copy.close()
            self._copy = None
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- polling --------------------------------------------------------------------------------
    def poll(self) -> list[SourceRecord] | None:
        if self._stopping.is_set() or self._closed:
            self._stopping.wait(0.5)
            return None
        wait = self._retry_at - time.monotonic()
        if wait > 0:
            self._stopping.wait(min(wait, 1.0))
            return None
        with self._lock:
            if self._stopping.is_set():
                self._release()
                return None
            try:
                return self._poll_locked()
            except RetriableError:
                raise
            except BaseException:
                self._release()  # the task fails: nobody calls stop() after this
                raise
            finally:
                if self._stopping.is_set():
                    self._release()

    def _poll_locked(self) -> list[SourceRecord] | None:
        events, copy_done = self._next_batch()
        records: list[SourceRecord] = []
        for event in events:
            token = event.get(ID_FIELD)
            if not isinstance(token, Mapping):
                raise ConnectError(
                    f"A change event without a resume token (_id): {RELAXED_JSON.dumps(event)}. "
                    "The pipeline must keep _id."
                )
            record = self._records.record(event, offset_of(token, self._copying))
            if record is not None:
                records.append(record)
        if self._copying and copy_done:
            if records and self._next_token is not None:
                # The copy is complete once this record is stored: its offset becomes the
                # stream's position from before the copy, without the copy mark.
                records[-1].source_offset = offset_of(self._next_token, False)
            self._finish_copy()
        if events:
            self._failures = 0
        if not records:
            if self._heartbeats is not None and self._stream is not None:
                beat = self._heartbeats.heartbeat(self._stream.resume_token)
                if beat is not None:
                    return [beat]
            return None
        return records

    # -- where the events come from -------------------------------------------------------------
    def _next_batch(self) -> tuple[list[dict[str, Any]], bool]:
        s = self._settings
        if self._copying:
            assert self._copy is not None
            events, done = self._copy.poll(s.poll_max_batch_size, COPY_WAIT)
            return events, done
        batch: list[dict[str, Any]] = []
        if self._cached_event is not None:
            batch.append(self._cached_event)
            self._cached_event = None
        assert self._stream is not None
        if self._stream.is_open and not self._stream.alive:
            log.info("Cursor has been closed by the server - reinitializing")
            self._stream.close()
            self._forget_offset = True
            self._next_token = None
        if not self._stream.is_open and not self._open_stream():
            if self._retry_at <= time.monotonic():
                log.info("Unable to recreate the cursor")
                self._stopping.wait(QUIET_WAIT)
            return batch, False
        started = time.monotonic()
        try:
            batch += self._stream.read(s.poll_max_batch_size - len(batch))
        except ConnectionFailure as e:
            return self._lost_connection(e, batch)
        except PyMongoError as e:
            return self._read_failed(e, batch)
        self._next_token = self._stream.resume_token
        if not batch and time.monotonic() - started < min(s.poll_await_time, 1.0) / 2:
            self._stopping.wait(QUIET_WAIT)
        return batch, False

    def _finish_copy(self) -> None:
        assert self._copy is not None
        log.info(
            "Finished copying existing data from the collection(s) (%d documents).",
            self._copy.copied,
        )
        self._copy.close()
        self._copy = None
        self._copying = False  # the next poll opens the stream from the token noted before

    def _resume_token(self) -> Mapping[str, Any] | None:
        """The token to resume from: where this task got to, else the committed offset."""
        if self._next_token is not None:
            return self._next_token
        if self._forget_offset:
            return None
        return self._offset_token

    def _open_stream(self) -> bool:
        """Open the stream as the official connector opens it; False when it cannot be opened
        yet (the next poll tries again)."""
        assert self._stream is not None
        s = self._settings
        token = self._resume_token()
        start_at = s.start_at_operation_time if s.startup_mode == StartupMode.TIMESTAMP else None
        try:
            self._stream.open(token, start_at)
        except OperationFailure as e:
            opened = self._open_failed(e, token)
            if not opened:
                return False
        except ConnectionFailure as e:
            log.warning(self._schedule_retry(e))
            return False
        self._heartbeats = Heartbeats(s.heartbeat_interval, s.heartbeat_topic, self._partition)
        return True

    def _open_failed(self, e: OperationFailure, token: Mapping[str, Any] | None) -> bool:
        assert self._stream is not None
        s = self._settings
        code = error_code(e)
        if token is not None:
            if invalidated_resume_token(e):
                self._forget_token()
                return self._retry_open_without_token()
            if s.tolerate_errors and resume_token_lost(e):
                self._log_restart_without_token(e)
                return self._retry_open_without_token()
        if code == NAMESPACE_NOT_FOUND:
            log.info("Namespace not found cursor closed.")
            return False
        if code == ILLEGAL_OPERATION:
            log.error(
                "Illegal $changeStream operation: %s %s\n\n%s\n%s\n\nPlease Note: Not all "
                "aggregation pipeline operations are suitable for modifying the\nchange stream "
                "output. For more information, please see the official documentation:\n   "
                "https://docs.mongodb.com/manual/changeStreams/\n%s",
                describe(e),
                code,
                _STREAM_BANNER,
                describe(e),
                _STREAM_BANNER,
            )
            raise ConnectError(f"Illegal $changeStream operation (pipeline): {describe(e)}") from e
        if code == UNKNOWN_FIELD:
            message = (
                f"Invalid operation: {describe(e)} {code}. It is likely that you are trying to use "
                "functionality unsupported by your version of MongoDB."
            )
            log.error(message)
            raise ConnectError(message) from e
        log.warning(
            "Failed to resume change stream: %s %s\n\n%s\nIf the resume token is no longer "
            "available then there is the potential for data loss.\nSaved resume tokens are "
            "managed by Kafka and stored with the offset data.\n\nTo restart the change stream "
            "with no resume token either: \n  * Create a new partition name using the "
            "`offset.partition.name` configuration.\n  * Set `errors.tolerance=all` and ignore "
            "the erroring resume token. \n  * Manually remove the old offset from its configured "
            "storage.\n\nResetting the offset will allow for the connector to be resume from the "
            "latest resume\ntoken. Using `startup.mode = copy_existing` ensures that all data "
            "will be outputted by the\nconnector but it will duplicate existing data.\n%s",
            describe(e),
            code,
            _STREAM_BANNER,
            _STREAM_BANNER,
        )
        if resume_token_lost(e):
            raise ConnectError(
                f"ResumeToken not found. Cannot create a change stream cursor: {describe(e)}"
            ) from e
        return False

    def _forget_token(self) -> None:
        self._next_token = None
        self._forget_offset = True

    def _retry_open_without_token(self) -> bool:
        assert self._stream is not None
        s = self._settings
        start_at = s.start_at_operation_time if s.startup_mode == StartupMode.TIMESTAMP else None
        try:
            self._stream.open(None, start_at)
        except OperationFailure as e:
            return self._open_failed(e, None)
        return True

    def _log_restart_without_token(self, e: PyMongoError) -> None:
        log.error(
            "Failed to resume change stream: %s %s\n%s\nWhen the resume token is no longer "
            "available there is the potential for data loss.\n\nRestarting the change stream "
            "with no resume token because `errors.tolerance=all`.\n%s",
            describe(e),
            error_code(e),
            _STREAM_BANNER,
            _STREAM_BANNER,
        )
        self._forget_token()

    def _read_failed(
        self, e: PyMongoError, batch: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], bool]:
        assert self._stream is not None
        self._stream.close()
        if self._stopping.is_set():
            return batch, False
        if self._settings.tolerate_errors:
            if resume_token_lost(e):
                self._log_restart_without_token(e)
                self._retry_open_without_token()
            else:
                log.error(
                    "An exception occurred when trying to get the next item from the Change "
                    "Stream: %s",
                    describe(e),
                )
            return batch, False
        raise ConnectError(
            "An exception occurred when trying to get the next item from the Change Stream: "
            + describe(e)
        ) from e

    def _lost_connection(
        self, e: PyMongoError, batch: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], bool]:
        """A dropped connection: the task keeps running and tries again, resuming where it got
        to (MongoDB's connector fails the task here; sluice retries with a back-off)."""
        assert self._stream is not None
        self._stream.close()
        if self._stopping.is_set():
            return batch, False
        message = self._schedule_retry(e)
        if batch:
            log.warning(message)
            return batch, False
        raise RetriableError(message) from e

    def _schedule_retry(self, e: PyMongoError) -> str:
        self._failures += 1
        backoff = RETRY_BACKOFF[min(self._failures, len(RETRY_BACKOFF)) - 1]
        self._retry_at = time.monotonic() + backoff
        message = (
            f"Lost the connection to MongoDB ({CONNECTION_URI} {redact(self._settings.uri)}), "
            f"trying again in {backoff:.0f}s: {describe(e)}"
        )
        return message
