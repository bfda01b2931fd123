"""Tasks in child processes, so that a connector's tasks use every core.

A task thread shares the worker's interpreter lock with every other task; a task process has its
own. The worker chooses per task (``sluice.task.isolation``, see
:func:`sluice.runtime.task_process.isolation.runs_in_process`): :mod:`.supervisor` is the
worker's side (:class:`TaskProcess`, the handle stored in ``Worker.tasks``), :mod:`.host` the
child's, :mod:`.protocol` what they say to each other.
"""

from sluice.runtime.task_process.isolation import ISOLATION_MODES, available_cores, runs_in_process
from sluice.runtime.task_process.supervisor import TaskProcess, TaskProcessBuildError

__all__ = [
    "ISOLATION_MODES",
    "TaskProcess",
    "TaskProcessBuildError",
    "available_cores",
    "runs_in_process",
]
