"""The worker's group member without a broker: its settings, what it tells the group, what it
keeps and revokes after a join, and revoking everything when membership is lost."""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from types import SimpleNamespace
from typing import Any

import pytest
from kafka.future import Future

from sluice.api import ConfigError
from sluice.runtime.distributed.assignor import AssignmentContext, LeaderState
from sluice.runtime.distributed.member import (
    GroupMemberSettings,
    WakeupError,
    WorkerCoordinator,
    WorkerGroupMember,
    group_member_settings,
    keep_unrevoked,
)
from sluice.runtime.distributed.protocol import (
    CONFIG_MISMATCH,
    NO_ERROR,
    Compatibility,
    ExtendedAssignment,
    ExtendedWorkerState,
    deserialize_metadata,
    serialize_assignment,
)
from sluice.storage.config import MemoryConfigBackingStore
from sluice.storage.states import ConnectorTaskId

T = ConnectorTaskId


def assignment(
    connectors: Sequence[str] = (),
    tasks: Sequence[ConnectorTaskId] = (),
    revoked_connectors: Sequence[str] = (),
    revoked_tasks: Sequence[ConnectorTaskId] = (),
    *,
    version: int = 2,
    error: int = NO_ERROR,
    leader: str = "leader-id",
) -> ExtendedAssignment:
    return ExtendedAssignment(
        version,
        error,
        leader,
        "http://leader:8083",
        7,
        list(connectors),
        list(tasks),
        list(revoked_connectors),
        list(revoked_tasks),
    )


# -- settings -------------------------------------------------------------------------------


def test_settings_from_worker_keys() -> None:
    s = group_member_settings(
        {
            "group.id": "connect-cluster",
            "session.timeout.ms": "6000",
            "heartbeat.interval.ms": 1500,
            "rebalance.timeout.ms": "20000",
            "scheduled.rebalance.max.delay.ms": "2000",
            "retry.backoff.ms": "50",
            "bootstrap.servers": "k:9092",
            "client.id": "w1",
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "PLAIN",
            "sasl.jaas.config": (
                'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" '
                'password="p";'
            ),
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "config.storage.topic": "configs",
        }
    )
    assert (s.group_id, s.session_timeout, s.heartbeat_interval, s.rebalance_timeout) == (
        "connect-cluster",
        6.0,
        1.5,
        20.0,
    )
    assert (s.scheduled_rebalance_max_delay, s.retry_backoff) == (2.0, 0.05)
    assert set(s.client) == {
        "bootstrap.servers",
        "client.id",
        "retry.backoff.ms",
        "security.protocol",
        "sasl.mechanism",
        "sasl.jaas.config",
    }
    timeouts = s.timeouts()
    assert (timeouts.session_timeout, timeouts.discovery_timeout) == (6.0, 1.5)


def test_settings_defaults_are_kafkas_but_the_rebalance_delay() -> None:
    s = group_member_settings({"group.id": "g"})
    assert (s.session_timeout, s.heartbeat_interval, s.rebalance_timeout) == (10.0, 3.0, 60.0)
    assert s.scheduled_rebalance_max_delay == 0.0


@pytest.mark.parametrize(
    ("props", "key"),
    [
        ({}, "group.id"),
        ({"group.id": "g", "heartbeat.interval.ms": "10000"}, "heartbeat.interval.ms"),
        ({"group.id": "g", "session.timeout.ms": "-5"}, "session.timeout.ms"),
        ({"group.id": "g", "security.protocol": "SSL", "ssl.keystore.location": "/k.jks"}, None),
    ],
)
def test_bad_settings_name_their_key(props: dict[str, str], key: str | None) -> None:
    with pytest.raises(ConfigError) as e:
        group_member_settings(props)
    assert e.value.key == (key or "ssl.keystore.location")  # a key store that does not open


# -- keeping what is not revoked ----------------------------------------------------------------


def test_keep_unrevoked_adds_kept_work_after_the_new() -> None:
    previous = assignment(["a", "b"], [T("a", 0), T("a", 1), T("b", 0)])
    new = assignment(["c", "a"], [T("c", 0)], revoked_connectors=["b"], revoked_tasks=[T("a", 1)])
    merged = keep_unrevoked(previous, new)
    assert merged.connectors == ["c", "a"]  # "a" was in both: once
    assert merged.tasks == [T("c", 0), T("a", 0), T("b", 0)]
    assert (merged.revoked_connectors, merged.revoked_tasks) == (["b"], [T("a", 1)])
    assert new.connectors == ["c", "a"]  # the inputs are left alone
    assert previous.tasks == [T("a", 0), T("a", 1), T("b", 0)]


# -- the coordinator's Connect side -----------------------------------------------------------


