"""The generic group layer without a broker: client settings, the JoinGroup timeout, wakeups, and
when a membership counts as lost (with kafka-python's coordinator over a fake network client)."""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from kafka.client_async import KafkaClient
from kafka.coordinator.base import Generation, MemberState
from kafka.future import Future
from kafka.protocol.group import HeartbeatRequest, JoinGroupRequest

from sluice.kafka.group_coordinator import (
    ClientSettingError,
    GroupCoordinator,
    GroupMembershipError,
    GroupTimeouts,
    WakeupError,
    _GroupClient,
    build_kafka_client,
    kafka_client_config,
)
from tests.unit.kafka.pki import PASSWORD, make_unit_pki

# -- client settings ------------------------------------------------------------------------


def test_kafka_names_become_kafka_python_arguments() -> None:
    config = kafka_client_config(
        {
            "bootstrap.servers": " a:9092, b:9093 ",
            "client.id": "worker-1",
            "request.timeout.ms": "30000",
            "metadata.max.age.ms": 1000,
            "retry.backoff.ms": "250",
            "reconnect.backoff.ms": "20",
            "receive.buffer.bytes": "-1",
            "send.buffer.bytes": "131072",
            "group.id": "not a client setting",
        },
        join_request_timeout=65.0,
    )
    assert config["bootstrap_servers"] == ["a:9092", "b:9093"]
    assert config["client_id"] == "worker-1"
    assert config["request_timeout_ms"] == 30000
    assert config["metadata_max_age_ms"] == 1000
    assert config["retry_backoff_ms"] == 250
    assert config["reconnect_backoff_ms"] == 20
    assert config["receive_buffer_bytes"] is None  # -1: the OS default
    assert config["send_buffer_bytes"] == 131072
    assert config["join_request_timeout_ms"] == 65000
    assert config["security_protocol"] == "PLAINTEXT"
    assert "group_id" not in config


def test_defaults_are_kafka_connects() -> None:
    config = kafka_client_config({"bootstrap.servers": ["h:1"]}, join_request_timeout=10.0)
    assert config["bootstrap_servers"] == ["h:1"]
    assert config["request_timeout_ms"] == 40000
    assert config["reconnect_backoff_max_ms"] == 1000
    assert config["client_id"].startswith("connect-")
    # JoinGroup never gets less than the ordinary request timeout.
    assert config["join_request_timeout_ms"] == 40000


def test_ssl_reads_java_stores_or_librdkafka_pem_files(tmp_path: Path) -> None:
    pki = make_unit_pki(tmp_path)
    java = kafka_client_config(
        {
            "security.protocol": "ssl",
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(pki.ca_pem),
            "ssl.keystore.type": "PKCS12",
            "ssl.keystore.location": str(pki.keystore_p12),
            "ssl.keystore.password": PASSWORD,
            "ssl.endpoint.identification.algorithm": "",
        }
    )
    assert java["security_protocol"] == "SSL"
    # The stores' PEM, in private files; the key encrypted with a password held in memory.
    for key in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
        assert os.stat(java[key]).st_mode & 0o777 == 0o600
    assert Path(java["ssl_cafile"]).read_text() == pki.ca_pem.read_text()
    assert b"ENCRYPTED" in Path(java["ssl_keyfile"]).read_bytes()
    assert java["ssl_password"] not in (PASSWORD, "")
    assert java["ssl_check_hostname"] is False
    rdkafka = kafka_client_config(
        {
            "security.protocol": "SSL",
            "ssl.ca.location": "/ca.pem",
            "ssl.certificate.location": "/c.pem",
            "ssl.key.location": "/k.pem",
        }
    )
    assert (rdkafka["ssl_cafile"], rdkafka["ssl_certfile"], rdkafka["ssl_keyfile"]) == (
        "/ca.pem",
        "/c.pem",
        "/k.pem",
    )


def test_a_trust_store_that_does_not_open_is_refused_naming_its_key() -> None:
    with pytest.raises(ClientSettingError) as e:
        kafka_client_config({"security.protocol": "SSL", "ssl.truststore.location": "/t.jks"})
    assert e.value.key == "ssl.truststore.location"


def test_sasl_credentials_come_from_the_jaas_line() -> None:
    jaas = (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        'username="connect" password="p\\"w;d";'
    )
    config = kafka_client_config(
        {
            "security.protocol": "SASL_SSL",
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.jaas.config": jaas,
        }
    )
    assert config["sasl_mechanism"] == "SCRAM-SHA-512"
    assert config["sasl_plain_username"] == "connect"
    assert config["sasl_plain_password"] == 'p"w;d'


class Secret:
    """Like ``sluice.api.Password``: hidden by ``str``, revealed by ``value()``."""

    def __init__(self, text: str) -> None:
        self._text = text

    def value(self) -> str:
        return self._text

    def __str__(self) -> str:
        return "[hidden]"


