"""Sink offsets through the admin client: the client must outlive the futures it returned.

librdkafka drops the requests of an ``AdminClient`` that is destroyed, and their futures never
complete: a client used as a temporary (``AdminClient(...).list_consumer_group_offsets(...)``)
made every ``GET /connectors/<sink>/offsets`` time out after 30 s. The fake admin here fails its
futures when it is destroyed, as if librdkafka answered at once.
"""

from __future__ import annotations

import concurrent.futures
import gc
import threading
from collections.abc import Mapping
from typing import Any

import pytest
from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition

from sluice.api import ConfigDef, SinkConnector, SinkTask
from sluice.runtime import offsets_admin
from sluice.runtime.offsets_admin import ConnectorOffsetsAdmin


class _Sink(SinkConnector):
    def start(self, props: Mapping[str, str]) -> None: ...

    def task_class(self) -> type[SinkTask]:
        raise NotImplementedError

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return []

    def stop(self) -> None: ...

    def config(self) -> ConfigDef:
        return ConfigDef()


class _Worker:
    def admin_config(self) -> dict[str, Any]:
        return {"bootstrap.servers": "unused:9092"}

    def is_sink(self, config: Mapping[str, str]) -> bool:
        return True

    def connector_class(self, config: Mapping[str, str]) -> type[SinkConnector]:
        return _Sink


class _DyingAdmin:
    """Answers each request 50 ms later, unless it was destroyed first."""

    calls: list[str] = []

    def __init__(self, config: dict[str, Any]) -> None:
        self._pending: list[concurrent.futures.Future[Any]] = []

    def _answer(self, key: str, value: Any) -> dict[str, concurrent.futures.Future[Any]]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._pending.append(future)
        threading.Timer(0.05, lambda: future.done() or future.set_result(value)).start()
        return {key: future}

    def __del__(self) -> None:
        for future in self._pending:
            if not future.done():
                future.set_exception(RuntimeError("admin client destroyed"))

    def list_consumer_group_offsets(
        self, requests: list[ConsumerGroupTopicPartitions]
    ) -> dict[str, concurrent.futures.Future[Any]]:
        group = requests[0].group_id
        _DyingAdmin.calls.append("list")
        return self._answer(group, ConsumerGroupTopicPartitions(group, [TopicPartition("t", 0, 7)]))

    def alter_consumer_group_offsets(
        self, requests: list[ConsumerGroupTopicPartitions]
    ) -> dict[str, concurrent.futures.Future[Any]]:
        _DyingAdmin.calls.append("alter")
        return self._answer(requests[0].group_id, requests[0])

    def delete_consumer_groups(
        self, groups: list[str]
    ) -> dict[str, concurrent.futures.Future[Any]]:
        _DyingAdmin.calls.append("delete")
        return self._answer(groups[0], None)


@pytest.fixture
def admin(monkeypatch: pytest.MonkeyPatch) -> ConnectorOffsetsAdmin:
    monkeypatch.setattr(offsets_admin, "new_admin", _DyingAdmin)
    monkeypatch.setattr(offsets_admin, "_ADMIN_TIMEOUT", 5.0)
    _DyingAdmin.calls = []
    gc.collect()
    return ConnectorOffsetsAdmin(_Worker())  # type: ignore[arg-type]


CONFIG = {"connector.class": "FileStreamSink", "topics": "t"}


def test_read_sink_offsets_waits_with_the_client_alive(admin: ConnectorOffsetsAdmin) -> None:
    assert admin.read("snk", CONFIG) == [
        {"partition": {"kafka_topic": "t", "kafka_partition": 0}, "offset": {"kafka_offset": 7}}
    ]


def test_alter_and_reset_sink_offsets_wait_with_the_client_alive(
    admin: ConnectorOffsetsAdmin,
) -> None:
    offsets = [
        {"partition": {"kafka_topic": "t", "kafka_partition": 0}, "offset": {"kafka_offset": 3}}
    ]
    assert "altered successfully" in admin.alter("snk", CONFIG, offsets)
    assert "reset successfully" in admin.reset("snk", CONFIG)
    assert _DyingAdmin.calls == ["alter", "list", "delete"]
