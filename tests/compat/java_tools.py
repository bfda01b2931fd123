"""Finding the JDK and the Kafka jars for the compat tests' Java harnesses.

A missing JDK or jar fails the test with what to do (never a skip): the compat tests are the
evidence that sluice's bytes are Kafka's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "REPO",
    "LineHarness",
    "compile_line_harness",
    "java_tool",
    "kafka_libs",
    "run_case_harness",
]

REPO = Path(__file__).resolve().parents[2]


def kafka_libs(required: Sequence[str]) -> Path:
    """The folder of Kafka's jars (``$SLUICE_KAFKA_LIBS`` or ``.cache/kafka/libs``), checked
    to hold a jar for every name prefix in ``required``."""
    libs = Path(os.environ.get("SLUICE_KAFKA_LIBS") or REPO / ".cache" / "kafka" / "libs")
    names = [p.name for p in libs.glob("*.jar")] if libs.is_dir() else []
    missing = [prefix for prefix in required if not any(n.startswith(prefix) for n in names)]
    if missing:
        pytest.fail(
            f"Kafka jars missing from {libs} (need {', '.join(p + '*.jar' for p in missing)}): "
            "run `mvn -q dependency:copy-dependencies -DoutputDirectory=.cache/kafka/libs "
            "-DincludeScope=runtime` in the repository, or point SLUICE_KAFKA_LIBS at them"
        )
    return libs


def java_tool(name: str) -> str:
    """``java`` or ``javac`` from ``$JAVA_HOME``, else from ``PATH``."""
    home = os.environ.get("JAVA_HOME")
    candidate = Path(home) / "bin" / name if home else None
    if candidate is not None and candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"`{name}` not found: a JDK (17 or later) is needed for the Java compat tests")
    return found


LineHarness = Callable[[list[str]], list[str]]
"""Answers a batch of one-line jobs with one line each, in one JVM."""


def compile_line_harness(
    source: Path, main_class: str, required: Sequence[str], build: Path
) -> LineHarness:
    """Compile ``source`` against Kafka's jars into ``build``; the returned function runs
    ``main_class`` with the jobs on stdin, one per line, and returns its answer lines (the
    harness ends with ``END``)."""
    classpath = str(kafka_libs(required) / "*")
    compiled = subprocess.run(
        [java_tool("javac"), "-nowarn", "-cp", classpath, "-d", str(build), str(source)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if compiled.returncode != 0:
        pytest.fail(f"javac failed on {source.name}:\n{compiled.stderr}")

    def run(jobs: list[str]) -> list[str]:
        done = subprocess.run(
            [java_tool("java"), "-cp", f"{classpath}{os.pathsep}{build}", main_class],
            input="".join(job + "\n" for job in jobs),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
        )
        lines = done.stdout.split("\n")
        if done.returncode != 0 or lines[-2:] != ["END", ""]:
            pytest.fail(f"the Java harness failed:\n{done.stderr[-3000:]}")
        assert len(lines) == len(jobs) + 2
        return lines[:-2]

    return run


def run_case_harness(
    work: Path, source: str, classpath: str, cases: list[Any], jvm_flags: list[str]
) -> dict[str, Any]:
    """Compile ``SmtHarness.java`` from ``source`` in ``work``, run it on ``cases`` (written as
    JSON) and return its results by case ``id``."""
    javac, java = shutil.which("javac"), shutil.which("java")
    if javac is None or java is None:
        pytest.fail("javac and java are required for the Java compatibility tests (install a JDK)")
    (work / "SmtHarness.java").write_text(source)
    subprocess.run(
        [javac, "-nowarn", "-cp", classpath, "-d", str(work), str(work / "SmtHarness.java")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    (work / "cases.json").write_text(json.dumps(cases))
    done = subprocess.run(
        [
            java,
            *jvm_flags,
            "-cp",
            f"{work}{os.pathsep}{classpath}",
            "SmtHarness",
            str(work / "cases.json"),
            str(work / "out.json"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return {r["id"]: r for r in json.loads((work / "out.json").read_text())}
