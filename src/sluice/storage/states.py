"""The states connectors and tasks are in, as the status and config topics record them.

These are the value types the stores persist and the runtime, the REST API and the tests share:
a task's id, the state it reports (Kafka's ``AbstractStatus.State``), the state a user asked for
(``TargetState``) and a pending restart. They live with the stores, below the runtime, so that
storage does not depend on the runtime that drives it; :mod:`sluice.runtime.status` and
:mod:`sluice.runtime.herder` hand them on to the layers above the runtime.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["ConnectorTaskId", "RestartRequest", "State", "StateInfo", "TargetState"]


class State(enum.Enum):
    UNASSIGNED = "UNASSIGNED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    FAILED = "FAILED"
    RESTARTING = "RESTARTING"
    STOPPED = "STOPPED"
    DESTROYED = "DESTROYED"


class TargetState(enum.Enum):
    """What the user asked for; the herder drives connectors towards it."""

    STARTED = "STARTED"
    PAUSED = "PAUSED"
    STOPPED = "STOPPED"


class ConnectorTaskId(NamedTuple):
    connector: str
    task: int

    def __str__(self) -> str:
        return f"{self.connector}-{self.task}"


@dataclass
class StateInfo:
    """The state of one connector or task instance: ``trace`` is the failure trace on FAILED;
    ``version`` is the version of the connector or task plugin the instance runs (KIP-891),
    ``None`` when the worker has no instance to ask."""

    state: State
    worker_id: str
    trace: str | None = None
    generation: int = 0
    version: str | None = None


@dataclass(frozen=True)
class RestartRequest:
    connector: str
    include_tasks: bool = False
    only_failed: bool = False

    def impact(self) -> int:
        """How much a request restarts; a pending request yields to a bigger one (Kafka's
        ``RestartRequest.compareTo``)."""
        return (0 if self.only_failed else 2) + (1 if self.include_tasks else 0)
