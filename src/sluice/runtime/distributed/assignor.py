"""What the group leader runs to hand out connectors and tasks, and the step every assignor takes
first.

The group member calls :meth:`ConnectAssignor.perform_assignment` on the member the coordinator
elected leader, with every member's metadata exactly as JoinGroup returned it, and sends the
returned bytes back in SyncGroup. Which assignor runs depends on the subprotocol the group agreed
on: ``default`` (v0) means :class:`~.eager_assignor.EagerAssignor`, ``compatible`` and ``sessioned``
mean :class:`~.incremental_assignor.IncrementalCooperativeAssignor`.

An assignor reaches its worker through an :class:`AssignmentContext` (Java hands it the whole
``WorkerCoordinator``): the config snapshot it assigns from, a fresh one when members are ahead,
the generation ids that tell a cooperative leader whether its memory of the last round is still
valid, and a place to leave the :class:`LeaderState` the herder asks for owners' URLs.

Several steps copy the iteration order of Java's collections (``HashMap`` of members, ``TreeSet``
of connectors, ``String.compareTo``) so that a sluice leader decides what a Java leader would
decide from the same metadata, down to the bytes of each assignment.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sluice.jdk.hashing import hash_set_order, string_hash
from sluice.runtime.distributed.protocol import (
    CONFIG_MISMATCH,
    ExtendedAssignment,
    ExtendedWorkerState,
    deserialize_metadata,
    serialize_assignment,
)
from sluice.storage.config import ClusterConfigState
from sluice.storage.states import ConnectorTaskId

__all__ = [
    "AssignmentContext",
    "ConnectAssignor",
    "LeaderState",
    "config_mismatch",
    "ensure_leader_config",
    "java_order",
    "java_sorted",
    "java_sorted_tasks",
    "java_string_key",
    "read_members",
    "task_hash",
]


class AssignmentContext(Protocol):
    """The leader's worker as an assignor sees it (Java's ``WorkerCoordinator``)."""

    def config_snapshot(self) -> ClusterConfigState:
        """The snapshot the worker took when it joined this round."""
        ...

    def config_fresh_snapshot(self) -> ClusterConfigState:
        """A new snapshot of the config store as read so far (no read to the end)."""
        ...

    def set_config_snapshot(self, snapshot: ClusterConfigState) -> None:
        """Adopt a fresher snapshot, which the assignment is then made from."""
        ...

    def set_leader_state(self, state: LeaderState) -> None:
        """Keep who runs what until the next rebalance (for forwarding REST requests)."""
        ...

    def last_completed_generation_id(self) -> int:
        """The generation of this worker's last completed join; -1 before the first."""
        ...

    def generation_id(self) -> int:
        """The generation being assigned now."""
        ...

    def member_id(self) -> str: ...


class ConnectAssignor(Protocol):
    def perform_assignment(
        self,
        leader_id: str,
        protocol: str,
        members: Sequence[tuple[str, bytes]],
        context: AssignmentContext,
    ) -> dict[str, bytes]:
        """Each member's assignment bytes, from ``(member_id, metadata)`` as JoinGroup returns
        them (the metadata of the subprotocol ``protocol`` the group agreed on)."""
        ...


@dataclass
class LeaderState:
    """Every member's metadata and who owns each connector and task after this round's
    assignment, so the leader can name the worker a request about a connector must go to."""

    all_members: dict[str, ExtendedWorkerState]
    connector_owners: dict[str, str]
    task_owners: dict[ConnectorTaskId, str]

    @classmethod
    def of(
        cls,
        all_members: Mapping[str, ExtendedWorkerState],
        connector_assignment: Mapping[str, Collection[str]],
        task_assignment: Mapping[str, Collection[ConnectorTaskId]],
    ) -> LeaderState:
        """From each member's complete assignment (member id -> what it runs)."""
        return cls(
            dict(all_members),
            {c: member for member, cs in connector_assignment.items() for c in cs},
            {t: member for member, ts in task_assignment.items() for t in ts},
        )

    def owner_url(self, connector_or_task: str | ConnectorTaskId) -> str | None:
        """The REST URL of the member running it, None when nobody is assigned it."""
        if isinstance(connector_or_task, ConnectorTaskId):
            owner = self.task_owners.get(connector_or_task)
        else:
            owner = self.connector_owners.get(connector_or_task)
        return None if owner is None else self.all_members[owner].url


# -- Java's orders ---------------------------------------------------------------------------


def java_string_key(value: str) -> bytes:
    """Sorts as ``String.compareTo`` does: by UTF-16 code units, not by code points."""
    return value.encode("utf-16-be", "surrogatepass")


def java_sorted(names: Iterable[str]) -> list[str]:
    """``Collections.sort`` / ``TreeSet`` order of strings."""
    return sorted(names, key=java_string_key)


def java_sorted_tasks(tasks: Iterable[ConnectorTaskId]) -> list[ConnectorTaskId]:
    """``ConnectorTaskId.compareTo`` order: by connector, then task number."""
    return sorted(tasks, key=lambda t: (java_string_key(t.connector), t.task))


def task_hash(task: ConnectorTaskId) -> int:
    """``ConnectorTaskId.hashCode`` as an unsigned 32-bit int."""
    return (31 * string_hash(task.connector) + task.task) & 0xFFFFFFFF


def java_order(member_ids: Iterable[str]) -> list[str]:
    """The iteration order of a ``HashMap`` keyed by member id, filled in the given order."""
    return hash_set_order(member_ids)


# -- the shared leader step -------------------------------------------------------------------


def read_members(members: Sequence[tuple[str, bytes]]) -> dict[str, ExtendedWorkerState]:
    """Every member's metadata, keyed in the order Java's leader iterates its members."""
    states = {member_id: deserialize_metadata(metadata) for member_id, metadata in members}
    return {member_id: states[member_id] for member_id in java_order(states)}


def ensure_leader_config(max_offset: int, context: AssignmentContext) -> int | None:
    """The config offset to assign at, or None when the leader cannot catch up right now.

    A member may have read further in the config topic than the leader. The leader then takes a
    fresh snapshot, which may already be far enough (and is used, even beyond ``max_offset``);
    otherwise the round fails with CONFIG_MISMATCH so every member reads to the end and rejoins.
    """
    if context.config_snapshot().offset >= max_offset:
        return max_offset
    fresh = context.config_fresh_snapshot()
    if fresh.offset < max_offset:
        return None
    context.set_config_snapshot(fresh)
    return fresh.offset


def config_mismatch(
    states: Mapping[str, ExtendedWorkerState], leader_id: str, max_offset: int, version: int
) -> dict[str, bytes]:
    """Every member told CONFIG_MISMATCH, with nothing assigned and no delay."""
    leader_url = states[leader_id].url
    failed = ExtendedAssignment(version, CONFIG_MISMATCH, leader_id, leader_url, max_offset)
    data = serialize_assignment(failed)
    return dict.fromkeys(states, data)
