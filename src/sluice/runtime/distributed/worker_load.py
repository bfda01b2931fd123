"""The work-set arithmetic of the incremental cooperative assignor: sets of connectors and tasks,
each worker's load, spreading new work and trimming overloaded workers.

Sets keep insertion order (as Java's ``LinkedHashSet`` does, using dicts with ``None`` values)
because the order decides which tasks a worker gives up and the order they travel in, and both
should be what a Java leader would pick.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from sluice.runtime.distributed.assignor import java_sorted, java_sorted_tasks, java_string_key
from sluice.storage.states import ConnectorTaskId

__all__ = [
    "ClusterAssignment",
    "ConnectorsAndTasks",
    "WorkerLoad",
    "assign_connectors",
    "assign_tasks",
    "load_balancing_revocations",
]

_E = TypeVar("_E", str, ConnectorTaskId)


@dataclass
class ConnectorsAndTasks:
    """Some connectors and some tasks, each an insertion-ordered set."""

    connectors: dict[str, None] = field(default_factory=dict)
    tasks: dict[ConnectorTaskId, None] = field(default_factory=dict)

    @classmethod
    def of(
        cls, connectors: Iterable[str] = (), tasks: Iterable[ConnectorTaskId] = ()
    ) -> ConnectorsAndTasks:
        return cls(dict.fromkeys(connectors), dict.fromkeys(tasks))

    def add_all(self, other: ConnectorsAndTasks) -> None:
        """Adds what is new at the end; what is already here keeps its place."""
        self.connectors.update(other.connectors)
        self.tasks.update(other.tasks)

    def remove_all(self, other: ConnectorsAndTasks) -> None:
        for connector in other.connectors:
            self.connectors.pop(connector, None)
        for task in other.tasks:
            self.tasks.pop(task, None)

    def is_empty(self) -> bool:
        return not self.connectors and not self.tasks

    def minus(self, *others: ConnectorsAndTasks) -> ConnectorsAndTasks:
        """What is here and in none of ``others``, sorted (Java builds these in a ``TreeSet``)."""
        connectors = set(self.connectors).difference(*(o.connectors for o in others))
        tasks = set(self.tasks).difference(*(o.tasks for o in others))
        return ConnectorsAndTasks.of(java_sorted(connectors), java_sorted_tasks(tasks))


@dataclass
class WorkerLoad:
    """What one worker will run after this round, as the leader builds it up."""

    worker: str
    connectors: dict[str, None] = field(default_factory=dict)
    tasks: dict[ConnectorTaskId, None] = field(default_factory=dict)

    def assign_connector(self, connector: str) -> None:
        self.connectors[connector] = None

    def assign_task(self, task: ConnectorTaskId) -> None:
        self.tasks[task] = None

    def remove_all(self, work: ConnectorsAndTasks) -> None:
        for connector in work.connectors:
            self.connectors.pop(connector, None)
        for task in work.tasks:
            self.tasks.pop(task, None)

    def is_empty(self) -> bool:
        return not self.connectors and not self.tasks


@dataclass
class ClusterAssignment:
    """One round's outcome per worker: what each starts, what each stops, and everything each
    runs once it has done both."""

    newly_assigned_connectors: dict[str, list[str]]
    newly_assigned_tasks: dict[str, list[ConnectorTaskId]]
    newly_revoked_connectors: dict[str, list[str]]
    newly_revoked_tasks: dict[str, list[ConnectorTaskId]]
    all_assigned_connectors: dict[str, list[str]]
    all_assigned_tasks: dict[str, list[ConnectorTaskId]]

    @property
    def all_workers(self) -> set[str]:
        return {
            *self.newly_assigned_connectors,
            *self.newly_assigned_tasks,
            *self.newly_revoked_connectors,
            *self.newly_revoked_tasks,
            *self.all_assigned_connectors,
            *self.all_assigned_tasks,
        }


def _assign(
    workers: list[WorkerLoad],
    items: Iterable[_E],
    load: Callable[[WorkerLoad], Mapping[_E, None]],
    assign: Callable[[WorkerLoad, _E], None],
) -> None:
    """Deal ``items`` to the least-loaded workers first: sorted by load (then id), the first
    worker and every worker as loaded as it get one each, round after round, so the least loaded
    catch up before the others get more."""
    pending = list(items)
    if not workers:
        return
    workers.sort(key=lambda w: (len(load(w)), java_string_key(w.worker)))
    first = workers[0]
    index = 0
    while index < len(pending):
        first_load = len(load(first))
        up_to = next((i for i, w in enumerate(workers) if len(load(w)) > first_load), len(workers))
        for worker in workers[:up_to]:
            assign(worker, pending[index])
            index += 1
            if index == len(pending):
                break


def assign_connectors(workers: list[WorkerLoad], connectors: Iterable[str]) -> None:
    """Spread ``connectors`` over ``workers`` (sorted in place, as Java sorts its list)."""
    _assign(workers, connectors, lambda w: w.connectors, WorkerLoad.assign_connector)


def assign_tasks(workers: list[WorkerLoad], tasks: Iterable[ConnectorTaskId]) -> None:
    """Spread ``tasks`` over ``workers``, balancing task counts alone."""
    _assign(workers, tasks, lambda w: w.tasks, WorkerLoad.assign_task)


def load_balancing_revocations(
    total: int, workers: list[WorkerLoad], allocation: Callable[[WorkerLoad], Mapping[_E, None]]
) -> dict[str, list[_E]]:
    """What to take from each worker so none runs more than a balanced share of ``total``.

    Balanced means every worker has ``total // n`` and ``total % n`` of them one more. Workers
    already within that get nothing revoked; the others, taken in order, keep one extra while extra
    places remain, and give up their first items beyond their allowance. The revoked work is
    spread in the follow-up round.
    """
    if not workers:
        return {}
    minimum, extras = divmod(total, len(workers))
    sizes = [len(allocation(w)) for w in workers]
    at_minimum = sum(1 for n in sizes if n == minimum)
    with_extra = sum(1 for n in sizes if n == minimum + 1)
    if with_extra == extras and at_minimum + with_extra == len(workers):
        return {}
    result: dict[str, list[_E]] = {}
    extras_given = 0
    for worker, size in zip(workers, sizes, strict=True):
        if size <= minimum:
            continue
        if extras_given < extras:
            extras_given += 1
            if size == minimum + 1:
                continue
            allowed = minimum + 1
        else:
            allowed = minimum
        result[worker.worker] = list(allocation(worker))[: size - allowed]
    return result
