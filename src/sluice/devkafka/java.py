"""The Java runtime that runs Kafka's tools and broker: found, checked, and given a command line."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from sluice.devkafka.errors import JavaNotFoundError
from sluice.devkafka.jars import java_classpath

__all__ = ["MIN_JAVA_VERSION", "find_java", "java_command", "log4j2_config_file"]

MIN_JAVA_VERSION = 17
_JAVA_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?')
_LOG4J2_RESOURCE = "log4j2-kafka.properties"


def log4j2_config_file() -> Path:
    """The log4j2 configuration sluice gives Java tools: console output, WARN and up."""
    return Path(__file__).with_name(_LOG4J2_RESOURCE)


def find_java() -> str:
    """The ``java`` on PATH, checked to be 17 or newer (Kafka 4 needs it)."""
    java = shutil.which("java")
    if java is None:
        raise JavaNotFoundError(
            "java was not found on PATH: sluice's local Kafka needs a Java 17+ runtime "
            "(e.g. apt-get install openjdk-17-jre-headless)"
        )
    try:
        probe = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise JavaNotFoundError(f"cannot run {java} -version: {exc}") from exc
    match = _JAVA_VERSION.search(probe.stderr + probe.stdout)
    if match:
        major = int(match.group(1))
        if major == 1 and match.group(2):  # "1.8.0_392" style
            major = int(match.group(2))
        if major < MIN_JAVA_VERSION:
            raise JavaNotFoundError(
                f"{java} is Java {major}: sluice's local Kafka needs a Java 17+ runtime "
                "(e.g. apt-get install openjdk-17-jre-headless)"
            )
    return java


def java_command(java: str, libs_dir: Path, main_class: str, *args: str) -> list[str]:
    """``java`` running ``main_class`` with the Kafka jars and sluice's log4j2 configuration."""
    return [
        java,
        f"-Dlog4j2.configurationFile={log4j2_config_file()}",
        "-cp",
        java_classpath(libs_dir),
        main_class,
        *args,
    ]
