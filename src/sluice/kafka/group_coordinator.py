"""Membership of a Kafka consumer-protocol group, over kafka-python's ``BaseCoordinator``.

Kafka's group coordinator (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) is what Kafka Connect
workers use to find each other; librdkafka and aiokafka only speak protocol type ``consumer``, so
this layer drives kafka-python 2.3's port of Kafka's ``AbstractCoordinator`` instead. Nothing here
knows about Connect: a :class:`GroupHandler` supplies the protocol type, the metadata, the leader's
assignment and the reactions to joins and losses.

Threads. One *owner* thread calls :meth:`GroupCoordinator.poll` (and everything else except
:meth:`~GroupCoordinator.wakeup`); kafka-python's heartbeat thread shares the network client
with it. ``KafkaClient.poll`` holds the client lock while it waits, which stops the heartbeat
thread from sending, so no single wait here lasts longer than the time to the next heartbeat
(and never more than :data:`MAX_BLOCK`). Handler methods run on the owner thread, except
:meth:`GroupHandler.on_poll_timeout_expiry`, which runs on the heartbeat thread because the owner
thread is, by definition, stuck elsewhere.

Membership loss. A member can stop being one without being told in time: its process stalled
past the session timeout, or it is cut off from the coordinator. The handler hears
:meth:`GroupHandler.on_membership_lost` (on the owner thread, before the next join starts, before
any JoinGroup metadata is built and before a join completes) when any of these happens, at most
once per joined generation:

* the coordinator answers a heartbeat, JoinGroup or SyncGroup with UNKNOWN_MEMBER_ID or
  ILLEGAL_GENERATION for a generation this member held (it was expelled);
* no heartbeat succeeded for longer than the session timeout while the member was stable (the
  broker, counting from the last heartbeat it received, has expired it by then; this needs no
  answer from the broker, so it also covers a silent network partition);
* the coordinator is unknown and cannot be found within the discovery timeout (Kafka Connect's
  rule; by default the heartbeat interval);
* the heartbeat thread left the group because the owner thread did not poll within the max poll
  interval.

After a loss the member rejoins. Leaving on purpose (:meth:`GroupCoordinator.leave_group`,
:meth:`~GroupCoordinator.close`) is not a loss.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from kafka import errors as kafka_errors
from kafka.client_async import KafkaClient
from kafka.coordinator.base import BaseCoordinator, MemberState
from kafka.protocol.group import DEFAULT_GENERATION_ID, UNKNOWN_MEMBER_ID, JoinGroupRequest

from sluice.kafka.security import SecurityConfigError, kafka_python_security

__all__ = [
    "JOIN_GROUP_TIMEOUT_LAPSE",
    "MAX_BLOCK",
    "ClientSettingError",
    "GroupCoordinator",
    "GroupHandler",
    "GroupMembershipError",
    "GroupTimeouts",
    "WakeupError",
    "build_kafka_client",
    "kafka_client_config",
]

log = logging.getLogger(__name__)

MAX_BLOCK: Final = 0.5
"""Longest single wait on the network, in seconds. A wakeup normally ends a wait at once; this
bounds the rare case where the heartbeat thread swallows the wakeup byte first."""

STEP: Final = 0.1
"""Longest blocking call into kafka-python while finding the coordinator or joining, in seconds:
the wakeup latency in those phases."""

STEP_ASIDE: Final = 0.01
"""How long the owner thread stays off the network client while a heartbeat is due."""

JOIN_GROUP_TIMEOUT_LAPSE: Final = 5.0
"""A JoinGroup may be held by the broker for the whole rebalance timeout; like Java's
``AbstractCoordinator`` we give that one request this much longer, and every other request the
ordinary ``request.timeout.ms``."""

LEAVE_GROUP_WAIT: Final = 5.0
"""How long :meth:`GroupCoordinator.leave_group` waits for the broker to acknowledge."""

_CLIENT_IDS = itertools.count(1)


class WakeupError(Exception):
    """:meth:`GroupCoordinator.poll` was interrupted by :meth:`GroupCoordinator.wakeup`."""


class GroupMembershipError(Exception):
    """The group cannot be joined as configured (authorization, an inconsistent protocol, no
    broker reachable at start-up...); retrying the same call will not help."""


class ClientSettingError(ValueError):
    """A client setting kafka-python cannot honour; ``key`` names it."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class GroupTimeouts:
    """The group's timing, in seconds. ``rebalance_timeout`` doubles as the max poll interval,
    as in Kafka Connect: an owner thread that does not poll for that long leaves the group."""

    session_timeout: float
    heartbeat_interval: float
    rebalance_timeout: float
    retry_backoff: float = 0.1
    coordinator_discovery_timeout: float | None = None
    """How long an unknown coordinator may stay unfound before it counts as a membership loss;
    ``None`` means the heartbeat interval, as Kafka Connect does."""

    @property
    def discovery_timeout(self) -> float:
        if self.coordinator_discovery_timeout is None:
            return self.heartbeat_interval
        return self.coordinator_discovery_timeout


