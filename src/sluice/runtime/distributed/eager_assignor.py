"""The eager assignor (subprotocol ``default``, v0): every rebalance starts from nothing.

Members stop everything when a rebalance begins, so the leader is free to lay the whole cluster
out again: members sorted by id take the sorted connectors round-robin, and the same circular walk
then continues over each connector's tasks. Connectors go first, all of them, because a connector
is usually lighter than a task: dealing connector and tasks together would, with one-task
connectors on an even number of workers, put every connector on half the workers and every task on
the other half.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from sluice.runtime.distributed.assignor import (
    AssignmentContext,
    LeaderState,
    config_mismatch,
    ensure_leader_config,
    java_sorted,
    java_sorted_tasks,
    read_members,
)
from sluice.runtime.distributed.protocol import (
    CONNECT_PROTOCOL_V0,
    NO_ERROR,
    ExtendedAssignment,
    serialize_assignment,
)
from sluice.storage.states import ConnectorTaskId

__all__ = ["EagerAssignor"]


class EagerAssignor:
    """Round-robin over sorted members; v0 assignments. Holds no state between rounds."""

    def perform_assignment(
        self,
        leader_id: str,
        protocol: str,
        members: Sequence[tuple[str, bytes]],
        context: AssignmentContext,
    ) -> dict[str, bytes]:
        states = read_members(members)
        max_offset = max(state.offset for state in states.values())
        offset = ensure_leader_config(max_offset, context)
        if offset is None:
            return config_mismatch(states, leader_id, max_offset, CONNECT_PROTOCOL_V0)

        snapshot = context.config_snapshot()
        connectors: dict[str, list[str]] = {}
        tasks: dict[str, list[ConnectorTaskId]] = {}
        owners = itertools.cycle(java_sorted(states))
        connector_names = java_sorted(snapshot.connectors())
        for connector in connector_names:
            connectors.setdefault(next(owners), []).append(connector)
        for connector in connector_names:
            for task in java_sorted_tasks(snapshot.tasks(connector)):
                tasks.setdefault(next(owners), []).append(task)

        context.set_leader_state(LeaderState.of(states, connectors, tasks))
        leader_url = states[leader_id].url
        return {
            member: serialize_assignment(
                ExtendedAssignment(
                    CONNECT_PROTOCOL_V0,
                    NO_ERROR,
                    leader_id,
                    leader_url,
                    offset,
                    connectors.get(member, []),
                    tasks.get(member, []),
                )
            )
            for member in states
        }
