"""The ``Herder`` interface: the one door through which the REST API and the CLI change the world.

A herder owns connector configurations and target states and drives the worker towards them. The
standalone herder does it in-process; the distributed herder does it through the config topic and
the group protocol. REST routes call only these methods, so both modes serve the same API.
Methods are synchronous and thread-safe; they raise :class:`~sluice.api.NotFoundError`,
:class:`~sluice.api.AlreadyExistsError`, :class:`BadRequestError` or :class:`ConflictError`, which
the REST layer maps to 404, 409, 400 and 409. In distributed mode a request that another worker
must serve raises a :class:`RequestTargetError` (:class:`NotLeaderError`,
:class:`NotAssignedError`) naming that worker's URL, and the REST layer forwards it there, as
Kafka Connect's ``HerderRequestHandler`` does.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry

from sluice.api.errors import ConnectError
from sluice.runtime.status import (
    ConnectorInfo,
    ConnectorStateInfo,
    ConnectorTaskId,
    StateInfo,
    TargetState,
    TaskInfo,
)
from sluice.storage.states import RestartRequest

__all__ = [
    "BadRequestError",
    "ConflictError",
    "ForbiddenError",
    "Herder",
    "InternalRequestSignature",
    "NotAssignedError",
    "NotLeaderError",
    "PluginInfo",
    "RebalanceNeededError",
    "RequestTargetError",
    "RestartRequest",
]


class BadRequestError(ConnectError):
    """The request is invalid as asked (HTTP 400)."""


class ConflictError(ConnectError):
    """The request conflicts with the current state, e.g. a rebalance (HTTP 409)."""


class ForbiddenError(ConnectError):
    """The operation is disabled by configuration (HTTP 403)."""


class RequestTargetError(ConnectError):
    """Another worker must serve this request; ``forward_url`` is its REST URL, ``None`` while
    unknown (during a rebalance)."""

    def __init__(self, message: str, forward_url: str | None) -> None:
        super().__init__(message)
        self.forward_url = forward_url


class NotLeaderError(RequestTargetError):
    """Only the leader may do this (write configs, restart, change offsets)."""


class NotAssignedError(RequestTargetError):
    """The connector or task runs on another worker."""


class RebalanceNeededError(ConnectError):
    """The worker's view of the cluster is stale until the coming rebalance completes."""


class ServiceUnavailableError(ConnectError):
    """The worker cannot serve this yet (HTTP 503), e.g. it has no session key so far."""


@dataclass(frozen=True)
class InternalRequestSignature:
    """An internal request's KIP-507 signature: the HMAC of ``body`` under the session key."""

    body: bytes
    algorithm: str
    signature: bytes


@dataclass(frozen=True)
class PluginInfo:
    class_name: str
    type: str  # source | sink | transformation | predicate | converter | header_converter
    version: str | None