def test_hidden_secrets_are_unwrapped() -> None:
    config = kafka_client_config(
        {
            "security.protocol": "SASL_SSL",
            "sasl.mechanism": "PLAIN",
            "sasl.jaas.config": Secret(
                'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" '
                'password="pw";'
            ),
            "ssl.ca.location": "/ca.pem",
            "ssl.key.password": Secret("kp"),
        }
    )
    assert (config["sasl_plain_password"], config["ssl_password"]) == ("pw", "kp")


@pytest.mark.parametrize(
    ("props", "key"),
    [
        (
            {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "OAUTHBEARER"},
            "sasl.mechanism",
        ),
        ({"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN"}, "sasl.jaas.config"),
        ({"security.protocol": "TLS"}, "security.protocol"),
        ({"request.timeout.ms": "soon"}, "request.timeout.ms"),
        ({"bootstrap.servers": " , "}, "bootstrap.servers"),
    ],
)
def test_settings_kafka_python_cannot_honour_are_refused(props: dict[str, str], key: str) -> None:
    with pytest.raises(ClientSettingError) as e:
        kafka_client_config(props)
    assert e.value.key == key


def test_only_join_group_gets_the_long_request_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[int | None] = []

    def send(
        self: Any, node_id: Any, request: Any, wakeup: bool = True, request_timeout_ms: Any = None
    ) -> None:
        sent.append(request_timeout_ms)

    monkeypatch.setattr(KafkaClient, "send", send)
    client = _GroupClient.__new__(_GroupClient)  # no sockets: only send() is exercised
    client._closed = True
    client._join_request_timeout_ms = 65000
    client.send(1, JoinGroupRequest[5]("g", 6000, 60000, "", None, "connect", []))
    client.send(1, HeartbeatRequest[3]("g", 1, "m", None))
    client.send(1, JoinGroupRequest[5]("g", 6000, 60000, "", None, "connect", []), True, 5)
    assert sent == [65000, None, 5]


def test_no_broker_at_construction_is_a_membership_error() -> None:
    config = kafka_client_config({"bootstrap.servers": "127.0.0.1:1", "request.timeout.ms": "300"})
    started = time.monotonic()
    with pytest.raises(GroupMembershipError, match="no Kafka broker answered"):
        build_kafka_client(config)
    assert time.monotonic() - started < 5


# -- the coordinator over a fake network ----------------------------------------------------


class FakeClient:
    """Enough of ``KafkaClient`` for a member that never finds its coordinator."""

    def __init__(self) -> None:
        self.config = {"api_version": (2, 6)}
        self._lock = threading.RLock()
        self.cluster = SimpleNamespace(request_update=Future)
        self.polls: list[Any] = []
        self.wakeups = 0
        self.closed = False

    def least_loaded_node(self) -> None:
        return None

    def poll(self, timeout_ms: Any = None, future: Any = None) -> list[Any]:
        self.polls.append(timeout_ms)
        return []

    def wakeup(self) -> None:
        self.wakeups += 1

    def close(self) -> None:
        self.closed = True


class Handler:
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.threads: set[str] = set()
        self.group: GroupCoordinator | None = None
        self.wake_on_loss = False

    def _record(self, kind: str, data: Any = None) -> None:
        self.events.append((kind, data))
        self.threads.add(threading.current_thread().name)

    def protocol_type(self) -> str:
        return "test"

    def group_protocols(self) -> Sequence[tuple[str, bytes]]:
        return [("p", b"")]

    def on_join_prepare(self, generation: int, member_id: str) -> None:
        self._record("prepare", generation)

    def perform_assignment(
        self, leader_id: str, protocol: str, members: Sequence[tuple[str, bytes]]
    ) -> Mapping[str, bytes]:
        return {}

    def on_join_complete(
        self, generation: int, member_id: str, protocol: str, assignment: bytes
    ) -> None:
        self._record("complete", generation)

    def need_rejoin(self) -> bool:
        return False

    def on_membership_lost(self, reason: str) -> None:
        self._record("lost", reason)
        if self.wake_on_loss and self.group is not None:
            self.group.wakeup()

    def on_poll_timeout_expiry(self) -> None:
        self._record("poll-timeout")


class SteppingClock:
    """Monotonic seconds that advance by ``step`` on every reading."""

    def __init__(self, step: float) -> None:
        self._ticks = itertools.count()
        self._step = step

    def __call__(self) -> float:
        return next(self._ticks) * self._step


TIMEOUTS = GroupTimeouts(session_timeout=3.0, heartbeat_interval=1.0, rebalance_timeout=5.0)


def coordinator(handler: Handler, clock: Any = time.monotonic) -> GroupCoordinator:
    group = GroupCoordinator("g", TIMEOUTS, handler, FakeClient(), clock)
    handler.group = group
    return group


def stable(group: GroupCoordinator, generation: int = 4) -> None:
    inner = group._inner
    inner._generation = Generation(generation, "m-1", "p")
    inner.state = MemberState.STABLE


