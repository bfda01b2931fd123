"""How the distributed herder follows the group: assignments, revocations and config changes.

Everything here runs on the herder's tick thread except the ``on_*`` config-store callbacks,
which only record what changed (under the lock) and wake the tick thread, as Kafka's
``DistributedHerder.ConfigUpdateListener`` does. The rules are Kafka's:

- a new connector, a deleted one or new task configs need a rebalance; a changed config of an
  existing connector only restarts that connector where it runs;
- after an assignment the worker starts its work only once it has read the config topic up to
  the offset the leader assigned from; if it cannot catch up within ``worker.sync.timeout.ms`` it
  leaves the group and backs off;
- with incremental cooperative rebalancing, revoked work is stopped before the worker rejoins, so
  no connector or task ever runs on two workers at once.
"""

from __future__ import annotations

import abc
import concurrent.futures
import logging
import threading
from collections.abc import Callable, Collection, Sequence
from functools import partial
from typing import Protocol

from sluice.runtime.abstract_herder import AbstractHerder
from sluice.runtime.distributed.config import DistributedConfig
from sluice.runtime.distributed.protocol import (
    CONNECT_PROTOCOL_V1,
    Compatibility,
    ExtendedAssignment,
)
from sluice.runtime.loggers import Loggers
from sluice.runtime.metrics.worker_metrics import RebalanceMetrics
from sluice.runtime.worker import TaskStart, Worker
from sluice.storage.config import ClusterConfigState, ConfigBackingStore
from sluice.storage.states import ConnectorTaskId, TargetState
from sluice.storage.status import StatusBackingStore

__all__ = ["GroupMember", "RebalanceHandling"]

log = logging.getLogger(__name__)

BACKOFF_RETRIES = 5
START_STOP_THREADS = 8
STATUS_CATCH_UP = 5.0
"""How long revocation waits to read other workers' states before stopping work."""


class GroupMember(Protocol):
    """What the herder needs of its group membership (:class:`.member.WorkerGroupMember`)."""

    def ensure_active(self) -> None: ...

    def poll(self, timeout: float) -> None: ...

    def wakeup(self) -> None: ...

    def request_rejoin(self, reason: str) -> None: ...

    def maybe_leave_group(self, reason: str) -> None: ...

    def stop(self) -> None: ...

    def member_id(self) -> str: ...

    def current_protocol_version(self) -> int: ...

    def owner_url(self, target: str | ConnectorTaskId) -> str | None: ...

    def revoke_assignment(self, assignment: ExtendedAssignment) -> None: ...


