"""The distributed herder: one worker of a Connect cluster coordinated through Kafka.

One tick thread owns the herder's state, as in Kafka's ``DistributedHerder``: it keeps the worker
in the group (:mod:`.member`), reacts to assignments by starting and stopping connectors and
tasks, serves queued requests (:mod:`.requests`) and applies what the config store reports. Only
the leader writes connector and task configs; a write sent to a follower raises
:class:`~sluice.runtime.herder.NotLeaderError` and the REST layer forwards it to the leader. Reads
are served from the stores directly, so a read never waits behind a rebalance.

Rebalance handling (assignments, revocations, catching up with the config topic) lives in
:mod:`.rebalance`; this module holds the loop and the requests.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sluice.api import AlreadyExistsError, ConfigError, ConnectError, NotFoundError
from sluice.runtime.distributed.config import DistributedConfig
from sluice.runtime.distributed.leader_client import LeaderClient, LeaderRequestError
from sluice.runtime.distributed.member import WakeupError
from sluice.runtime.distributed.protocol import CONNECT_PROTOCOL_V0, CONNECT_PROTOCOL_V2
from sluice.runtime.distributed.rebalance import GroupMember, RebalanceHandling
from sluice.runtime.distributed.request_signing import generate_key, verify
from sluice.runtime.distributed.requests import RequestQueue
from sluice.runtime.herder import (
    BadRequestError,
    ConflictError,
    InternalRequestSignature,
    NotAssignedError,
    NotLeaderError,
    RebalanceNeededError,
)
from sluice.runtime.loggers import Loggers
from sluice.runtime.offsets_admin import NOT_STOPPED
from sluice.runtime.status import ConnectorInfo, ConnectorStateInfo
from sluice.runtime.validation import validate_or_raise
from sluice.runtime.worker import Worker
from sluice.storage.config import ConfigBackingStore, SessionKey
from sluice.storage.states import ConnectorTaskId, RestartRequest, State, TargetState
from sluice.storage.status import StatusBackingStore

__all__ = ["DistributedHerder"]

log = logging.getLogger(__name__)

T = TypeVar("T")

REQUEST_TIMEOUT = 90.0
"""Kafka's ``RestServer.DEFAULT_REST_REQUEST_TIMEOUT_MS``."""
RECONFIGURE_BACKOFF_INITIAL = 0.25
RECONFIGURE_BACKOFF_MAX = 60.0
MAX_TICK_WAIT = 1.0
"""The tick thread wakes at least this often, so nothing waits on a missed wakeup for long."""

MemberFactory = Callable[["DistributedHerder"], GroupMember]


