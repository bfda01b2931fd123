"""Strimzi ``KafkaConnector`` files against a real worker on the real broker: ``sluice apply -f``
creates, updates, pauses, stops and resumes connectors, and ``sluice standalone`` starts them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sluice.cli.main import main
from sluice.testing import EmbeddedWorker, wait_for
from tests.fixtures.worker_process import start_worker, stop_worker, worker_log, write_props

pytestmark = pytest.mark.integration

Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def worker(kafka_bootstrap: str, tmp_path: Path) -> Iterator[EmbeddedWorker]:
    with EmbeddedWorker(kafka_bootstrap, tmp_path / "w") as w:
        yield w


def kafka_connector(name: str, cls: str, config: dict[str, str], spec: str = "") -> str:
    lines = "".join(f"    {k}: {v}\n" for k, v in config.items())
    return f"""\
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnector
metadata:
  name: {name}
  labels:
    strimzi.io/cluster: my-connect-cluster
spec:
  class: {cls}
  tasksMax: 1
{spec}  config:
{lines}"""


KAFKA_CONNECT = """\
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnect
metadata:
  name: my-connect-cluster
  annotations:
    strimzi.io/use-connector-resources: "true"
spec:
  replicas: 1
  bootstrapServers: my-cluster-kafka-bootstrap:9092
