"""A worker's membership in the Connect group (Kafka Connect's ``WorkerGroupMember`` and
``WorkerCoordinator``).

The herder's tick thread drives everything through :class:`WorkerGroupMember`: ``ensure_active``
joins when needed, ``poll`` keeps the membership alive between ticks, and the rebalance listener
hears what the group decided, on that same thread. Only :meth:`WorkerGroupMember.wakeup` comes
from other threads (REST requests, config updates, shutdown), and
:meth:`WorkerRebalanceListener.on_poll_timeout_expiry` is called from the heartbeat thread.

What a member tells the group (its JoinGroup metadata) is its REST URL, the config topic offset of
the snapshot it holds, and, under the cooperative subprotocols, what it runs now. Under ``eager``
(``default``) every rebalance revokes all work first; under ``compatible`` and ``sessioned`` the
member keeps running what the leader does not explicitly revoke.

Zombie protection. A worker that is no longer a member must not keep running work the group hands
to someone else. The member revokes everything it runs (``on_revoked`` with its whole current
assignment, the kept cooperative work included, even under a failed assignment) and drops its
assignment, so it rejoins declaring nothing, when :mod:`sluice.kafka.group_coordinator` reports
that membership may be lost:

* a heartbeat (or JoinGroup / SyncGroup) was answered UNKNOWN_MEMBER_ID or ILLEGAL_GENERATION
  for a generation it held: it was expelled;
* no heartbeat succeeded for longer than ``session.timeout.ms`` while it was in a stable group:
  it stalled (GC, SIGSTOP, an overloaded host) or is cut off, and the broker has expired it or
  is about to; this needs no answer from the broker;
* the coordinator was unknown and could not be found within ``heartbeat.interval.ms`` (Kafka
  Connect's rule);
* the heartbeat thread left the group because the tick thread did not poll within
  ``rebalance.timeout.ms``.

Limits. The revocation runs on the tick thread, at its next ``ensure_active``/``poll`` (at once
if it was waiting in one): tasks run on their own threads and keep going until the herder stops
them, so a process that resumes after a stall writes for that long, and a tick thread that is
itself stuck revokes only when it returns. While a JoinGroup is outstanding a silent coordinator
is noticed only when that request times out (``rebalance.timeout.ms`` + 5 s). The session
rule fires just after the broker's own expiry (it counts from the last answer, the broker from
the last request), so the new owner may start before the old one has finished stopping; a
heartbeat whose answer was lost can instead make a member revoke
although the broker still counts it, and the work restarts needlessly. Only transactional
fencing (exactly-once source support) stops a zombie's writes at the broker.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from sluice.api import ConfigError
from sluice.kafka.group_coordinator import (
    JOIN_GROUP_TIMEOUT_LAPSE,
    ClientSettingError,
    GroupCoordinator,
    GroupTimeouts,
    WakeupError,
    build_kafka_client,
    kafka_client_config,
)
from sluice.runtime.distributed.assignor import ConnectAssignor, LeaderState
from sluice.runtime.distributed.config import SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT
from sluice.runtime.distributed.protocol import (
    Compatibility,
    ExtendedAssignment,
    ExtendedWorkerState,
    deserialize_assignment,
    metadata_request,
)
from sluice.storage.config import ClusterConfigState, ConfigBackingStore
from sluice.storage.states import ConnectorTaskId

__all__ = [
    "PROTOCOL_TYPE",
    "GroupMemberSettings",
    "WakeupError",
    "WorkerCoordinator",
    "WorkerGroupMember",
    "WorkerRebalanceListener",
    "group_member_settings",
    "keep_unrevoked",
]

log = logging.getLogger(__name__)

PROTOCOL_TYPE: Final = "connect"

_CLIENT_KEYS: Final = frozenset(
    {
        "bootstrap.servers",
        "client.id",
        "metadata.max.age.ms",
        "request.timeout.ms",
        "retry.backoff.ms",
        "reconnect.backoff.ms",
        "reconnect.backoff.max.ms",
        "connections.max.idle.ms",
        "send.buffer.bytes",
        "receive.buffer.bytes",
        "security.protocol",
        "sluice.jaas.config.file",  # a JAAS file's KafkaClient section (sluice.kafka.security)
    }
)
_CLIENT_PREFIXES: Final = ("ssl.", "sasl.")


class WorkerRebalanceListener(Protocol):
    """What the herder hears from the group (Kafka Connect's ``WorkerRebalanceListener``)."""

    def on_assigned(self, assignment: ExtendedAssignment, generation: int) -> None:
        """A join completed (tick thread). Under the cooperative subprotocols ``assignment``
        already includes the work kept from before; it may be a failed assignment
        (``assignment.failed()``), which the herder answers by catching up and rejoining."""
        ...

    def on_revoked(
        self, leader: str | None, connectors: Collection[str], tasks: Collection[ConnectorTaskId]
    ) -> None:
        """Stop this work before the group hands it elsewhere (tick thread): all of it at the
        start of an eager rebalance or when membership is lost, the revoked part otherwise."""
        ...

    def on_poll_timeout_expiry(self) -> None:
        """The tick thread did not poll within ``rebalance.timeout.ms``; the member leaves the
        group. Called on the heartbeat thread while it holds the network client's locks: log,
        do not block, do not call the member (``wakeup`` aside). The work is revoked on the tick
        thread when it polls again."""
        ...


@dataclass(frozen=True)
class GroupMemberSettings:
    """The group member's settings; durations in seconds.

    ``client`` holds the Kafka client settings under Kafka's names (``bootstrap.servers``,
    ``client.id``, ``request.timeout.ms``, ``security.protocol``, ``ssl.*``, ``sasl.*``...).
    """

    group_id: str
    session_timeout: float = 10.0
    heartbeat_interval: float = 3.0
    rebalance_timeout: float = 60.0
    scheduled_rebalance_max_delay: float = 0.0
    retry_backoff: float = 0.1
    client: Mapping[str, Any] = field(default_factory=dict)

    def timeouts(self) -> GroupTimeouts:
        return GroupTimeouts(
            session_timeout=self.session_timeout,
            heartbeat_interval=self.heartbeat_interval,
            rebalance_timeout=self.rebalance_timeout,
            retry_backoff=self.retry_backoff,
        )


def _seconds(props: Mapping[str, Any], key: str, default_ms: int) -> float:
    value = props.get(key)
    if value is None or value == "":
        return default_ms / 1000
    try:
        ms = int(str(value).strip())
    except ValueError:
        raise ConfigError.invalid(key, value, "Not a number of milliseconds") from None
    if ms < 0:
        raise ConfigError.invalid(key, value, "Value must be at least 0")
    return ms / 1000


def group_member_settings(props: Mapping[str, Any]) -> GroupMemberSettings:
    """The member's settings from a distributed worker's settings (Kafka's key names; values as
    strings from a properties file or already parsed). Missing keys take Kafka Connect's
    defaults, except ``scheduled.rebalance.max.delay.ms``, which takes sluice's (0)."""
    group_id = str(props.get("group.id") or "").strip()
    if not group_id:
        raise ConfigError(
            'Missing required configuration "group.id" which has no default value.', "group.id"
        )
    session = _seconds(props, "session.timeout.ms", 10000)
    heartbeat = _seconds(props, "heartbeat.interval.ms", 3000)
    if heartbeat >= session:
        raise ConfigError.invalid(
            "heartbeat.interval.ms",
            props.get("heartbeat.interval.ms"),
            "must be lower than session.timeout.ms",
        )
    client = {k: v for k, v in props.items() if k in _CLIENT_KEYS or k.startswith(_CLIENT_PREFIXES)}
    try:
        kafka_client_config(client)  # fail at start-up, naming the key
    except ClientSettingError as e:
        raise ConfigError(str(e), e.key) from e
    return GroupMemberSettings(
        group_id=group_id,
        session_timeout=session,
        heartbeat_interval=heartbeat,
        rebalance_timeout=_seconds(props, "rebalance.timeout.ms", 60000),
        scheduled_rebalance_max_delay=_seconds(
            props, "scheduled.rebalance.max.delay.ms", SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT
        ),
        retry_backoff=_seconds(props, "retry.backoff.ms", 100),
        client=client,
    )


def keep_unrevoked(previous: ExtendedAssignment, new: ExtendedAssignment) -> ExtendedAssignment:
    """The cooperative member's view after a join: ``new`` plus whatever of ``previous`` the
    leader did not revoke (the leader sends only additions and revocations)."""
    merged = new.copy()
    revoked_connectors = set(new.revoked_connectors)
    revoked_tasks = set(new.revoked_tasks)
    present_connectors = set(merged.connectors)
    present_tasks = set(merged.tasks)
    for connector in previous.connectors:
        if connector not in revoked_connectors and connector not in present_connectors:
            merged.connectors.append(connector)
            present_connectors.add(connector)
    for task in previous.tasks:
        if task not in revoked_tasks and task not in present_tasks:
            merged.tasks.append(task)
            present_tasks.add(task)
    return merged


def _has_work(assignment: ExtendedAssignment | None) -> bool:
    return assignment is not None and bool(assignment.connectors or assignment.tasks)


class WorkerCoordinator:
    """The Connect side of the group protocol (Java's ``WorkerCoordinator``): metadata, the
    leader's assignor, what to revoke and keep, and the context the assignors read.

    All methods run on the member's owner (tick) thread, except
    :meth:`on_poll_timeout_expiry` (heartbeat thread)."""

    def __init__(
        self,
        rest_url: str,
        config_store: ConfigBackingStore,
        listener: WorkerRebalanceListener,
        compatibility: Compatibility,
        eager_assignor: ConnectAssignor,
        incremental_assignor: ConnectAssignor,
    ) -> None:
        self.rest_url = rest_url
        self.config_store = config_store
        self.listener = listener
        self.compatibility = compatibility
        self.current = compatibility
        """The subprotocol the group agreed on in the last join (the configured one before)."""
        self.assignment: ExtendedAssignment | None = None
        """What this member runs as far as the group is concerned; None when it must join."""
        self.rejoin_requested = False
        self.group: GroupCoordinator | None = None
        self._eager = eager_assignor
        self._incremental = incremental_assignor
        self._config_snapshot: ClusterConfigState | None = None
        self._leader_state: LeaderState | None = None
        self._last_completed_generation = -1

    # -- GroupHandler --------------------------------------------------------------------------
    def protocol_type(self) -> str:
        return PROTOCOL_TYPE

    def group_protocols(self) -> list[tuple[str, bytes]]:
        snapshot = self.config_store.snapshot()
        self._config_snapshot = snapshot
        state = ExtendedWorkerState(self.rest_url, snapshot.offset, self.assignment)
        return metadata_request(state, self.compatibility)

    def on_join_prepare(self, generation: int, member_id: str) -> None:
        log.info("Rebalance started")
        self._leader_state = None
        assignment = self.assignment
        if self.current is Compatibility.EAGER:
            log.debug("Revoking previous assignment %s", assignment)
            if assignment is not None and not assignment.failed():
                # Nothing runs from here on, so nothing is declared either.
                self.assignment = None
                self.listener.on_revoked(assignment.leader, assignment.connectors, assignment.tasks)
        else:
            log.debug("Cooperative rebalance: keeping %s until it is revoked", assignment)

    def perform_assignment(
        self, leader_id: str, protocol: str, members: Sequence[tuple[str, bytes]]
    ) -> dict[str, bytes]:
        eager = Compatibility.from_protocol(protocol) is Compatibility.EAGER
        assignor = self._eager if eager else self._incremental
        return assignor.perform_assignment(leader_id, protocol, members, self)

    def on_join_complete(
        self, generation: int, member_id: str, protocol: str, assignment: bytes
    ) -> None:
        new = deserialize_assignment(assignment)
        log.debug("Deserialized new assignment: %s", new)
        self.current = Compatibility.from_protocol(protocol)
        self.rejoin_requested = False
        if self.current is not Compatibility.EAGER:
            if new.revoked_connectors or new.revoked_tasks:
                self.listener.on_revoked(new.leader, new.revoked_connectors, new.revoked_tasks)
            if self.assignment is not None:
                new = keep_unrevoked(self.assignment, new)
                log.debug("Augmented new assignment: %s", new)
        self.assignment = new
        self._last_completed_generation = generation
        self.listener.on_assigned(new, generation)

    def need_rejoin(self) -> bool:
        assignment = self.assignment
        return assignment is None or assignment.failed() or self.rejoin_requested

    def on_membership_lost(self, reason: str) -> None:
        assignment, self.assignment = self.assignment, None
        self._leader_state = None
        if assignment is None or not _has_work(assignment):
            log.info("Group membership may be lost (%s); nothing to revoke", reason)
            return
        log.warning(
            "Group membership may be lost (%s): revoking %s so this worker does not run them "
            "beside their new owners; rejoining",
            reason,
            assignment,
        )
        self.listener.on_revoked(assignment.leader, assignment.connectors, assignment.tasks)

    def on_poll_timeout_expiry(self) -> None:
        self.listener.on_poll_timeout_expiry()

    # -- AssignmentContext ---------------------------------------------------------------------
    def config_snapshot(self) -> ClusterConfigState:
        if self._config_snapshot is None:
            self._config_snapshot = self.config_store.snapshot()
        return self._config_snapshot

    def config_fresh_snapshot(self) -> ClusterConfigState:
        return self.config_store.snapshot()

    def set_config_snapshot(self, snapshot: ClusterConfigState) -> None:
        self._config_snapshot = snapshot

    def set_leader_state(self, state: LeaderState) -> None:
        self._leader_state = state

    def last_completed_generation_id(self) -> int:
        return self._last_completed_generation

    def generation_id(self) -> int:
        return -1 if self.group is None else self.group.generation_id()

    def member_id(self) -> str:
        stable = None if self.group is None else self.group.generation_if_stable()
        return "" if stable is None else stable[1]

    # -- for the herder ------------------------------------------------------------------------
    def is_leader(self) -> bool:
        assignment = self.assignment
        return assignment is not None and self.member_id() == assignment.leader

    def owner_url(self, target: str | ConnectorTaskId) -> str | None:
        pending = self.group.rejoin_needed() if self.group is not None else self.need_rejoin()
        if pending or not self.is_leader() or self._leader_state is None:
            return None
        return self._leader_state.owner_url(target)


def _default_assignors(
    max_delay: float, clock: Callable[[], float]
) -> tuple[ConnectAssignor, ConnectAssignor]:
    from sluice.runtime.distributed.eager_assignor import EagerAssignor
    from sluice.runtime.distributed.incremental_assignor import IncrementalCooperativeAssignor

    return EagerAssignor(), IncrementalCooperativeAssignor(max_delay, clock)


class WorkerGroupMember:
    """This worker in the Connect group; the herder's only door to group membership.

    Threads: one owner thread (the herder's tick thread) calls every method except
    :meth:`wakeup`, which any thread may call. The listener is called on the owner thread
    (inside :meth:`ensure_active` / :meth:`poll`), except ``on_poll_timeout_expiry``.

    Construction contacts the brokers to learn their API versions and raises
    :class:`~sluice.kafka.group_coordinator.GroupMembershipError` if none answers within
    ``request.timeout.ms``.
    """

    def __init__(
        self,
        settings: GroupMemberSettings,
        rest_url: str,
        config_store: ConfigBackingStore,
        listener: WorkerRebalanceListener,
        compatibility: Compatibility,
        *,
        eager_assignor: ConnectAssignor | None = None,
        incremental_assignor: ConnectAssignor | None = None,
        clock: Callable[[], float] = time.monotonic,
        client: Any = None,
    ) -> None:
        """``clock`` (monotonic seconds) is shared with the default incremental assignor's
        delays; ``client`` replaces the kafka-python ``KafkaClient`` built from
        ``settings.client`` (tests)."""
        if eager_assignor is None or incremental_assignor is None:
            default_eager, default_incremental = _default_assignors(
                settings.scheduled_rebalance_max_delay, clock
            )
            eager_assignor = eager_assignor or default_eager
            incremental_assignor = incremental_assignor or default_incremental
        self.settings = settings
        self._coordinator = WorkerCoordinator(
            rest_url, config_store, listener, compatibility, eager_assignor, incremental_assignor
        )
        if client is None:
            config = kafka_client_config(
                settings.client,
                join_request_timeout=settings.rebalance_timeout + JOIN_GROUP_TIMEOUT_LAPSE,
            )
            client = build_kafka_client(config)
        try:
            self._group = GroupCoordinator(
                settings.group_id, settings.timeouts(), self._coordinator, client, clock
            )
        except BaseException:
            client.close()
            raise
        self._coordinator.group = self._group
        self._stopped = False
        log.debug("Connect group member created for group %s", settings.group_id)

    # -- owner thread --------------------------------------------------------------------------
    def ensure_active(self) -> None:
        """Make sure this worker is an active member: find the coordinator and join if the
        assignment is missing or failed, a rejoin was requested, or the group is rebalancing.

        Blocks as long as a join takes (up to about ``rebalance.timeout.ms`` when others are
        slow to rejoin). Raises :class:`WakeupError` if :meth:`wakeup` was called before or
        during the call; an interrupted join resumes at the next call."""
        self._group.poll(0.0)

    def poll(self, timeout: float) -> None:
        """Keep the membership alive and wait for group activity for up to ``timeout`` seconds.

        Returns when the time is up or right after a rebalance completed (the listener was
        called); raises :class:`WakeupError` if :meth:`wakeup` was called before or during the
        call. Joins inside the call when the group rebalances."""
        if timeout < 0:
            raise ValueError("timeout must not be negative")
        self._group.poll(timeout)

    def request_rejoin(self, reason: str) -> None:
        """Join again at the next :meth:`ensure_active` or :meth:`poll`."""
        log.debug("Request joining group due to: %s", reason)
        self._coordinator.rejoin_requested = True

    def maybe_leave_group(self, reason: str) -> None:
        """Leave the group now (if a member) so it rebalances without waiting for the session
        timeout. The assignment is not revoked here: the herder decides what to stop."""
        self._group.leave_group(reason)

    def stop(self) -> None:
        """Leave the group and release the network client and heartbeat thread; idempotent."""
        if self._stopped:
            return
        self._stopped = True
        log.debug("Stopping the Connect group member")
        self._group.close()

    def revoke_assignment(self, assignment: ExtendedAssignment) -> None:
        """Tell the listener to stop ``assignment``'s work (the herder gave up catching up)."""
        self._coordinator.listener.on_revoked(
            assignment.leader, assignment.connectors, assignment.tasks
        )

    # -- any thread ----------------------------------------------------------------------------
    def wakeup(self) -> None:
        """Interrupt the owner's current or next :meth:`poll` / :meth:`ensure_active`, which
        then raises :class:`WakeupError`. Thread-safe; a wakeup is consumed by one raise."""
        self._group.wakeup()

    # -- state ---------------------------------------------------------------------------------
    def member_id(self) -> str:
        """This member's id while the group is stable, else ``""``."""
        return self._coordinator.member_id()

    def generation_id(self) -> int:
        """The latest generation this member knows of (-1 if none)."""
        return self._coordinator.generation_id()

    def last_completed_generation_id(self) -> int:
        """The generation of the last completed join (-1 before the first)."""
        return self._coordinator.last_completed_generation_id()

    def current_protocol_version(self) -> int:
        """The Connect protocol version the group agreed on (the configured one before the first
        join): 0 eager, 1 compatible, 2 sessioned."""
        return self._coordinator.current.version

    def assignment(self) -> ExtendedAssignment | None:
        """What the group believes this member runs (None while it must join)."""
        return self._coordinator.assignment

    def owner_url(self, target: str | ConnectorTaskId) -> str | None:
        """The REST URL of the worker running a connector or task, known to the leader only
        (None on other members, or while a rebalance is pending)."""
        return self._coordinator.owner_url(target)