class RebalanceHandling(AbstractHerder):
    """The rebalance side of :class:`~sluice.runtime.distributed.herder.DistributedHerder`."""

    config: DistributedConfig
    member: GroupMember
    _stopping: threading.Event
    _clock: Callable[[], float]

    def __init__(
        self,
        worker: Worker,
        configs: ConfigBackingStore,
        status: StatusBackingStore,
        kafka_cluster_id: str | None,
        loggers: Loggers | None,
    ) -> None:
        super().__init__(worker, configs, status, kafka_cluster_id, loggers)
        self._lock = threading.RLock()
        self._config_state = ClusterConfigState()
        self._assignment: ExtendedAssignment | None = None
        self._running = ExtendedAssignment.empty()
        self._generation = -1
        self._rebalance_resolved = False
        self._can_read_configs = True
        self._needs_reconfig_rebalance = False
        self._connector_config_updates: set[str] = set()
        self._task_config_updates: set[ConnectorTaskId] = set()
        self._target_state_changes: set[str] = set()
        self._tasks_to_restart: set[ConnectorTaskId] = set()
        # Config topic offsets (Kafka's count: the next offset to read) at which changes were
        # read and tasks were started: a change that the last rebalance already covered needs
        # no further rebalance, and a task started after it already has its new config.
        self._reconfig_offset = -1
        self._task_update_offsets: dict[str, int] = {}
        self._task_config_offsets: dict[ConnectorTaskId, int] = {}
        self._scheduled_rebalance = float("inf")
        self._backoff_retries = BACKOFF_RETRIES
        self._start_stop = concurrent.futures.ThreadPoolExecutor(
            START_STOP_THREADS, "herder-start-stop"
        )
        self.rebalance_metrics = RebalanceMetrics(worker.metrics_window, worker.metrics_samples)
        worker.rebalance_metrics = self.rebalance_metrics

    @abc.abstractmethod
    def after_connector_started(self, name: str) -> None:
        """A connector started with target STARTED: compute its task configs."""

    @abc.abstractmethod
    def is_eager(self) -> bool:
        """Whether the group runs the eager (``default``) subprotocol."""

    # -- leadership ---------------------------------------------------------------------------
    def is_leader(self) -> bool:
        assignment = self._assignment
        return assignment is not None and self.member.member_id() == assignment.leader

    def leader_url(self) -> str | None:
        assignment = self._assignment
        return None if assignment is None else assignment.leader_url

    # -- rebalance listener (called by the member on the tick thread) -------------------------
    def on_assigned(self, assignment: ExtendedAssignment, generation: int) -> None:
        self.rebalance_metrics.started()
        with self._lock:
            self._assignment = assignment
            self._generation = generation
            self._scheduled_rebalance = (
                self._clock() + assignment.delay / 1000 if assignment.delay > 0 else float("inf")
            )
            self._rebalance_resolved = False
        log.info(
            "Joined group at generation %d (protocol version %d) as %s; leader %s; assigned "
            "connectors %s, tasks %s; revoked connectors %s, tasks %s; config offset %d%s%s",
            generation,
            self.member.current_protocol_version(),
            "leader" if self.is_leader() else "follower",
            assignment.leader_url,
            assignment.connectors,
            [str(t) for t in assignment.tasks],
            assignment.revoked_connectors,
            [str(t) for t in assignment.revoked_tasks],
            assignment.offset,
            f"; next rebalance in {assignment.delay} ms" if assignment.delay else "",
            "; ASSIGNMENT FAILED (config mismatch)" if assignment.failed() else "",
        )
        if self.is_leader():
            # Statuses of connectors and tasks deleted before this rebalance are removed now,
            # after their old owners had their chance to write UNASSIGNED.
            self._remove_deleted_statuses()
            try:
                self.configs.claim_write_privileges()
            except Exception:
                log.error("Unable to claim write privileges for the config topic", exc_info=True)
        self.member.wakeup()

    def on_revoked(
        self, leader: str | None, connectors: Collection[str], tasks: Collection[ConnectorTaskId]
    ) -> None:
        self.rebalance_metrics.started()
        cooperative = self.member.current_protocol_version() >= CONNECT_PROTOCOL_V1
        if not (self._rebalance_resolved or cooperative):
            log.info("Wasn't able to resume work after last rebalance; nothing to stop")
            return
        log.info("Stopping connectors %s and tasks %s revoked from this worker", connectors, tasks)
        # The UNASSIGNED states the stopped work reports are safe writes: checked against the
        # newest states, they are dropped where another worker has taken the work over (this
        # worker may have been expelled from the group while it stalled).
        try:
            self.status.refresh(STATUS_CATCH_UP)
        except TimeoutError:
            log.warning("Could not read the status topic to its end before stopping work")
        self._run_all(
            [partial(self.worker.stop_and_await_tasks, list(tasks))]
            + [partial(self.worker.stop_connector, c) for c in connectors]
        )
        with self._lock:
            gone_c, gone_t = set(connectors), set(tasks)
            self._running.connectors = [c for c in self._running.connectors if c not in gone_c]
            self._running.tasks = [t for t in self._running.tasks if t not in gone_t]
        if self.worker.config.get_boolean("topic.tracking.enable"):
            for name in {*connectors, *(t.connector for t in tasks)}:
                if not self._config_state.contains(name):
                    self.status.reset_topics(name)
        # Every state written so far must be stored before the work moves elsewhere, or a late
        # UNASSIGNED could land after the new owner's RUNNING.
        self.status.flush()
        log.info("Finished stopping revoked work")

    def on_poll_timeout_expiry(self) -> None:
        """Called on the heartbeat thread: only log."""
        log.warning(
            "The worker's poll timeout expired (rebalance.timeout.ms): the herder thread was "
            "busy for too long, so the worker leaves the group; its work is revoked when the "
            "herder thread returns, and it rejoins"
        )

    def _remove_deleted_statuses(self) -> None:
        snap = self.configs.snapshot()
        for connector in self.status.connectors():
            if not snap.contains(connector):
                log.debug("Cleaning status information for connector %s", connector)
                self.status.remove(connector)
                continue
            remaining = set(snap.tasks(connector))
            for number in self.status.tasks(connector):
                task = ConnectorTaskId(connector, number)
                if task not in remaining:
                    self.status.remove_task(task)

    # -- after a rebalance --------------------------------------------------------------------
    def handle_rebalance_completed(self) -> bool:
        """Catch up, start the assigned work, or ask to rejoin; False if work could not start."""
        if self._rebalance_resolved:
            return True
        assignment = self._assignment
        if assignment is None:
            return False
        needs_read = needs_rejoin = False
        if assignment.failed():
            needs_rejoin = True
            if self.is_leader():
                log.warning("Assignment failed and this worker leads: reading the config topic")
                needs_read = True
            elif self._config_state.offset < assignment.offset:
                log.warning("Assignment failed and this worker lags: reading the config topic")
                needs_read = True
            else:
                log.warning("Assignment failed; this worker was up to date, so just retrying")
        elif self._config_state.offset < assignment.offset:
            log.info("Catching up to the assignment's config offset %d", assignment.offset)
            needs_read = True

        if self._scheduled_rebalance <= self._clock():
            log.debug("The scheduled rebalance is due")
            needs_rejoin = True
            self._scheduled_rebalance = float("inf")

        if needs_read:
            if self._read_config_to_end(self.config.worker_sync_timeout):
                self._can_read_configs = True
            else:
                self._can_read_configs = False
                needs_rejoin = True
        if needs_rejoin:
            self.member.request_rejoin("the assignment needs another rebalance")
            return False
        if self._config_state.offset != assignment.offset:
            log.info(
                "Current config state offset %d does not match group assignment %d. Forcing "
                "rebalance.",
                self._config_state.offset,
                assignment.offset,
            )
            self.member.request_rejoin("config offset mismatch")
            return False

        self._start_work(assignment)
        self._rebalance_resolved = True
        self.rebalance_metrics.completed(
            Compatibility.from_version(self.member.current_protocol_version()).protocol,
            assignment.leader_url or "",
            self._generation,
            len(self._running.connectors),
            len(self._running.tasks),
        )
        if assignment.revoked_connectors or assignment.revoked_tasks:
            assignment.revoked_connectors = []
            assignment.revoked_tasks = []
            self.member.request_rejoin("work was revoked")
            return False
        return True

    def _read_config_to_end(self, timeout: float) -> bool:
        if self._refresh_config_snapshot(timeout):
            self._backoff_retries = BACKOFF_RETRIES
            return True
        # Leave so the group can rebalance without this worker, and back off before rejoining.
        self.member.maybe_leave_group("taking too long to read the config topic")
        self._backoff()
        return False

    def _refresh_config_snapshot(self, timeout: float) -> bool:
        try:
            self.configs.refresh(timeout)
        except TimeoutError:
            log.warning("Didn't reach the end of the config topic within %.1fs", timeout)
            self._can_read_configs = False
            return False
        self._config_state = self.configs.snapshot()
        log.info("Finished reading the config topic, at offset %d", self._config_state.offset)
        return True

    def _backoff(self) -> None:
        if self.is_eager():
            self._stopping.wait(self.config.worker_unsync_backoff)
            return
        if self._backoff_retries > 0:
            pause = self.config.scheduled_rebalance_max_delay / 10 / self._backoff_retries
            self._stopping.wait(max(pause, 0.1))
            self._backoff_retries -= 1
            return
        with self._lock:
            running = self._running.copy()
        log.info(
            "Revoking the running assignment %s: the worker could not catch up with the config "
            "topic after %d tries",
            running,
            BACKOFF_RETRIES,
        )
        self.member.revoke_assignment(running)
        self._backoff_retries = BACKOFF_RETRIES

    def _start_work(self, assignment: ExtendedAssignment) -> None:
        with self._lock:
            running_connectors = set(self._running.connectors)
            running_tasks = set(self._running.tasks) - self._tasks_to_restart
            self._tasks_to_restart.clear()
            connectors = [c for c in assignment.connectors if c not in running_connectors]
            tasks = [t for t in assignment.tasks if t not in running_tasks]
        log.info(
            "Starting connectors %s and tasks %s using config offset %d",
            connectors,
            tasks,
            assignment.offset,
        )
        # The tasks go as one action: Worker.start_tasks builds them all, then starts them
        # together, so that a connector's sink tasks form their consumer group at once.
        self._run_all(
            [partial(self.start_connector, c) for c in connectors]
            + ([partial(self.start_tasks, tasks)] if tasks else [])
        )
        with self._lock:
            self._running = ExtendedAssignment.empty() if self.is_eager() else assignment.copy()
        log.info("Finished starting connectors and tasks")

    def _run_all(self, actions: Sequence[Callable[[], object]]) -> None:
        """Run starts or stops in parallel, as Kafka does, and wait for all of them."""
        futures = [self._start_stop.submit(a) for a in actions]
        for future in futures:
            try:
                future.result()
            except Exception:
                log.exception("Error while starting or stopping work")

    def start_connector(self, name: str) -> bool:
        config = self._config_state.connector_configs.get(name)
        if config is None:
            log.warning("Not starting connector %s: it has no config at this offset", name)
            return False
        target = self._config_state.target_states.get(name, TargetState.STARTED)
        log.info("Starting connector %s", name)
        try:
            ok = self.worker.start_connector(
                name, config, self, target, self.request_task_reconfiguration
            )
        except Exception as e:
            log.exception("Couldn't start connector %s", name)
            self.on_connector_failure(name, f"{type(e).__name__}: {e}")
            return False
        if ok and target is TargetState.STARTED:
            self.after_connector_started(name)
        return ok

    def start_task(self, task: ConnectorTaskId) -> bool:
        return self.start_tasks([task])[0]

    def start_tasks(self, tasks: list[ConnectorTaskId]) -> list[bool]:
        """Start ``tasks`` together (see ``Worker.start_tasks``); whether each one started."""
        starts: list[TaskStart] = []
        for task in tasks:
            config = self._config_state.connector_configs.get(task.connector)
            task_config = self._config_state.task_config(task)
            if config is None or task_config is None:
                log.warning("Not starting task %s: it has no config at this offset", task)
                continue
            target = self._config_state.target_states.get(task.connector, TargetState.STARTED)
            log.info("Starting task %s", task)
            with self._lock:
                self._task_config_offsets[task] = self._config_state.offset
            starts.append(TaskStart(task, config, task_config, self, target, self.on_topic(task)))
        started = dict(zip([s.id for s in starts], self.worker.start_tasks(starts), strict=True))
        return [started.get(task, False) for task in tasks]

    @abc.abstractmethod
    def request_task_reconfiguration(self, name: str) -> None: ...

    # -- config store callbacks (store reader thread) -----------------------------------------
    def _needs_rebalance_at(self, offset: int) -> None:
        """Under the lock: a change read at ``offset`` needs the work reassigned."""
        self._needs_reconfig_rebalance = True
        self._reconfig_offset = max(self._reconfig_offset, offset)

    def on_connector_config_remove(self, connector: str) -> None:
        log.info("Connector %s config removed", connector)
        offset = self.configs.snapshot().offset
        with self._lock:
            if self._config_state.contains(connector):
                self._needs_rebalance_at(offset)
            else:
                self._connector_config_updates.add(connector)
        self.member.wakeup()

    def on_connector_config_update(self, connector: str) -> None:
        log.info("Connector %s config updated", connector)
        offset = self.configs.snapshot().offset
        with self._lock:
            if not self._config_state.contains(connector):
                self._needs_rebalance_at(offset)  # a new connector: work to assign
            else:
                self._connector_config_updates.add(connector)
        self.member.wakeup()

    def on_task_config_update(self, tasks: Collection[ConnectorTaskId]) -> None:
        log.info("Tasks %s configs updated", [str(t) for t in tasks])
        offset = self.configs.snapshot().offset
        with self._lock:
            self._needs_rebalance_at(offset)
            self._task_config_updates.update(tasks)
            for connector in {t.connector for t in tasks}:
                self._task_update_offsets[connector] = offset
        self.member.wakeup()

    def on_connector_target_state_change(self, connector: str) -> None:
        log.info("Connector %s target state change", connector)
        with self._lock:
            self._target_state_changes.add(connector)
        self.member.wakeup()

    # -- applying config changes (tick thread) ------------------------------------------------
    def apply_config_updates(self) -> bool:
        """Apply what the config store reported; True if the tick must end for a rebalance."""
        with self._lock:
            if not (
                self._needs_reconfig_rebalance
                or self._connector_config_updates
                or self._target_state_changes
                or self._task_config_updates
            ):
                return False
            self._config_state = self.configs.snapshot()
            rebalance = self._needs_reconfig_rebalance
            assignment = self._assignment
            if (
                rebalance
                and assignment is not None
                and self._rebalance_resolved
                and not assignment.failed()
                and self._reconfig_offset <= assignment.offset
            ):
                # Read only after the rebalance that already assigned the work with it (the
                # leader had read it): another rebalance would only restart the same work.
                log.debug("The last rebalance covered the changes up to %d", self._reconfig_offset)
                rebalance = False
            if rebalance:
                log.debug("Requesting a rebalance for the reconfiguration of tasks")
                self.member.request_rejoin("connectors or tasks were reconfigured")
            self._needs_reconfig_rebalance = False
            eager = self.is_eager()
            if eager and rebalance:
                # The rebalance restarts everything anyway.
                self._connector_config_updates.clear()
                self._target_state_changes.clear()
                self._task_config_updates.clear()
                return True
            connectors, self._connector_config_updates = self._connector_config_updates, set()
            targets, self._target_state_changes = self._target_state_changes, set()
            self._task_config_updates = set()
            updated, self._task_update_offsets = self._task_update_offsets, {}
        if connectors:
            self._restart_reconfigured_connectors(connectors)
        if targets:
            self._apply_target_states(targets)
        if updated and not eager:
            self._replace_reconfigured_tasks(updated, restart_now=not rebalance)
        return rebalance

    def _restart_reconfigured_connectors(self, names: set[str]) -> None:
        assignment = self._assignment
        local = set(assignment.connectors) if assignment is not None else set()
        restart = []
        for name in sorted(names & local):
            remains = self._config_state.contains(name)
            log.info(
                "Handling connector-only config update by %s connector %s",
                "restarting" if remains else "stopping",
                name,
            )
            self.worker.stop_connector(name)
            if remains:
                restart.append(partial(self.start_connector, name))
        self._run_all(restart)

    def _apply_target_states(self, names: set[str]) -> None:
        for name in sorted(names):
            target = self._config_state.target_state(name)
            if target is None:
                log.debug("Received target state change for unknown connector: %s", name)
                continue
            self.worker.set_target_state(name, target)
            # Config changes made while paused take effect on resume.
            if target is TargetState.STARTED and name in self.worker.connectors:
                self.request_task_reconfiguration(name)

    def _replace_reconfigured_tasks(self, updated: dict[str, int], restart_now: bool) -> None:
        """Stop this worker's tasks that run an older config than ``updated`` (connector ->
        offset of its new task configs); restart them after the coming rebalance, or at once
        when no rebalance is coming."""
        assignment = self._assignment
        local = assignment.tasks if assignment is not None else []
        with self._lock:
            stale = [
                t
                for t in local
                if t.connector in updated
                and self._task_config_offsets.get(t, -1) < updated[t.connector]
            ]
        if not stale:
            return
        self.worker.stop_and_await_tasks(stale)
        if restart_now:
            log.info("Restarting tasks %s with their new configs", [str(t) for t in stale])
            self._run_all([partial(self.start_tasks, stale)])
            return
        log.info(
            "Stopping tasks %s for new task configs; they restart after the rebalance if still "
            "assigned here",
            [str(t) for t in stale],
        )
        with self._lock:
            self._tasks_to_restart.update(stale)
