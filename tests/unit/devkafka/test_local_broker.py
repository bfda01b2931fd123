"""The local broker's configuration, file discovery and error paths: nothing here starts Kafka."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sluice.devkafka import (
    BrokerStatus,
    JarsNotFoundError,
    JavaNotFoundError,
    LocalKafka,
    LocalKafkaError,
    MavenNotFoundError,
    PortInUseError,
    PortOwner,
    default_data_dir,
    default_libs_dir,
    find_java,
    find_pom,
    java_classpath,
    kafka_version,
    locations,
    log4j2_config_file,
    new_cluster_id,
    port_owner,
    server_properties,
)
from sluice.devkafka import broker as broker_module
from sluice.devkafka.ports import port_free
from sluice.devkafka.processes import log_tail
from sluice.devkafka.properties import render_properties
from tests.fixtures.ports import free_port

REPO = Path(__file__).resolve().parents[3]
KAFKA_POM = "<project><artifactId>kafka_2.13</artifactId></project>\n"


@pytest.fixture
def listening_socket() -> Iterator[socket.socket]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLUICE_POM", "SLUICE_KAFKA_LIBS", "SLUICE_KAFKA_DATA"):
        monkeypatch.delenv(name, raising=False)


def fake_libs(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"")
    return folder


def parse_properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and line[0] != "#")
    return {key: value for key, value in pairs}


# --- configuration


def test_server_properties_describe_a_single_node_kraft_cluster(tmp_path: Path) -> None:
    props = server_properties(39092, 39093, tmp_path / "logs")

    assert props["process.roles"] == "broker,controller"
    assert props["node.id"] == "1"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:39093"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:39092,CONTROLLER://127.0.0.1:39093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:39092"
    assert props["controller.listener.names"] == "CONTROLLER"
    assert props["log.dirs"] == str(tmp_path / "logs")
    for key in (
        "offsets.topic.replication.factor",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "share.coordinator.state.topic.replication.factor",
        "num.partitions",
    ):
        assert props[key] == "1", key
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["auto.create.topics.enable"] == "true"


def test_rendered_properties_read_back_unchanged(tmp_path: Path) -> None:
    props = server_properties(9092, 9093, tmp_path / "logs")

    text = render_properties(props)

    assert text.startswith("#")
    assert parse_properties(text) == props


def test_cluster_ids_have_kafkas_form() -> None:
    ids = {new_cluster_id() for _ in range(50)}

    assert len(ids) == 50
    for cluster_id in ids:
        assert len(cluster_id) == 22
        assert not cluster_id.startswith("-")
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_log4j2_config_ships_beside_the_module() -> None:
    text = log4j2_config_file().read_text(encoding="utf-8")

    assert "appender.console.type = Console" in text
    assert "rootLogger.level = WARN" in text


@pytest.mark.parametrize("heap", ["", "lots", "512 m", "1t", "-1g"])
def test_bad_heap_is_rejected_naming_it(heap: str, tmp_path: Path) -> None:
    with pytest.raises(LocalKafkaError, match="heap"):
        LocalKafka(data_dir=tmp_path, heap=heap)


@pytest.mark.parametrize("port", [0, -1, 65535, 70000])
def test_bad_port_is_rejected(port: int, tmp_path: Path) -> None:
    with pytest.raises(LocalKafkaError, match=f"port {port}"):
        LocalKafka(port=port, data_dir=tmp_path)


# --- locating the pom, the jars and the data folder


@pytest.mark.usefixtures("no_env")
def test_pom_is_found_above_this_checkout() -> None:
    assert find_pom() == REPO / "pom.xml"


@pytest.mark.usefixtures("no_env")
def test_pom_search_walks_up_and_skips_unrelated_poms(tmp_path: Path) -> None:
    (tmp_path / "pom.xml").write_text(KAFKA_POM)
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    (tmp_path / "a" / "pom.xml").write_text("<project><artifactId>other</artifactId></project>")

    assert find_pom(nested / "module.py") == tmp_path / "pom.xml"


@pytest.mark.usefixtures("no_env")
def test_missing_pom_error_names_the_env_vars(tmp_path: Path) -> None:
    with pytest.raises(JarsNotFoundError, match="SLUICE_POM") as caught:
        find_pom(tmp_path / "module.py")
    assert "SLUICE_KAFKA_LIBS" in str(caught.value)


def test_sluice_pom_env_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pom = tmp_path / "elsewhere.xml"
    pom.write_text(KAFKA_POM)
    monkeypatch.setenv("SLUICE_POM", str(pom))

    assert find_pom() == pom


def test_sluice_pom_env_must_name_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLUICE_POM", str(tmp_path / "nope.xml"))

    with pytest.raises(JarsNotFoundError, match=r"nope\.xml"):
        find_pom()


@pytest.mark.usefixtures("no_env")
def test_libs_default_to_the_cache_beside_the_pom(monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_libs_dir() == REPO / ".cache" / "kafka" / "libs"
    monkeypatch.setenv("SLUICE_KAFKA_LIBS", "/opt/kafka-libs")
    assert default_libs_dir() == Path("/opt/kafka-libs")


@pytest.mark.usefixtures("no_env")
def test_data_dir_defaults_per_checkout_and_port(monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_data_dir(9092) == REPO / ".cache/kafka/data-9092"
    assert LocalKafka(port=9100).data_dir == REPO / ".cache/kafka/data-9100"


@pytest.mark.usefixtures("no_env")
def test_another_checkout_gets_its_own_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other-checkout"
    other.mkdir()
    (other / "pom.xml").write_text(KAFKA_POM)
    monkeypatch.setenv("SLUICE_POM", str(other / "pom.xml"))

    assert default_data_dir(9092) == other / ".cache/kafka/data-9092"


@pytest.mark.usefixtures("no_env")
def test_data_dir_without_a_checkout_is_under_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_pom() -> Path:
        raise JarsNotFoundError("no pom")

    monkeypatch.setattr(locations, "find_pom", no_pom)
    monkeypatch.setenv("HOME", str(tmp_path))

    assert default_data_dir(9092) == tmp_path / ".local/share/sluice/kafka-9092"
    monkeypatch.setenv("SLUICE_KAFKA_DATA", str(tmp_path / "mine"))
    assert default_data_dir(9092) == tmp_path / "mine"


def test_kafka_version_comes_from_the_broker_jar(tmp_path: Path) -> None:
    libs = fake_libs(tmp_path, "kafka-clients-3.0.0.jar", "kafka_2.13-4.1.1.jar", "x.jar")

    assert kafka_version(libs) == "4.1.1"
    assert java_classpath(libs) == str(libs / "*")


def test_kafka_version_of_the_real_cache() -> None:
    assert kafka_version(REPO / ".cache" / "kafka" / "libs") == "4.1.1"


def test_kafka_version_without_jars_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(JarsNotFoundError, match=str(tmp_path)):
        kafka_version(tmp_path)


# --- missing tools


def test_missing_java_has_a_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(JavaNotFoundError) as caught:
        find_java()
    assert str(caught.value) == (
        "java was not found on PATH: sluice's local Kafka needs a Java 17+ runtime "
        "(e.g. apt-get install openjdk-17-jre-headless)"
    )


@pytest.mark.parametrize(("banner", "major"), [('"11.0.22" 2024-01-16', 11), ('"1.8.0_392"', 8)])
def test_old_java_is_refused(
    banner: str, major: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    java = tmp_path / "java"
    java.write_text(f"#!/bin/sh\necho 'openjdk version {banner}' >&2\n")
    java.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(JavaNotFoundError, match=f"is Java {major}: .* needs a Java 17"):
        find_java()


def test_real_java_is_accepted() -> None:
    assert Path(find_java()).name == "java"


def test_missing_maven_is_reported_only_when_jars_are_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    present = fake_libs(tmp_path / "full", "kafka_2.13-4.1.1.jar")
    empty = tmp_path / "empty"

    assert LocalKafka(data_dir=tmp_path / "a", libs_dir=present).ensure_jars() == present
    with pytest.raises(MavenNotFoundError, match="mvn was not found on PATH"):
        LocalKafka(data_dir=tmp_path / "b", libs_dir=empty).ensure_jars()


def test_jars_fetched_from_an_older_pom_are_fetched_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pom = tmp_path / "pom.xml"
    pom.write_text(KAFKA_POM)
    monkeypatch.setenv("SLUICE_POM", str(pom))
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    libs = fake_libs(tmp_path / "libs", "kafka_2.13-4.1.1.jar")
    stamp = libs / ".sluice-pom.sha256"
    stamp.write_text(hashlib.sha256(pom.read_bytes()).hexdigest())
    broker = LocalKafka(data_dir=tmp_path / "data", libs_dir=libs)

    assert broker.ensure_jars() == libs  # current: Maven is not needed
    pom.write_text(KAFKA_POM.replace("kafka_2.13", "kafka_2.13</artifactId><x>y</x><artifactId>"))
    with pytest.raises(MavenNotFoundError):  # stale: it must fetch, and cannot
        broker.ensure_jars()
    stamp.unlink()
    assert broker.ensure_jars() == libs  # filled by hand: trusted


# --- processes and ports


def test_port_taken_by_another_process_is_a_clear_error(
    tmp_path: Path, listening_socket: socket.socket
) -> None:
    port = listening_socket.getsockname()[1]
    broker = LocalKafka(port=port, data_dir=tmp_path)

    with pytest.raises(PortInUseError, match=f"port {port} .* already in use") as caught:
        broker.start(timeout=5)
    assert caught.value.port == port
    message = str(caught.value)
    assert f"pid {os.getpid()}" in message
    assert "stop that process" in message
    free = int(message.split("sluice kafka start --port ")[1].split()[0])
    assert free > port and port_free(free) and port_free(free + 1)
    assert message.endswith(f"(make quickstart KAFKA_PORT={free})")
    assert not broker.pid_file.exists()


def test_port_held_by_another_sluice_broker_names_its_data_dir(
    tmp_path: Path, listening_socket: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = listening_socket.getsockname()[1]
    other = tmp_path / "other-checkout" / ".cache" / "kafka" / f"data-{port}"
    owner = PortOwner(4242, "java", other)
    monkeypatch.setattr(broker_module, "port_owner", lambda _port: owner)

    with pytest.raises(PortInUseError) as caught:
        LocalKafka(port=port, data_dir=tmp_path / "mine").start(timeout=5)

    message = str(caught.value)
    assert f"pid 4242, a sluice Kafka broker with data in {other}" in message
    assert f"sluice kafka stop --port {port} --data-dir {other}" in message


def test_port_owner_recognises_a_sluice_broker_by_its_command_line(tmp_path: Path) -> None:
    properties = tmp_path / "data" / "server.properties"
    script = "import socket,sys,time; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(); "
    script += "print(s.getsockname()[1], flush=True); time.sleep(60)"
    # A stand-in with the broker's command line: ... kafka.Kafka <data>/server.properties
    command = [sys.executable, "-c", script, "kafka.Kafka", str(properties)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:
        try:
            assert child.stdout is not None
            owner = port_owner(int(child.stdout.readline()))
        finally:
            child.kill()

    assert owner is not None and owner.pid == child.pid
    assert owner.data_dir == tmp_path / "data"


def test_busy_controller_port_is_replaced_by_a_free_one(
    tmp_path: Path, listening_socket: socket.socket
) -> None:
    busy = listening_socket.getsockname()[1]
    broker = LocalKafka(port=busy - 1, data_dir=tmp_path)

    chosen = broker._choose_controller_port()

    assert chosen not in (busy, busy - 1)
    assert port_free(chosen)


def test_status_of_a_broker_never_started(tmp_path: Path) -> None:
    port = free_port()

    status = LocalKafka(port=port, data_dir=tmp_path).status()

    assert status == BrokerStatus(
        running=False,
        pid=None,
        port=port,
        bootstrap=f"127.0.0.1:{port}",
        data_dir=tmp_path.resolve(),
        answers=False,
    )


def test_stale_pid_file_of_a_dead_process_is_cleared(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    broker = LocalKafka(port=free_port(), data_dir=tmp_path)
    broker.pid_file.write_text(dead.stdout)

    assert broker.status().running is False
    assert broker.stop() is False
    assert not broker.pid_file.exists()


def test_pid_file_naming_an_unrelated_live_process_is_stale(tmp_path: Path) -> None:
    broker = LocalKafka(port=free_port(), data_dir=tmp_path)
    broker.pid_file.write_text(f"{os.getpid()}\n")

    status = broker.status()

    assert status.running is False
    assert status.pid is None
    assert broker.stop() is False  # and it must not have signalled this test process
    assert not broker.pid_file.exists()


def test_log_tail_keeps_the_last_lines_after_an_offset(tmp_path: Path) -> None:
    log = tmp_path / "broker.log"
    log.write_text("old run\n" + "".join(f"line {i}\n" for i in range(100)))

    tail = log_tail(log, lines=30, start=len("old run\n"))

    assert tail.splitlines() == [f"line {i}" for i in range(70, 100)]
    assert log_tail(log, start=log.stat().st_size).startswith("(the log at")
