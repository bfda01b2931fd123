"""Kafka's ``RemoteClusterUtils.translateOffsets`` reads sluice's checkpoints.

A sluice worker on cluster B mirrors a topic A -> B and checkpoints a consumer group (the flow of
``tests/integration/test_mirror_failover.py``). Once the group's translated offsets are on B, a
Java harness (``java/RemoteClusterUtilsHarness.java``) calls Kafka's own
``org.apache.kafka.connect.mirror.RemoteClusterUtils.translateOffsets(B, "A", group)``, from the
connect-mirror-client jar: it must decode ``A.checkpoints.internal`` and answer what sluice's
checkpoints say, which is also what sluice committed to the group on B.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.compat.java_tools import java_tool, kafka_libs
from tests.fixtures.mirror_flow import checkpoints_on_b, mirrored_group, wait_translated

pytestmark = pytest.mark.compat

HARNESS = Path(__file__).resolve().parent / "java" / "RemoteClusterUtilsHarness.java"
REQUIRED_JARS = ("connect-mirror-client-", "kafka-clients-", "slf4j-api-")


def translate_in_java(
    tmp_path: Path, bootstrap: str, alias: str, group: str
) -> list[dict[str, Any]]:
    classpath = str(kafka_libs(REQUIRED_JARS) / "*")
    build = tmp_path / "harness"
    compiled = subprocess.run(
        [java_tool("javac"), "-nowarn", "-cp", classpath, "-d", str(build), str(HARNESS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if compiled.returncode != 0:
        pytest.fail(f"javac failed on {HARNESS.name}:\n{compiled.stderr}")
    done = subprocess.run(
        [
            java_tool("java"),
            "-cp",
            f"{classpath}{os.pathsep}{build}",
            "RemoteClusterUtilsHarness",
            bootstrap,
            alias,
            group,
            "20000",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = done.stdout.splitlines()
    if done.returncode != 0 or lines[-1:] != ["END"]:
        pytest.fail(f"the Java harness failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return [json.loads(line) for line in lines[:-1]]


def test_kafka_translates_offsets_from_sluice_checkpoints(
    tmp_path: Path, kafka_bootstrap: str, kafka_bootstrap_b: str
) -> None:
    with mirrored_group(tmp_path, kafka_bootstrap, kafka_bootstrap_b) as flow:
        committed = wait_translated(flow, kafka_bootstrap_b)
        checkpoints = checkpoints_on_b(kafka_bootstrap_b, flow.group)
        java = translate_in_java(tmp_path, kafka_bootstrap_b, "A", flow.group)

    assert java == [
        {"topic": t, "partition": p, "offset": cp.downstream_offset, "metadata": cp.metadata}
        for (t, p), cp in sorted(checkpoints.items())
    ]
    assert {(e["topic"], e["partition"]): e["offset"] for e in java} == {
        (flow.remote, p): offset for p, offset in committed.items()
    }
