"""Secured clusters end to end: a broker with a SASL_SSL listener (SCRAM and PLAIN users, a
keytool-made PKI), a worker configured as Kafka's documentation configures one, and the REST API
over HTTPS behind Kafka's basic-auth extension."""

from __future__ import annotations

import json
import logging
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from kafka import errors as kafka_errors

from sluice.cli.distributed import start_distributed
from sluice.cli.main import main as sluice_main
from sluice.cli.standalone import start_standalone
from sluice.cli.startup import RunningWorker, StartupError
from sluice.kafka.group_description import describe_group
from sluice.runtime.config_files import parse_properties
from sluice.testing import EmbeddedWorker, wait_for
from tests.fixtures.secure_kafka import (  # noqa: F401 (the fixture)
    ALICE,
    BOB,
    SecureKafka,
    jaas_quote,
    secure_kafka,
)
from tests.fixtures.tls import PASSWORD

pytestmark = pytest.mark.integration

SCRAM = "org.apache.kafka.common.security.scram.ScramLoginModule"
PLAIN = "org.apache.kafka.common.security.plain.PlainLoginModule"
BASIC_AUTH = "org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension"
REST_USER = ("admin", "rest-secret")


def documented_worker(kafka: SecureKafka, truststore: Path | None = None) -> dict[str, str]:
    """A worker file as Kafka's documentation writes one for SASL_SSL with SCRAM: the worker's
    own settings, then the same for its connectors' producers and consumers."""
    security = f"""\
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-256
sasl.jaas.config={SCRAM} required \\
    username="{ALICE[0]}" \\
    password="{ALICE[1]}";
ssl.truststore.location={truststore or kafka.pki.truststore_jks}
ssl.truststore.password={PASSWORD}
"""
    text = f"bootstrap.servers={kafka.bootstrap}\n" + security
    for prefix in ("producer.", "consumer."):
        text += "".join(prefix + line + "\n" for line in _logical(security))
    return parse_properties(text)


def _logical(text: str) -> list[str]:
    return text.replace("\\\n", "").splitlines()


@pytest.fixture(scope="module")
def rest_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A JAAS file whose KafkaConnect section names a users file, as Kafka's docs show."""
    folder = tmp_path_factory.mktemp("rest-auth")
    users = folder / "users.properties"
    users.write_text(f"{REST_USER[0]}={REST_USER[1]}\n", encoding="latin-1")
    jaas = folder / "rest-jaas.conf"
    jaas.write_text(
        "KafkaConnect {\n"
        "  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n"
        f'  file="{users}";\n'
        "};\n",
        encoding="utf-8",
    )
    return jaas


