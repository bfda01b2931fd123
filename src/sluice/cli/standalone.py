"""``sluice standalone``: what ``connect-standalone.sh`` does, in one process.

Start-up problems (unreadable or malformed files, invalid configs, unknown plugins, an
unreachable broker) end the process with a one-line error naming the file and the key, and exit
status 1. Once running, SIGINT or SIGTERM stops the tasks gracefully and commits their offsets.
``SLUICE_KAFKA_WAIT_SECONDS`` (default 30) bounds the wait for the broker at start-up.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
from pathlib import Path

from sluice.api import ConfigError, ConnectError
from sluice.cli.startup import (
    RunningWorker,
    StartupError,
    cluster_id,
    install_logging,
    load_registry,
    rest_app,
    rest_server,
    serve_rest,
    serve_until_signalled,
    worker_config,
)

__all__ = ["Standalone", "StartupError", "run_standalone", "start_standalone"]

log = logging.getLogger("sluice.standalone")

Standalone = RunningWorker
"""A running standalone worker: herder, worker, REST server."""


def _worker_id(listeners: list[str]) -> str:
    """A provisional id until the REST server has bound its port (then it names the worker)."""
    host = "127.0.0.1"
    with contextlib.suppress(OSError):
        host = socket.gethostbyname(socket.gethostname())
    port = listeners[0].rsplit(":", 1)[-1] if listeners else "8083"
    return f"{host}:{port or 8083}"


def _one_line(message: str) -> str:
    """A multi-line error as one line. Kafka's aggregated validation message puts each error
    on a line of its own without a full stop, so each line but the last gets one where it has
    none: "...: Not a number of type INT. You can also find..." rather than "INT You can"."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    ends = (".", ":", ";", "!", "?")
    return " ".join(
        line if i == len(lines) - 1 or line.endswith(ends) else line + "."
        for i, line in enumerate(lines)
    )


def start_standalone(
    worker_props: dict[str, str],
    connector_files: list[tuple[str, str, dict[str, str], str | None]],
    worker_source: str = "worker.properties",
    cluster_lookup_timeout: float = 30.0,
) -> RunningWorker:
    """Start a worker; raise :class:`StartupError` naming the file and key on bad input.

    ``connector_files`` holds ``(source, name, config, initial_state)`` per connector.
    """
    from sluice.rest.bodies import INITIAL_STATES
    from sluice.runtime.herder import BadRequestError
    from sluice.runtime.standalone import StandaloneHerder
    from sluice.runtime.worker import Worker
    from sluice.runtime.worker_config import WorkerConfig
    from sluice.storage.offsets import FileOffsetBackingStore

    config, resolve = worker_config(worker_props, worker_source, WorkerConfig)
    registry = load_registry(config, worker_source)
    store = FileOffsetBackingStore(str(config.get_string("offset.storage.file.filename")))
    try:
        store.start()
    except (ConnectError, OSError) as e:
        raise StartupError(f"{worker_source}: offset.storage.file.filename: {e}") from e
    kafka_cluster = cluster_id(config, cluster_lookup_timeout)
    worker = Worker(_worker_id(config.get_list("listeners")), config, registry, store, resolve)
    herder = StandaloneHerder(worker, kafka_cluster)
    rest = rest_server(config, worker_source)
    serve_rest(rest, rest_app(herder, config), worker_source)
    worker.worker_id = rest.worker_id
    herder.start()
    running = RunningWorker(herder, rest)
    for source, name, conn_config, initial in connector_files:
        try:
            herder.put_connector_config(
                name,
                conn_config,
                allow_replace=False,
                initial_state=INITIAL_STATES[initial] if initial else None,
            )
        except (BadRequestError, ConfigError, ConnectError) as e:
            running.stop()
            raise StartupError(f"{source}: {_one_line(str(e))}") from e
        log.info("Created connector %s", name)
    return running


def run_standalone(worker_file: str, connector_files: list[str], log_level: str = "INFO") -> int:
    """The ``sluice standalone`` command; returns the exit status."""
    from sluice.runtime.config_files import (
        ConfigFileError,
        load_connector_configs,
        load_properties,
    )

    try:
        worker_props = load_properties(Path(worker_file))
        install_logging(log_level.upper(), worker_props, worker_file)
        connectors = []
        for f in connector_files:
            # A Strimzi KafkaConnector YAML file may hold several connectors, and notes on
            # what only the operator does (spec.autoRestart...) or documents it skipped.
            loaded = load_connector_configs(Path(f))
            for note in loaded.notes:
                log.warning("%s", note)
            for entry in loaded.connectors:
                connectors.append((entry.where, entry.name, entry.config, entry.initial_state))
        wait = float(os.environ.get("SLUICE_KAFKA_WAIT_SECONDS", "30"))
        running = start_standalone(worker_props, connectors, worker_file, wait)
    except (ConfigFileError, StartupError) as e:
        print(f"sluice: {e}", file=sys.stderr)
        return 1
    log.info(
        "sluice standalone worker started%s",
        f"; REST API at {running.rest_url}" if running.rest_url else "",
    )
    return serve_until_signalled(running, log)