class Herder(abc.ABC):
    """Connector lifecycle and state, as Kafka Connect's ``Herder``."""

    # -- lifecycle of the herder itself -------------------------------------------------------
    @abc.abstractmethod
    def start(self) -> None: ...

    @abc.abstractmethod
    def stop(self) -> None: ...

    @abc.abstractmethod
    def ready(self) -> bool:
        """Whether start-up finished (``GET /health``)."""

    @abc.abstractmethod
    def worker_id(self) -> str: ...

    @abc.abstractmethod
    def kafka_cluster_id(self) -> str | None: ...

    def generation(self) -> int:
        """The group generation this worker works in (always 0 in standalone mode)."""
        return 0

    # -- what the worker measures -------------------------------------------------------------
    def metrics_registry(self) -> CollectorRegistry | None:
        """The worker's Prometheus metrics (``GET /metrics``); None if it keeps none."""
        return None

    def metrics_summary(self) -> dict[str, Any] | None:
        """This worker's per-task figures (``GET /metrics/summary?scope=worker``)."""
        return None

    # -- connectors ---------------------------------------------------------------------------
    @abc.abstractmethod
    def connectors(self) -> list[str]: ...

    @abc.abstractmethod
    def connector_info(self, name: str) -> ConnectorInfo: ...

    @abc.abstractmethod
    def connector_config(self, name: str) -> dict[str, str]:
        """The configuration as submitted (config-provider placeholders unresolved)."""

    @abc.abstractmethod
    def put_connector_config(
        self,
        name: str,
        config: Mapping[str, str],
        allow_replace: bool,
        initial_state: TargetState | None = None,
    ) -> tuple[bool, ConnectorInfo]:
        """Create or replace a connector; returns (created, info). Validates first."""

    @abc.abstractmethod
    def patch_connector_config(self, name: str, patch: Mapping[str, str | None]) -> ConnectorInfo:
        """Merge ``patch`` (``None`` removes a key) into the config and re-validate."""

    @abc.abstractmethod
    def delete_connector_config(self, name: str) -> None: ...

    @abc.abstractmethod
    def task_configs(self, name: str) -> list[TaskInfo]: ...

    @abc.abstractmethod
    def connector_status(self, name: str) -> ConnectorStateInfo: ...

    @abc.abstractmethod
    def task_status(self, task: ConnectorTaskId) -> StateInfo: ...

    @abc.abstractmethod
    def restart_connector(self, name: str) -> None: ...

    @abc.abstractmethod
    def restart_task(self, task: ConnectorTaskId) -> None: ...

    @abc.abstractmethod
    def restart_connector_and_tasks(self, request: RestartRequest) -> ConnectorStateInfo:
        """KIP-745 restart; the returned status marks the instances to restart RESTARTING."""

    @abc.abstractmethod
    def pause_connector(self, name: str) -> None: ...

    @abc.abstractmethod
    def resume_connector(self, name: str) -> None: ...

    @abc.abstractmethod
    def stop_connector(self, name: str) -> None:
        """Target state STOPPED: the connector and its tasks shut down, zero task configs."""

    # -- topics and offsets -------------------------------------------------------------------
    @abc.abstractmethod
    def connector_active_topics(self, name: str) -> list[str]: ...

    @abc.abstractmethod
    def reset_connector_active_topics(self, name: str) -> None: ...

    @abc.abstractmethod
    def connector_offsets(self, name: str) -> list[dict[str, Any]]:
        """``[{"partition": {...}, "offset": {...}}]`` in Kafka Connect's source/sink shapes."""

    @abc.abstractmethod
    def alter_connector_offsets(self, name: str, offsets: list[dict[str, Any]]) -> str:
        """Apply an offsets PATCH; returns Kafka Connect's success message."""

    @abc.abstractmethod
    def reset_connector_offsets(self, name: str) -> str:
        """Apply an offsets DELETE; returns Kafka Connect's success message."""

    # -- plugins and validation ---------------------------------------------------------------
    @abc.abstractmethod
    def validate_connector_config(self, config: Mapping[str, str]) -> dict[str, Any]:
        """Kafka Connect's ``ConfigInfos`` JSON object for ``config``."""

    @abc.abstractmethod
    def connector_plugins(self, connectors_only: bool = True) -> list[PluginInfo]: ...

    @abc.abstractmethod
    def connector_plugin_config(self, plugin: str) -> list[dict[str, Any]]:
        """``ConfigKeyInfo`` objects for a plugin's keys."""

    # -- cluster-wide settings and internal requests -------------------------------------------
    def set_cluster_logger_level(self, namespace: str, level: str) -> None:
        """``PUT /admin/loggers/{namespace}?scope=cluster`` (KIP-976): every worker applies it.

        A standalone worker is the whole cluster; the distributed herder writes the level to the
        config topic.
        """

    def put_task_configs(
        self,
        name: str,
        configs: list[dict[str, str]],
        signature: InternalRequestSignature | None,
    ) -> None:
        """``POST /connectors/{name}/tasks``: a follower hands the leader new task configs.

        Kafka's standalone worker answers 500 (an ``UnsupportedOperationException``); this is a
        client's mistake, so sluice answers 400 and says why.
        """
        raise BadRequestError(
            "POST /connectors/{name}/tasks is an internal request between the workers of a "
            "distributed cluster; this worker runs in standalone mode"
        )

    def fence_zombie_source_tasks(
        self, name: str, signature: InternalRequestSignature | None
    ) -> None:
        """``PUT /connectors/{name}/fence`` (KIP-618), for exactly-once source tasks."""
        raise BadRequestError(
            "PUT /connectors/{name}/fence is an internal request between the workers of a "
            "distributed cluster; this worker runs in standalone mode"
        )
