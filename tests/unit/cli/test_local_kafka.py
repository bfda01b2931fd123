"""``sluice kafka``'s command layer: options, messages and exit codes; nothing here starts Kafka."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sluice.cli.local_kafka import main, register
from tests.fixtures.ports import free_port

REPO = Path(__file__).resolve().parents[3]


# --- command line


def test_register_adds_kafka_commands_with_options(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser(prog="sluice")
    register(parser.add_subparsers(dest="command"))

    args = parser.parse_args(
        ["kafka", "start", "--port", "39500", "--data-dir", str(tmp_path), "--heap", "1g"]
    )

    assert (args.command, args.kafka_command) == ("kafka", "start")
    assert (args.port, args.data_dir, args.heap, args.timeout) == (39500, tmp_path, "1g", 60.0)
    assert callable(args.func)
    defaults = parser.parse_args(["kafka", "status"])
    assert (defaults.port, defaults.data_dir) == (9092, None)


@pytest.mark.parametrize(
    ("command", "option"),
    [
        ("stop", "--heap"),
        ("status", "--heap"),
        ("status", "--timeout"),
        ("fetch", "--port"),
        ("fetch", "--data-dir"),
        ("fetch", "--heap"),
    ],
)
def test_commands_offer_only_the_options_they_use(
    command: str, option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main([command, option, "1"])

    assert caught.value.code == 2
    assert f"unrecognized arguments: {option}" in capsys.readouterr().err


@pytest.mark.parametrize("port", ["0", "65535", "ninety"])
def test_cli_rejects_bad_ports(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["status", "--port", port])

    assert caught.value.code == 2
    assert "--port" in capsys.readouterr().err


def test_cli_status_and_stop_when_not_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = str(free_port())

    assert main(["status", "--port", port, "--data-dir", str(tmp_path)]) == 1
    assert capsys.readouterr().out == f"Kafka is not running (port {port}, data {tmp_path})\n"
    assert main(["stop", "--port", port, "--data-dir", str(tmp_path)]) == 0
    assert "nothing to stop" in capsys.readouterr().out


def test_cli_start_without_java_exits_1_with_the_message(tmp_path: Path) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    env = {**os.environ, "PATH": str(empty_bin), "PYTHONPATH": str(REPO / "src")}
    command = [sys.executable, "-m", "sluice.cli.local_kafka", "start"]
    command += ["--port", str(free_port()), "--data-dir", str(tmp_path / "data")]

    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("sluice kafka start: java was not found on PATH")
    assert "Java 17+" in done.stderr
