"""The standalone herder: connector state kept in memory, changes applied at once in-process.

All state changes take the herder lock; connector and task threads report status through the
listener methods of :class:`~sluice.runtime.abstract_herder.AbstractHerder`, and a connector's
``request_task_reconfiguration`` is served on a single background thread so a connector can never
deadlock against the herder.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from collections.abc import Mapping
from typing import Any

from sluice.api import AlreadyExistsError, NotFoundError
from sluice.runtime.abstract_herder import AbstractHerder
from sluice.runtime.herder import BadRequestError
from sluice.runtime.loggers import Loggers
from sluice.runtime.offsets_admin import NOT_STOPPED
from sluice.runtime.status import ConnectorInfo, ConnectorStateInfo
from sluice.runtime.validation import validate_or_raise
from sluice.runtime.worker import TaskStart, Worker
from sluice.storage.config import ConfigBackingStore, MemoryConfigBackingStore
from sluice.storage.states import ConnectorTaskId, RestartRequest, State, TargetState
from sluice.storage.status import MemoryStatusBackingStore, StatusBackingStore

__all__ = ["StandaloneHerder"]

log = logging.getLogger(__name__)


class StandaloneHerder(AbstractHerder):
    def __init__(
        self,
        worker: Worker,
        kafka_cluster_id: str | None = None,
        configs: ConfigBackingStore | None = None,
        status: StatusBackingStore | None = None,
        loggers: Loggers | None = None,
    ) -> None:
        super().__init__(
            worker,
            configs if configs is not None else MemoryConfigBackingStore(),
            status if status is not None else MemoryStatusBackingStore(),
            kafka_cluster_id,
            loggers,
        )
        self._lock = threading.RLock()
        self._ready = False
        self._reconfig = concurrent.futures.ThreadPoolExecutor(1, "herder-reconfigure")

    # -- herder lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        self.worker.start()
        self._ready = True
        log.info("Herder started")

    def stop(self) -> None:
        log.info("Herder stopping")
        self._ready = False
        self._reconfig.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            self.worker.stop()
        log.info("Herder stopped")

    def ready(self) -> bool:
        return self._ready

    # -- connectors ---------------------------------------------------------------------------
    def put_connector_config(
        self,
        name: str,
        config: Mapping[str, str],
        allow_replace: bool,
        initial_state: TargetState | None = None,
    ) -> tuple[bool, ConnectorInfo]:
        config = dict(config)
        config.setdefault("name", name)
        validate_or_raise(self, config)
        with self._lock:
            exists = self.configs.contains(name)
            if exists and not allow_replace:
                raise AlreadyExistsError(f"Connector {name} already exists")
            if exists:
                self._stop_connector_and_tasks(name)
                target = self.configs.snapshot().target_states.get(name, TargetState.STARTED)
            else:
                target = initial_state or TargetState.STARTED
            self.configs.put_connector_config(name, config, target)
            self._start_connector(name)
            return not exists, self.connector_info(name)

    def patch_connector_config(self, name: str, patch: Mapping[str, str | None]) -> ConnectorInfo:
        with self._lock:
            merged = dict(self._require(name))
            for k, v in patch.items():
                if v is None:
                    merged.pop(k, None)
                else:
                    merged[k] = v
            return self.put_connector_config(name, merged, allow_replace=True)[1]

    def delete_connector_config(self, name: str) -> None:
        with self._lock:
            self._require(name)
            self._stop_connector_and_tasks(name)
            self.configs.remove_connector_config(name)
            self.status.remove(name)

    def _start_connector(self, name: str) -> None:
        snap = self.configs.snapshot()
        config = snap.connector_configs[name]
        target = snap.target_states.get(name, TargetState.STARTED)
        ok = self.worker.start_connector(name, config, self, target, self._request_reconfiguration)
        if ok:
            self._update_tasks(name)

    def _stop_connector_and_tasks(self, name: str) -> None:
        self.worker.stop_and_await_tasks(self.worker.task_ids(name))
        self.worker.stop_connector(name)

    def _update_tasks(self, name: str) -> None:
        """Recompute task configs; restart the tasks if they changed (and start missing ones)."""
        snap = self.configs.snapshot()
        config = snap.connector_configs.get(name)
        if config is None:
            return
        target = snap.target_states.get(name, TargetState.STARTED)
        if target is TargetState.STOPPED:
            new_configs: list[dict[str, str]] = []
        else:
            try:
                new_configs = self.worker.connector_task_configs(name, config)
            except Exception as e:
                wc = self.worker.connectors.get(name)
                if wc is not None:
                    wc.fail(e)
                return
        old_configs = snap.task_configs.get(name)
        running = self.worker.task_ids(name)
        if old_configs == new_configs and len(running) == len(new_configs):
            return
        self.worker.stop_and_await_tasks(running)
        for i in range(len(new_configs), len(old_configs or [])):
            self.status.remove_task(ConnectorTaskId(name, i))
        self.configs.put_task_configs(name, new_configs)
        self._start_tasks(
            [(ConnectorTaskId(name, i), config, tc) for i, tc in enumerate(new_configs)], target
        )

    def _start_tasks(
        self,
        tasks: list[tuple[ConnectorTaskId, dict[str, str], dict[str, str]]],
        target: TargetState,
    ) -> None:
        """Start ``(id, connector config, task config)`` together (see ``Worker.start_tasks``)."""
        self.worker.start_tasks(
            [TaskStart(id, config, tc, self, target, self.on_topic(id)) for id, config, tc in tasks]
        )

    def _request_reconfiguration(self, name: str) -> None:
        def run() -> None:
            with self._lock:
                if self.configs.contains(name):
                    self._update_tasks(name)

        self._reconfig.submit(run)

    def restart_connector(self, name: str) -> None:
        with self._lock:
            self._require(name)
            self.worker.stop_connector(name)
            self._start_connector(name)

    def restart_task(self, task: ConnectorTaskId) -> None:
        with self._lock:
            snap = self.configs.snapshot()
            configs = snap.task_configs.get(task.connector)
            if configs is None or task.task >= len(configs):
                raise NotFoundError(f"Task {task} not found")
            self.worker.stop_and_await_tasks([task])
            target = snap.target_states.get(task.connector, TargetState.STARTED)
            self._start_tasks(
                [(task, snap.connector_configs[task.connector], configs[task.task])], target
            )

    def restart_connector_and_tasks(self, request: RestartRequest) -> ConnectorStateInfo:
        with self._lock:
            name = request.connector
            if not self.configs.contains(name):
                raise NotFoundError(f"Unknown connector: {name}")
            plan = self.restart_plan(request)
            if plan is None:
                raise NotFoundError(f"No status found for connector {name}")
            if plan.restart_connector:
                self.status.put_connector(name, plan.status.connector)
            for id in plan.task_ids:
                self.status.put_task(id, plan.status.tasks[id.task])
            self.worker.stop_and_await_tasks(plan.task_ids)
            if plan.restart_connector:
                self.worker.stop_connector(name)
                snap = self.configs.snapshot()
                self.worker.start_connector(
                    name,
                    snap.connector_configs[name],
                    self,
                    snap.target_states.get(name, TargetState.STARTED),
                    self._request_reconfiguration,
                )
            snap = self.configs.snapshot()
            target = snap.target_states.get(name, TargetState.STARTED)
            task_configs = snap.task_configs.get(name, [])
            self._start_tasks(
                [
                    (id, snap.connector_configs[name], task_configs[id.task])
                    for id in plan.task_ids
                    if id.task < len(task_configs)
                ],
                target,
            )
            if plan.restart_connector:
                self._update_tasks(name)
            return plan.status

    def _set_target(self, name: str, state: TargetState) -> None:
        with self._lock:
            if not self.configs.contains(name):
                # Kafka's words for pause, resume and stop (AbstractHerder, as the distributed
                # herder says it), not the "Connector ... not found" of the reads.
                raise NotFoundError(f"Unknown connector {name}")
            previous = self.configs.snapshot().target_states.get(name)
            self.configs.put_target_state(name, state)
            if state is TargetState.STOPPED:
                self._stop_connector_and_tasks(name)
                self.configs.put_task_configs(name, [])
                for i in self.status.tasks(name):
                    self.status.remove_task(ConnectorTaskId(name, i))
                stopped = self._state(State.STOPPED, version=self.connector_version(name))
                self.status.put_connector(name, stopped)
                return
            if previous is TargetState.STOPPED or name not in self.worker.connectors:
                # Leaving STOPPED rebuilds the connector (it may have been restarted while
                # stopped) and recomputes its tasks.
                self.worker.stop_connector(name)
                self._start_connector(name)
                return
            self.worker.set_target_state(name, state)

    def pause_connector(self, name: str) -> None:
        self._set_target(name, TargetState.PAUSED)

    def resume_connector(self, name: str) -> None:
        self._set_target(name, TargetState.STARTED)

    def stop_connector(self, name: str) -> None:
        self._set_target(name, TargetState.STOPPED)

    # -- offsets ------------------------------------------------------------------------------
    def _is_stopped(self, name: str) -> bool:
        snap = self.configs.snapshot()
        return snap.target_states.get(name) is TargetState.STOPPED and not snap.task_configs.get(
            name
        )

    def alter_connector_offsets(self, name: str, offsets: list[dict[str, Any]]) -> str:
        with self._lock:
            config = self._require(name)
            if not self._is_stopped(name):
                raise BadRequestError(NOT_STOPPED.format(name=name))
            return self.offsets.alter(name, config, offsets)

    def reset_connector_offsets(self, name: str) -> str:
        with self._lock:
            config = self._require(name)
            if not self._is_stopped(name):
                raise BadRequestError(NOT_STOPPED.format(name=name))
            return self.offsets.reset(name, config)