@pytest.fixture(scope="module")
def secured_worker(
    secure_kafka: SecureKafka,  # noqa: F811
    rest_files: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[EmbeddedWorker]:
    """One worker for the module: SASL_SSL+SCRAM to the broker, HTTPS (PKCS12 key store) with
    basic auth, its JAAS file found through KAFKA_OPTS as Kafka's launch scripts pass it."""
    props = documented_worker(secure_kafka)
    props.update(
        {
            "listeners": "https://127.0.0.1:0",
            "listeners.https.ssl.keystore.location": str(secure_kafka.pki.server_p12),
            "listeners.https.ssl.keystore.type": "PKCS12",
            "listeners.https.ssl.keystore.password": PASSWORD,
            "listeners.https.ssl.key.password": PASSWORD,
            "rest.extension.classes": BASIC_AUTH,
        }
    )
    root = logging.getLogger()
    root.addHandler(LOG)
    level = root.level
    root.setLevel(logging.INFO)  # every INFO line the worker writes is checked for secrets
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("KAFKA_OPTS", f"-Xmx1g -Djava.security.auth.login.config={rest_files}")
            worker = EmbeddedWorker(secure_kafka.bootstrap, tmp_path_factory.mktemp("w"), props)
            with worker:
                yield worker
    finally:
        root.removeHandler(LOG)
        root.setLevel(level)


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


LOG = _Lines()


def _https(kafka: SecureKafka, auth: tuple[str, str] | None = REST_USER) -> httpx.Client:
    verify = ssl.create_default_context(cafile=str(kafka.pki.ca_pem))
    return httpx.Client(verify=verify, auth=auth, timeout=30)


def test_file_pipeline_over_sasl_ssl_with_scram_and_a_jks_trust_store(
    secured_worker: EmbeddedWorker,
    secure_kafka: SecureKafka,  # noqa: F811
    tmp_path: Path,
) -> None:
    source, sink = tmp_path / "in.txt", tmp_path / "out.txt"
    source.write_text("".join(f"line {i}\n" for i in range(500)), encoding="utf-8")
    topic = f"secured-{tmp_path.name}"
    secured_worker.create(
        "secured-src",
        {"connector.class": "FileStreamSource", "file": str(source), "topic": topic},
    )
    secured_worker.create(
        "secured-sink",
        {"connector.class": "FileStreamSink", "file": str(sink), "topics": topic},
    )
    wait_for(
        lambda: sink.exists() and sink.read_bytes() == source.read_bytes(),
        90,
        message=lambda: f"{len(sink.read_text().splitlines()) if sink.exists() else 0} lines",
    )
    with _https(secure_kafka) as client:
        status = client.get(secured_worker.rest_url + "connectors/secured-sink/status").json()
    assert status["tasks"][0]["state"] == "RUNNING"


@pytest.mark.parametrize(
    ("mechanism", "module", "user"),
    [("SCRAM-SHA-512", SCRAM, ALICE), ("PLAIN", PLAIN, BOB)],
)
@pytest.mark.filterwarnings("ignore:ssl.PROTOCOL_TLS is deprecated:DeprecationWarning")
def test_every_mechanism_logs_in_with_both_client_libraries(
    secure_kafka: SecureKafka,  # noqa: F811
    mechanism: str,
    module: str,
    user: tuple[str, str],
) -> None:
    """librdkafka (tasks, stores) and kafka-python (the distributed herder's membership) from
    the same Java settings; BOB's password needs JAAS escapes."""
    from sluice.kafka.client_logs import new_admin

    settings = {
        "bootstrap.servers": secure_kafka.bootstrap,
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": mechanism,
        "sasl.jaas.config": f"{module} required username={jaas_quote(user[0])} "
        f"password={jaas_quote(user[1])};",
        "ssl.truststore.location": str(secure_kafka.pki.truststore_p12),
        "ssl.truststore.type": "PKCS12",
        "ssl.truststore.password": PASSWORD,
    }
    assert new_admin(settings).list_topics(timeout=30).brokers
    # kafka-python, logged in, asks the group coordinator about a group (the coordinator may
    # still be loading on a fresh broker).
    group = f"no-such-group-{mechanism}"
    wait_for(lambda: _describes(settings, group), 60, message=f"describe {group}")
    settings["sasl.jaas.config"] = f'{module} required username="{user[0]}" password="nope";'
    with pytest.raises(Exception):  # noqa: B017 (kafka-python names it a version problem)
        describe_group({**settings, "request.timeout.ms": "5000"}, group)


def _describes(settings: dict[str, str], group: str) -> bool:
    try:
        return describe_group(settings, group) is None
    except kafka_errors.CoordinatorNotAvailableError:
        return False


def _start_error(kafka: SecureKafka, props: dict[str, str], tmp_path: Path) -> str:
    worker = EmbeddedWorker(kafka.bootstrap, tmp_path, props)
    with pytest.raises(StartupError) as e:
        start_standalone(worker.props, [], "<worker>", cluster_lookup_timeout=10)
    return str(e.value)


def test_a_wrong_password_is_one_clear_error(
    secure_kafka: SecureKafka,  # noqa: F811
    tmp_path: Path,
) -> None:
    props = documented_worker(secure_kafka)
    props["sasl.jaas.config"] = f'{SCRAM} required username="alice" password="not-it";'
    message = _start_error(secure_kafka, props, tmp_path)
    assert "Authentication failed" in message and "sasl.jaas.config" in message
    assert "not-it" not in message


def test_a_wrong_ca_is_one_clear_error(
    secure_kafka: SecureKafka,  # noqa: F811
    tmp_path: Path,
) -> None:
    props = documented_worker(secure_kafka, secure_kafka.pki.other_ca_truststore_jks)
    message = _start_error(secure_kafka, props, tmp_path)
    assert "certificate verify failed" in message and "ssl.truststore.location" in message


def test_a_plaintext_client_at_the_tls_port_is_one_clear_error(
    secure_kafka: SecureKafka,  # noqa: F811
    tmp_path: Path,
) -> None:
    message = _start_error(secure_kafka, {"bootstrap.servers": secure_kafka.bootstrap}, tmp_path)
    assert "security.protocol" in message


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"ssl.truststore.password": "wrong"}, "ssl.truststore.password"),
        ({"ssl.truststore.type": "PEM"}, "ssl.truststore.type"),
        ({"consumer.sasl.jaas.config": f"{SCRAM} required username=alice"}, "consumer.sasl.jaas"),
        ({"producer.sasl.mechanism": "GSSAPI"}, "producer.sasl.mechanism"),
        (
            {"rest.extension.classes": BASIC_AUTH, "sluice.jaas.config.file": "/no/jaas.conf"},
            "sluice.jaas.config.file",
        ),
    ],
)
def test_bad_settings_stop_the_worker_naming_the_setting(
    secure_kafka: SecureKafka,  # noqa: F811
    tmp_path: Path,
    change: dict[str, str],
    named: str,
) -> None:
    props = documented_worker(secure_kafka)
    props.update(change)
    message = _start_error(secure_kafka, props, tmp_path)
    assert named in message
    assert ALICE[1] not in message and PASSWORD not in message


