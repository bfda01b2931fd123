"""The status store's cache and write rules, with the Kafka log replaced by a recording double.

Records "read back" are handed to the store as the reader thread would; sends complete when the
test says so, at the offset it chooses, so every interleaving of acknowledgements and reads can be
set up exactly.
"""

from __future__ import annotations

from concurrent.futures import Future

import pytest
from confluent_kafka import KafkaError

from sluice.storage import status_records as r
from sluice.storage.internal_topics import InternalTopic
from sluice.storage.kafka_log import LogClients, LogRecord, LogSendError
from sluice.storage.kafka_status import KafkaStatusBackingStore
from sluice.storage.states import ConnectorTaskId, State, StateInfo
from sluice.storage.status import TopicStatus

TASK = ConnectorTaskId("c", 0)


class FakeLog:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, Future[tuple[int, int]]]] = []

    def send(
        self, key: str, value: bytes | None, partition: int | None = None
    ) -> Future[tuple[int, int]]:
        future: Future[tuple[int, int]] = Future()
        self.sent.append((key, value, future))
        return future

    def flush(self, timeout: float) -> bool:
        return True


class Harness:
    def __init__(self) -> None:
        self.store = KafkaStatusBackingStore(
            InternalTopic.status_topic("unused", replication_factor=1),
            LogClients({"bootstrap.servers": "unused:9092"}),
        )
        self.log = FakeLog()
        self.store._log = self.log  # type: ignore[assignment]

    def ack(self, index: int, offset: int) -> None:
        self.log.sent[index][2].set_result((0, offset))

    def fail(self, index: int, code: int) -> None:
        self.log.sent[index][2].set_exception(LogSendError("status", KafkaError(code)))

    def read(self, key: str, value: bytes | None, offset: int) -> None:
        self.store._on_record(LogRecord(key.encode(), value, 0, offset))

    def read_state(self, key: str, status: StateInfo, offset: int) -> None:
        self.read(key, r.encode_status(status), offset)


def running(worker: str, generation: int) -> StateInfo:
    return StateInfo(State.RUNNING, worker, None, generation)


@pytest.fixture
def h() -> Harness:
    return Harness()


def test_a_write_shows_at_once_and_is_sent_in_kafka_format(h: Harness) -> None:
    h.store.put_connector("c", running("w1", 3))
    assert h.store.connector("c") == running("w1", 3)
    key, value, _ = h.log.sent[0]
    assert key == "status-connector-c"
    assert value == (
        b'{"state":"RUNNING","trace":null,"worker_id":"w1","generation":3,"version":null}'
    )
    assert h.store.connectors() == {"c"}


def test_older_records_read_back_do_not_hide_a_newer_local_write(h: Harness) -> None:
    key = r.task_status_key(TASK)
    h.store.put_task(TASK, running("w1", 2))
    h.ack(0, offset=10)
    # a record from before our write (another worker's, still on its way to us)
    h.read_state(key, StateInfo(State.UNASSIGNED, "w2", None, 1), offset=9)
    assert h.store.task(TASK) == running("w1", 2)
    # our own record: from here on the topic speaks
    h.read_state(key, running("w1", 2), offset=10)
    h.read_state(key, running("w3", 3), offset=11)
    assert h.store.task(TASK) == running("w3", 3)


def test_records_read_before_the_acknowledgement(h: Harness) -> None:
    key = r.connector_status_key("c")
    h.store.put_connector("c", running("w1", 2))
    # the reader sees our record and a later one before the delivery report arrives
    h.read_state(key, running("w1", 2), offset=5)
    h.read_state(key, running("w2", 3), offset=6)
    assert h.store.connector("c") == running("w1", 2)  # offset of our write not known yet
    h.ack(0, offset=5)
    assert h.store.connector("c") == running("w2", 3)


def test_a_later_local_write_wins_over_the_earlier_one(h: Harness) -> None:
    key = r.connector_status_key("c")
    h.store.put_connector("c", running("w1", 1))
    h.store.put_connector("c", StateInfo(State.PAUSED, "w1", None, 1))
    h.ack(0, offset=1)
    h.read_state(key, running("w1", 1), offset=1)
    assert h.store.connector("c") == StateInfo(State.PAUSED, "w1", None, 1)
    h.ack(1, offset=2)
    h.read_state(key, StateInfo(State.PAUSED, "w1", None, 1), offset=2)
    assert h.store.connector("c") == StateInfo(State.PAUSED, "w1", None, 1)


def test_safe_writes(h: Harness) -> None:
    key = r.task_status_key(TASK)
    h.read_state(key, running("w2", 5), offset=0)
    # a worker that lost the task in generation 5 must not overwrite the new owner's state
    h.store.put_task_safe(TASK, StateInfo(State.UNASSIGNED, "w1", None, 4))
    h.store.put_task_safe(TASK, StateInfo(State.FAILED, "w1", "trace", 4))
    assert h.log.sent == []
    assert h.store.task(TASK) == running("w2", 5)
    # the owner itself, or anyone at the same or a newer generation, may
    h.store.put_task_safe(TASK, StateInfo(State.UNASSIGNED, "w2", None, 5))
    h.store.put_task_safe(TASK, StateInfo(State.FAILED, "w3", "trace", 6))
    assert [k for k, _, _ in h.log.sent] == [key, key]
    assert h.store.task(TASK) == StateInfo(State.FAILED, "w3", "trace", 6)


