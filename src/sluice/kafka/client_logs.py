"""Every Kafka client sluice creates, with librdkafka's log lines sent through Python logging.

Left alone, librdkafka writes its lines (``%3|1700000000.123|FAIL|rdkafka#producer-1| ...``) to
stderr from its own threads: they ignore ``--log-level`` and ``/admin/loggers``, carry no
connector or task context, cut through the demo's progress bar, and a broker that is down makes a
client print several a second. confluent-kafka's ``logger`` setting changes that: librdkafka then
queues its lines and hands them to ``logger.log(level, "%s [%s] %s", facility, client, text)``
inside the client's own ``poll``, ``consume`` and ``flush`` calls, on the calling thread, with the
syslog level already mapped to Python's (0-2 CRITICAL, 3 ERROR, 4 WARNING, 5-6 INFO, 7 DEBUG). A
task's lines therefore come out on its task thread and carry its ``[name|task-0]`` context.

What that means for each kind of client (measured against confluent-kafka 2.16):

* a producer's lines come out of ``poll`` and ``flush``; a consumer's out of ``poll`` and
  ``consume`` (its main queue is forwarded to the consumer queue);
* an admin client's lines come out of nothing but ``poll``, which sluice's code never needed:
  not of ``list_topics`` nor of its futures. :func:`new_admin` therefore hands each admin client
  to one background thread that polls it every second while it lives (an admin client's ``poll``
  serves only logs, errors and statistics; its results travel on another queue), so its lines are
  timely, though without a task context.

The clients' errors (``error_cb``) take the same path: without a callback librdkafka logs them
itself, so the callback installed here logs them too, except the connection failures that
librdkafka has just logged as ``FAIL`` lines, and passes each one on to ``on_error`` (a task
learns from it that the brokers are out of reach). Lines are named ``librdkafka.producer``,
``librdkafka.consumer`` and ``librdkafka.admin``, so ``--log-level`` and ``/admin/loggers``
govern them, and :mod:`sluice.runtime.log_rate_limit` keeps their repeats in check.

Every construction site calls :func:`new_producer`, :func:`new_consumer` or :func:`new_admin`;
this module is the one place where the rule lives.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal

from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.admin import AdminClient

from sluice.kafka.client_config import to_librdkafka

__all__ = [
    "ADMIN_POLL_INTERVAL",
    "LOGGER",
    "ClientKind",
    "ErrorHook",
    "logged_config",
    "new_admin",
    "new_consumer",
    "new_producer",
]

LOGGER: Final = "librdkafka"
"""The parent of the clients' loggers (``librdkafka.producer`` ...)."""

ADMIN_POLL_INTERVAL: Final = 1.0
"""How often the background thread polls live admin clients for their log lines."""

ClientKind = Literal["producer", "consumer", "admin"]
ErrorHook = Callable[[KafkaError], None]

_ALREADY_LOGGED: Final = frozenset({KafkaError._TRANSPORT, KafkaError._RESOLVE})
"""Errors that repeat a ``FAIL`` line librdkafka has just logged for the same attempt."""


def _error_callback(
    logger: logging.Logger, client_id: str, on_error: ErrorHook | None
) -> Callable[[KafkaError], None]:
    def error_cb(error: KafkaError) -> None:
        if error.code() not in _ALREADY_LOGGED:
            level = logging.CRITICAL if error.fatal() else logging.ERROR
            logger.log(level, "%s [%s] %s", error.name(), client_id, error.str())
        if on_error is not None:
            on_error(error)

    return error_cb


def logged_config(
    config: Mapping[str, Any],
    kind: ClientKind,
    on_error: ErrorHook | None = None,
    logger: logging.Logger | None = None,
) -> dict[str, Any]:
    """``config`` with the settings that route the client's log lines and errors to logging.

    ``log.thread.name`` is turned off unless the user set it: the ``[thrd:...]`` prefix names
    librdkafka's internal thread, which says nothing to a user and makes every line of a kind
    look different. ``on_error`` sees every error the client reports; ``logger`` replaces the
    kind's logger (``librdkafka.<kind>``).
    """
    logger = logger or logging.getLogger(f"{LOGGER}.{kind}")
    out = to_librdkafka(config)  # the security settings as librdkafka takes them, wherever built
    out["logger"] = logger
    out.setdefault("log.thread.name", False)
    out["error_cb"] = _error_callback(logger, str(out.get("client.id", "rdkafka")), on_error)
    return out


def new_producer(config: Mapping[str, Any], on_error: ErrorHook | None = None) -> Producer:
    """A producer whose log lines come out of its ``poll`` and ``flush`` calls."""
    return Producer(logged_config(config, "producer", on_error))


def new_consumer(config: Mapping[str, Any], on_error: ErrorHook | None = None) -> Consumer:
    """A consumer whose log lines come out of its ``poll`` and ``consume`` calls."""
    return Consumer(logged_config(config, "consumer", on_error))


def new_admin(
    config: Mapping[str, Any],
    on_error: ErrorHook | None = None,
    logger: logging.Logger | None = None,
) -> AdminClient:
    """An admin client whose log lines a background thread polls out every second."""
    admin = AdminClient(logged_config(config, "admin", on_error, logger))
    _admin_poller.add(admin)
    return admin


class _AdminPoller:
    """One daemon thread that polls every live admin client, and ends when none is left.

    It holds the clients weakly, so that dropping an admin client still destroys it (and closes
    its connections) as before.
    """

    def __init__(self, interval: float = ADMIN_POLL_INTERVAL) -> None:
        self.interval = interval
        self._clients: weakref.WeakSet[AdminClient] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, admin: AdminClient) -> None:
        with self._lock:
            self._clients.add(admin)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="librdkafka-admin-logs", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        wake = threading.Event()
        while True:
            wake.wait(self.interval)
            if not self._poll_all():
                return

    def _poll_all(self) -> bool:
        """Poll each live client once; ``False`` (and the thread ends) when none is left.

        The strong references taken here end when this returns, so a client dropped by its owner
        meanwhile is destroyed outside the lock.
        """
        with self._lock:
            clients = list(self._clients)
            if not clients:
                self._thread = None
                return False
        for admin in clients:
            with contextlib.suppress(Exception):  # a client being destroyed: its lines go too
                admin.poll(0)
        return True


_admin_poller = _AdminPoller()