class GroupHandler(Protocol):
    """What a group member does at each step of the protocol (Kafka's ``AbstractCoordinator``
    hooks). All methods run on the owner thread except :meth:`on_poll_timeout_expiry`."""

    def protocol_type(self) -> str:
        """``consumer``, ``connect``..."""
        ...

    def group_protocols(self) -> Sequence[tuple[str, bytes]]:
        """``(subprotocol, metadata)`` for JoinGroup, most preferred first; asked before every
        JoinGroup so the metadata is current."""
        ...

    def on_join_prepare(self, generation: int, member_id: str) -> None:
        """A (re)join starts; ``generation`` is the last one held (-1 if none)."""
        ...

    def perform_assignment(
        self, leader_id: str, protocol: str, members: Sequence[tuple[str, bytes]]
    ) -> Mapping[str, bytes]:
        """As leader: every member's assignment from ``(member_id, metadata)`` pairs."""
        ...

    def on_join_complete(
        self, generation: int, member_id: str, protocol: str, assignment: bytes
    ) -> None:
        """The member joined ``generation`` and received ``assignment``."""
        ...

    def need_rejoin(self) -> bool:
        """Reasons of the handler's own to join again (checked on every poll)."""
        ...

    def on_membership_lost(self, reason: str) -> None:
        """The member may no longer be in the group (see the module docstring)."""
        ...

    def on_poll_timeout_expiry(self) -> None:
        """Heartbeat thread, holding the client's locks: the owner did not poll within the max
        poll interval, and the member is about to leave the group. Must not block."""
        ...


# -- client settings --------------------------------------------------------------------------

_MS_SETTINGS: Final = {
    "request.timeout.ms": "request_timeout_ms",
    "metadata.max.age.ms": "metadata_max_age_ms",
    "retry.backoff.ms": "retry_backoff_ms",
    "reconnect.backoff.ms": "reconnect_backoff_ms",
    "reconnect.backoff.max.ms": "reconnect_backoff_max_ms",
    "connections.max.idle.ms": "connections_max_idle_ms",
}
_BUFFER_SETTINGS: Final = {
    "send.buffer.bytes": "send_buffer_bytes",
    "receive.buffer.bytes": "receive_buffer_bytes",
}
_CLIENT_DEFAULTS: Final[Mapping[str, int]] = {
    # Kafka Connect's DistributedConfig defaults, where kafka-python's differ.
    "request_timeout_ms": 40000,
    "reconnect_backoff_max_ms": 1000,
}


def _setting_ms(key: str, value: Any) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ClientSettingError(f"{key} must be an integer, got {value!r}", key) from None
    if number < 0:
        raise ClientSettingError(f"{key} must not be negative, got {number}", key)
    return number


def _bootstrap(value: Any) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value)
    servers = [str(s).strip() for s in items if str(s).strip()]
    if not servers:
        raise ClientSettingError("bootstrap.servers is empty", "bootstrap.servers")
    return servers


