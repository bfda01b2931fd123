"""A real :class:`Worker` whose tasks are recorded and reported RUNNING instead of run.

For the herder tests (standalone behind the REST app, distributed with a group of one): the
herders' own rules run for real, while the task threads, which would need Kafka clients, are
replaced by a record of what was started.
"""

from __future__ import annotations

from typing import Any

from sluice.plugins.registry import PluginRegistry
from sluice.runtime.worker import Worker
from sluice.runtime.worker_config import WorkerConfig
from sluice.storage.offsets import MemoryOffsetBackingStore
from sluice.storage.states import ConnectorTaskId, TargetState


class RecordingWorker(Worker):
    """Each started task reports RUNNING at once, as a real one does once it has started."""

    def __init__(self, worker_id: str, config: WorkerConfig) -> None:
        super().__init__(worker_id, config, PluginRegistry(), MemoryOffsetBackingStore())
        self.started_tasks: list[ConnectorTaskId] = []
        self.running_tasks: dict[ConnectorTaskId, dict[str, str]] = {}

    def start_task(self, id: ConnectorTaskId, connector_config: dict[str, str],
                   task_config: dict[str, str], listener: Any, target_state: TargetState,
                   on_topic: Any = None) -> bool:  # fmt: skip
        self.started_tasks.append(id)
        self.running_tasks[id] = task_config
        listener.on_task_startup(id)
        return True

    def stop_and_await_tasks(self, ids: list[ConnectorTaskId]) -> None:
        for id in ids:
            self.running_tasks.pop(id, None)

    def task_ids(self, connector: str) -> list[ConnectorTaskId]:
        return sorted(t for t in self.running_tasks if t.connector == connector)