def test_a_pending_wakeup_raises_once() -> None:
    handler = Handler()
    group = coordinator(handler, SteppingClock(0.05))
    group.wakeup()
    assert group._client.wakeups == 1
    with pytest.raises(WakeupError):
        group.poll(30)
    # Consumed: the next poll runs (and, with no coordinator to be found, reports that).
    handler.wake_on_loss = True
    with pytest.raises(WakeupError):
        group.poll(0)
    assert [kind for kind, _ in handler.events] == ["lost"]


def test_an_unreachable_coordinator_is_a_loss_after_the_discovery_timeout() -> None:
    handler = Handler()
    handler.wake_on_loss = True  # stops the join attempts that follow
    clock = SteppingClock(0.05)
    group = coordinator(handler, clock)
    stable(group)  # a member of a stable group whose coordinator vanished
    group._inner.rejoin_needed = False
    group._inner.coordinator_id = None
    started = clock()
    with pytest.raises(WakeupError):
        group.poll(0)
    ((kind, reason),) = handler.events
    assert kind == "lost" and "could not be found within 1.0s" in reason
    assert clock() - started >= TIMEOUTS.heartbeat_interval
    assert handler.threads == {threading.current_thread().name}
    assert group.rejoin_needed()


def test_expulsion_by_the_coordinator_is_a_loss_but_leaving_is_not() -> None:
    handler = Handler()
    group = coordinator(handler)
    stable(group)
    group._inner.reset_generation()  # what UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION lead to
    assert "generation 4 of member m-1" in (group.loss.take() or "")

    group.loss.rearm()
    stable(group)
    group.leave_group("herder asked")
    assert group.loss.take() is None
    assert group.generation_id() == -1

    # Resetting an id-less first generation (MEMBER_ID_REQUIRED) is no loss either.
    group._inner.reset_generation("m-2")
    assert group.loss.take() is None


def test_no_heartbeat_for_a_session_is_a_loss_once_per_generation() -> None:
    handler = Handler()
    group = coordinator(handler)
    stable(group)
    group._check_session()
    assert group.loss.take() is None  # the session clock starts at construction

    long_ago = time.time() - TIMEOUTS.session_timeout - 1
    group._inner.heartbeat.last_receive = long_ago
    group._inner.heartbeat.last_reset = long_ago
    group._check_session()
    assert "session timeout" in (group.loss.take() or "")
    group._check_session()
    assert group.loss.take() is None  # latched until the next join

    # The heartbeat thread declaring the coordinator dead for the same reason is caught too.
    group._inner._on_join_complete(5, "m-1", "p", b"")
    group._inner.coordinator_id = "coordinator-1"
    group._inner.coordinator_dead("Heartbeat session expired")
    assert "session timeout" in (group.loss.take() or "")


def test_a_noted_loss_reaches_the_handler_before_the_next_join() -> None:
    handler = Handler()
    group = coordinator(handler)
    group.note_loss("expelled")
    group._inner._on_join_prepare(4, "m-1")
    group.note_loss("ignored: latched until the join completes")
    group._inner._on_join_complete(5, "m-1", "p", b"")
    assert handler.events == [("lost", "expelled"), ("prepare", 4), ("complete", 5)]
    assert group.joins == 1
    group.note_loss("news again")
    group.deliver_loss()
    assert handler.events[-1] == ("lost", "news again")


def test_join_group_metadata_is_built_after_a_noted_loss_reached_the_handler() -> None:
    handler = Handler()
    group = coordinator(handler)
    group.note_loss("expelled")
    assert group._inner.group_protocols() == [("p", b"")]
    assert handler.events == [("lost", "expelled")]


def test_a_loss_at_join_completion_plans_another_join() -> None:
    handler = Handler()
    group = coordinator(handler)
    group._inner.rejoin_needed = False  # as kafka-python leaves it before _on_join_complete
    group.note_loss("expelled")
    group._inner._on_join_complete(5, "m-1", "p", b"")
    assert handler.events == [("lost", "expelled"), ("complete", 5)]
    assert group.rejoin_needed()


def test_the_poll_timeout_leave_tells_the_handler_and_counts_as_a_loss() -> None:
    handler = Handler()
    group = coordinator(handler)
    stable(group)
    # As the heartbeat thread does when the owner stopped polling.
    group._inner._heartbeat_thread = threading.current_thread()
    try:
        group._inner.maybe_leave_group()
    finally:
        group._inner._heartbeat_thread = None
    assert handler.events == [("poll-timeout", None)]
    assert "generation 4" in (group.loss.take() or "")


def test_close_releases_the_client_once() -> None:
    group = coordinator(Handler())
    group.close()
    group.close()
    assert group._client.closed
    group.wakeup()  # harmless after close
    with pytest.raises(ValueError):
        group.poll(-1)
