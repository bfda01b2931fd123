"""The Kafka-topic backed stores against the real broker, two "workers" at a time.

Each test starts two store instances on the same topic, as two workers of one cluster would, and
checks that what one writes the other reads, in Kafka Connect's record formats.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Collection, Iterator
from contextlib import ExitStack
from typing import Any, TypeVar

import pytest
from confluent_kafka import Producer, TopicPartition
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AdminClient,
    ConfigResource,
    OffsetSpec,
)

from sluice.api import ConfigError
from sluice.runtime.herder import RestartRequest
from sluice.runtime.status import ConnectorTaskId, State, StateInfo, TargetState
from sluice.storage import config_records
from sluice.storage.config import SessionKey
from sluice.storage.internal_topics import InternalTopic, ensure_topic
from sluice.storage.kafka_config import KafkaConfigBackingStore
from sluice.storage.kafka_log import KafkaBasedLog, LogClients, LogRecord
from sluice.storage.kafka_offsets import KafkaOffsetBackingStore
from sluice.storage.kafka_status import KafkaStatusBackingStore
from sluice.storage.offset_codec import encode_key, encode_value
from sluice.testing import wait_for
from tests.fixtures.java_partitioner import java_partition
from tests.fixtures.kafka import consume_all, create_topic, produce_values

pytestmark = pytest.mark.integration

S = TypeVar("S", KafkaConfigBackingStore, KafkaOffsetBackingStore, KafkaStatusBackingStore)


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def admin(kafka_bootstrap: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": kafka_bootstrap})


@pytest.fixture(scope="module")
def clients(kafka_bootstrap: str) -> LogClients:
    return LogClients({"bootstrap.servers": kafka_bootstrap})


@pytest.fixture
def stores() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


def started(stack: ExitStack, store: S) -> S:
    store.start()
    stack.callback(store.stop)
    return store


def _describe(admin: AdminClient, topic: str) -> tuple[int, dict[str, str]]:
    partitions = len(admin.list_topics(topic=topic, timeout=10).topics[topic].partitions)
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    entries = admin.describe_configs([resource])[resource].result(timeout=10)
    return partitions, {k: e.value for k, e in entries.items()}


def _record_count(admin: AdminClient, topic: str, partitions: int) -> int:
    latest = OffsetSpec.latest()
    answers = admin.list_offsets({TopicPartition(topic, p): latest for p in range(partitions)})
    return sum(f.result(timeout=10).offset for f in answers.values())


# -- internal topics ------------------------------------------------------------------------------
def test_internal_topics_are_created_compacted_with_their_settings(admin: AdminClient) -> None:
    settings = {"cleanup.policy": "delete", "min.compaction.lag.ms": "1000", "partitions": "9"}
    specs = [
        (
            InternalTopic.offsets_topic(_name("offsets"), replication_factor=1, settings=settings),
            25,
        ),
        (InternalTopic.status_topic(_name("status"), replication_factor=1, settings=settings), 5),
        (InternalTopic.config_topic(_name("configs"), replication_factor=1, settings=settings), 1),
    ]
    for spec, partitions in specs:
        assert ensure_topic(admin, spec, timeout=30) is True
        count, configs = _describe(admin, spec.name)
        assert count == partitions
        assert configs["cleanup.policy"] == "compact"  # forced over the user's "delete"
        assert configs["min.compaction.lag.ms"] == "1000"
        assert ensure_topic(admin, spec, timeout=30) is False  # exists, and passes the checks
    broker_default = InternalTopic.status_topic(_name("status"), -1, -1)
    assert ensure_topic(admin, broker_default, timeout=30) is True
    count, configs = _describe(admin, broker_default.name)
    assert count >= 1 and configs["cleanup.policy"] == "compact"


@pytest.mark.parametrize("policy", ["delete", "compact,delete"])
def test_existing_topics_must_be_compacted(
    kafka_bootstrap: str, admin: AdminClient, policy: str
) -> None:
    name = create_topic(kafka_bootstrap, _name("not-compacted"), config={"cleanup.policy": policy})
    with pytest.raises(ConfigError, match="cleanup.policy=compact") as caught:
        ensure_topic(admin, InternalTopic.status_topic(name, replication_factor=1), timeout=30)
    assert caught.value.key == "status.storage.topic"
    assert "status.storage.topic" in str(caught.value)


def test_the_config_topic_must_have_one_partition(
    kafka_bootstrap: str, clients: LogClients, admin: AdminClient
) -> None:
    name = create_topic(
        kafka_bootstrap, _name("configs"), partitions=2, config={"cleanup.policy": "compact"}
    )
    store = KafkaConfigBackingStore(
        InternalTopic.config_topic(name, replication_factor=1), clients, admin=admin
    )
    with pytest.raises(ConfigError, match="2 partitions") as caught:
        store.start()
    assert caught.value.key == "config.storage.topic"
    assert "config.storage.topic" in str(caught.value)


def test_a_replication_factor_beyond_the_brokers_names_its_setting(admin: AdminClient) -> None:
    spec = InternalTopic.offsets_topic(_name("offsets"), replication_factor=3)
    with pytest.raises(ConfigError) as caught:
        ensure_topic(admin, spec, timeout=30)
    assert caught.value.key == "offset.storage.replication.factor"
    message = str(caught.value)
    assert "offset.storage.replication.factor=3" in message
    assert "one-broker" in message and "offset.storage.replication.factor=1" in message
    assert spec.name not in admin.list_topics(timeout=10).topics


# -- the config store -----------------------------------------------------------------------------
class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []
        self.lock = threading.Lock()
        self.block: threading.Event | None = None

    def _add(self, kind: str, arg: object) -> None:
        if self.block is not None:
            self.block.wait(10)
        with self.lock:
            self.calls.append((kind, arg))

    def seen(self, kind: str, arg: object) -> bool:
        with self.lock:
            return (kind, arg) in self.calls

    def on_connector_config_remove(self, connector: str) -> None:
        self._add("remove", connector)

    def on_connector_config_update(self, connector: str) -> None:
        self._add("update", connector)

    def on_task_config_update(self, tasks: Collection[ConnectorTaskId]) -> None:
        self._add("tasks", tuple(sorted(tasks)))

    def on_connector_target_state_change(self, connector: str) -> None:
        self._add("target", connector)

    def on_session_key_update(self, key: SessionKey) -> None:
        self._add("session", key)

    def on_restart_request(self, request: RestartRequest) -> None:
        self._add("restart", request)

    def on_logging_level_update(self, namespace: str, level: str) -> None:
        self._add("logger", (namespace, level))


def _config_pair(
    stack: ExitStack, clients: LogClients, admin: AdminClient, name: str | None = None
) -> tuple[KafkaConfigBackingStore, Recorder, KafkaConfigBackingStore, Recorder]:
    topic = InternalTopic.config_topic(name or _name("configs"), replication_factor=1)
    pair: list[Any] = []
    for _ in range(2):
        store = KafkaConfigBackingStore(topic, clients, admin=admin)
        recorder = Recorder()
        store.set_update_listener(recorder)
        pair += [started(stack, store), recorder]
    return pair[0], pair[1], pair[2], pair[3]


def _wait_seen(recorder: Recorder, kind: str, arg: object) -> None:
    wait_for(
        lambda: recorder.seen(kind, arg),
        timeout=10,
        message=lambda: f"{(kind, arg)} not among {recorder.calls}",
    )


def test_config_store_writes_reach_the_other_worker(
    kafka_bootstrap: str, clients: LogClients, admin: AdminClient, stores: ExitStack
) -> None:
    a, heard_a, b, heard_b = _config_pair(stores, clients, admin)
    config = {"connector.class": "FileStreamSource", "name": "c", "topic": "t"}
    a.put_connector_config("c", config, TargetState.PAUSED)
    # read back before returning: the writer's own snapshot has it, and its listener heard it
    assert a.snapshot().connector_configs == {"c": config}
    assert heard_a.seen("update", "c")
    _wait_seen(heard_b, "update", "c")
    assert b.snapshot().target_state("c") is TargetState.PAUSED
    assert not heard_b.seen("target", "c")  # the initial state came with the connector

    a.put_task_configs("c", [{"task.class": "T", "i": "0"}, {"task.class": "T", "i": "1"}])
    tasks = (ConnectorTaskId("c", 0), ConnectorTaskId("c", 1))
    assert a.snapshot().tasks("c") == list(tasks)
    _wait_seen(heard_b, "tasks", tasks)
    b.refresh(10)
    assert b.snapshot().task_config(ConnectorTaskId("c", 1)) == {"task.class": "T", "i": "1"}

    b.put_target_state("c", TargetState.STOPPED)  # any worker may pause, resume or stop
    _wait_seen(heard_a, "target", "c")
    assert a.snapshot().target_state("c") is TargetState.STOPPED

    key = SessionKey(b"0123456789abcdef", "HmacSHA256", 1700000000000)
    a.put_session_key(key)
    a.put_restart_request(RestartRequest("c", include_tasks=True, only_failed=True))
    b.put_logger_level("org.apache.kafka", "DEBUG")
    _wait_seen(heard_b, "session", key)
    _wait_seen(heard_b, "restart", RestartRequest("c", include_tasks=True, only_failed=True))
    _wait_seen(heard_a, "logger", ("org.apache.kafka", "DEBUG"))
    assert b.snapshot().session_key == key

    a.remove_connector_config("c")
    assert not a.snapshot().contains("c")
    _wait_seen(heard_b, "remove", "c")
    snap = b.snapshot()
    assert not snap.contains("c") and snap.tasks("c") == [] and snap.target_states == {}

    # On the topic: Kafka Connect's keys and values; deletion is two tombstones, not more.
    records = consume_all(kafka_bootstrap, a.topic.name, 11)
    assert [(m.key(), m.value()) for m in records] == [
        (b"target-state-c", b'{"state":"PAUSED","state.v2":"PAUSED"}'),
        (b"connector-c", config_records.encode_connector_config(config)),
        (b"task-c-0", b'{"properties":{"task.class":"T","i":"0"}}'),
        (b"task-c-1", b'{"properties":{"task.class":"T","i":"1"}}'),
        (b"commit-c", b'{"tasks":2}'),
        (b"target-state-c", b'{"state":"PAUSED","state.v2":"STOPPED"}'),
        (b"session-key", config_records.encode_session_key(key)),
        (b"restart-connector-c", b'{"include-tasks":true,"only-failed":true}'),
        (b"logger-cluster-org.apache.kafka", b'{"level":"DEBUG"}'),
        (b"connector-c", None),
        (b"target-state-c", None),
    ]
    # the next offset to read, as Kafka Connect counts it
    assert a.snapshot().offset == b.snapshot().offset == records[-1].offset() + 1


def test_task_configs_apply_only_with_a_complete_commit(
    kafka_bootstrap: str, clients: LogClients, admin: AdminClient, stores: ExitStack
) -> None:
    a, _, b, heard_b = _config_pair(stores, clients, admin)
    a.put_connector_config("c", {"name": "c"}, None)
    task = config_records.encode_task_config
    # another writer (a leader that died half-way) wrote task records without their commit
    produce_values(
        kafka_bootstrap,
        a.topic.name,
        [task({"n": "0"}), task({"n": "1"})],
        ["task-c-0", "task-c-1"],
    )
    b.refresh(10)
    assert b.snapshot().tasks("c") == [] and b.snapshot().task_configs == {}
    produce_values(kafka_bootstrap, a.topic.name, [b'{"tasks":2}'], ["commit-c"])
    b.refresh(10)
    assert b.snapshot().task_configs == {"c": [{"n": "0"}, {"n": "1"}]}
    # a commit whose task records are gone (compaction) leaves the connector inconsistent
    produce_values(
        kafka_bootstrap, a.topic.name, [task({"n": "2"}), b'{"tasks":3}'], ["task-c-2", "commit-c"]
    )
    b.refresh(10)
    snap = b.snapshot()
    assert snap.inconsistent == {"c"} and snap.tasks("c") == []
    assert heard_b.seen("tasks", ())


def test_history_is_not_reported_and_refresh_times_out(
    clients: LogClients, admin: AdminClient, stores: ExitStack
) -> None:
    a, _, _, _ = _config_pair(stores, clients, admin)
    a.put_connector_config("old", {"name": "old"}, None)
    late = KafkaConfigBackingStore(a.topic, clients, admin=admin)
    heard = Recorder()
    late.set_update_listener(heard)
    started(stores, late)
    assert late.snapshot().contains("old")
    assert heard.calls == []  # records read at start-up are history, not changes

    heard.block = threading.Event()  # the listener holds up the reader thread
    a.put_connector_config("new", {"name": "new"}, None)
    with pytest.raises(TimeoutError):
        late.refresh(0.3)
    heard.block.set()
    late.refresh(10)
    assert heard.seen("update", "new") and late.snapshot().contains("new")


def test_reads_wait_for_open_transactions_and_skip_aborted_ones(
    kafka_bootstrap: str, clients: LogClients, admin: AdminClient, stores: ExitStack
) -> None:
    # A Java leader with exactly-once source support writes the config topic in transactions.
    a, _, _, _ = _config_pair(stores, clients, admin)
    producer = Producer(
        {"bootstrap.servers": kafka_bootstrap, "transactional.id": _name("connect-cluster")}
    )
    producer.init_transactions(30)
    producer.begin_transaction()
    producer.produce(a.topic.name, key="connector-aborted", value=b'{"properties":{}}')
    producer.abort_transaction(30)
    producer.begin_transaction()
    producer.produce(a.topic.name, key="connector-open", value=b'{"properties":{"x":"1"}}')
    producer.flush(10)
    with pytest.raises(TimeoutError):
        a.refresh(0.5)  # as in Kafka Connect, a read to the end waits for the transaction
    producer.commit_transaction(30)
    a.refresh(10)
    assert a.snapshot().connectors() == ["open"]


def test_kafka_based_log_reports_records_in_order(
    kafka_bootstrap: str, clients: LogClients, admin: AdminClient
) -> None:
    topic = create_topic(kafka_bootstrap, _name("log"), partitions=3)
    seen: list[LogRecord] = []
    log = KafkaBasedLog(
        topic, seen.append, clients.consumer_config("t"), clients.producer_config("t")
    )
    log.start(admin, timeout=30)
    try:
        futures = [log.send(b"k%d" % (i % 4), b"%d" % i) for i in range(40)]
        written = [f.result(10) for f in futures]
        log.read_to_end(10)
        assert len(seen) == 40
        for key in (b"k0", b"k1", b"k2", b"k3"):
            mine = [r for r in seen if r.key == key]
            assert len({r.partition for r in mine}) == 1
            assert [int(r.value or b"") for r in mine] == sorted(int(r.value or b"") for r in mine)
            assert mine[0].partition == java_partition(key, 3)
        assert {(r.partition, r.offset) for r in seen} == set(written)
    finally:
        log.stop()


# -- the offset store -----------------------------------------------------------------------------
def test_offsets_written_by_one_worker_are_read_by_another(
    kafka_bootstrap: str, clients: LogClients, admin: AdminClient, stores: ExitStack
) -> None:
    topic = InternalTopic.offsets_topic(_name("offsets"), replication_factor=1)
    x = started(stores, KafkaOffsetBackingStore(topic, clients, admin=admin))
    y = started(stores, KafkaOffsetBackingStore(topic, clients, admin=admin))
    partitions = [{"file": f"/data/{i}.txt"} for i in range(6)] + [
        {"topic": "t", "partition": 3, "cluster": "A"}
    ]
    batch = {encode_key("c", p): encode_value({"position": i}) for i, p in enumerate(partitions)}
    batch[encode_key("other", {"file": "x"})] = encode_value({"position": 0})
    x.set_async(batch).result(10)
    assert y.get(batch) == batch  # read to the end first: no waiting needed
    found = y.connector_partitions("c")
    assert len(found) == len(partitions) and all(p in found for p in partitions)

    # each record on the partition Java's producer would pick for its key
    records = consume_all(kafka_bootstrap, topic.name, len(batch))
    assert all(m.partition() == java_partition(m.key() or b"", 25) for m in records)

    gone = encode_key("c", partitions[0])
    x.set({gone: None})
    assert gone not in y.get([gone])
    assert partitions[0] not in y.connector_partitions("c")
    assert len(y.connector_partitions("c")) == len(partitions) - 1


# -- the status store -----------------------------------------------------------------------------
def test_statuses_across_workers(
    kafka_bootstrap: str, clients: LogClients, admin: AdminClient, stores: ExitStack
) -> None:
    topic = InternalTopic.status_topic(_name("status"), replication_factor=1)
    p = started(stores, KafkaStatusBackingStore(topic, clients, admin=admin))
    q = started(stores, KafkaStatusBackingStore(topic, clients, admin=admin))
    task = ConnectorTaskId("c", 0)
    running = StateInfo(State.RUNNING, "w1:8083", None, 1)
    p.put_connector("c", running)
    p.put_task(task, running)
    assert p.connector("c") == running  # shown at once by the writer
    wait_for(lambda: q.task(task) == running and q.connector("c") == running, timeout=10)

    # q lost the task in generation 1; its late UNASSIGNED must not overwrite w1's RUNNING
    q.put_task_safe(task, StateInfo(State.UNASSIGNED, "w2:8083", None, 0))
    q.put_connector_safe("c", StateInfo(State.FAILED, "w2:8083", "trace", 0))
    # ... but a newer generation may
    failed = StateInfo(State.FAILED, "w2:8083", "Traceback\n  boom", 2)
    q.put_task_safe(task, failed)
    q.flush()
    wait_for(lambda: p.task(task) == failed, timeout=10)
    assert p.connector("c") == running and q.connector("c") == running

    p.put_topic("c", "orders", 0)
    wait_for(lambda: q.topics("c") == ["orders"], timeout=10)
    p.remove("c")
    assert p.connector("c") is None and p.tasks("c") == {} and p.topics("c") == []
    wait_for(
        lambda: q.connector("c") is None and q.tasks("c") == {} and q.topics("c") == [], timeout=10
    )
    assert q.connectors() == set()

    # q's refused writes never reached the topic: seven records in all
    assert _record_count(admin, topic.name, 5) == 7
    values = {(m.key(), m.value()) for m in consume_all(kafka_bootstrap, topic.name, 7)}
    assert (
        b"status-connector-c",
        b'{"state":"RUNNING","trace":null,"worker_id":"w1:8083","generation":1,"version":null}',
    ) in values
    assert (
        b"status-task-c-0",
        b'{"state":"FAILED","trace":"Traceback\\n  boom","worker_id":"w2:8083","generation":2,'
        b'"version":null}',
    ) in values
    assert (b"status-task-c-0", None) in values and (b"status-connector-c", None) in values
    assert (b"status-topic-orders:connector-c", None) in values
