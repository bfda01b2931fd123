"""Connector and task states and the entities the REST API reports them with.

Names and shapes follow Kafka Connect's ``AbstractStatus`` and REST entities so a status read
from sluice looks exactly like one read from Kafka Connect.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = [
    "ConnectorInfo",
    "ConnectorStateInfo",
    "ConnectorTaskId",
    "ConnectorType",
    "State",
    "StateInfo",
    "TargetState",
    "TaskInfo",
]


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


class ConnectorType(enum.Enum):
    SOURCE = "source"
    SINK = "sink"
    UNKNOWN = "unknown"


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


@dataclass
class TaskInfo:
    id: ConnectorTaskId
    config: dict[str, str]


@dataclass
class ConnectorInfo:
    name: str
    config: dict[str, str]
    tasks: list[ConnectorTaskId]
    type: ConnectorType


@dataclass
class ConnectorStateInfo:
    name: str
    connector: StateInfo
    tasks: dict[int, StateInfo] = field(default_factory=dict)
    type: ConnectorType = ConnectorType.UNKNOWN