class Listener:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.on_revoke: Any = None

    def on_assigned(self, assignment: ExtendedAssignment, generation: int) -> None:
        self.calls.append(("assigned", assignment, generation))

    def on_revoked(
        self, leader: str | None, connectors: Collection[str], tasks: Collection[ConnectorTaskId]
    ) -> None:
        self.calls.append(("revoked", leader, list(connectors), list(tasks)))
        if self.on_revoke is not None:
            self.on_revoke()

    def on_poll_timeout_expiry(self) -> None:
        self.calls.append(("poll-timeout",))


class Assignor:
    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[tuple[str, str, AssignmentContext]] = []

    def perform_assignment(
        self,
        leader_id: str,
        protocol: str,
        members: Sequence[tuple[str, bytes]],
        context: AssignmentContext,
    ) -> dict[str, bytes]:
        self.calls.append((leader_id, protocol, context))
        return {m: self.name.encode() for m, _ in members}


def store(connectors: int = 2) -> MemoryConfigBackingStore:
    s = MemoryConfigBackingStore()
    for i in range(connectors):
        s.put_connector_config(f"c{i}", {}, None)
    return s


def worker_coordinator(
    compatibility: Compatibility = Compatibility.SESSIONED,
) -> tuple[WorkerCoordinator, Listener]:
    listener = Listener()
    wc = WorkerCoordinator(
        "http://me:8083",
        store(),
        listener,
        compatibility,
        Assignor("eager"),
        Assignor("incremental"),
    )
    return wc, listener


def test_metadata_carries_the_config_offset_and_what_runs() -> None:
    wc, _ = worker_coordinator()
    running = assignment(["c0"], [T("c0", 0)])
    wc.assignment = running
    protocols = wc.group_protocols()
    assert [p for p, _ in protocols] == ["sessioned", "compatible", "default"]
    state = deserialize_metadata(protocols[0][1])
    # two records written: the next offset to read is 2, as Kafka Connect counts it
    assert (state.url, state.offset) == ("http://me:8083", 2)
    assert state.assignment is not None and state.assignment.connectors == ["c0"]
    assert wc.config_snapshot().offset == 2  # the snapshot the metadata was built from


def test_cooperative_join_revokes_only_what_the_leader_revokes_and_keeps_the_rest() -> None:
    wc, listener = worker_coordinator()
    wc.assignment = assignment(["a", "b"], [T("a", 0), T("b", 0)])
    wc.rejoin_requested = True
    wc.on_join_prepare(3, "me")
    assert listener.calls == []  # nothing stops when a cooperative rebalance starts
    new = assignment(["c"], [T("c", 0)], revoked_connectors=["b"], revoked_tasks=[T("b", 0)])
    wc.on_join_complete(4, "me", "sessioned", serialize_assignment(new))
    revoked, assigned = listener.calls
    assert revoked == ("revoked", "leader-id", ["b"], [T("b", 0)])
    assert assigned[0] == "assigned" and assigned[2] == 4
    assert (assigned[1].connectors, assigned[1].tasks) == (["c", "a"], [T("c", 0), T("a", 0)])
    assert wc.assignment is assigned[1]
    assert (wc.last_completed_generation_id(), wc.current) == (4, Compatibility.SESSIONED)
    assert not wc.need_rejoin()


def test_eager_join_revokes_everything_first() -> None:
    wc, listener = worker_coordinator(Compatibility.EAGER)
    wc.assignment = assignment(["a"], [T("a", 0)], version=0)
    wc.on_join_prepare(3, "me")
    assert listener.calls == [("revoked", "leader-id", ["a"], [T("a", 0)])]
    assert wc.assignment is None  # nothing runs, so nothing is declared
    wc.on_join_complete(4, "me", "default", serialize_assignment(assignment(["b"], version=0)))
    assert listener.calls[-1][1].connectors == ["b"]  # nothing kept


def test_eager_does_not_revoke_a_failed_assignment() -> None:
    wc, listener = worker_coordinator(Compatibility.EAGER)
    wc.assignment = assignment(version=0, error=CONFIG_MISMATCH)
    assert wc.need_rejoin()
    wc.on_join_prepare(3, "me")
    assert listener.calls == []


def test_group_settling_on_eager_makes_a_cooperative_member_revoke_at_the_next_rebalance() -> None:
    wc, listener = worker_coordinator(Compatibility.COMPATIBLE)
    wc.on_join_complete(1, "me", "default", serialize_assignment(assignment(["a"], version=0)))
    assert wc.current is Compatibility.EAGER and wc.current.version == 0
    wc.on_join_prepare(1, "me")
    assert listener.calls[-1] == ("revoked", "leader-id", ["a"], [])


def test_rejoin_is_needed_without_an_assignment_with_a_failed_one_or_on_request() -> None:
    wc, _ = worker_coordinator()
    assert wc.need_rejoin()
    wc.assignment = assignment(["a"])
    assert not wc.need_rejoin()
    wc.rejoin_requested = True
    assert wc.need_rejoin()
    wc.on_join_complete(2, "me", "sessioned", serialize_assignment(assignment(error=1)))
    assert not wc.rejoin_requested
    assert wc.need_rejoin()  # failed