def kafka_client_config(
    props: Mapping[str, Any], *, join_request_timeout: float | None = None
) -> dict[str, Any]:
    """kafka-python ``KafkaClient`` keyword arguments from Kafka's client setting names.

    Reads ``bootstrap.servers``, ``client.id``, the ``*.ms`` timeouts and back-offs, socket
    buffers, ``security.protocol`` and the SSL (JKS, PKCS12 or PEM stores) and SASL (PLAIN,
    SCRAM) settings, translated by :mod:`sluice.kafka.security`; other keys are ignored. Values
    may be strings, as read from a properties file.
    ``join_request_timeout`` (seconds) is the JoinGroup request's own timeout; when given, it is
    kept above ``request.timeout.ms`` and returned as ``join_request_timeout_ms`` for
    :func:`build_kafka_client`.
    """
    out: dict[str, Any] = dict(_CLIENT_DEFAULTS)
    out["bootstrap_servers"] = _bootstrap(props.get("bootstrap.servers") or "localhost:9092")
    client_id = str(props.get("client.id") or "").strip()
    out["client_id"] = client_id or f"connect-{next(_CLIENT_IDS)}"
    for key, target in _MS_SETTINGS.items():
        if props.get(key) not in (None, ""):
            out[target] = _setting_ms(key, props[key])
    for key, target in _BUFFER_SETTINGS.items():
        if props.get(key) not in (None, ""):
            size = int(str(props[key]).strip())
            out[target] = None if size < 0 else size  # -1: the OS default, as in Java
    try:
        out.update(kafka_python_security(props))
    except SecurityConfigError as e:
        raise ClientSettingError(str(e), e.key or "security.protocol") from None
    # The client waits this long for the first broker to answer, to learn its API versions.
    out["api_version_auto_timeout_ms"] = out["request_timeout_ms"]
    if join_request_timeout is not None:
        out["join_request_timeout_ms"] = max(
            int(join_request_timeout * 1000), out["request_timeout_ms"]
        )
    return out


class _GroupClient(KafkaClient):  # type: ignore[misc]
    """A ``KafkaClient`` that gives JoinGroup its own, longer timeout.

    The broker may hold a JoinGroup for the whole rebalance timeout; every other request keeps
    ``request.timeout.ms``, so a silent coordinator is noticed as quickly as usual."""

    def __init__(self, join_request_timeout_ms: int | None, **configs: Any) -> None:
        self._join_request_timeout_ms = join_request_timeout_ms
        super().__init__(**configs)

    def send(
        self,
        node_id: Any,
        request: Any,
        wakeup: bool = True,
        request_timeout_ms: int | None = None,
    ) -> Any:
        if (
            request_timeout_ms is None
            and self._join_request_timeout_ms is not None
            and getattr(request, "API_KEY", None) == JoinGroupRequest[0].API_KEY
        ):
            request_timeout_ms = self._join_request_timeout_ms
        return super().send(node_id, request, wakeup=wakeup, request_timeout_ms=request_timeout_ms)


def build_kafka_client(config: Mapping[str, Any]) -> Any:
    """A connected ``KafkaClient`` from :func:`kafka_client_config`'s output.

    Contacts a broker to learn its API versions (for up to ``request_timeout_ms``); raises
    :class:`GroupMembershipError` if none answers.
    """
    kwargs = dict(config)
    join_timeout = kwargs.pop("join_request_timeout_ms", None)
    try:
        return _GroupClient(join_timeout, **kwargs)
    except kafka_errors.KafkaError as e:
        raise GroupMembershipError(
            f"no Kafka broker answered at {','.join(kwargs['bootstrap_servers'])}: {e!r}"
        ) from e


# -- the coordinator ----------------------------------------------------------------------------


