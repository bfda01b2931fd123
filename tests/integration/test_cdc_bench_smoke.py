"""``python -m bench.cdc`` end to end at a tiny size, so the CDC bench does not rot between runs.

Not a performance test: a few hundred changes on PostgreSQL, on sluice's side only (Debezium's JVM
would double the time), and the only claims are that the bench produced its figures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(120)
def test_cdc_bench_reports_its_figures(kafka_bootstrap: str, tmp_path: Path) -> None:
    out = tmp_path / "cdc.json"
    command = [
        sys.executable,
        "-m",
        "bench.cdc",
        "--databases",
        "postgresql",
        "--only",
        "sluice",
        "--rows",
        "5000",  # enough to be seen arriving over several 20 ms looks, so the rate is timed
        "--rate",
        "100",
        "--seconds",
        "1.5",
        "--bootstrap",
        kafka_bootstrap,
        "--out",
        str(out),
    ]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=110)
    assert done.returncode == 0, f"bench failed:\n{done.stdout}\n{done.stderr[-4000:]}"
    figures = json.loads(out.read_text())["postgresql"]["sluice"]
    assert figures["records_in_topic"] == 5000
    for key in ("changes_per_s", "latency_p50_ms", "latency_p99_ms", "peak_rss_mb"):
        assert figures[key] > 0, (key, figures)
    assert figures["latency_changes_read"] == figures["latency_changes"]
    assert "latency p50 ms" in done.stderr