def test_a_missing_users_file_stops_the_worker(
    secure_kafka: SecureKafka,  # noqa: F811
    tmp_path: Path,
) -> None:
    jaas = tmp_path / "jaas.conf"
    jaas.write_text(
        "KafkaConnect { org.apache.kafka.connect.rest.basic.auth.extension."
        'PropertyFileLoginModule required file="/no/users.properties"; };'
    )
    props = {"rest.extension.classes": BASIC_AUTH, "sluice.jaas.config.file": str(jaas)}
    message = _start_error(secure_kafka, props, tmp_path)
    assert "/no/users.properties" in message and "rest.extension.classes" in message


# -- REST ---------------------------------------------------------------------------------------


def test_rest_over_https_asks_for_credentials(
    secured_worker: EmbeddedWorker,
    secure_kafka: SecureKafka,  # noqa: F811
) -> None:
    url = secured_worker.rest_url
    assert url.startswith("https://127.0.0.1:")
    with _https(secure_kafka) as client:
        assert client.get(url + "connectors").status_code == 200
    for auth in (None, ("admin", "wrong"), ("nobody", "rest-secret")):
        with _https(secure_kafka, auth) as client:
            answer = client.get(url + "connectors")
        assert answer.status_code == 401
        assert answer.text == "User cannot access the resource."
    # The endpoint other workers call is not behind the filter (request signing guards it).
    with _https(secure_kafka, None) as client:
        internal = client.post(url + "connectors/nope/tasks", json=[])
    assert internal.status_code != 401
    # Plain HTTP, or a client that does not trust the CA, gets no answer at all.
    with pytest.raises(httpx.HTTPError):
        httpx.get(url.replace("https://", "http://") + "connectors", timeout=10)
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(url + "connectors", timeout=10)


