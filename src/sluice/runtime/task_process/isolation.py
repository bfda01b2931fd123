"""Which tasks run in a process of their own: the worker's ``sluice.task.isolation``.

* ``thread``: every task is a thread of the worker, as in Kafka Connect;
* ``process``: every task runs in a child process;
* ``auto`` (the default): a connector's tasks run in processes when they can use more than one
  core, that is when the worker may use more than one core and the connector has more than one
  task (``tasks.max`` above 1, and, where this worker generated the task configs, more than one
  generated); otherwise threads, which start faster and cost no memory of their own. A user
  scales a connector by raising ``tasks.max``, as with Kafka Connect.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

from sluice.runtime.connector_config import TASKS_MAX_DEFAULT

__all__ = ["ISOLATION_MODES", "available_cores", "runs_in_process"]

ISOLATION_MODES: Final = ("auto", "thread", "process")


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def runs_in_process(
    mode: str,
    connector_config: Mapping[str, str],
    generated_tasks: int | None = None,
    cores: int | None = None,
) -> bool:
    """Whether a task of the connector configured by ``connector_config`` runs in a process."""
    if mode == "process":
        return True
    if mode != "auto":
        return False
    if (cores if cores is not None else available_cores()) < 2:
        return False
    try:
        tasks_max = int(str(connector_config.get("tasks.max", TASKS_MAX_DEFAULT)).strip())
    except ValueError:
        return False
    return tasks_max > 1 and (generated_tasks is None or generated_tasks > 1)
