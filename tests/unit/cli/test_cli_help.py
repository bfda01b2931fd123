"""What ``sluice ... --help`` says, and the options ``sluice demo`` takes."""

from __future__ import annotations

from typing import Any

import pytest

from sluice.cli import demo
from sluice.cli.main import main


def help_of(capsys: pytest.CaptureFixture[str], *command: str) -> str:
    with pytest.raises(SystemExit) as caught:
        main([*command, "--help"])
    assert caught.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # one line, however argparse wraps it


def test_demo_options_are_explained(capsys: pytest.CaptureFixture[str]) -> None:
    text = help_of(capsys, "demo")

    for option, words in [
        ("--port PORT", "port of the local broker"),
        ("--bootstrap BOOTSTRAP", "bootstrap.servers of any other Kafka cluster"),
        ("--lines LINES", "lines to generate and copy (default 200000)"),
        ("--work-dir WORK_DIR", "folder for the input, output and offsets files"),
        ("--timeout TIMEOUT", "seconds to wait for every line to arrive"),
    ]:
        assert f"{option} {words}" in text


@pytest.mark.parametrize(
    ("argv", "bootstrap"),
    [
        ([], "127.0.0.1:9092"),
        (["--port", "9094"], "127.0.0.1:9094"),
        (["--bootstrap", "kafka:9092"], "kafka:9092"),
    ],
)
def test_demo_port_picks_the_local_broker(
    argv: list[str], bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(demo, "run_demo", lambda *args: calls.append(args) or 0)

    assert main(["demo", *argv, "--lines", "5"]) == 0

    assert calls == [(bootstrap, 5, None, 300.0)]


def test_demo_port_and_bootstrap_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["demo", "--port", "9094", "--bootstrap", "kafka:9092"])

    assert caught.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_standalone_says_connector_configs_are_optional(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = help_of(capsys, "standalone")

    assert "worker_properties [connector_configs ...]" in text
    assert "any number of connector configs (none is fine" in text
    assert (
        "connector configs (.properties, .json or Strimzi KafkaConnector .yaml), optional" in text
    )
