"""The two contenders behind one interface, and the sluice one.

A side turns the worker settings and connector configs a workload chose (the same dicts for
both) into a running process, and answers the one question the runtimes store differently: which
source offset has been committed.
"""

from __future__ import annotations

import abc
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.process import WorkerProcess

__all__ = ["PLUGIN_DIR", "Side", "SluiceSide", "free_port", "write_properties"]

PLUGIN_DIR = Path(__file__).resolve().parent / "plugins"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _escape(text: str, key: bool) -> str:
    out = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    if key:
        out = out.replace("=", "\\=").replace(":", "\\:").replace(" ", "\\ ")
    elif out.startswith(" "):
        out = "\\" + out
    return out


def write_properties(path: Path, props: Mapping[str, str]) -> Path:
    """A ``.properties`` file both runtimes read the same way."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{_escape(k, True)}={_escape(str(v), False)}" for k, v in props.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Side(abc.ABC):
    """One runtime under test."""

    name: str
    label: str

    def prepare(self) -> None:
        """Build what the side needs once per bench (e.g. a jar)."""

    @abc.abstractmethod
    def side_worker_props(self) -> dict[str, str]:
        """Settings only this side needs (REST listener, plugin path)."""

    @abc.abstractmethod
    def command(self, worker_file: Path, connector_files: list[Path]) -> list[str]:
        """The argv a user would run."""

    def launch(
        self,
        run_dir: Path,
        worker_props: Mapping[str, str],
        connectors: list[dict[str, str]],
    ) -> WorkerProcess:
        props = dict(worker_props)
        props.update(self.side_worker_props())
        self.worker_props = props
        worker_file = write_properties(run_dir / "worker.properties", props)
        files = [write_properties(run_dir / f"{c['name']}.properties", c) for c in connectors]
        return WorkerProcess(self.command(worker_file, files), run_dir / "worker.log").start()

    @abc.abstractmethod
    def committed_source_offset(
        self, connector: str, partition: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """The committed offset of a source partition, or ``None`` when there is none yet."""


class SluiceSide(Side):
    """``sluice standalone worker.properties connector.properties``.

    With ``profile`` set, py-spy attaches to every sluice worker it starts (non-blocking
    sampling, so the worker is not paused) and leaves ``py-spy.txt`` (collapsed stacks) in the
    run folder; :mod:`bench.hotspots` summarizes them.
    """

    name = "sluice"
    label = "sluice"

    def __init__(self, profile: bool = False) -> None:
        self.profile = profile

    def launch(
        self,
        run_dir: Path,
        worker_props: Mapping[str, str],
        connectors: list[dict[str, str]],
    ) -> WorkerProcess:
        proc = super().launch(run_dir, worker_props, connectors)
        if self.profile:
            py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
            log = open(run_dir / "py-spy.log", "wb")  # noqa: SIM115 - owned by the child
            proc.companions.append(
                subprocess.Popen(
                    [
                        py_spy,
                        "record",
                        "--pid",
                        str(proc.pid),
                        "--rate",
                        "200",
                        "--nonblocking",
                        "--format",
                        "raw",
                        "--output",
                        str(run_dir / "py-spy.txt"),
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            )
            log.close()
        return proc

    def side_worker_props(self) -> dict[str, str]:
        props = {"listeners": "http://127.0.0.1:0", "plugin.path": str(PLUGIN_DIR)}
        # Experiment knob: BENCH_SLUICE_WORKER_PROPS="k=v,k=v" adds worker settings for sluice
        # only (to try a default before proposing it; results then say nothing about parity).
        for item in os.environ.get("BENCH_SLUICE_WORKER_PROPS", "").split(","):
            key, sep, value = item.partition("=")
            if sep and key.strip():
                props[key.strip()] = value.strip()
        return props

    def command(self, worker_file: Path, connector_files: list[Path]) -> list[str]:
        # Experiment knob: BENCH_SLUICE_GC="700,10,10" runs the worker with those
        # gc.set_threshold() values (the lead's call whether sluice should set them itself).
        gc = os.environ.get("BENCH_SLUICE_GC")
        entry = ["-m", "sluice.cli.main"]
        if gc:
            entry = [
                "-c",
                f"import gc, runpy; gc.set_threshold({gc}); gc.freeze(); "
                "runpy.run_module('sluice.cli.main', run_name='__main__')",
            ]
        return [
            sys.executable,
            *entry,
            "standalone",
            "--log-level",
            os.environ.get("BENCH_SLUICE_LOG_LEVEL", "WARNING"),
            str(worker_file),
            *[str(f) for f in connector_files],
        ]

    def committed_source_offset(
        self, connector: str, partition: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """Read from the offsets file the worker rewrites (atomically) at every commit."""
        path = Path(self.worker_props["offset.storage.file.filename"])
        try:
            doc = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        for key_b64, value_b64 in doc.get("offsets", []):
            key = json.loads(base64.b64decode(key_b64))
            if key == [connector, dict(partition)]:
                value: dict[str, Any] | None = json.loads(base64.b64decode(value_b64))
                return value
        return None
