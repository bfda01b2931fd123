"""librdkafka's lines go through Python logging, on the thread that polls, at mapped levels.

The clients point at a port where nothing listens, so every connection attempt fails at once
and librdkafka has something to say without a broker.
"""

from __future__ import annotations

import gc
import logging
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka import KafkaError

from sluice.kafka import client_logs
from sluice.runtime import log_context
from sluice.testing import wait_for
from tests.fixtures.ports import free_port


def _dead_port() -> str:
    return f"127.0.0.1:{free_port()}"  # nothing listens there


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[logging.LogRecord, str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        context = log_context.current().prefix
        self.records.append((record, threading.current_thread().name, context))


def _polled(client: Any, captured: _Records) -> list[tuple[logging.LogRecord, str, str]]:
    client.poll(0.2)
    return captured.records


@pytest.fixture
def captured() -> Iterator[_Records]:
    handler = _Records()
    logger = logging.getLogger(client_logs.LOGGER)
    logger.addHandler(handler)
    level, logger.level = logger.level, logging.DEBUG
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_config_routes_logs_and_errors_and_keeps_user_settings() -> None:
    seen: list[KafkaError] = []
    config = client_logs.logged_config(
        {"bootstrap.servers": "x:1", "log.thread.name": "true"}, "producer", seen.append
    )
    assert config["logger"] is logging.getLogger("librdkafka.producer")
    assert config["log.thread.name"] == "true"
    assert client_logs.logged_config({}, "consumer")["log.thread.name"] is False
    config["error_cb"](KafkaError(KafkaError._ALL_BROKERS_DOWN, "1/1 brokers are down"))
    assert [e.code() for e in seen] == [KafkaError._ALL_BROKERS_DOWN]


def test_producer_lines_come_out_of_poll_on_the_polling_thread(captured: _Records) -> None:
    errors: list[KafkaError] = []
    producer = client_logs.new_producer(
        {"bootstrap.servers": _dead_port(), "client.id": "p"}, on_error=errors.append
    )
    transport = (KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN)
    log_context.set_context("conn", 3)
    try:
        # The error callback may come a poll after the first log line: wait for both.
        wait_for(
            lambda: _polled(producer, captured) and any(e.code() in transport for e in errors),
            10,
        )
    finally:
        log_context.set_context(None)
    record, thread, context = captured.records[0]
    assert record.name == "librdkafka.producer"
    assert record.levelno == logging.ERROR  # librdkafka's LOG_ERR (3)
    assert record.getMessage().startswith("FAIL [p#producer-")
    assert "[thrd:" not in record.getMessage()
    assert thread == threading.current_thread().name and context == "[conn|task-3] "
    assert any(e.code() in transport for e in errors)


def test_a_connection_failure_is_logged_once_not_again_as_an_error(captured: _Records) -> None:
    producer = client_logs.new_producer({"bootstrap.servers": _dead_port(), "client.id": "p"})
    wait_for(lambda: len(_polled(producer, captured)) >= 3, 10)
    texts = [r.getMessage() for r, _, _ in captured.records]
    assert not any(t.startswith("_TRANSPORT") for t in texts)


def test_admin_lines_come_out_without_anyone_polling(captured: _Records) -> None:
    admin = client_logs.new_admin({"bootstrap.servers": _dead_port(), "client.id": "a"})
    wait_for(lambda: captured.records, 10, message="no admin line within 10 s")
    record, thread, _ = captured.records[0]
    assert record.name == "librdkafka.admin"
    assert thread == "librdkafka-admin-logs"
    del admin


def test_the_admin_poller_does_not_keep_clients_alive() -> None:
    admin = client_logs.new_admin({"bootstrap.servers": _dead_port(), "log_level": 0})
    gone = weakref.ref(admin)
    del admin

    def collected() -> bool:
        gc.collect()
        return gone() is None

    wait_for(collected, 10, message="the admin client outlived its last reference")
