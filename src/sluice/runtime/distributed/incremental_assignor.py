"""The incremental cooperative assignor (KIP-415; subprotocols ``compatible`` and ``sessioned``).

Members keep running their work through a rebalance, so each round the leader only says what to
start and what to stop. It compares four views of the cluster:

* configured: the connectors and tasks in the config snapshot;
* previous: what the leader assigned last round (kept in memory, and forgotten when this leader
  missed a generation, since a different leader may have assigned since);
* active: what members report running in their metadata;
* from those, deleted (previous, no longer configured), lost (previous, no longer run, not
  deleted), created (configured, neither previous nor active) and duplicated (run by two members
  at once, which happens when a member missed an assignment).

Deleted and duplicated work is revoked at once; created work is dealt to the least-loaded workers.
Lost work is held back for ``scheduled.rebalance.max.delay.ms`` when a member is missing, so that a
bouncing worker gets its work back instead of the cluster shuffling twice: members are told to
rejoin after the delay, and when it expires the lost work goes to workers that joined empty in the
meantime, or is spread like new work. When every previous member is present, or the delay is 0,
lost work is reassigned at once (the previous assignment simply did not reach someone).

Overloaded workers give up work for balance only while no delay runs. Revoking in consecutive
rounds backs off exponentially (1 ms, then x40, up to the max delay), so joining workers one after
the other does not reshuffle the cluster at every join.

Times are integer milliseconds inside, as Kafka computes them and as ``delay`` travels on the
wire; the clock is injected so tests control it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TypeVar

from sluice.jdk.hashing import hash_set_capacity, hash_set_order
from sluice.runtime.distributed.assignor import (
    AssignmentContext,
    LeaderState,
    config_mismatch,
    ensure_leader_config,
    read_members,
    task_hash,
)
from sluice.runtime.distributed.protocol import (
    CONNECT_PROTOCOL_V1,
    CONNECT_PROTOCOL_V2,
    NO_ERROR,
    Compatibility,
    ExtendedAssignment,
    serialize_assignment,
)
from sluice.runtime.distributed.worker_load import (
    ClusterAssignment,
    ConnectorsAndTasks,
    WorkerLoad,
    assign_connectors,
    assign_tasks,
    load_balancing_revocations,
)
from sluice.storage.config import ClusterConfigState
from sluice.storage.states import ConnectorTaskId

__all__ = ["IncrementalCooperativeAssignor"]

log = logging.getLogger(__name__)

_E = TypeVar("_E", str, ConnectorTaskId)


class _RevocationBackoff:
    """Kafka's ``ExponentialBackoff(1, 40, max_delay, 0)``: 1 ms, then 40 times more each
    consecutive revoking round, capped at ``max_ms``; always 0 when the max delay is 0."""

    MULTIPLIER = 40

    def __init__(self, max_ms: int) -> None:
        initial = 0 if max_ms == 0 else 1
        self.initial = min(max_ms, initial)
        self.max_ms = max_ms
        self.exp_max = (
            math.log(max_ms / max(initial, 1)) / math.log(self.MULTIPLIER)
            if max_ms > initial
            else 0.0
        )

    def backoff(self, attempts: int) -> int:
        if self.exp_max == 0:
            return self.initial
        term = self.initial * math.pow(self.MULTIPLIER, min(attempts, self.exp_max))
        return min(int(term), self.max_ms)


class IncrementalCooperativeAssignor:
    """Leader-side state across rounds and the KIP-415 assignment. Not thread-safe: one group
    member's loop calls it.

    ``max_delay`` is ``scheduled.rebalance.max.delay.ms`` in seconds; ``clock`` returns seconds
    (monotonic is right: only differences between its readings matter).
    """

    def __init__(self, max_delay: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._max_delay_ms = round(max_delay * 1000)
        self._clock = clock
        self._previous_assignment = ConnectorsAndTasks()
        self._previous_revocation = ConnectorsAndTasks()
        self._revoked_in_previous = False
        self._candidate_workers: dict[str, None] = {}
        self._scheduled_rebalance_ms = 0
        self._delay_ms = 0
        self._previous_generation_id = -1
        self._previous_members: set[str] = set()
        self._backoff = _RevocationBackoff(self._max_delay_ms)
        self._successive_revoking_rounds = 0

    @property
    def delay(self) -> float:
        """The delay (seconds) the last round told members to wait before rejoining."""
        return self._delay_ms / 1000

    def _now_ms(self) -> int:
        return round(self._clock() * 1000)

    def perform_assignment(
        self,
        leader_id: str,
        protocol: str,
        members: Sequence[tuple[str, bytes]],
        context: AssignmentContext,
    ) -> dict[str, bytes]:
        states = read_members(members)
        max_offset = max(state.offset for state in states.values())
        # Java writes header 2 for sessioned and 1 otherwise, whatever the subprotocol.
        version = Compatibility.from_protocol(protocol).version
        version = CONNECT_PROTOCOL_V2 if version >= CONNECT_PROTOCOL_V2 else CONNECT_PROTOCOL_V1
        offset = ensure_leader_config(max_offset, context)
        if offset is None:
            log.info(
                "Was selected to perform assignments, but do not have latest config found in "
                "sync request. Returning an empty configuration to trigger re-sync."
            )
            return config_mismatch(states, leader_id, max_offset, version)

        member_assignments = {
            member: ConnectorsAndTasks.of(
                state.assignment.connectors if state.assignment else (),
                state.assignment.tasks if state.assignment else (),
            )
            for member, state in states.items()
        }
        cluster = self.compute(
            context.config_snapshot(),
            context.last_completed_generation_id(),
            context.generation_id(),
            member_assignments,
        )
        context.set_leader_state(
            LeaderState.of(states, cluster.all_assigned_connectors, cluster.all_assigned_tasks)
        )
        leader_url = states[leader_id].url
        assignments = {
            member: ExtendedAssignment(
                version,
                NO_ERROR,
                leader_id,
                leader_url,
                offset,
                list(cluster.newly_assigned_connectors.get(member, [])),
                list(cluster.newly_assigned_tasks.get(member, [])),
                list(cluster.newly_revoked_connectors.get(member, [])),
                list(cluster.newly_revoked_tasks.get(member, [])),
                self._delay_ms,
            )
            for member in states
        }
        log.debug("Assignments for generation %s: %s", context.generation_id(), assignments)
        return {member: serialize_assignment(a) for member, a in assignments.items()}

    def compute(
        self,
        snapshot: ClusterConfigState,
        last_completed_generation_id: int,
        generation_id: int,
        member_assignments: Mapping[str, ConnectorsAndTasks],
    ) -> ClusterAssignment:
        """One round from what each member runs (keyed in Java's member order); updates the
        leader's memory of this round for the next."""
        if self._previous_generation_id != last_completed_generation_id:
            log.debug(
                "Forgetting the previous assignment: it was made in generation %s, this leader "
                "last completed generation %s",
                self._previous_generation_id,
                last_completed_generation_id,
            )
            self._previous_assignment = ConnectorsAndTasks()

        configured_connectors = sorted(snapshot.connectors())
        configured = ConnectorsAndTasks.of(
            configured_connectors, (t for c in configured_connectors for t in snapshot.tasks(c))
        )
        active = ConnectorsAndTasks()
        for work in member_assignments.values():
            active.add_all(work)

        # A revocation that did not take effect: start again from what members really run.
        revocation = self._previous_revocation
        if not revocation.is_empty():
            if any(c in active.connectors for c in revocation.connectors) or any(
                t in active.tasks for t in revocation.tasks
            ):
                self._previous_assignment = active
            self._previous_revocation = ConnectorsAndTasks()

        previous = self._previous_assignment
        deleted = previous.minus(configured)
        duplicated = _duplicated(member_assignments)
        lost = previous.minus(active, deleted)
        created = configured.minus(previous, active)
        log.debug("Deleted %s, lost %s, created %s", deleted, lost, created)

        # What each member runs and keeps (deleted work aside): the base of "newly assigned".
        current_connectors = {
            m: set(work.connectors).difference(deleted.connectors)
            for m, work in member_assignments.items()
        }
        current_tasks = {
            m: set(work.tasks).difference(deleted.tasks) for m, work in member_assignments.items()
        }
        to_revoke: dict[str, ConnectorsAndTasks] = {}
        deleted_to_revoke = _intersection(deleted, member_assignments)
        duplicated_to_revoke = _intersection(duplicated, member_assignments)
        _add_all(to_revoke, deleted_to_revoke)
        _add_all(to_revoke, duplicated_to_revoke)

        next_loads = [
            WorkerLoad(member, dict(work.connectors), dict(work.tasks))
            for member, work in member_assignments.items()
        ]
        _remove_all(next_loads, deleted_to_revoke)
        _remove_all(next_loads, duplicated_to_revoke)

        to_reassign = ConnectorsAndTasks()
        self._handle_lost_assignments(lost, to_reassign, next_loads)

        if self._delay_ms == 0:
            self._balance(configured, next_loads, to_revoke)
        else:
            log.debug(
                "Delayed rebalance active (%s ms): no load-balancing revocations", self._delay_ms
            )
            self._revoked_in_previous = False

        to_assign = ConnectorsAndTasks()
        to_assign.add_all(created)
        to_assign.add_all(to_reassign)
        assign_connectors(next_loads, to_assign.connectors)
        assign_tasks(next_loads, to_assign.tasks)

        next_connectors = {load.worker: list(load.connectors) for load in next_loads}
        next_tasks = {load.worker: list(load.tasks) for load in next_loads}
        revoked_connectors = {w: list(r.connectors) for w, r in to_revoke.items()}
        revoked_tasks = {w: list(r.tasks) for w, r in to_revoke.items()}

        self._remember(to_revoke, next_loads, lost)
        self._previous_generation_id = generation_id
        self._previous_members = set(member_assignments)

        return ClusterAssignment(
            _diff(next_connectors, current_connectors),
            _diff(next_tasks, current_tasks),
            revoked_connectors,
            revoked_tasks,
            _diff(next_connectors, revoked_connectors),
            _diff(next_tasks, revoked_tasks),
        )

    def _balance(
        self,
        configured: ConnectorsAndTasks,
        next_loads: list[WorkerLoad],
        to_revoke: dict[str, ConnectorsAndTasks],
    ) -> None:
        """Load-balancing revocations, unless the previous round revoked too: then back off."""
        revocations = _load_balancing_revocations(configured, next_loads)
        if self._revoked_in_previous and revocations:
            self._successive_revoking_rounds += 1
            self._delay_ms = self._backoff.backoff(self._successive_revoking_rounds)
            if self._delay_ms != 0:
                self._scheduled_rebalance_ms = self._now_ms() + self._delay_ms
                log.debug("Consecutive revoking rounds: revocations wait %s ms", self._delay_ms)
            else:
                _add_all(to_revoke, revocations)
                _remove_all(next_loads, revocations)
        elif revocations:
            _add_all(to_revoke, revocations)
            _remove_all(next_loads, revocations)
            self._revoked_in_previous = True
        elif self._revoked_in_previous:
            # Balanced after the last revocations: the back-off starts over.
            self._revoked_in_previous = False
            self._successive_revoking_rounds = 0

    def _handle_lost_assignments(
        self, lost: ConnectorsAndTasks, to_reassign: ConnectorsAndTasks, loads: list[WorkerLoad]
    ) -> None:
        """Decide whether lost work is reassigned now (into ``to_reassign``, or straight onto
        workers that joined empty during the delay) or waits for the delay to run out."""
        if lost.is_empty() and not self._revoked_in_previous:
            self._reset_delay()
            return
        now = self._now_ms()
        active_members = {load.worker for load in loads}
        if self._scheduled_rebalance_ms <= 0 and active_members >= self._previous_members:
            log.debug("No member left: lost work is reassigned as new work")
            to_reassign.add_all(lost)
            return
        if self._max_delay_ms == 0:
            log.debug("scheduled.rebalance.max.delay.ms is 0: lost work is reassigned now")
            to_reassign.add_all(lost)
            return
        if 0 < self._scheduled_rebalance_ms <= now:
            by_worker = {load.worker: load for load in loads}
            candidates = [by_worker[w] for w in self._candidate_workers if w in by_worker]
            if candidates:
                for i, connector in enumerate(lost.connectors):
                    candidates[i % len(candidates)].assign_connector(connector)
                for i, task in enumerate(lost.tasks):
                    candidates[i % len(candidates)].assign_task(task)
            else:
                to_reassign.add_all(lost)
            self._reset_delay()
            self._revoked_in_previous = False
            return
        empty = hash_set_order(load.worker for load in loads if load.is_empty())
        self._candidate_workers.update(dict.fromkeys(empty))
        if now < self._scheduled_rebalance_ms:
            remaining = self._scheduled_rebalance_ms - now
            self._delay_ms = min(remaining, self._max_delay_ms) if remaining > 0 else 0
        else:
            self._delay_ms = self._max_delay_ms
        self._scheduled_rebalance_ms = now + self._delay_ms
        log.debug("Lost work waits %s ms for its members to return", self._delay_ms)

    def _reset_delay(self) -> None:
        self._candidate_workers.clear()
        self._scheduled_rebalance_ms = 0
        self._delay_ms = 0

    def _remember(
        self,
        revoked: Mapping[str, ConnectorsAndTasks],
        next_loads: list[WorkerLoad],
        lost: ConnectorsAndTasks,
    ) -> None:
        """What the next round calls previous: all assigned now, minus revocations, plus lost
        work still held back."""
        previous = ConnectorsAndTasks()
        for load in next_loads:
            previous.add_all(ConnectorsAndTasks(load.connectors, load.tasks))
        revocation = ConnectorsAndTasks()
        for work in revoked.values():
            previous.remove_all(work)
            revocation.add_all(work)
        previous.add_all(lost)
        self._previous_assignment = previous
        self._previous_revocation = revocation


def _duplicated(member_assignments: Mapping[str, ConnectorsAndTasks]) -> ConnectorsAndTasks:
    seen = ConnectorsAndTasks()
    duplicated = ConnectorsAndTasks()
    for work in member_assignments.values():
        for connector in work.connectors:
            if connector in seen.connectors:
                duplicated.connectors[connector] = None
            seen.connectors[connector] = None
        for task in work.tasks:
            if task in seen.tasks:
                duplicated.tasks[task] = None
            seen.tasks[task] = None
    return duplicated


def _intersection(
    work: ConnectorsAndTasks, member_assignments: Mapping[str, ConnectorsAndTasks]
) -> dict[str, ConnectorsAndTasks]:
    """Per member, what of ``work`` it runs, in the order of a ``HashSet`` of its work (which
    Java filters)."""
    result = {}
    for member, assignment in member_assignments.items():
        connectors = hash_set_order(
            assignment.connectors, capacity=hash_set_capacity(len(assignment.connectors))
        )
        tasks = hash_set_order(
            assignment.tasks, task_hash, hash_set_capacity(len(assignment.tasks))
        )
        result[member] = ConnectorsAndTasks.of(
            (c for c in connectors if c in work.connectors),
            (t for t in tasks if t in work.tasks),
        )
    return result


def _load_balancing_revocations(
    configured: ConnectorsAndTasks, loads: list[WorkerLoad]
) -> dict[str, ConnectorsAndTasks]:
    if all(load.is_empty() for load in loads) or configured.is_empty():
        return {}
    result: dict[str, ConnectorsAndTasks] = {}
    connectors = load_balancing_revocations(
        len(configured.connectors), loads, lambda w: w.connectors
    )
    tasks = load_balancing_revocations(len(configured.tasks), loads, lambda w: w.tasks)
    for worker, revoked_connectors in connectors.items():
        result.setdefault(worker, ConnectorsAndTasks()).add_all(
            ConnectorsAndTasks.of(revoked_connectors)
        )
    for worker, revoked_tasks in tasks.items():
        result.setdefault(worker, ConnectorsAndTasks()).add_all(
            ConnectorsAndTasks.of(tasks=revoked_tasks)
        )
    return result


def _add_all(base: dict[str, ConnectorsAndTasks], more: Mapping[str, ConnectorsAndTasks]) -> None:
    for worker, work in more.items():
        base.setdefault(worker, ConnectorsAndTasks()).add_all(work)


def _remove_all(loads: list[WorkerLoad], work: Mapping[str, ConnectorsAndTasks]) -> None:
    for load in loads:
        if load.worker in work:
            load.remove_all(work[load.worker])


def _diff(
    base: Mapping[str, list[_E]], subtract: Mapping[str, Collection[_E]]
) -> dict[str, list[_E]]:
    """Per worker, ``base`` without what ``subtract`` holds for the same worker."""
    return {w: [x for x in items if x not in subtract.get(w, ())] for w, items in base.items()}