"""


def states(url: str, name: str) -> tuple[Any, list[Any]]:
    status = httpx.get(f"{url}/connectors/{name}/status", timeout=10).json()
    return status.get("connector", {}).get("state"), [t["state"] for t in status.get("tasks", [])]


def wait_state(url: str, name: str, state: str, tasks: int) -> None:
    wait_for(
        lambda: states(url, name) == (state, [state] * tasks),
        30,
        message=lambda: f"{name} not {state}: {states(url, name)}",
    )


def apply(capsys: Capsys, url: str, *files: Path) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(["apply", *(a for f in files for a in ("-f", str(f))), "--url", url])
    out, err = capsys.readouterr()
    return status, out, err


def test_apply_creates_updates_and_drives_state(
    worker: EmbeddedWorker, tmp_path: Path, kafka_topic: Any, capsys: Capsys
) -> None:
    url, topic = worker.rest_url.rstrip("/"), kafka_topic("apply")
    source_file, sink_file = tmp_path / "in.txt", tmp_path / "out.txt"
    source_file.write_text("one\ntwo\n")
    source = {"file": str(source_file), "topic": topic}
    sink = {"file": str(sink_file), "topics": topic}
    path = tmp_path / "connectors.yaml"

    def write(source_spec: str = "", sink_spec: str = "", **more: str) -> None:
        path.write_text(
            "---\n".join(
                [
                    KAFKA_CONNECT,
                    kafka_connector("src", "FileStreamSource", source | more, source_spec),
                    kafka_connector("sink", "FileStreamSink", sink, sink_spec),
                ]
            )
        )

    write(sink_spec="  state: paused\n")
    status, out, err = apply(capsys, url, path)
    assert (status, out) == (0, "Created connector src\nCreated connector sink (PAUSED)\n")
    assert err == (
        f"sluice: note: {path} line 1: document 1 (KafkaConnect my-connect-cluster): skipped: "
        "only KafkaConnector resources are read\n"
    )
    wait_state(url, "src", "RUNNING", 1)
    wait_state(url, "sink", "PAUSED", 1)
    assert httpx.get(f"{url}/connectors/sink/config").json() == sink | {
        "connector.class": "FileStreamSink",
        "tasks.max": "1",
        "name": "sink",
    }
    assert not sink_file.exists() or sink_file.read_text() == ""

    write()  # no state: running, as with Strimzi
    assert apply(capsys, url, path)[1] == (
        "Connector src unchanged\nConnector sink unchanged; resumed it\n"
    )
    wait_state(url, "sink", "RUNNING", 1)
    wait_for(lambda: sink_file.exists() and sink_file.read_text() == "one\ntwo\n", 30)

    write(source_spec="  state: stopped\n", **{"batch.size": "100"})
    assert apply(capsys, url, path)[1] == (
        "Updated connector src; stopped it\nConnector sink unchanged\n"
    )
    wait_state(url, "src", "STOPPED", 0)
    assert httpx.get(f"{url}/connectors/src/config").json()["batch.size"] == "100"

    # One bad document: nothing of the file is applied, not even the good connector before it.
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        kafka_connector("new", "FileStreamSource", source)
        + "---\n"
        + kafka_connector("broken", "FileStreamSource", source, "  state: sleeping\n")
    )
    status, out, err = apply(capsys, url, bad)
    assert (status, out) == (1, "")
    assert err == (
        f"sluice: {bad} line 23: document 2 (KafkaConnector broken): spec.state is the string "
        "'sleeping', not one of running, paused, stopped\n"
    )
    # A config the worker refuses: also nothing applied, the worker's message per field.
    bad.write_text(
        kafka_connector("new", "FileStreamSource", source)
        + "---\n"
        + kafka_connector("broken", "FileStreamSink", {"file": str(sink_file)})
    )
    status, out, err = apply(capsys, url, bad)
    assert (status, out) == (1, "")
    assert f"sluice: {bad} document 2 (KafkaConnector broken): spec.config." in err
    assert err.endswith(" problem(s) in the connector configs\n")
    assert sorted(httpx.get(f"{url}/connectors").json()) == ["sink", "src"]


def test_standalone_starts_the_connectors_of_a_kafka_connector_file(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    source_file, sink_file = tmp_path / "in.txt", tmp_path / "out.txt"
    source_file.write_text("x\n")
    topic = "strimzi-standalone"
    worker_file = write_props(
        tmp_path / "worker.properties",
        {
            "bootstrap.servers": kafka_bootstrap,
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "offset.storage.file.filename": str(tmp_path / "offsets"),
            "listeners": "http://127.0.0.1:0",
        },
    )
    bad = tmp_path / "bad.yml"
    bad.write_text(
        kafka_connector("s", "FileStreamSource", {"topic": topic, "file": "{nested: map}"})
    )
    result = subprocess.run(
        [sys.executable, "-m", "sluice.cli.main", "standalone", str(worker_file), str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.endswith(
        f"sluice: {bad} line 12: document 1 (KafkaConnector s): spec.config.file is a map; "
        "connector configuration values must be strings, numbers or booleans (write a list or "
        "JSON as one string, e.g. in quotes or after '>')\n"
    )

    path = tmp_path / "connectors.yaml"
    path.write_text(
        "---\n".join(
            [
                KAFKA_CONNECT,
                kafka_connector("file-src", "FileStreamSource", {"file": str(source_file)})
                + f"    topic: {topic}\n",
                kafka_connector(
                    "file-sink",
                    "org.apache.kafka.connect.file.FileStreamSinkConnector",
                    {"file": str(sink_file), "topics": topic},
                    "  pause: true\n",
                ),
            ]
        )
    )
    proc = start_worker(tmp_path, worker_file, path)
    try:

        def rest_url() -> str | None:
            assert proc.poll() is None, worker_log(tmp_path)
            text = (tmp_path / "worker.log").read_text()
            marker = "REST API at "
            return text.split(marker, 1)[1].split()[0].rstrip("/") if marker in text else None

        url = wait_for(rest_url, 60, message=lambda: worker_log(tmp_path))
        wait_state(url, "file-src", "RUNNING", 1)
        wait_state(url, "file-sink", "PAUSED", 1)
        log = (tmp_path / "worker.log").read_text()
        assert "(KafkaConnect my-connect-cluster): skipped" in log
        assert "spec.pause is deprecated (Strimzi 0.38): use spec.state" in log
    finally:
        stop_worker(proc)
