"""What a worker prints when Kafka is down: its own log lines, few of them, never librdkafka's raw
``%3|1700000000.123|FAIL|...`` lines, which ignored ``--log-level`` and came several a second."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.ports import free_port

pytestmark = pytest.mark.integration

RAW_CLIENT_LINE = re.compile(r"^%\d\|")
"""librdkafka's own output format: ``%<syslog level>|<time>|<facility>|<client>| <text>``."""


def _dead_address() -> str:
    return f"127.0.0.1:{free_port()}"  # nothing listens there


def test_thirty_seconds_without_a_broker_print_a_few_log_lines(tmp_path: Path) -> None:
    address = _dead_address()
    worker = tmp_path / "worker.properties"
    worker.write_text(
        f"bootstrap.servers={address}\n"
        "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
        "value.converter=org.apache.kafka.connect.storage.StringConverter\n"
        f"offset.storage.file.filename={tmp_path / 'offsets'}\n"
        "listeners=http://127.0.0.1:0\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "sluice.cli.main", "standalone", str(worker)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SLUICE_KAFKA_WAIT_SECONDS": "30"},
    )
    lines = (result.stdout + result.stderr).splitlines()
    assert result.returncode == 1
    assert [line for line in lines if RAW_CLIENT_LINE.match(line)] == []
    assert f"sluice: Cannot reach Kafka at bootstrap.servers={address}" in result.stderr
    about_the_broker = [line for line in lines if address in line or "brokers are down" in line]
    assert 1 <= len(about_the_broker) < 30, "\n".join(lines)
    assert all("(librdkafka.admin)" in line for line in about_the_broker[:-1])