class _LossLatch:
    """The pending membership loss: noted from any thread, taken by the owner thread, at most
    once per joined generation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: str | None = None
        self._noted = False

    def note(self, reason: str) -> bool:
        with self._lock:
            if self._noted:
                return False
            self._noted = True
            self._pending = reason
            return True

    def take(self) -> str | None:
        with self._lock:
            reason, self._pending = self._pending, None
            return reason

    def rearm(self) -> None:
        """A join completed: the next loss is news again."""
        with self._lock:
            self._noted = False
            self._pending = None


class _KafkaGroupCoordinator(BaseCoordinator):  # type: ignore[misc]
    """kafka-python's hooks, forwarded to the owning :class:`GroupCoordinator`."""

    def __init__(self, owner: GroupCoordinator, client: Any, **configs: Any) -> None:
        super().__init__(client, **configs)
        self._owner = owner
        self._leaving_on_purpose = False

    def protocol_type(self) -> str:
        return self._owner.handler.protocol_type()

    def group_protocols(self) -> list[tuple[str, bytes]]:
        # Asked for every JoinGroup, on the owner thread: a loss noted since must reach the
        # handler first, or the metadata would still claim the work it is about to give up.
        self._owner.deliver_loss()
        return list(self._owner.handler.group_protocols())

    def _on_join_prepare(
        self, generation: int, member_id: str, timeout_ms: int | None = None
    ) -> None:
        self._owner.deliver_loss()
        self._owner.handler.on_join_prepare(generation, member_id)

    def _perform_assignment(
        self, leader_id: str, protocol: str, members: Sequence[Any]
    ) -> dict[str, bytes]:
        pairs = [(m.member_id, bytes(m.metadata_bytes)) for m in members]
        return dict(self._owner.handler.perform_assignment(leader_id, protocol, pairs))

    def _on_join_complete(
        self, generation: int, member_id: str, protocol: str, member_assignment_bytes: bytes
    ) -> None:
        # A loss delivered here also plans another join (deliver_loss requests it), so the
        # group hears what this member really runs.
        self._owner.deliver_loss()
        self._owner.loss.rearm()
        self._owner.joins += 1
        self._owner.handler.on_join_complete(
            generation, member_id, protocol, bytes(member_assignment_bytes)
        )

    def need_rejoin(self) -> bool:
        return bool(self.rejoin_needed) or self._owner.handler.need_rejoin()

    def reset_generation(self, member_id: str = UNKNOWN_MEMBER_ID) -> None:
        generation = self._generation
        if generation.generation_id != DEFAULT_GENERATION_ID and not self._leaving_on_purpose:
            self._owner.note_loss(
                f"the coordinator no longer knows generation {generation.generation_id} of "
                f"member {generation.member_id}"
            )
        super().reset_generation(member_id)

    def coordinator_dead(self, error: Any) -> None:
        # The heartbeat thread declares the coordinator dead when the session expired without a
        # successful heartbeat; rediscovery then resets the session clock, so note it now.
        if (
            self.coordinator_id is not None
            and self.state is MemberState.STABLE
            and self.heartbeat.session_timeout_expired()
        ):
            self._owner.note_loss(self._owner.session_expired_reason())
        super().coordinator_dead(error)

    def maybe_leave_group(self, timeout_ms: int | None = None) -> None:
        heartbeat_thread = self._heartbeat_thread
        if heartbeat_thread is not None and threading.current_thread() is heartbeat_thread:
            # Only the heartbeat thread's poll-timeout check leaves from that thread.
            log.warning(
                "Group %s: not polled for longer than the max poll interval (%.1fs); leaving "
                "the group",
                self.group_id,
                self.config["max_poll_interval_ms"] / 1000,
            )
            try:
                self._owner.handler.on_poll_timeout_expiry()
            except Exception:
                log.exception("on_poll_timeout_expiry failed")
            super().maybe_leave_group(timeout_ms=timeout_ms)
            return
        self._leaving_on_purpose = True
        try:
            super().maybe_leave_group(timeout_ms=timeout_ms)
        finally:
            self._leaving_on_purpose = False


