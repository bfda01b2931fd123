"""An in-process standalone worker for integration tests."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from sluice.cli.standalone import Standalone, start_standalone
from sluice.runtime.standalone import StandaloneHerder
from sluice.runtime.status import State
from sluice.testing.waiting import wait_for

__all__ = ["EmbeddedWorker"]


class EmbeddedWorker:
    """A standalone worker on ``bootstrap``, storing offsets under ``work_dir``.

    Use as a context manager. ``worker_props`` adds or overrides worker settings; by default the
    converters are StringConverter, offsets flush every second and REST listens on a free port.
    """

    def __init__(
        self,
        bootstrap: str,
        work_dir: str | Path,
        worker_props: Mapping[str, str] | None = None,
        connectors: list[tuple[str, dict[str, str]]] | None = None,
    ) -> None:
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.props = {
            "bootstrap.servers": bootstrap,
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "offset.storage.file.filename": str(self.work_dir / "connect.offsets"),
            "offset.flush.interval.ms": "1000",
            "listeners": "http://127.0.0.1:0",
        }
        self.props.update(worker_props or {})
        self.initial = connectors or []
        self.running: Standalone | None = None

    def start(self) -> EmbeddedWorker:
        files: list[tuple[str, str, dict[str, str], str | None]] = [
            (f"<{name}>", name, dict(c), None) for name, c in self.initial
        ]
        self.running = start_standalone(dict(self.props), files, "<worker>")
        return self

    @property
    def herder(self) -> StandaloneHerder:
        assert self.running is not None, "worker not started"
        herder: StandaloneHerder = self.running.herder
        return herder

    @property
    def rest_url(self) -> str:
        assert self.running is not None and self.running.rest_url is not None
        return self.running.rest_url

    def create(self, name: str, config: Mapping[str, str]) -> None:
        self.herder.put_connector_config(name, dict(config), allow_replace=False)

    def wait_running(self, name: str, tasks: int = 1, timeout: float = 30.0) -> None:
        """Wait until the connector and ``tasks`` tasks are RUNNING (fails fast on FAILED)."""

        def check() -> bool:
            try:
                status = self.herder.connector_status(name)
            except Exception:
                return False
            states = [s.state for s in status.tasks.values()]
            if State.FAILED in states or status.connector.state is State.FAILED:
                traces = [s.trace for s in status.tasks.values() if s.trace]
                raise AssertionError(f"{name} failed: {status.connector.trace or traces}")
            return status.connector.state is State.RUNNING and states.count(State.RUNNING) == tasks

        wait_for(check, timeout, message=lambda: f"{name} not running: {self._status(name)}")

    def _status(self, name: str) -> Any:
        try:
            return self.herder.connector_status(name)
        except Exception as e:
            return e

    def stop(self) -> None:
        if self.running is not None:
            self.running.stop()
            self.running = None

    def __enter__(self) -> EmbeddedWorker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