class DistributedHerder(RebalanceHandling):
    """Kafka Connect's ``DistributedHerder`` for one sluice worker."""

    def __init__(
        self,
        config: DistributedConfig,
        worker: Worker,
        configs: ConfigBackingStore,
        status: StatusBackingStore,
        member_factory: MemberFactory,
        kafka_cluster_id: str | None = None,
        loggers: Loggers | None = None,
        leader_client: LeaderClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(worker, configs, status, kafka_cluster_id, loggers)
        self.config = config
        self._clock = clock
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self.failure: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._leader_client = leader_client or LeaderClient()
        self._forwarder = concurrent.futures.ThreadPoolExecutor(1, "herder-forward")
        self._signature_algorithm = str(config.get_string("inter.worker.signature.algorithm"))
        self._verification_algorithms = config.get_list("inter.worker.verification.algorithms")
        self._key_algorithm = str(config.get_string("inter.worker.key.generation.algorithm"))
        key_size = config.get("inter.worker.key.size")
        self._key_size: int | None = None if key_size is None else int(key_size)
        self._session_key: SessionKey | None = None
        self._key_expiration = float("inf")  # wall-clock milliseconds
        self._pending_restarts: dict[str, RestartRequest] = {}
        self.member: GroupMember = member_factory(self)
        self._requests = RequestQueue(self.member.wakeup, clock)

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Read the internal topics and start the tick thread; joining happens there."""
        self.configs.set_update_listener(self)
        self.status.start()
        self.configs.start()
        self.worker.start()
        self._thread = threading.Thread(
            target=self._run, name=f"DistributedHerder-{self.worker_id()}", daemon=True
        )
        self._thread.start()
        log.info("Herder started")

    def stop(self) -> None:
        log.info("Herder stopping")
        self._stopping.set()
        self.member.wakeup()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(self.config.graceful_shutdown_timeout + REQUEST_TIMEOUT)
            if thread.is_alive():
                log.error("The herder thread did not stop in time")
        log.info("Herder stopped")

    def ready(self) -> bool:
        return self._ready.is_set() and self.failure is None

    def wait_ready(self, timeout: float) -> bool:
        """Block until the worker has joined the group and started its work (or failed)."""
        deadline = self._clock() + timeout
        while not self._ready.wait(0.1):
            if self.failure is not None or self._clock() > deadline:
                return False
        return self.failure is None

    def generation(self) -> int:
        return self._generation

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                self._tick()
                if self._rebalance_resolved and not self._ready.is_set():
                    self._ready.set()
                    log.info("Worker %s joined the Connect cluster", self.worker_id())
        except BaseException as e:
            self.failure = e
            log.error("Uncaught exception in the herder thread, stopping the worker", exc_info=e)
        finally:
            self._halt()

    def _halt(self) -> None:
        self._requests.cancel_all(ConflictError("The worker is stopping"))
        try:
            self.worker.stop()
            self.status.flush()
        except Exception:
            log.exception("Error while stopping connectors and tasks")
        for step in (self.member.stop, self.configs.stop, self.status.stop):
            try:
                step()
            except Exception:
                log.exception("Error while stopping %s", step)
        self._forwarder.shutdown(wait=False, cancel_futures=True)
        self._leader_client.close()
        self._start_stop.shutdown(wait=False)

    # -- the tick loop ------------------------------------------------------------------------
    def _tick(self) -> None:
        if not self._can_read_configs:
            if self._read_config_to_end(self.config.worker_sync_timeout):
                self._can_read_configs = True
            else:
                return
        try:
            self.member.ensure_active()
            if not self.handle_rebalance_completed():
                return
        except WakeupError:
            return

        if self._check_for_key_rotation():
            key = generate_key(self._key_algorithm, self._key_size)
            self._key_expiration = float("inf")
            try:
                self._write_as_leader(lambda: self.configs.put_session_key(key))
            except Exception:
                log.info(
                    "Failed to write a new session key to the config topic; reading to the end "
                    "of the config topic before possibly retrying",
                    exc_info=True,
                )
                self._can_read_configs = False
                return

        while (request := self._requests.pop_due()) is not None:
            request.run()
        self._process_restart_requests()

        now = self._clock()
        wake_at = self._requests.next_due()
        if self._scheduled_rebalance < float("inf"):
            wake_at = min(wake_at or self._scheduled_rebalance, self._scheduled_rebalance)
            self._rebalance_resolved = False
        if self.is_leader() and self._signing_enabled() and self._key_expiration < float("inf"):
            key_due = now + max(0.0, (self._key_expiration - time.time() * 1000) / 1000)
            wake_at = key_due if wake_at is None else min(wake_at, key_due)

        if self.apply_config_updates():
            return

        timeout = MAX_TICK_WAIT if wake_at is None else max(0.0, wake_at - self._clock())
        try:
            self.member.poll(min(timeout, MAX_TICK_WAIT))
            self.handle_rebalance_completed()
        except WakeupError:
            pass

    def _signing_enabled(self) -> bool:
        return self.member.current_protocol_version() >= CONNECT_PROTOCOL_V2

    def _check_for_key_rotation(self) -> bool:
        with self._lock:
            snap_key = self._config_state.session_key
            if self._session_key is None and snap_key is not None:
                self._session_key = snap_key
                self._key_expiration = snap_key.creation_timestamp + self.config.key_ttl * 1000
            key, expiration = self._session_key, self._key_expiration
        if not (self._signing_enabled() and self.is_leader()):
            return False
        if key is None:
            log.debug("No session key has been distributed yet; distributing one now")
            return True
        if expiration <= time.time() * 1000:
            log.debug("The session key expired; distributing a new one")
            return True
        return key.algorithm.lower() != self._key_algorithm.lower()

    # -- requests -----------------------------------------------------------------------------
    def _call(self, action: Callable[[], T]) -> T:
        """Run ``action`` on the tick thread and return its result (Kafka's 90 s limit)."""
        if threading.current_thread() is self._thread:
            return action()
        if self._stopping.is_set():
            raise ConflictError("The worker is stopping")
        future = self._requests.add(action)
        try:
            return future.result(REQUEST_TIMEOUT)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise ConnectError("Request timed out") from None

    def _check_rebalance_needed(self) -> None:
        if self._needs_reconfig_rebalance:
            raise RebalanceNeededError(
                "Request cannot be completed because a rebalance is expected"
            )

    def _require_leader(self, what: str) -> None:
        if not self.is_leader():
            raise NotLeaderError(what, self.leader_url())

    # -- connector configs --------------------------------------------------------------------
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

        def write() -> tuple[bool, ConnectorInfo]:
            self._require_leader("Only the leader can set connector configs.")
            exists = self.configs.contains(name)
            if exists and not allow_replace:
                raise AlreadyExistsError(f"Connector {name} already exists")
            self._write_as_leader(
                lambda: self.configs.put_connector_config(name, config, initial_state)
            )
            tasks = self.configs.snapshot().tasks(name)
            return not exists, ConnectorInfo(name, config, tasks, self.connector_type(config))

        return self._call(write)

    def patch_connector_config(self, name: str, patch: Mapping[str, str | None]) -> ConnectorInfo:
        self._call(lambda: self._require_leader("Only the leader can set connector configs."))
        merged = dict(self._require(name))
        for k, v in patch.items():
            if v is None:
                merged.pop(k, None)
            else:
                merged[k] = v
        return self.put_connector_config(name, merged, allow_replace=True)[1]

    def delete_connector_config(self, name: str) -> None:
        def delete() -> None:
            self._require_leader("Only the leader can delete connector configs.")
            if not self.configs.contains(name):
                raise NotFoundError(f"Connector {name} not found")
            self._write_as_leader(lambda: self.configs.remove_connector_config(name))

        self._call(delete)

    def validate_connector_config(self, config: Mapping[str, str]) -> dict[str, Any]:
        result = super().validate_connector_config(config)
        group = self.config.group_id
        try:
            sink = self.worker.is_sink(config)
        except Exception:
            return result
        if not sink:
            return result
        override = config.get("consumer.override.group.id")
        if override is not None:
            if override == group:
                _add_error(
                    result,
                    "consumer.override.group.id",
                    override,
                    f"Consumer group {override} conflicts with Connect worker group {group}",
                )
        elif f"connect-{config.get('name', '')}" == group:
            _add_error(
                result,
                "name",
                config.get("name"),
                f"Consumer group for sink connector named {config.get('name')} conflicts with "
                f"Connect worker group {group}",
            )
        return result

    # -- target states ------------------------------------------------------------------------
    def pause_connector(self, name: str) -> None:
        if not self.configs.contains(name):
            raise NotFoundError(f"Unknown connector {name}")
        self.configs.put_target_state(name, TargetState.PAUSED)

    def resume_connector(self, name: str) -> None:
        if not self.configs.contains(name):
            raise NotFoundError(f"Unknown connector {name}")
        self.configs.put_target_state(name, TargetState.STARTED)

    def stop_connector(self, name: str) -> None:
        def stop() -> None:
            if not self.configs.contains(name):
                raise NotFoundError(f"Unknown connector {name}")
            self._require_leader("Only the leader can transition connectors to the STOPPED state.")
            # Task configs first: a RUNNING connector with no tasks is a healthier half-way
            # state than a STOPPED one that still has tasks.
            self.write_task_configs(name, [])
            self.configs.put_target_state(name, TargetState.STOPPED)
            if not self._refresh_config_snapshot(self.config.worker_sync_timeout):
                log.warning(
                    "Failed to read to the end of the config topic after stopping connector %s",
                    name,
                )

        self._call(stop)

    # -- restarts -----------------------------------------------------------------------------
    def restart_connector(self, name: str) -> None:
        def restart() -> None:
            self._check_rebalance_needed()
            if not self._config_state.contains(name):
                raise NotFoundError(f"Unknown connector: {name}")
            assignment = self._assignment
            if assignment is not None and name in assignment.connectors:
                self.worker.stop_connector(name)
                self.start_connector(name)
            elif self.is_leader():
                raise NotAssignedError(
                    "Cannot restart connector since it is not assigned to this member",
                    self.member.owner_url(name),
                )
            else:
                raise NotLeaderError(
                    "Only the leader can process restart requests.", self.leader_url()
                )

        self._call(restart)

    def restart_task(self, task: ConnectorTaskId) -> None:
        def restart() -> None:
            self._check_rebalance_needed()
            if not self._config_state.contains(task.connector):
                raise NotFoundError(f"Unknown connector: {task.connector}")
            if self._config_state.task_config(task) is None:
                raise NotFoundError(f"Unknown task: {task}")
            assignment = self._assignment
            if assignment is not None and task in assignment.tasks:
                self.worker.stop_and_await_tasks([task])
                if not self.start_task(task):
                    raise ConnectError(f"Failed to start task: {task}")
            elif self.is_leader():
                raise NotAssignedError(
                    "Cannot restart task since it is not assigned to this member",
                    self.member.owner_url(task),
                )
            else:
                raise NotLeaderError(
                    "Cannot restart task since it is not assigned to this member",
                    self.leader_url(),
                )

        self._call(restart)

    def restart_connector_and_tasks(self, request: RestartRequest) -> ConnectorStateInfo:
        def restart() -> ConnectorStateInfo:
            self._check_rebalance_needed()
            if not self._config_state.contains(request.connector):
                raise NotFoundError(f"Unknown connector: {request.connector}")
            self._require_leader("Only the leader can process restart requests.")
            self.configs.put_restart_request(request)
            plan = self.restart_plan(request)
            if plan is None:
                raise NotFoundError(f"Status for connector {request.connector} not found")
            return plan.status

        return self._call(restart)

    def on_restart_request(self, request: RestartRequest) -> None:
        log.info("Received and enqueuing %s", request)
        with self._lock:
            existing = self._pending_restarts.get(request.connector)
            if existing is None or request.impact() > existing.impact():
                self._pending_restarts[request.connector] = request
        self.member.wakeup()

    def _process_restart_requests(self) -> None:
        with self._lock:
            requests, self._pending_restarts = list(self._pending_restarts.values()), {}
        for request in requests:
            try:
                self._restart_connector_and_tasks(request)
            except Exception:
                log.warning(
                    "Unexpected error while processing %s; it is skipped", request, exc_info=True
                )

    def _restart_connector_and_tasks(self, request: RestartRequest) -> None:
        plan = self.restart_plan(request)
        if plan is None:
            log.debug("Skipping %s: the connector has no status", request)
            return
        assignment = self._assignment
        if assignment is None:
            return
        log.info("Executing %s", plan)
        tasks = [t for t in plan.task_ids if t in assignment.tasks]
        restart_connector = plan.restart_connector and request.connector in assignment.connectors
        if restart_connector:
            self.worker.stop_connector(request.connector)
            self._put_connector(request.connector, State.RESTARTING)
        if tasks:
            self.worker.stop_and_await_tasks(tasks)
            for task in tasks:
                self._put_task(task, State.RESTARTING)
        if restart_connector:
            self.start_connector(request.connector)
        for task in tasks:
            if not self.start_task(task):
                log.error("Task %s restart failed", task)
        log.info("Completed %s", plan)

    # -- offsets ------------------------------------------------------------------------------
    def _offsets_checks(self, name: str) -> dict[str, str]:
        self._check_rebalance_needed()
        self._require_leader("Only the leader can process external offsets modification requests")
        if not self._refresh_config_snapshot(self.config.worker_sync_timeout):
            raise ConnectError(
                "Failed to read to end of config topic before modifying connector offsets"
            )
        snap = self._config_state
        if not snap.contains(name):
            raise NotFoundError(f"Connector {name} not found")
        if snap.target_state(name) is not TargetState.STOPPED or snap.task_count(name) != 0:
            raise BadRequestError(NOT_STOPPED.format(name=name))
        return snap.connector_configs[name]

    def alter_connector_offsets(self, name: str, offsets: list[dict[str, Any]]) -> str:
        return self._call(lambda: self.offsets.alter(name, self._offsets_checks(name), offsets))

    def reset_connector_offsets(self, name: str) -> str:
        return self._call(lambda: self.offsets.reset(name, self._offsets_checks(name)))

    # -- cluster-wide settings and internal requests -------------------------------------------
    def set_cluster_logger_level(self, namespace: str, level: str) -> None:
        self.configs.put_logger_level(namespace, level)

    def on_logging_level_update(self, namespace: str, level: str) -> None:
        log.info("Setting level of namespace %s and children to %s", namespace, level)
        self.loggers.set_level(namespace, level)

    def on_session_key_update(self, key: SessionKey) -> None:
        log.info("Session key updated")
        with self._lock:
            self._session_key = key
            if self.config.key_ttl > 0:
                self._key_expiration = key.creation_timestamp + self.config.key_ttl * 1000

    def put_task_configs(
        self,
        name: str,
        configs: list[dict[str, str]],
        signature: InternalRequestSignature | None,
    ) -> None:
        if self._signing_enabled():
            verify(signature, self._session_key, self._verification_algorithms)

        def write() -> None:
            self._require_leader("Only the leader may write task configurations.")
            if not self.configs.contains(name):
                raise NotFoundError(f"Connector {name} not found")
            self.write_task_configs(name, configs)

        self._call(write)

    def fence_zombie_source_tasks(
        self, name: str, signature: InternalRequestSignature | None
    ) -> None:
        if self._signing_enabled():
            verify(signature, self._session_key, self._verification_algorithms)
        raise BadRequestError(
            "Exactly-once source support is not enabled on this cluster "
            "(exactly.once.source.support=disabled); there are no zombies to fence"
        )

    # -- task reconfiguration -----------------------------------------------------------------
    def request_task_reconfiguration(self, name: str) -> None:
        """A connector asked for new task configs (from any thread)."""
        self._requests.add(lambda: self._reconfigure_with_retry(name, 0, self._clock()))

    def after_connector_started(self, name: str) -> None:
        self.request_task_reconfiguration(name)

    def _reconfigure_with_retry(self, name: str, attempt: int, first_try: float) -> None:
        def retry(error: BaseException) -> None:
            if (
                isinstance(error, LeaderRequestError)
                and error.status == 403
                and self._clock() - first_try < 60
            ):
                log.debug("Task configs of %s refused, maybe for an expired session key", name)
            else:
                log.error(
                    "Failed to reconfigure the tasks of connector %s; retrying",
                    name,
                    exc_info=error,
                )
            delay = min(RECONFIGURE_BACKOFF_MAX, RECONFIGURE_BACKOFF_INITIAL * 2**attempt)
            self._requests.add(
                lambda: self._reconfigure_with_retry(name, attempt + 1, first_try), delay
            )

        try:
            pending = self._reconfigure_connector(name)
        except Exception as e:
            retry(e)
            return
        if pending is not None:
            pending.add_done_callback(
                lambda f: retry(f.exception()) if f.exception() is not None else None  # type: ignore[arg-type]
            )

    def _reconfigure_connector(self, name: str) -> concurrent.futures.Future[None] | None:
        """Ask the connector for task configs and store them if they changed; a follower hands
        them to the leader (the returned future tracks that)."""
        running = self.worker.connectors.get(name)
        if running is None or not running.started:
            log.info("Skipping reconfiguration of connector %s since it is not running", name)
            return None
        if self._config_state.target_state(name) is not TargetState.STARTED:
            return None
        config = self._config_state.connector_configs[name]
        try:
            task_configs = self.worker.connector_task_configs(name, config)
        except (ConfigError, ConnectError, Exception) as e:
            running.fail(e)  # the connector's own fault: FAILED, not retried
            return None
        snap = self.configs.snapshot()
        if name not in snap.inconsistent and snap.task_configs.get(name) == task_configs:
            return None
        if self.is_leader():
            self.write_task_configs(name, task_configs)
            return None
        leader = self.leader_url()
        key = self._session_key if self._signing_enabled() else None

        def post() -> None:
            if not leader:
                raise LeaderRequestError(
                    "Request to leader to reconfigure connector tasks failed because the URL of "
                    "the leader's REST interface is empty",
                    None,
                )
            self._leader_client.put_task_configs(
                leader, name, task_configs, key, self._signature_algorithm
            )

        return self._forwarder.submit(post)

    def write_task_configs(self, name: str, configs: list[dict[str, str]]) -> None:
        if configs and self.configs.snapshot().target_state(name) is TargetState.STOPPED:
            raise BadRequestError(
                f"Cannot submit non-empty set of task configs for stopped connector {name}"
            )
        self._write_as_leader(lambda: self.configs.put_task_configs(name, configs))

    def _write_as_leader(self, write: Callable[[], None]) -> None:
        write()

    def is_eager(self) -> bool:
        return self.member.current_protocol_version() == CONNECT_PROTOCOL_V0


def _add_error(result: dict[str, Any], key: str, value: Any, message: str) -> None:
    """Add one error to a ``ConfigInfos`` report, on the entry of ``key``."""
    for entry in result.get("configs", []):
        info = entry.get("value")
        if info is not None and info.get("name") == key:
            info.setdefault("errors", []).append(message)
            break
    else:
        result.setdefault("configs", []).append(
            {
                "definition": None,
                "value": {
                    "name": key,
                    "value": value,
                    "recommended_values": [],
                    "errors": [message],
                    "visible": True,
                },
            }
        )
    result["error_count"] = int(result.get("error_count", 0)) + 1
