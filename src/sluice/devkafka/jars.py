"""Apache Kafka's jars, fetched through Maven from the repository's ``pom.xml``.

A folder sluice fetched records the pom's digest; when the pom has changed since (a new Kafka
release, another jar), the folder is fetched again, because stale jars of a different version
would otherwise sit beside the new ones on the classpath. A folder filled by hand (no digest) is
trusted as long as it holds the broker jar.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

from sluice.devkafka.errors import JarsNotFoundError, MavenNotFoundError
from sluice.devkafka.locations import default_libs_dir, find_pom

__all__ = ["ensure_jars", "java_classpath", "kafka_version"]

# How many lines of Maven's output a failed fetch reports.
_OUTPUT_LINES = 30
_KAFKA_JAR = re.compile(r"^kafka_2\.13-(\d+(?:\.\d+)*)\.jar$")
# Written into a libs folder sluice fetched: the sha256 of the pom it was fetched from.
_POM_DIGEST_FILE = ".sluice-pom.sha256"


def _kafka_jar(libs_dir: Path) -> tuple[Path, str] | None:
    if not libs_dir.is_dir():
        return None
    for jar in sorted(libs_dir.iterdir()):
        match = _KAFKA_JAR.match(jar.name)
        if match:
            return jar, match.group(1)
    return None


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pom_changed_since_fetch(libs_dir: Path) -> bool:
    stamp = libs_dir / _POM_DIGEST_FILE
    if not stamp.is_file():
        return False
    try:
        pom = find_pom()
    except JarsNotFoundError:
        return False  # nothing to compare with: keep what is there
    return stamp.read_text(encoding="utf-8").strip() != _digest(pom)


def kafka_version(libs_dir: Path | None = None) -> str:
    """The Apache Kafka release in the libs folder, read from the broker jar's name."""
    libs = libs_dir if libs_dir is not None else default_libs_dir()
    found = _kafka_jar(libs)
    if found is None:
        raise JarsNotFoundError(f"no kafka_2.13-<version>.jar in {libs}")
    return found[1]


def java_classpath(libs_dir: Path | None = None) -> str:
    """The ``-cp`` value that puts every jar of the libs folder on a Java classpath."""
    libs = libs_dir if libs_dir is not None else default_libs_dir()
    return str(libs / "*")


def _find_maven() -> str:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise MavenNotFoundError(
            "mvn was not found on PATH: sluice fetches the Kafka jars with Maven the first time "
            "(e.g. apt-get install maven), or set SLUICE_KAFKA_LIBS to a folder holding them"
        )
    return mvn


def ensure_jars(libs: Path) -> Path:
    """Fetch the Kafka jars into ``libs`` with Maven unless the folder is complete and current."""
    if _kafka_jar(libs) is not None and not _pom_changed_since_fetch(libs):
        return libs
    mvn = _find_maven()
    pom = find_pom()
    # Fetch beside the folder and swap it in whole, so a failed or partial download never
    # leaves a broken classpath behind, and running JVMs keep their open jars.
    staging = libs.with_name(f"{libs.name}.fetching")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    command = [
        mvn,
        "-B",
        "-q",
        "dependency:copy-dependencies",
        f"-DoutputDirectory={staging}",
        "-DincludeScope=runtime",
        "-f",
        str(pom),
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise JarsNotFoundError(f"cannot run {mvn}: {exc}") from exc
    if done.returncode != 0:
        output = "\n".join((done.stdout + done.stderr).splitlines()[-_OUTPUT_LINES:])
        raise JarsNotFoundError(
            f"mvn could not fetch the Kafka jars listed in {pom} "
            f"(exit {done.returncode}):\n{output}"
        )
    if _kafka_jar(staging) is None:
        raise JarsNotFoundError(f"mvn ran but left no kafka_2.13-<version>.jar in {staging}")
    (staging / _POM_DIGEST_FILE).write_text(_digest(pom), encoding="utf-8")
    old = libs.with_name(f"{libs.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if libs.exists():
        libs.rename(old)
    staging.rename(libs)
    shutil.rmtree(old, ignore_errors=True)
    return libs