class GroupCoordinator:
    """One member of a Kafka group, driven by its owner thread through :meth:`poll`.

    ``client`` is a kafka-python ``KafkaClient`` (see :func:`build_kafka_client`), owned and
    closed by this object from then on.
    """

    def __init__(
        self,
        group_id: str,
        timeouts: GroupTimeouts,
        handler: GroupHandler,
        client: Any,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if timeouts.heartbeat_interval >= timeouts.session_timeout:
            raise ValueError("the heartbeat interval must be shorter than the session timeout")
        self.handler = handler
        self.timeouts = timeouts
        self.loss = _LossLatch()
        self.joins = 0
        """Completed joins so far; tells a finished join from an unchanged group."""
        self._clock = clock
        self._client = client
        self._woken = threading.Event()
        self._closed = False
        self._inner = _KafkaGroupCoordinator(
            self,
            client,
            group_id=group_id,
            session_timeout_ms=int(timeouts.session_timeout * 1000),
            heartbeat_interval_ms=int(timeouts.heartbeat_interval * 1000),
            max_poll_interval_ms=int(timeouts.rebalance_timeout * 1000),
            retry_backoff_ms=int(timeouts.retry_backoff * 1000),
            api_version=client.config["api_version"],
        )

    @property
    def group_id(self) -> str:
        return str(self._inner.group_id)

    # -- any thread ----------------------------------------------------------------------------
    def wakeup(self) -> None:
        """Make the owner's current or next :meth:`poll` raise :class:`WakeupError` promptly.

        Safe from any thread; a wakeup stays pending until a poll consumes it."""
        self._woken.set()
        if not self._closed:
            try:
                self._client.wakeup()
            except Exception:  # the byte is only a nudge; the flag is what counts
                log.debug("KafkaClient.wakeup failed", exc_info=True)

    def request_rejoin(self) -> None:
        """Join again at the next :meth:`poll`."""
        self._inner.request_rejoin()

    def note_loss(self, reason: str) -> None:
        """Record a membership loss for the owner thread to deliver (any thread)."""
        if self.loss.note(reason):
            log.info("Group %s: membership may be lost: %s", self.group_id, reason)
            self._client.wakeup()

    def session_expired_reason(self) -> str:
        return (
            f"no successful heartbeat for longer than the session timeout "
            f"({self.timeouts.session_timeout:.1f}s)"
        )

    # -- state (any thread; a snapshot) --------------------------------------------------------
    def generation_if_stable(self) -> tuple[int, str] | None:
        """``(generation id, member id)`` while the member is in a stable group, else None."""
        generation = self._inner.generation_if_stable()
        if generation is None:
            return None
        return int(generation.generation_id), str(generation.member_id)

    def generation_id(self) -> int:
        """The generation this member last knew of, stable or not (-1 if none)."""
        return int(self._inner._generation.generation_id)

    def coordinator_unknown(self) -> bool:
        return bool(self._inner.coordinator_unknown())

    def rejoin_needed(self) -> bool:
        return bool(self._inner.need_rejoin())

    # -- owner thread --------------------------------------------------------------------------
    def poll(self, timeout: float) -> bool:
        """Keep the membership alive for up to ``timeout`` seconds; True if a join completed.

        Each pass finds the coordinator if it is unknown (a loss if that takes longer than the
        discovery timeout), joins if a join is needed (waiting as long as the join takes),
        reports liveness to the heartbeat thread and waits for network activity. Returns when
        ``timeout`` has passed or right after a join completed (the handler has heard
        ``on_join_complete``); ``poll(0)`` does one pass, joining if needed. Raises
        :class:`WakeupError` when :meth:`wakeup` was called before or during the call; a join
        interrupted that way resumes at the next call.
        """
        if timeout < 0:
            raise ValueError("timeout must not be negative")
        deadline = self._clock() + timeout
        while True:
            self._raise_if_woken()
            self._check_heartbeat_thread()
            self._check_session()
            if self._inner.coordinator_unknown() and not self._find_coordinator():
                self.note_loss(
                    "the group coordinator could not be found within "
                    f"{self.timeouts.discovery_timeout:.1f}s"
                )
            self.deliver_loss()
            if self._inner.need_rejoin() and self._join():
                self._inner.poll_heartbeat()
                return True
            self._inner.poll_heartbeat()
            remaining = max(0.0, deadline - self._clock())
            self._io(remaining)
            if self._clock() >= deadline:
                return False

    def leave_group(self, reason: str) -> None:
        """Send LeaveGroup (if a member) so the group rebalances now rather than after the
        session timeout; the next :meth:`poll` joins again as a new member."""
        log.info("Group %s: leaving the group: %s", self.group_id, reason)
        self._inner.maybe_leave_group(timeout_ms=int(LEAVE_GROUP_WAIT * 1000))

    def close(self) -> None:
        """Stop heartbeating, leave the group and close the network client."""
        if self._closed:
            return
        try:
            self._stop_heartbeat_thread()
            self.leave_group("closing")
        finally:
            self._closed = True
            self._client.close()

    def deliver_loss(self) -> None:
        """Owner thread: hand a noted loss to the handler and plan a rejoin."""
        reason = self.loss.take()
        if reason is not None:
            self._inner.request_rejoin()
            self.handler.on_membership_lost(reason)

    # -- internals -----------------------------------------------------------------------------
    def _raise_if_woken(self) -> None:
        if self._woken.is_set():
            self._woken.clear()
            raise WakeupError()

    def _io(self, timeout: float) -> None:
        """Wait for network activity (or a wakeup) for up to ``timeout`` seconds.

        While the member is stable the heartbeat thread needs the client lock on schedule, so
        the wait ends by the next heartbeat; when that heartbeat is due, the owner only does a
        non-blocking poll and steps aside briefly. No wait exceeds :data:`MAX_BLOCK`.
        """
        wait = min(timeout, MAX_BLOCK)
        if self._woken.is_set():
            wait = 0.0
        if self._inner.state is MemberState.STABLE:
            to_heartbeat = float(self._inner.time_to_next_heartbeat())
            if to_heartbeat < STEP_ASIDE and wait > 0:
                self._client.poll(timeout_ms=0)
                self._woken.wait(min(wait, STEP_ASIDE))
                return
            wait = min(wait, to_heartbeat)
        self._client.poll(timeout_ms=max(0, int(wait * 1000)))

    def _stop_heartbeat_thread(self) -> None:
        """Stop the heartbeat thread before leaving, so no heartbeat follows the LeaveGroup.

        kafka-python's own ``close`` notifies the thread once; if the thread was about to wait
        for its next heartbeat, it misses that and the close lasts a heartbeat interval (or
        forever, if the thread was disabled). So notify until it is gone."""
        inner = self._inner
        thread = inner._heartbeat_thread
        if thread is None:
            return
        deadline = self._clock() + self.timeouts.heartbeat_interval + 1.0
        while True:
            with inner._lock:
                thread.closed = True
                inner._lock.notify_all()
            thread.join(STEP_ASIDE)
            if not thread.is_alive():
                break
            if self._clock() >= deadline:
                log.warning("Group %s: the heartbeat thread did not stop", self.group_id)
                break
        inner._heartbeat_thread = None

    def _check_session(self) -> None:
        inner = self._inner
        if inner.state is MemberState.STABLE and inner.heartbeat.session_timeout_expired():
            self.note_loss(self.session_expired_reason())

    def _check_heartbeat_thread(self) -> None:
        try:
            self._inner.poll_heartbeat()
        except Exception as e:
            # The thread is gone; a new one starts with the next join, so join again.
            log.error("Group %s: heartbeat thread failed: %r; rejoining", self.group_id, e)
            self._inner.request_rejoin()

    def _slice_ms(self, limit: float) -> int:
        """How long one blocking kafka-python call may run: a wakeup is noticed between calls,
        and the heartbeat thread must get the client lock on time."""
        wait = min(limit, STEP)
        if self._inner.state is MemberState.STABLE:
            wait = min(wait, float(self._inner.time_to_next_heartbeat()))
        return max(0, int(wait * 1000))

    def _pause_if_instant(self, started: float) -> None:
        """A kafka-python call that returned at once made no progress; do not spin on it."""
        if self._clock() - started < 0.001:
            self._woken.wait(STEP_ASIDE)

    def _find_coordinator(self) -> bool:
        """Look the coordinator up for up to the discovery timeout; False if it stayed unknown."""
        deadline = self._clock() + self.timeouts.discovery_timeout
        while True:
            started = self._clock()
            try:
                if self._inner.ensure_coordinator_ready(
                    timeout_ms=self._slice_ms(deadline - started)
                ):
                    return True
            except kafka_errors.KafkaError as e:
                raise GroupMembershipError(f"cannot find the group coordinator: {e!r}") from e
            self._raise_if_woken()
            if self._clock() >= deadline:
                return False
            self._pause_if_instant(started)

    def _join(self) -> bool:
        """Join (or finish joining) the group; True once a join completed, False if no join
        turned out to be needed. Waits as long as the join takes, wakeups aside."""
        joins = self.joins
        unknown_since: float | None = None
        while True:
            started = self._clock()
            try:
                self._inner.ensure_active_group(timeout_ms=self._slice_ms(STEP))
            except kafka_errors.KafkaError as e:
                raise GroupMembershipError(f"cannot join group {self.group_id}: {e!r}") from e
            if self.joins != joins:
                return True
            if not self._inner.need_rejoin():
                return False
            now = self._clock()
            if self._inner.coordinator_unknown():
                unknown_since = now if unknown_since is None else unknown_since
                if now - unknown_since > self.timeouts.discovery_timeout:
                    self.note_loss(
                        "the group coordinator could not be found within "
                        f"{self.timeouts.discovery_timeout:.1f}s while joining"
                    )
            else:
                unknown_since = None
            self._raise_if_woken()
            self.deliver_loss()
            self._pause_if_instant(started)
