"""The bench harness end to end at tiny sizes, so ``make bench`` does not rot between runs.

Not a performance test: one run per side, a few thousand records, and the only claims are that
every workload produced figures on both sides and the report files exist.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]

# One record size of B1 and B2: the 1 KB runs are the same code with longer lines.
RATE_WORKLOADS = ["B1-100B", "B2-100B", "B3-source", "B3-sink"]
# B5 at two tasks only: one and N tasks run the same code with another tasks.max, and each B5
# size costs a Java and a sluice run of both directions (about half a minute here).
B5_WORKLOADS = ["B5-sink-2t", "B5-source-2t"]
RAW_WORKLOADS = ["B0-produce-100B", "B0-produce-1KB", "B0-consume-100B", "B0-consume-1KB"]


@pytest.mark.timeout(420)
def test_bench_harness_reports_every_workload(kafka_bootstrap: str, tmp_path: Path) -> None:
    results_dir = tmp_path / "results"
    command = [
        sys.executable,
        "-m",
        "bench",
        "--scale",
        "0.0003",
        "--runs",
        "1",
        "--warmup",
        "0",
        "--idle-seconds",
        "1",
        "--settle-seconds",
        "0",  # the test suite keeps the machine busy: no waiting for it to be quiet
        "--only",
        ",".join(["B0", *RATE_WORKLOADS, "B4", *B5_WORKLOADS]),
        # Skips Kafka Connect's jar scan at start-up: the smoke run checks the harness, not
        # Java's start-up, and this keeps it within its time budget.
        "--java-plugin-discovery",
        "service_load",
        "--bootstrap",
        kafka_bootstrap,
        "--cache-dir",
        str(tmp_path / "cache"),
        "--results-dir",
        str(results_dir),
    ]
    done = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=400, check=False
    )
    assert done.returncode == 0, f"bench failed:\n{done.stdout}\n{done.stderr[-4000:]}"

    results = json.loads((results_dir / "latest.json").read_text())
    expected = [*RAW_WORKLOADS, *RATE_WORKLOADS, "B4-idle", *sorted(B5_WORKLOADS)]
    assert list(results) == expected, done.stderr[-4000:]
    problems = [f"{wid}: {e}" for wid, entry in results.items() for e in entry["errors"]]
    assert not problems, "\n".join(problems)

    for wid in RAW_WORKLOADS:
        assert results[wid]["raw_records_per_s"] > 0, wid
    for wid in [*RATE_WORKLOADS, *B5_WORKLOADS]:
        entry = results[wid]
        for key in (
            "sluice_records_per_s",
            "java_records_per_s",
            "raw_records_per_s",
            "ratio_vs_java",
            "ratio_vs_raw",
            "sluice_peak_rss_mb",
            "java_peak_rss_mb",
        ):
            assert entry[key] is not None and entry[key] > 0, (wid, key, entry)
        assert entry["records"] >= 1000
    idle = results["B4-idle"]
    for key in (
        "sluice_startup_s",
        "java_startup_s",
        "sluice_idle_rss_mb",
        "java_idle_rss_mb",
        "ratio_startup_vs_java",
        "ratio_idle_rss_vs_java",
        "sluice_peak_rss_mb",
        "java_peak_rss_mb",
    ):
        assert idle[key] is not None and idle[key] > 0, (key, idle)

    assert (results_dir / "latest.png").stat().st_size > 0
    assert "B3-sink" in done.stdout and "producer:" in done.stdout