def test_stale_unassigned_after_running_is_ignored_on_read(h: Harness) -> None:
    key = r.task_status_key(TASK)
    h.read_state(key, running("w2", 5), offset=0)
    h.read_state(key, StateInfo(State.UNASSIGNED, "w1", None, 5), offset=1)
    assert h.store.task(TASK) == running("w2", 5)
    h.read_state(key, StateInfo(State.UNASSIGNED, "w1", None, 6), offset=2)
    assert h.store.task(TASK) == StateInfo(State.UNASSIGNED, "w1", None, 6)


def test_destroyed_is_a_tombstone(h: Harness) -> None:
    key = r.task_status_key(TASK)
    h.read_state(key, running("w1", 1), offset=0)
    h.store.remove_task(TASK)
    assert h.log.sent[0][:2] == (key, None)
    assert h.store.task(TASK) is None
    assert h.store.tasks("c") == {}
    h.ack(0, offset=1)
    h.read(key, None, offset=1)
    assert h.store.task(TASK) is None


def test_retriable_failures_are_sent_again_unless_superseded(h: Harness) -> None:
    h.store.put_connector("c", running("w1", 1))
    h.fail(0, KafkaError._MSG_TIMED_OUT)
    assert len(h.log.sent) == 2 and h.log.sent[1][1] == h.log.sent[0][1]
    assert h.store.connector("c") == running("w1", 1)
    # a newer write of the same key makes the retry of the older one pointless
    h.store.put_connector("c", StateInfo(State.PAUSED, "w1", None, 1))
    h.fail(1, KafkaError._MSG_TIMED_OUT)
    assert len(h.log.sent) == 3
    assert h.store.connector("c") == StateInfo(State.PAUSED, "w1", None, 1)


def test_retries_stop_at_a_new_generation(h: Harness) -> None:
    h.store.put_connector("c", running("w1", 1))
    h.store.put_task(TASK, running("w1", 2))  # the worker has moved on to generation 2
    h.fail(0, KafkaError.NOT_ENOUGH_REPLICAS)
    assert len(h.log.sent) == 2
    assert h.store.connector("c") is None  # the write that never landed is forgotten


def test_other_failures_are_dropped(h: Harness) -> None:
    key = r.connector_status_key("c")
    h.read_state(key, running("w0", 0), offset=0)
    h.store.put_connector("c", running("w1", 1))
    h.fail(0, KafkaError.RECORD_LIST_TOO_LARGE)
    assert len(h.log.sent) == 1
    assert h.store.connector("c") == running("w0", 0)


def test_topics(h: Harness) -> None:
    h.store.put_topic("c", "orders", 1)
    h.store.put_topic("c", "orders", 2)  # already known: not written again
    assert len(h.log.sent) == 1
    key, value, _ = h.log.sent[0]
    assert key == "status-topic-orders:connector-c"
    decoded = r.decode_topic_status(value or b"")
    assert decoded is not None and (decoded.topic, decoded.connector, decoded.task) == (
        "orders",
        "c",
        1,
    )
    h.read(r.topic_status_key("audit", "c"), r.encode_topic_status(decoded), offset=3)
    assert h.store.topics("c") == ["audit", "orders"]
    h.store.reset_topics("c")
    assert {k for k, v, _ in h.log.sent[1:] if v is None} == {
        "status-topic-orders:connector-c",
        "status-topic-audit:connector-c",
    }
    assert h.store.topics("c") == []


def test_a_connector_tombstone_takes_its_tasks_along(h: Harness) -> None:
    h.read_state(r.connector_status_key("c"), running("w1", 1), offset=0)
    h.read_state(r.task_status_key(TASK), running("w1", 1), offset=1)
    h.read_state(r.task_status_key(ConnectorTaskId("c", 1)), running("w1", 1), offset=2)
    assert h.store.tasks("c").keys() == {0, 1}
    h.read(r.connector_status_key("c"), None, offset=3)
    assert h.store.connector("c") is None
    assert h.store.tasks("c") == {}
    assert h.store.connectors() == set()


def test_remove_writes_tombstones_for_everything_known(h: Harness) -> None:
    h.read_state(r.connector_status_key("c"), running("w1", 4), offset=0)
    h.read_state(r.task_status_key(TASK), running("w1", 4), offset=1)
    h.read(
        r.topic_status_key("t", "c"), r.encode_topic_status(TopicStatus("t", "c", 0, 1)), offset=2
    )
    h.store.remove("c")
    assert sorted((k, v) for k, v, _ in h.log.sent) == [
        ("status-connector-c", None),
        ("status-task-c-0", None),
        ("status-topic-t:connector-c", None),
    ]
    assert h.store.connector("c") is None and h.store.tasks("c") == {}
    assert h.store.topics("c") == []
