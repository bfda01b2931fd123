"""Connector and task states and the entities the REST API reports them with.

Names and shapes follow Kafka Connect's ``AbstractStatus`` and REST entities so a status read
from sluice looks exactly like one read from Kafka Connect.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from sluice.storage.states import ConnectorTaskId, State, StateInfo, TargetState

# State, StateInfo, TargetState and ConnectorTaskId are defined with the stores (below the
# runtime) and handed on here: the REST API and sluice.testing import the status model from the
# runtime, as the layer table allows them to.
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


class ConnectorType(enum.Enum):
    SOURCE = "source"
    SINK = "sink"
    UNKNOWN = "unknown"


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