def test_the_leader_runs_the_assignor_of_the_agreed_subprotocol() -> None:
    wc, _ = worker_coordinator()
    members = [("me", b""), ("other", b"")]
    assert wc.perform_assignment("me", "default", members) == {"me": b"eager", "other": b"eager"}
    assert wc.perform_assignment("me", "compatible", members)["me"] == b"incremental"
    assert wc.perform_assignment("me", "sessioned", members)["me"] == b"incremental"
    incremental = wc._incremental
    assert isinstance(incremental, Assignor)
    assert [c[2] for c in incremental.calls] == [wc, wc]  # the assignor's context


def test_losing_membership_revokes_everything_that_runs() -> None:
    wc, listener = worker_coordinator()
    # A failed cooperative assignment still carries the work kept from before: it runs.
    wc.assignment = assignment(["a"], [T("a", 0), T("b", 1)], error=CONFIG_MISMATCH)
    wc.on_membership_lost("expelled")
    assert listener.calls == [("revoked", "leader-id", ["a"], [T("a", 0), T("b", 1)])]
    assert wc.assignment is None and wc.need_rejoin()
    wc.on_membership_lost("again")
    wc.assignment = assignment()
    wc.on_membership_lost("nothing runs")
    assert len(listener.calls) == 1


class FakeGroup:
    def __init__(self, member_id: str | None, rejoin: bool = False) -> None:
        self._member_id = member_id
        self._rejoin = rejoin

    def generation_if_stable(self) -> tuple[int, str] | None:
        return None if self._member_id is None else (3, self._member_id)

    def generation_id(self) -> int:
        return 3

    def rejoin_needed(self) -> bool:
        return self._rejoin


def test_only_a_settled_leader_names_owners() -> None:
    wc, _ = worker_coordinator()
    wc.assignment = assignment(["a"], leader="me")
    wc.set_leader_state(
        LeaderState.of(
            {
                "me": ExtendedWorkerState("http://me:8083", 1),
                "o": ExtendedWorkerState("http://o", 1),
            },
            {"me": ["a"], "o": ["b"]},
            {"o": [T("a", 0)]},
        )
    )
    wc.group = FakeGroup("me")  # type: ignore[assignment]
    assert (wc.member_id(), wc.generation_id()) == ("me", 3)
    assert wc.owner_url("b") == "http://o"
    assert wc.owner_url(T("a", 0)) == "http://o"
    assert wc.owner_url("zzz") is None
    wc.group = FakeGroup("me", rejoin=True)  # type: ignore[assignment]
    assert wc.owner_url("b") is None
    wc.group = FakeGroup("someone-else")  # type: ignore[assignment]
    assert wc.owner_url("b") is None
    wc.group = FakeGroup(None)  # type: ignore[assignment]
    assert wc.member_id() == ""


# -- the member over a network that never finds the coordinator ---------------------------------


class DeadNetwork:
    """A ``KafkaClient`` stand-in through which no broker is ever reached."""

    def __init__(self) -> None:
        self.config = {"api_version": (2, 6)}
        self._lock = threading.RLock()
        self.cluster = SimpleNamespace(request_update=Future)
        self.closed = False

    def least_loaded_node(self) -> None:
        return None

    def poll(self, timeout_ms: Any = None, future: Any = None) -> list[Any]:
        return []

    def wakeup(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def member(listener: Listener, heartbeat: float = 0.1) -> tuple[WorkerGroupMember, DeadNetwork]:
    network = DeadNetwork()
    m = WorkerGroupMember(
        GroupMemberSettings("g", session_timeout=0.5, heartbeat_interval=heartbeat),
        "http://me:8083",
        store(),
        listener,
        Compatibility.SESSIONED,
        eager_assignor=Assignor("eager"),
        incremental_assignor=Assignor("incremental"),
        client=network,
    )
    return m, network


def test_an_unreachable_coordinator_makes_the_member_revoke_its_assignment() -> None:
    listener = Listener()
    m, network = member(listener)
    listener.on_revoke = m.wakeup  # the join attempts that follow would never end
    m._coordinator.assignment = assignment(["a"], [T("a", 0)])
    with pytest.raises(WakeupError):
        m.ensure_active()
    assert listener.calls == [("revoked", "leader-id", ["a"], [T("a", 0)])]
    assert m.assignment() is None
    m.stop()
    m.stop()
    assert network.closed


def test_the_member_before_its_first_join() -> None:
    m, _ = member(Listener())
    assert (m.member_id(), m.generation_id(), m.last_completed_generation_id()) == ("", -1, -1)
    assert m.current_protocol_version() == 2
    assert m.owner_url("a") is None
    m.request_rejoin("testing")
    assert m._coordinator.rejoin_requested
    m.wakeup()
    with pytest.raises(WakeupError):
        m.poll(10)
    with pytest.raises(ValueError):
        m.poll(-1)
    m.revoke_assignment(assignment(["x"]))
    m.stop()
