"""``python -m bench.record_floor`` end to end at a small size, so that item 5's bench and its
byte-for-byte check of the Java-text loop against sluice's file do not rot between runs.

Not a performance test: the only claims are that the three contenders drained the topic and
produced figures, and that the framework-free loop printing ``Map.toString`` wrote exactly the
file sluice's FileStreamSink wrote.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(300)
def test_record_floor_contenders_drain_the_topic_and_match(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    out = tmp_path / "floor.json"
    command = [
        sys.executable,
        "-m",
        "bench.record_floor",
        "--records",
        "30000",
        "--bootstrap",
        kafka_bootstrap,
        "--out",
        str(out),
    ]
    done = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=280, check=False
    )
    assert done.returncode == 0, f"record_floor failed:\n{done.stdout}\n{done.stderr[-4000:]}"
    results = json.loads(out.read_text())
    assert results["records"] == 30000
    for contender in ("sluice", "floor", "floor_java_text"):
        figures = results[contender]
        assert figures["records_per_s"] > 0, (contender, figures)
        assert figures["cpu_s_per_million"] > 0, (contender, figures)
    assert results["floor_java_text_output_matches_sluice"] is True
