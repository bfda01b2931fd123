"""Opening and reading the change stream, as the official connector does.

The stream watches a collection, a database (``collection`` unset) or the whole deployment
(``database`` unset too), with ``pipeline``, ``change.stream.full.document``,
``change.stream.full.document.before.change``, ``collation``, ``batch.size`` and
``change.stream.show.expanded.events``. A stored resume token resumes it with ``startAfter``
(which, unlike ``resumeAfter``, also resumes after an ``invalidate``); without one,
``startup.mode=timestamp`` starts it at ``startup.mode.timestamp.start.at.operation.time`` and the
other modes start now.

A read returns what one ``getMore`` brought (at most ``poll.max.batch.size`` events): it stops as
soon as the driver's buffer is empty instead of asking the server again, so a batch is handed to
Kafka without waiting ``poll.await.time.ms`` for more. The server wait is capped at one second so
that a task asked to stop or pause answers promptly.

The error classification (which failures mean the resume token is gone) follows the official
connector's, so ``errors.tolerance=all`` restarts the stream in the same situations.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final

from bson import Timestamp
from bson.codec_options import CodecOptions, DatetimeConversion
from pymongo import MongoClient
from pymongo.errors import OperationFailure, PyMongoError

from sluice.connectors.mongodb.source_config import SourceSettings

__all__ = [
    "CODEC_OPTIONS",
    "ChangeStream",
    "error_code",
    "invalidated_resume_token",
    "resume_token_lost",
]

log = logging.getLogger(__name__)

CODEC_OPTIONS: Final[CodecOptions[dict[str, Any]]] = CodecOptions(
    document_class=dict, datetime_conversion=DatetimeConversion.DATETIME_AUTO
)
"""Plain dicts in BSON field order; dates outside Python's range stay exact (``DatetimeMS``)."""

MAX_SERVER_WAIT: Final = 1.0

NAMESPACE_NOT_FOUND: Final = 26
ILLEGAL_OPERATION: Final = 20
UNKNOWN_FIELD: Final = 40415
INVALIDATED_RESUME_TOKEN: Final = 260
_RESUME_TOKEN_LOST: Final = frozenset({260, 280, 286, 10334})


def error_code(e: BaseException) -> int | None:
    code = getattr(e, "code", None)
    return code if isinstance(code, int) else None


def invalidated_resume_token(e: BaseException) -> bool:
    return error_code(e) == INVALIDATED_RESUME_TOKEN


def resume_token_lost(e: BaseException) -> bool:
    """Whether the stream cannot resume where it was (token unknown, history rolled off)."""
    if error_code(e) in _RESUME_TOKEN_LOST:
        return True
    details = getattr(e, "details", None)
    message = str((details or {}).get("errmsg") or e).lower()
    return ("resume token" in message or "resume point" in message) and any(
        hint in message
        for hint in (
            "not found",
            "does not exist",
            "invalid resume token",
            "no longer be in the oplog",
        )
    )


def describe(e: BaseException) -> str:
    details = getattr(e, "details", None)
    text = (details or {}).get("errmsg") if isinstance(details, Mapping) else None
    return str(text or e)


class ChangeStream:
    """One change stream cursor over the configured namespace."""

    def __init__(self, client: MongoClient[dict[str, Any]], settings: SourceSettings) -> None:
        self.client = client
        self.settings = settings
        self._stream: Any = None

    def _target(self) -> Any:
        s = self.settings
        if not s.database:
            log.info("Watching all changes on the cluster")
            return self.client
        db = self.client.get_database(s.database, codec_options=CODEC_OPTIONS)
        if not s.collection:
            log.info("Watching for database changes on '%s'", s.database)
            return db
        log.info("Watching for collection changes on '%s.%s'", s.database, s.collection)
        return db.get_collection(s.collection)

    def _options(self) -> dict[str, Any]:
        s = self.settings
        options: dict[str, Any] = {
            "max_await_time_ms": int(min(s.poll_await_time, MAX_SERVER_WAIT) * 1000),
        }
        if s.pipeline:
            options["pipeline"] = s.pipeline
        if s.batch_size > 0:
            options["batch_size"] = s.batch_size
        if s.full_document:
            options["full_document"] = s.full_document
        if s.full_document_before_change:
            options["full_document_before_change"] = s.full_document_before_change
        if s.collation:
            options["collation"] = s.collation
        if s.show_expanded_events:
            options["show_expanded_events"] = True
        return options

    def open(self, token: Mapping[str, Any] | None, start_at: Timestamp | None = None) -> None:
        """Open the cursor after ``token``, else at ``start_at``, else now.

        Raises the driver's :class:`OperationFailure` when the server refuses the stream.
        """
        self.close()
        target = self._target()
        options = self._options()
        if token is not None:
            log.info("Resuming the change stream after the previous offset: %s", dict(token))
            options["start_after"] = token
        elif start_at is not None:
            log.info(
                "New change stream cursor created without offset but at the configured "
                "operation time."
            )
            options["start_at_operation_time"] = start_at
        else:
            log.info("New change stream cursor created without offset.")
        if target is self.client:
            self._stream = self.client.watch(**options)
        else:
            self._stream = target.watch(**options)

    @property
    def is_open(self) -> bool:
        return self._stream is not None

    @property
    def alive(self) -> bool:
        """False once the server closed the cursor (after an ``invalidate`` event, say)."""
        return self._stream is not None and bool(self._stream.alive)

    @property
    def resume_token(self) -> Mapping[str, Any] | None:
        """Where the stream is: the last event's token, or the post-batch token after a quiet
        ``getMore`` (what heartbeats carry)."""
        if self._stream is None:
            return None
        token = self._stream.resume_token
        return token if isinstance(token, Mapping) else None

    def read(self, max_events: int) -> list[dict[str, Any]]:
        """Events the server has for us now: at most one ``getMore`` and ``max_events``."""
        stream = self._stream
        assert stream is not None, "the change stream is not open"
        batch: list[dict[str, Any]] = []
        while len(batch) < max_events:
            event = stream.try_next()
            if event is None:
                break
            batch.append(event)
            if not self._buffered():
                break
        return batch

    def _buffered(self) -> bool:
        # The driver has no public "documents left in this batch"; its own change stream code
        # asks the cursor the same way. Without it, keep reading (one more getMore per poll).
        has_next = getattr(getattr(self._stream, "_cursor", None), "_has_next", None)
        return bool(has_next()) if callable(has_next) else True

    def snapshot(self) -> tuple[dict[str, Any] | None, Mapping[str, Any] | None]:
        """Where the stream is before a copy begins: the first waiting event (if any) and the
        token to resume from once the copy is done."""
        try:
            self.open(None)
        except OperationFailure as e:
            if error_code(e) == NAMESPACE_NOT_FOUND:
                return None, None
            raise
        try:
            first = self._stream.try_next()
            token = first["_id"] if first is not None else self.resume_token
            return first, token
        finally:
            self.close()

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.close()
            except PyMongoError as e:
                log.debug("Closing the change stream failed: %s", e)
