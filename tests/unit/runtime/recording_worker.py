"""A real :class:`Worker` whose tasks are recorded and reported RUNNING instead of run.

For the herder tests (standalone behind the REST app, distributed with a group of one): the
herders' own rules run for real, while the task threads, which would need Kafka clients, are
replaced by a record of what was started.
"""

from __future__ import annotations

from collections.abc import Sequence

from sluice.plugins.registry import PluginRegistry
from sluice.runtime.worker import TaskStart, Worker
from sluice.runtime.worker_config import WorkerConfig
from sluice.storage.offsets import MemoryOffsetBackingStore
from sluice.storage.states import ConnectorTaskId


class RecordingWorker(Worker):
    """Each started task reports RUNNING at once, as a real one does once it has started."""

    def __init__(self, worker_id: str, config: WorkerConfig) -> None:
        super().__init__(worker_id, config, PluginRegistry(), MemoryOffsetBackingStore())
        self.started_tasks: list[ConnectorTaskId] = []
        self.running_tasks: dict[ConnectorTaskId, dict[str, str]] = {}

    def start_tasks(self, starts: Sequence[TaskStart]) -> list[bool]:
        for s in starts:
            self.started_tasks.append(s.id)
            self.running_tasks[s.id] = s.task_config
            s.listener.on_task_startup(s.id)
        return [True] * len(starts)

    def stop_and_await_tasks(self, ids: list[ConnectorTaskId]) -> None:
        for id in ids:
            self.running_tasks.pop(id, None)

    def task_ids(self, connector: str) -> list[ConnectorTaskId]:
        return sorted(t for t in self.running_tasks if t.connector == connector)
