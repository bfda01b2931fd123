"""The config topic folded record by record, as Kafka Connect's KafkaConfigBackingStore does."""

from __future__ import annotations

from collections.abc import Collection

from sluice.storage import config_records as r
from sluice.storage.config import SessionKey
from sluice.storage.kafka_config import ConfigLogState
from sluice.storage.states import ConnectorTaskId, RestartRequest, TargetState


class Recorder:
    """A ConfigUpdateListener that writes down every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def on_connector_config_remove(self, connector: str) -> None:
        self.calls.append(("remove", connector))

    def on_connector_config_update(self, connector: str) -> None:
        self.calls.append(("update", connector))

    def on_task_config_update(self, tasks: Collection[ConnectorTaskId]) -> None:
        self.calls.append(("tasks", list(tasks)))

    def on_connector_target_state_change(self, connector: str) -> None:
        self.calls.append(("target", connector))

    def on_session_key_update(self, key: SessionKey) -> None:
        self.calls.append(("session", key))

    def on_restart_request(self, request: RestartRequest) -> None:
        self.calls.append(("restart", request))

    def on_logging_level_update(self, namespace: str, level: str) -> None:
        self.calls.append(("logger", (namespace, level)))


class Log:
    """Feeds records to a ConfigLogState at increasing offsets, collecting listener calls."""

    def __init__(self) -> None:
        self.state = ConfigLogState()
        self.listener = Recorder()
        self.offset = 0

    def add(self, key: str, value: bytes | None) -> list[tuple[str, object]]:
        before = len(self.listener.calls)
        for call in self.state.apply(key.encode(), value, self.offset):
            call(self.listener)
        self.offset += 1
        return self.listener.calls[before:]

    def connector(self, name: str, config: dict[str, str] | None = None) -> None:
        value = None if config is None else r.encode_connector_config(config)
        self.add(r.connector_key(name), value)

    def task(self, name: str, i: int, config: dict[str, str]) -> None:
        self.add(r.task_key(ConnectorTaskId(name, i)), r.encode_task_config(config))

    def commit(self, name: str, count: int) -> list[tuple[str, object]]:
        return self.add(r.commit_key(name), r.encode_task_commit(count))


def test_connector_config_and_target_state() -> None:
    log = Log()
    assert log.add("connector-c", r.encode_connector_config({"name": "c"})) == [("update", "c")]
    snap = log.state.snapshot()
    assert snap.connector_configs == {"c": {"name": "c"}}
    assert snap.target_state("c") is TargetState.STARTED  # a connector always has one
    assert snap.offset == 1  # Java's count: the next offset to read
    assert log.add("target-state-c", r.encode_target_state(TargetState.STOPPED)) == [
        ("target", "c")
    ]
    # the same state again changes nothing, so nobody is told
    assert log.add("target-state-c", r.encode_target_state(TargetState.STOPPED)) == []
    assert log.state.snapshot().target_state("c") is TargetState.STOPPED
    assert log.state.snapshot().offset == 3


def test_initial_state_is_written_before_the_connector() -> None:
    log = Log()
    # no callback for the target state of a connector that does not exist yet
    assert log.add("target-state-c", r.encode_target_state(TargetState.PAUSED)) == []
    assert log.add("connector-c", r.encode_connector_config({"name": "c"})) == [("update", "c")]
    assert log.state.snapshot().target_state("c") is TargetState.PAUSED


def test_task_configs_wait_for_their_commit() -> None:
    log = Log()
    log.connector("c", {"name": "c"})
    log.task("c", 0, {"t": "0"})
    log.task("c", 1, {"t": "1"})
    snap = log.state.snapshot()
    assert snap.tasks("c") == [] and snap.task_configs == {}
    assert log.commit("c", 2) == [("tasks", [ConnectorTaskId("c", 0), ConnectorTaskId("c", 1)])]
    snap = log.state.snapshot()
    assert snap.tasks("c") == [ConnectorTaskId("c", 0), ConnectorTaskId("c", 1)]
    assert snap.task_config(ConnectorTaskId("c", 1)) == {"t": "1"}
    assert snap.task_config_generations == {"c": 1}
    # a new generation replaces the old set at its commit, and only then
    log.task("c", 0, {"t": "new"})
    assert log.state.snapshot().task_config(ConnectorTaskId("c", 0)) == {"t": "0"}
    log.commit("c", 1)
    snap = log.state.snapshot()
    assert snap.task_configs["c"] == [{"t": "new"}]
    assert snap.task_config_generations == {"c": 2}


def test_zero_tasks_commit_stops_the_tasks() -> None:
    log = Log()
    log.connector("c", {"name": "c"})
    log.task("c", 0, {"t": "0"})
    log.commit("c", 1)
    assert log.commit("c", 0) == [("tasks", [])]
    snap = log.state.snapshot()
    assert snap.tasks("c") == [] and snap.task_count("c") == 0
    assert "c" not in snap.inconsistent


def test_commit_missing_task_records_marks_connector_inconsistent() -> None:
    log = Log()
    log.connector("c", {"name": "c"})
    # compaction removed task-c-0, which the commit below relies on
    log.task("c", 1, {"t": "1"})
    assert log.commit("c", 2) == [("tasks", [])]
    snap = log.state.snapshot()
    assert snap.inconsistent == {"c"}
    assert snap.tasks("c") == []
    # leftovers are dropped: the next commit needs a complete set of its own
    log.task("c", 0, {"t": "0"})
    log.commit("c", 2)
    assert log.state.snapshot().inconsistent == {"c"}
    log.task("c", 0, {"t": "0"})
    log.task("c", 1, {"t": "1"})
    log.commit("c", 2)
    snap = log.state.snapshot()
    assert snap.inconsistent == set()
    assert snap.tasks("c") == [ConnectorTaskId("c", 0), ConnectorTaskId("c", 1)]


def test_extra_task_records_after_compaction_are_fine() -> None:
    # From 2 tasks down to 1: compaction can leave task-c-1 of the old set before the new set.
    log = Log()
    log.connector("c", {"name": "c"})
    log.task("c", 1, {"t": "old 1"})
    log.task("c", 0, {"t": "0"})
    log.commit("c", 1)
    snap = log.state.snapshot()
    assert snap.inconsistent == set()
    assert snap.task_configs["c"] == [{"t": "0"}]


def test_connector_deletion() -> None:
    log = Log()
    log.connector("c", {"name": "c"})
    log.add("target-state-c", r.encode_target_state(TargetState.PAUSED))
    log.task("c", 0, {"t": "0"})
    log.commit("c", 1)
    assert log.add("connector-c", None) == [("remove", "c")]
    assert log.add("target-state-c", None) == []  # the connector's removal already told
    snap = log.state.snapshot()
    assert not snap.contains("c")
    assert snap.task_configs == {} and snap.tasks("c") == []
    assert snap.target_states == {}
    # the task and commit records Kafka Connect leaves behind apply to nothing
    log.task("c", 0, {"t": "0"})
    assert log.commit("c", 1) == []
    assert log.state.snapshot().task_configs == {}


def test_target_state_tombstone_keeps_a_live_connector_started() -> None:
    log = Log()
    log.connector("c", {"name": "c"})
    log.add("target-state-c", r.encode_target_state(TargetState.PAUSED))
    log.add("target-state-c", None)
    assert log.state.snapshot().target_state("c") is TargetState.STARTED


def test_cluster_records() -> None:
    log = Log()
    key = SessionKey(b"s" * 16, "HmacSHA256", 42)
    assert log.add("session-key", r.encode_session_key(key)) == [("session", key)]
    assert log.state.snapshot().session_key == key
    request = RestartRequest("c", include_tasks=True, only_failed=False)
    assert log.add("restart-connector-c", r.encode_restart_request(request)) == [
        ("restart", request)
    ]
    assert log.add("logger-cluster-org.x", r.encode_logger_level("DEBUG")) == [
        ("logger", ("org.x", "DEBUG"))
    ]
    log.add("tasks-fencing-c", r.encode_task_count(3))
    assert log.state.snapshot().task_count_records == {"c": 3}


def test_malformed_records_change_nothing_but_the_offset() -> None:
    log = Log()
    log.connector("c", {"name": "c"})
    before = log.state.snapshot()
    assert log.add("connector-c", b"{broken") == []
    assert log.add("commit-c", b'{"tasks":"x"}') == []
    assert log.add("mystery", b"{}") == []
    after = log.state.snapshot()
    assert after.connector_configs == before.connector_configs
    assert after.offset == 4


def test_snapshots_are_copies() -> None:
    log = Log()
    log.connector("c", {"name": "c"})
    snap = log.state.snapshot()
    snap.connector_configs["c"]["name"] = "changed"
    assert log.state.snapshot().connector_configs["c"] == {"name": "c"}
