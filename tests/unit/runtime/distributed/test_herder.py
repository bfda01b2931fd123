"""The distributed herder's rules, without a broker.

The herder runs its real tick loop over memory stores, a one-worker group that assigns all work to
this worker (or, as a follower, to nobody), and a real :class:`Worker` whose task threads are only
recorded. What is checked: how a change in the config store becomes a rebalance or a restart,
who may write, and what the herder answers.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator
from typing import Any

import pytest

import sluice
from sluice.api import AlreadyExistsError, NotFoundError
from sluice.runtime.distributed.config import DistributedConfig
from sluice.runtime.distributed.herder import DistributedHerder
from sluice.runtime.distributed.member import WakeupError
from sluice.runtime.distributed.protocol import (
    CONNECT_PROTOCOL_V1,
    ExtendedAssignment,
)
from sluice.runtime.herder import NotLeaderError, RebalanceNeededError
from sluice.storage.config import MemoryConfigBackingStore
from sluice.storage.states import ConnectorTaskId, RestartRequest, State, StateInfo, TargetState
from sluice.storage.status import MemoryStatusBackingStore
from sluice.testing import wait_for
from tests.unit.runtime.recording_worker import RecordingWorker

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
WORKER_PROPS = {
    "bootstrap.servers": "127.0.0.1:1",
    "group.id": "unit",
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.storage.StringConverter",
    "config.storage.topic": "c",
    "offset.storage.topic": "o",
    "status.storage.topic": "s",
}
URL = "http://127.0.0.1:8083/"


class OneWorkerGroup:
    """A group of one: a join assigns everything configured to this worker (as leader), or
    nothing (as a follower of another leader); revocations are cooperative."""

    def __init__(self, herder: DistributedHerder, configs: MemoryConfigBackingStore,
                 leader: bool) -> None:  # fmt: skip
        self.herder = herder
        self.configs = configs
        self.leader = leader
        self.generation = 0
        self.rejoin = True
        self.woken = threading.Event()
        self.held: ExtendedAssignment | None = None
        self.rejoin_reasons: list[str] = []

    def ensure_active(self) -> None:
        if self.woken.is_set():
            self.woken.clear()
            raise WakeupError()
        if not self.rejoin:
            return
        self.rejoin = False
        self.generation += 1
        snap = self.configs.snapshot()
        wanted_c = snap.connectors() if self.leader else []
        wanted_t = [t for c in wanted_c for t in snap.tasks(c)]
        held = self.held or ExtendedAssignment.empty()
        revoked_c = [c for c in held.connectors if c not in wanted_c]
        revoked_t = [t for t in held.tasks if t not in wanted_t]
        if revoked_c or revoked_t:
            self.herder.on_revoked("me", revoked_c, revoked_t)
        assignment = ExtendedAssignment(
            CONNECT_PROTOCOL_V1,
            0,
            "me" if self.leader else "other",
            URL if self.leader else "http://leader:8083/",
            snap.offset,
            list(wanted_c),
            wanted_t,
            revoked_c,
            revoked_t,
        )
        self.held = assignment.copy()
        self.herder.on_assigned(assignment, self.generation)

    def poll(self, timeout: float) -> None:
        if self.woken.wait(timeout):
            self.woken.clear()
            raise WakeupError()

    def wakeup(self) -> None:
        self.woken.set()

    def request_rejoin(self, reason: str) -> None:
        self.rejoin_reasons.append(reason)
        self.rejoin = True

    def maybe_leave_group(self, reason: str) -> None: ...

    def stop(self) -> None: ...

    def member_id(self) -> str:
        return "me"

    def current_protocol_version(self) -> int:
        return CONNECT_PROTOCOL_V1

    def owner_url(self, target: object) -> str | None:
        return None

    def revoke_assignment(self, assignment: ExtendedAssignment) -> None: ...


def _herder(leader: bool = True) -> tuple[DistributedHerder, RecordingWorker, OneWorkerGroup]:
    configs = MemoryConfigBackingStore()
    worker = RecordingWorker("127.0.0.1:8083", DistributedConfig(WORKER_PROPS))
    groups: list[OneWorkerGroup] = []

    def member(herder: DistributedHerder) -> OneWorkerGroup:
        groups.append(OneWorkerGroup(herder, configs, leader))
        return groups[0]

    herder = DistributedHerder(
        DistributedConfig(WORKER_PROPS), worker, configs, MemoryStatusBackingStore(), member
    )
    return herder, worker, groups[0]


@pytest.fixture
def leader() -> Iterator[tuple[DistributedHerder, RecordingWorker, OneWorkerGroup]]:
    herder, worker, group = _herder(leader=True)
    herder.start()
    assert herder.wait_ready(10)
    yield herder, worker, group
    herder.stop()


def _source(path: str = "/tmp/none.txt", topic: str = "t") -> dict[str, str]:
    return {"connector.class": FILE_SOURCE, "file": path, "topic": topic}


def _running(herder: DistributedHerder, name: str, tasks: int = 1) -> bool:
    try:
        status = herder.connector_status(name)
    except NotFoundError:
        return False
    return (
        status.connector.state is State.RUNNING
        and [s.state for s in status.tasks.values()] == [State.RUNNING] * tasks
    )


def test_a_new_connector_starts_then_its_tasks_after_the_task_rebalance(
    leader: tuple[DistributedHerder, RecordingWorker, OneWorkerGroup],
) -> None:
    herder, worker, group = leader
    created, info = herder.put_connector_config("src", _source(), allow_replace=False)
    assert created and info.name == "src" and info.config["name"] == "src"
    wait_for(lambda: _running(herder, "src"), 10, message=lambda: str(herder.connector_status))
    assert worker.started_tasks == [ConnectorTaskId("src", 0)]
    assert worker.running_tasks[ConnectorTaskId("src", 0)]["task.class"].endswith(
        "FileStreamSourceTask"
    )
    # One rebalance for the new connector, one for its task configs.
    assert group.rejoin_reasons.count("connectors or tasks were reconfigured") == 2
    status = herder.connector_status("src")
    # Started in the generation that assigned it; the task rebalance after it leaves it running.
    version = sluice.__version__  # the FileStreamSource plugin's version (KIP-891)
    assert status.connector == StateInfo(State.RUNNING, "127.0.0.1:8083", None, 2, version)
    assert status.tasks[0].generation == group.generation == 3
    with pytest.raises(AlreadyExistsError):
        herder.put_connector_config("src", _source(), allow_replace=False)


def test_a_config_update_restarts_the_connector_and_replaces_changed_tasks(
    leader: tuple[DistributedHerder, RecordingWorker, OneWorkerGroup],
) -> None:
    herder, worker, _ = leader
    herder.put_connector_config("src", _source(topic="first"), allow_replace=False)
    wait_for(lambda: _running(herder, "src"), 10)
    created, _ = herder.put_connector_config("src", _source(topic="second"), allow_replace=True)
    assert not created
    task = ConnectorTaskId("src", 0)
    wait_for(lambda: worker.running_tasks.get(task, {}).get("topic") == "second", 10)
    assert worker.started_tasks == [task, task]


def test_stop_empties_the_tasks_and_offsets_need_stopped(
    leader: tuple[DistributedHerder, RecordingWorker, OneWorkerGroup],
) -> None:
    herder, worker, _ = leader
    herder.put_connector_config("src", _source(), allow_replace=False)
    wait_for(lambda: _running(herder, "src"), 10)
    with pytest.raises(Exception, match="must be in the STOPPED state"):
        herder.reset_connector_offsets("src")
    herder.stop_connector("src")
    wait_for(lambda: herder.connector_status("src").connector.state is State.STOPPED, 10)
    wait_for(lambda: not worker.running_tasks, 10)
    snap = herder.configs.snapshot()
    assert snap.target_state("src") is TargetState.STOPPED and snap.task_count("src") == 0
    assert "reset successfully" in herder.reset_connector_offsets("src")
    herder.resume_connector("src")
    wait_for(lambda: _running(herder, "src"), 10)


def test_delete_revokes_the_work_and_forgets_the_status(
    leader: tuple[DistributedHerder, RecordingWorker, OneWorkerGroup],
) -> None:
    herder, worker, _ = leader
    herder.put_connector_config("src", _source(), allow_replace=False)
    wait_for(lambda: _running(herder, "src"), 10)
    herder.delete_connector_config("src")
    wait_for(lambda: not worker.running_tasks and "src" not in worker.connectors, 10)
    wait_for(lambda: "src" not in herder.status.connectors(), 10)
    with pytest.raises(NotFoundError, match="Connector src not found"):
        herder.delete_connector_config("src")


def test_restart_requests_keep_the_biggest_and_restart_what_runs_here(
    leader: tuple[DistributedHerder, RecordingWorker, OneWorkerGroup],
) -> None:
    herder, worker, _ = leader
    herder.put_connector_config("src", _source(), allow_replace=False)
    wait_for(lambda: _running(herder, "src"), 10)
    planned = herder.restart_connector_and_tasks(RestartRequest("src", include_tasks=True))
    assert planned.connector.state is State.RESTARTING
    assert [s.state for s in planned.tasks.values()] == [State.RESTARTING]
    wait_for(lambda: len(worker.started_tasks) == 2 and _running(herder, "src"), 10)
    assert RestartRequest("x", True, False).impact() > RestartRequest("x", True, True).impact()
    assert RestartRequest("x", False, False).impact() > RestartRequest("x", True, True).impact()


def test_a_follower_sends_leader_writes_to_the_leader() -> None:
    herder, _, group = _herder(leader=False)
    herder.start()
    try:
        assert herder.wait_ready(10)
        with pytest.raises(NotLeaderError) as raised:
            herder.put_connector_config("src", _source(), allow_replace=False)
        assert raised.value.forward_url == "http://leader:8083/"
        with pytest.raises(NotLeaderError):
            herder.delete_connector_config("src")
        # Target states are written by whichever worker is asked, as in Kafka Connect.
        with pytest.raises(NotFoundError, match="Unknown connector src"):
            herder.pause_connector("src")
        assert group.generation == 1
    finally:
        herder.stop()


def test_requests_during_an_expected_rebalance_are_refused_with_409() -> None:
    herder, _, group = _herder(leader=True)
    herder._needs_reconfig_rebalance = True  # as set by a config change not yet applied
    with pytest.raises(RebalanceNeededError):
        herder._check_rebalance_needed()
    assert group.generation == 0


class _Listener:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def on_connector_config_update(self, connector: str) -> None:
        self.calls.append(("update", connector))

    def on_task_config_update(self, tasks: Collection[ConnectorTaskId]) -> None:
        self.calls.append(("tasks", list(tasks)))

    def __getattr__(self, name: str) -> Any:
        return lambda *args: self.calls.append((name, args))


def test_the_memory_store_counts_offsets_as_kafka_connect_does() -> None:
    store = MemoryConfigBackingStore()
    listener = _Listener()
    store.set_update_listener(listener)  # type: ignore[arg-type]
    assert store.snapshot().offset == -1
    store.put_connector_config("c", {"name": "c"}, None)
    store.put_task_configs("c", [{"x": "1"}])
    assert store.snapshot().offset == 2  # the next offset to read
    assert listener.calls == [("update", "c"), ("tasks", [ConnectorTaskId("c", 0)])]


def test_task_configs_read_after_the_rebalance_that_applied_them_restart_nothing(
    leader: tuple[DistributedHerder, RecordingWorker, OneWorkerGroup],
) -> None:
    herder, worker, group = leader
    herder.put_connector_config("src", _source(), allow_replace=False)
    wait_for(lambda: _running(herder, "src"), 10)
    rejoins, generation = len(group.rejoin_reasons), group.generation
    # The update reaches this worker only now, after the rebalance that assigned its task with
    # the new config: Kafka would stop the task and rebalance again; nothing needs to move.
    herder.on_task_config_update([ConnectorTaskId("src", 0)])
    herder.on_connector_target_state_change("src")  # a later change, to see the tick has run
    wait_for(lambda: not herder._task_update_offsets and not herder._target_state_changes, 10)
    assert worker.started_tasks == [ConnectorTaskId("src", 0)]
    assert (len(group.rejoin_reasons), group.generation) == (rejoins, generation)


def test_a_covered_update_restarts_a_task_still_on_its_old_config_in_place(
    leader: tuple[DistributedHerder, RecordingWorker, OneWorkerGroup],
) -> None:
    herder, worker, group = leader
    herder.put_connector_config("src", _source(), allow_replace=False)
    wait_for(lambda: _running(herder, "src"), 10)
    task = ConnectorTaskId("src", 0)
    herder._task_config_offsets[task] = 0  # as if kept running from an older assignment
    rejoins = len(group.rejoin_reasons)
    herder.on_task_config_update([task])
    wait_for(lambda: worker.started_tasks == [task, task], 10)
    assert len(group.rejoin_reasons) == rejoins
    assert _running(herder, "src")
