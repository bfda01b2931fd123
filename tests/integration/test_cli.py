"""The ``sluice`` command as users run it: start-up errors, plugins listing, graceful stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.kafka import consume_all


def _sluice(
    *args: str, env: dict[str, str] | None = None, timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sluice.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def _worker(tmp: Path, bootstrap: str, **extra: str) -> Path:
    props = {
        "bootstrap.servers": bootstrap,
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "offset.storage.file.filename": str(tmp / "offsets"),
        "listeners": "http://127.0.0.1:0",
        **extra,
    }
    path = tmp / "worker.properties"
    path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
    return path


def test_malformed_properties_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "worker.properties"
    bad.write_text("bootstrap.servers=x\nkey=\\u12G4\n")
    result = _sluice("standalone", str(bad))
    assert result.returncode == 1
    assert "worker.properties line 2" in result.stderr
    assert result.stderr.count("\n") == 1


def test_missing_worker_key_is_named(tmp_path: Path, kafka_bootstrap: str) -> None:
    path = tmp_path / "worker.properties"
    path.write_text(f"bootstrap.servers={kafka_bootstrap}\nvalue.converter=StringConverter\n")
    result = _sluice("standalone", str(path))
    assert result.returncode == 1
    assert "key.converter" in result.stderr and "worker.properties" in result.stderr


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"connector.class": "NoSuchConnector", "topic": "t"}, "NoSuchConnector"),
        ({"connector.class": "FileStreamSource", "file": "/tmp/x"}, '"topic"'),
        (
            {"connector.class": "FileStreamSource", "topic": "t", "tasks.max": "zero"},
            # Kafka's lines, each ended as a sentence on the one line sluice prints
            "Invalid value zero for configuration tasks.max: Not a number of type INT. "
            "Invalid value null for configuration tasks.max: Value must be non-null. "
            "You can also find the above list of errors",
        ),
        (
            {"connector.class": "FileStreamSorce", "topic": "t"},
            "which name matches FileStreamSorce, available connectors are: ",
        ),
        ({"connector.class": "FileStreamSorce", "topic": "t"}, "Did you mean 'FileStreamSource'?"),
    ],
)
def test_invalid_connector_config_names_file_and_key(
    tmp_path: Path, kafka_bootstrap: str, config: dict[str, str], expected: str
) -> None:
    conn = tmp_path / "bad-source.json"
    conn.write_text(json.dumps({"name": "bad", "config": config}))
    result = _sluice("standalone", str(_worker(tmp_path, kafka_bootstrap)), str(conn))
    assert result.returncode == 1, result.stderr
    assert "bad-source.json" in result.stderr and expected in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_keys_are_named_with_the_nearest_known_one(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    worker = _worker(tmp_path, kafka_bootstrap, **{"offset.flush.intervall.ms": "1000"})
    conn = tmp_path / "source.properties"
    # batch.sise is misspelt; the missing topic makes the start-up fail, after the warnings.
    conn.write_text("name=s\nconnector.class=FileStreamSource\nfile=/tmp/x\nbatch.sise=10\n")

    result = _sluice("standalone", str(worker), str(conn))

    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if "isn't a known config" in line]
    assert len(lines) == 2, result.stderr
    assert " WARNING " in lines[0] and lines[0].endswith(
        f"{worker}: The configuration 'offset.flush.intervall.ms' was supplied but isn't a "
        "known config. Did you mean 'offset.flush.interval.ms'? (sluice.runtime.unknown_configs)"
    )
    assert (
        "[s|worker] The configuration 'batch.sise' was supplied but isn't a known config. "
        "Did you mean 'batch.size'?"
    ) in lines[1]


def test_unreachable_broker_fails_fast(tmp_path: Path) -> None:
    result = _sluice(
        "standalone",
        str(_worker(tmp_path, "127.0.0.1:1")),
        env={"SLUICE_KAFKA_WAIT_SECONDS": "3"},
    )
    assert result.returncode == 1
    assert "Cannot reach Kafka at bootstrap.servers=127.0.0.1:1" in result.stderr


def test_plugins_lists_bundled_and_plugin_path(tmp_path: Path) -> None:
    plugins = Path(__file__).parent / "plugins"
    result = _sluice("plugins", "--plugin-path", str(plugins))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["TYPE", "CLASS", "VERSION", "ORIGIN"]
    assert any("org.apache.kafka.connect.file.FileStreamSourceConnector" in line for line in lines)
    assert any(
        "flaky_connectors.FailOnceSourceConnector" in line and "1.2.3" in line for line in lines
    )


def test_sigterm_stops_gracefully_and_commits(
    tmp_path: Path, kafka_bootstrap: str, kafka_topic
) -> None:
    topic = kafka_topic()
    source = tmp_path / "in.txt"
    source.write_text("".join(f"l{i}\n" for i in range(100)))
    conn = tmp_path / "source.properties"
    conn.write_text(f"name=s\nconnector.class=FileStreamSource\nfile={source}\ntopic={topic}\n")
    worker = _worker(tmp_path, kafka_bootstrap, **{"offset.flush.interval.ms": "600000"})
    with open(tmp_path / "log", "w") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "sluice.cli.main", "standalone", str(worker), str(conn)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    consume_all(kafka_bootstrap, topic, 100)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0
    text = (tmp_path / "log").read_text()
    assert "[s|task-0]" in text, "task log lines carry the connector and task"
    offsets = json.loads((tmp_path / "offsets").read_text())["offsets"]
    assert len(offsets) == 1, "the final commit at shutdown wrote the offset"