def test_the_cli_with_credentials(
    secured_worker: EmbeddedWorker,
    secure_kafka: SecureKafka,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = secured_worker.rest_url
    ca = str(secure_kafka.pki.ca_pem)
    assert sluice_main(["connectors", "list", "--url", url, "--cacert", ca]) == 1
    assert "needs credentials" in capsys.readouterr().err
    assert sluice_main(["connectors", "list", "--url", url]) == 1
    assert "--cacert" in capsys.readouterr().err
    monkeypatch.setenv("SLUICE_USER", REST_USER[0])
    monkeypatch.setenv("SLUICE_PASSWORD", REST_USER[1])
    monkeypatch.setenv("SLUICE_CACERT", ca)
    assert sluice_main(["connectors", "list", "--url", url, "-o", "json"]) == 0
    assert "secured-src" in json.loads(capsys.readouterr().out)
    assert sluice_main(["status", "--url", url, "--user", "admin:wrong"]) == 1
    err = capsys.readouterr().err
    assert "refused the credentials" in err and "wrong" not in err


# -- distributed: internal topics, group membership, forwarding, the leader's endpoint --------
# Two workers on the SASL_SSL broker, their REST API over HTTPS behind basic auth: the internal
# topics and group membership (kafka-python) log in with SCRAM and a JKS trust store, a request
# to the follower is forwarded to the leader with the caller's credentials, and a follower hands
# its connector's task configs to the leader's internal endpoint.


@pytest.fixture(scope="module")
def distributed_workers(
    secure_kafka: SecureKafka,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[RunningWorker]]:
    folder = tmp_path_factory.mktemp("distributed")
    users = folder / "users.properties"
    users.write_text(f"{REST_USER[0]}={REST_USER[1]}\n")
    jaas = folder / "jaas.conf"
    jaas.write_text(
        "KafkaConnect { org.apache.kafka.connect.rest.basic.auth.extension."
        f'PropertyFileLoginModule required file="{users}"; }};'
    )
    suffix = uuid.uuid4().hex[:8]
    props = documented_worker(secure_kafka)
    props.update(
        {
            "group.id": f"secured-{suffix}",
            "config.storage.topic": f"secured-configs-{suffix}",
            "offset.storage.topic": f"secured-offsets-{suffix}",
            "status.storage.topic": f"secured-status-{suffix}",
            "config.storage.replication.factor": "1",
            "offset.storage.replication.factor": "1",
            "status.storage.replication.factor": "1",
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "offset.flush.interval.ms": "1000",
            "session.timeout.ms": "6000",
            "heartbeat.interval.ms": "1000",
            "listeners": "https://localhost:0",
            "ssl.keystore.location": str(secure_kafka.pki.server_p12),
            "ssl.keystore.type": "PKCS12",
            "ssl.keystore.password": PASSWORD,
            "ssl.key.password": PASSWORD,
            "rest.extension.classes": BASIC_AUTH,
            "sluice.jaas.config.file": str(jaas),
        }
    )
    running: list[RunningWorker] = []
    try:
        for _ in range(2):
            running.append(start_distributed(dict(props), "<worker>", 30, 60))
        yield running
    finally:
        for worker in running:
            worker.stop()


def _dist_client(kafka: SecureKafka, auth: tuple[str, str] | None = REST_USER) -> httpx.Client:
    verify = ssl.create_default_context(cafile=str(kafka.pki.ca_pem))
    return httpx.Client(verify=verify, auth=auth, timeout=60)


@pytest.mark.filterwarnings("ignore:ssl.PROTOCOL_TLS is deprecated:DeprecationWarning")
def test_distributed_forwarding_and_task_configs_over_https_with_basic_auth(
    distributed_workers: list[RunningWorker],
    secure_kafka: SecureKafka,  # noqa: F811
    tmp_path: Path,
) -> None:
    urls = [str(w.rest_url) for w in distributed_workers]
    assert all(url.startswith("https://localhost:") for url in urls)
    source = tmp_path / "in.txt"
    source.write_text("a\nb\n")
    with _dist_client(secure_kafka) as client:
        # Two connectors, created through each worker in turn: whichever worker is not the
        # leader forwards the request (with the caller's credentials), and the connector that
        # lands on the follower posts its task configs to the leader's internal endpoint.
        for i, url in enumerate(urls * 2):
            body = {
                "name": f"secured-{i}",
                "config": {
                    "connector.class": "FileStreamSource",
                    "file": str(source),
                    "topic": f"secured-dist-{i}-{tmp_path.name}",
                },
            }
            created = wait_for(
                lambda url=url, body=body: _created(client, url, body),
                60,
                message=f"create secured-{i}",
            )
            assert created.status_code == 201, created.text

        def all_running() -> bool:
            statuses = [
                client.get(f"{urls[0]}connectors/secured-{i}/status").json() for i in range(4)
            ]
            return all(s.get("tasks") and s["tasks"][0]["state"] == "RUNNING" for s in statuses)

        wait_for(all_running, 90, 0.5, message="secured connectors not all running")
        workers_used = {
            client.get(f"{urls[1]}connectors/secured-{i}/status").json()["connector"]["worker_id"]
            for i in range(4)
        }
        assert len(workers_used) == 2
    with _dist_client(secure_kafka, None) as anonymous:
        for url in urls:
            assert anonymous.get(url + "connectors").status_code == 401


def _created(client: httpx.Client, url: str, body: dict[str, object]) -> httpx.Response | None:
    response = client.post(url + "connectors", json=body)
    # 409 while the group rebalances; anything else is the answer
    return None if response.status_code == 409 else response


def test_no_secret_reaches_the_log_or_the_rest_api(
    secured_worker: EmbeddedWorker,
    secure_kafka: SecureKafka,  # noqa: F811
) -> None:
    """Runs after the tests above used the module's worker (pytest keeps file order)."""
    assert len(LOG.lines) > 10
    secrets = (ALICE[1], PASSWORD, REST_USER[1])
    leaked = [line for line in LOG.lines if any(secret in line for secret in secrets)]
    assert leaked == []
    with _https(secure_kafka) as client:
        for path in ("connectors?expand=status&expand=info", "metrics", "connectors/secured-src"):
            answer = client.get(secured_worker.rest_url + path)
            assert answer.status_code == 200, path
            assert not any(secret in answer.text for secret in secrets), path
