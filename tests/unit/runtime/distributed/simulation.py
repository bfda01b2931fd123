"""A simulated Connect group for assignor tests: workers that report what they run in their
metadata and apply assignments the way Java's ``WorkerCoordinator.onJoinComplete`` does, a config
snapshot built from connector task counts, a controllable clock, and one assignor per worker (the
leader's runs), all driven through the byte-level ``perform_assignment``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sluice.runtime.distributed.assignor import ConnectAssignor, LeaderState
from sluice.runtime.distributed.protocol import (
    CONNECT_PROTOCOL_V0,
    Compatibility,
    ExtendedAssignment,
    ExtendedWorkerState,
    deserialize_assignment,
    serialize_metadata,
)
from sluice.storage.config import ClusterConfigState
from sluice.storage.states import ConnectorTaskId


class FakeClock:
    """Monotonic seconds under test control, kept as integer milliseconds so nothing rounds."""

    def __init__(self, start_ms: int = 1_000_000) -> None:
        self.ms = start_ms

    def __call__(self) -> float:
        return self.ms / 1000

    def sleep_ms(self, ms: int) -> None:
        self.ms += ms


def snapshot(
    connectors: dict[str, int], offset: int, inconsistent: Iterable[str] = ()
) -> ClusterConfigState:
    return ClusterConfigState(
        connector_configs={name: {"name": name} for name in connectors},
        task_configs={name: [{"task": str(i)} for i in range(n)] for name, n in connectors.items()},
        offset=offset,
        inconsistent=set(inconsistent),
    )


@dataclass
class Context:
    """An :class:`AssignmentContext` with fixed answers that records what the assignor sets."""

    snapshot: ClusterConfigState
    fresh: ClusterConfigState | None = None
    generation: int = 1
    last_completed: int = 0
    member: str = "leader"
    leader_state: LeaderState | None = None
    fresh_taken: int = 0

    def config_snapshot(self) -> ClusterConfigState:
        return self.snapshot

    def config_fresh_snapshot(self) -> ClusterConfigState:
        self.fresh_taken += 1
        return self.fresh if self.fresh is not None else self.snapshot

    def set_config_snapshot(self, snapshot: ClusterConfigState) -> None:
        self.snapshot = snapshot

    def set_leader_state(self, state: LeaderState) -> None:
        self.leader_state = state

    def last_completed_generation_id(self) -> int:
        return self.last_completed

    def generation_id(self) -> int:
        return self.generation

    def member_id(self) -> str:
        return self.member


@dataclass
class Worker:
    member_id: str
    offset: int = -1
    assignment: ExtendedAssignment | None = None
    last_completed: int = -1

    @property
    def url(self) -> str:
        return f"http://{self.member_id}:8083/"

    def metadata(self, version: int) -> bytes:
        state = ExtendedWorkerState(self.url, self.offset, self.assignment)
        return serialize_metadata(state, version)

    def connectors(self) -> list[str]:
        return [] if self.assignment is None else list(self.assignment.connectors)

    def tasks(self) -> list[ConnectorTaskId]:
        return [] if self.assignment is None else list(self.assignment.tasks)

    def apply(self, data: bytes, generation: int, eager: bool) -> ExtendedAssignment:
        """Keep what was not revoked after what is new, as ``onJoinComplete`` builds it."""
        received = deserialize_assignment(data)
        new = received.copy()
        if not eager and self.assignment is not None:
            revoked_c, revoked_t = set(new.revoked_connectors), set(new.revoked_tasks)
            new.connectors += [c for c in self.assignment.connectors if c not in revoked_c]
            new.tasks += [t for t in self.assignment.tasks if t not in revoked_t]
        self.assignment = new
        self.last_completed = generation
        return received


@dataclass
class Round:
    leader: str
    received: dict[str, ExtendedAssignment]
    data: dict[str, bytes]
    context: Context


@dataclass
class Cluster:
    """Workers in join order; the earliest still present leads, with its own assignor."""

    new_assignor: Callable[[], ConnectAssignor]
    protocol: str = "sessioned"
    connectors: dict[str, int] = field(default_factory=dict)
    inconsistent: set[str] = field(default_factory=set)
    workers: dict[str, Worker] = field(default_factory=dict)
    assignors: dict[str, ConnectAssignor] = field(default_factory=dict)
    offset: int = 0
    generation: int = 1000

    @property
    def version(self) -> int:
        return Compatibility.from_protocol(self.protocol).version

    def join(self, *members: str) -> None:
        for member in members:
            assert member not in self.workers, member
            self.workers[member] = Worker(member, self.offset)
            self.assignors[member] = self.new_assignor()

    def leave(self, *members: str) -> None:
        for member in members:
            del self.workers[member]
            del self.assignors[member]

    def set_connector(self, name: str, tasks: int) -> None:
        self.connectors[name] = tasks
        self._config_changed()

    def remove_connector(self, name: str) -> None:
        del self.connectors[name]
        self._config_changed()

    def _config_changed(self) -> None:
        self.offset += 1
        for worker in self.workers.values():
            worker.offset = self.offset

    def snapshot(self) -> ClusterConfigState:
        return snapshot(self.connectors, self.offset, self.inconsistent)

    def members(self) -> list[tuple[str, bytes]]:
        return [(m, w.metadata(self.version)) for m, w in self.workers.items()]

    def rebalance(
        self, deliver: bool = True, leader_completes: bool = True, leader: str | None = None
    ) -> Round:
        """One generation. With ``deliver`` False nobody applies the assignment (a failed sync);
        ``leader_completes`` then says whether the leader still counts the generation as
        completed (Java's tests model both)."""
        self.generation += 1
        leader = leader or next(iter(self.workers))
        context = Context(
            self.snapshot(),
            generation=self.generation,
            last_completed=self.workers[leader].last_completed,
            member=leader,
        )
        data = self.assignors[leader].perform_assignment(
            leader, self.protocol, self.members(), context
        )
        assert set(data) == set(self.workers)
        eager = self.version == CONNECT_PROTOCOL_V0
        received = {m: deserialize_assignment(d) for m, d in data.items()}
        if deliver:
            for member, worker in self.workers.items():
                worker.apply(data[member], self.generation, eager)
        elif leader_completes:
            self.workers[leader].last_completed = self.generation
        return Round(leader, received, data, context)
