"""One connector instance: its lifecycle and the context it uses to call back into the runtime."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from sluice.api import Connector, OffsetStorageReader, SinkConnector, SourceConnectorContext
from sluice.runtime import log_context
from sluice.runtime.java_traces import format_trace
from sluice.runtime.status import ConnectorType
from sluice.storage.states import TargetState

__all__ = ["ConnectorStatusListener", "WorkerConnector"]

log = logging.getLogger(__name__)


class ConnectorStatusListener(Protocol):
    def on_connector_startup(self, name: str) -> None: ...

    def on_connector_pause(self, name: str) -> None: ...

    def on_connector_resume(self, name: str) -> None: ...

    def on_connector_stop(self, name: str) -> None: ...

    def on_connector_failure(self, name: str, trace: str) -> None: ...

    def on_connector_shutdown(self, name: str) -> None: ...


class _Context(SourceConnectorContext):
    def __init__(self, owner: WorkerConnector) -> None:
        self._owner = owner

    def request_task_reconfiguration(self) -> None:
        self._owner.request_reconfiguration(self._owner.name)

    def raise_error(self, error: Exception) -> None:
        self._owner.fail(error)

    def offset_storage_reader(self) -> OffsetStorageReader:
        return self._owner.offset_reader


class WorkerConnector:
    """Starts, pauses and stops a :class:`~sluice.api.Connector` as its target state says.

    A PAUSED connector stays started (only its tasks pause); STOPPED stops the instance.
    """

    def __init__(
        self,
        name: str,
        connector: Connector,
        config: dict[str, str],
        listener: ConnectorStatusListener,
        offset_reader: OffsetStorageReader,
        request_reconfiguration: Callable[[str], None],
    ) -> None:
        self.name = name
        self.connector = connector
        self.config = config
        self.listener = listener
        self.offset_reader = offset_reader
        self.request_reconfiguration = request_reconfiguration
        self.started = False
        self.failed = False
        self.state: TargetState | None = None
        self._lock = threading.RLock()

    @property
    def type(self) -> ConnectorType:
        return (
            ConnectorType.SINK
            if isinstance(self.connector, SinkConnector)
            else ConnectorType.SOURCE
        )

    def status(self) -> str:
        """This worker's view of the connector, as ``connector-metrics`` ``status`` shows it."""
        if self.failed:
            return "failed"
        if self.state is TargetState.STOPPED:
            return "stopped"
        if not self.started:
            return "unassigned"
        return "paused" if self.state is TargetState.PAUSED else "running"

    def version(self) -> str:
        try:
            return str(self.connector.version())
        except Exception:
            return "unknown"

    def initialize(self) -> bool:
        try:
            with log_context.connector_context(self.name):
                self.connector.initialize(_Context(self))
            return True
        except Exception as e:
            self.fail(e)
            return False

    def transition_to(self, target: TargetState) -> bool:
        """Move to ``target``; returns False (and reports FAILED) if the connector raised."""
        with self._lock, log_context.connector_context(self.name):
            if self.failed:
                return False
            try:
                if target is TargetState.STOPPED:
                    if self.started:
                        self.connector.stop()
                        self.started = False
                    self.state = target
                    self.listener.on_connector_stop(self.name)
                    return True
                if not self.started:
                    self.connector.start(self.config)
                    self.started = True
                    self.listener.on_connector_startup(self.name)
                if target is TargetState.PAUSED:
                    self.listener.on_connector_pause(self.name)
                elif self.state is TargetState.PAUSED:
                    self.listener.on_connector_resume(self.name)
                self.state = target
                return True
            except Exception as e:
                self.fail(e)
                return False

    def fail(self, error: BaseException) -> None:
        with self._lock:
            self.failed = True
            trace = format_trace(error)
            log.error("[%s|worker] Connector failed: %s", self.name, error, exc_info=error)
            self.listener.on_connector_failure(self.name, trace)

    def shutdown(self) -> None:
        with self._lock, log_context.connector_context(self.name):
            try:
                if self.started:
                    self.connector.stop()
            except Exception:
                log.exception("Error while shutting down connector %s", self.name)
            finally:
                self.started = False
                if not self.failed:
                    self.listener.on_connector_shutdown(self.name)
