"""Apache Kafka Connect as a contender: ``ConnectStandalone`` from the same Maven jars.

It runs as ``connect-standalone.sh`` would start it (the script's heap and GC flags), with the
bench's Java twin of the B3 generator connector added to the classpath; that jar is compiled
once with ``javac`` and cached. Kafka Connect keeps standalone offsets in a Java-serialized file,
so committed source offsets are read through its REST API (``GET /connectors/<n>/offsets``).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.sides import Side, free_port
from sluice.devkafka import find_java, java_classpath, log4j2_config_file

__all__ = ["JAVA_SOURCES", "JavaSide", "build_connector_jar", "java_command"]

JAVA_SOURCES = Path(__file__).resolve().parent / "java"

# What connect-standalone.sh / kafka-run-class.sh put on the command line by default.
HEAP_OPTS = ["-Xms256M", "-Xmx2G"]
PERFORMANCE_OPTS = [
    "-server",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:InitiatingHeapOccupancyPercent=35",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:MaxInlineLevel=15",
    "-Djava.awt.headless=true",
]


class JavaBuildError(Exception):
    """The bench's Java connector could not be compiled."""


def java_command(
    main_class: str, args: list[str], extra_classpath: Sequence[Path] = ()
) -> list[str]:
    """``java`` with Kafka's jars (and extras) on the classpath, quiet log4j2 config."""
    classpath = ":".join([java_classpath(), *[str(p) for p in extra_classpath]])
    return [
        find_java(),
        *HEAP_OPTS,
        *PERFORMANCE_OPTS,
        f"-Dlog4j2.configurationFile={log4j2_config_file()}",
        "-cp",
        classpath,
        main_class,
        *args,
    ]


def build_connector_jar(cache_dir: Path) -> Path:
    """Compile ``bench/java`` into a jar (with its ServiceLoader manifest), once per source."""
    sources = sorted(JAVA_SOURCES.rglob("*.java"))
    digest = hashlib.sha256()
    for src in sources:
        digest.update(src.read_bytes())
    jar = cache_dir / f"sluice-bench-connectors-{digest.hexdigest()[:12]}.jar"
    if jar.exists():
        return jar
    javac = shutil.which("javac")
    if javac is None:
        java = Path(find_java()).resolve()
        candidate = java.with_name("javac")
        if not candidate.exists():
            raise JavaBuildError(
                "javac was not found: the bench compiles its B3 Java connector and needs a JDK "
                "(e.g. apt-get install openjdk-17-jdk-headless)"
            )
        javac = str(candidate)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
        out = Path(tmp) / "classes"
        result = subprocess.run(
            [
                javac,
                "--release",
                "17",
                "-nowarn",
                "-cp",
                java_classpath(),
                "-d",
                str(out),
                *[str(s) for s in sources],
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise JavaBuildError(f"javac failed:\n{result.stderr}")
        partial = jar.with_suffix(".part")
        with zipfile.ZipFile(partial, "w") as zf:
            for cls in sorted(out.rglob("*.class")):
                zf.write(cls, cls.relative_to(out).as_posix())
            zf.writestr(
                "META-INF/services/org.apache.kafka.connect.source.SourceConnector",
                "sluice.bench.TsvStructSourceConnector\n",
            )
        partial.replace(jar)
    return jar


class JavaSide(Side):
    """``connect-standalone.sh worker.properties connector.properties``, minus the script."""

    name = "java"
    label = "Kafka Connect"

    def __init__(
        self, cache_dir: Path, plugin_discovery: str | None = None, name: str = "java"
    ) -> None:
        self.cache_dir = cache_dir
        self.plugin_discovery = plugin_discovery
        self.name = name
        if name != "java":
            self.label = f"Kafka Connect (plugin.discovery={plugin_discovery})"
        self.jar: Path | None = None
        self.rest_port = 0

    def prepare(self) -> None:
        self.jar = build_connector_jar(self.cache_dir / "java")

    def side_worker_props(self) -> dict[str, str]:
        self.rest_port = free_port()
        props = {"listeners": f"http://127.0.0.1:{self.rest_port}"}
        if self.plugin_discovery:
            props["plugin.discovery"] = self.plugin_discovery
        return props

    def command(self, worker_file: Path, connector_files: list[Path]) -> list[str]:
        extra = [self.jar] if self.jar is not None else []
        return java_command(
            "org.apache.kafka.connect.cli.ConnectStandalone",
            [str(worker_file), *[str(f) for f in connector_files]],
            extra,
        )

    def committed_source_offset(
        self, connector: str, partition: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        url = f"http://127.0.0.1:{self.rest_port}/connectors/{connector}/offsets"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                doc = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError):
            return None
        for entry in doc.get("offsets", []):
            if entry.get("partition") == dict(partition):
                offset: dict[str, Any] | None = entry.get("offset")
                return offset
        return None
