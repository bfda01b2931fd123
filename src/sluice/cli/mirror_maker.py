"""``sluice mirror-maker``: MirrorMaker 2's dedicated mode, as ``connect-mirror-maker.sh`` runs it.

From Kafka's ``connect-mirror-maker.properties`` (parsed by
:mod:`sluice.runtime.mirror_maker_config`) the process starts one distributed Connect worker
(a *herder*) per ``source->target`` pair whose flow or heartbeats are enabled, each a member of
group ``<source>-mm2`` on the target cluster with Kafka's internal topics
(``mm2-configs.<source>.internal``...). Whichever member leads a group writes the three
connectors' configs into its config topic (``MirrorSourceConnector``,
``MirrorCheckpointConnector``, ``MirrorHeartbeatConnector``), as Kafka's ``MirrorHerder`` does;
the group spreads their tasks. Several ``sluice mirror-maker`` processes with the same file
therefore share the work, and one that dies hands its tasks to the others. ``--clusters B``
runs only the herders whose target is ``B``.

Each herder serves Kafka Connect's REST API (followers forward task configs to the leader
through it) on ``<target>.listeners``, by default ``http://127.0.0.1:0`` (a free port on
loopback: processes on one host find each other; for several hosts set for instance
``B.listeners = http://:0``).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from sluice.cli.startup import RunningWorker, StartupError, install_logging
from sluice.runtime.collector import tune_collector

__all__ = ["register", "run_mirror_maker"]

log = logging.getLogger("sluice.mirror_maker")

DEFAULT_LISTENERS = "http://127.0.0.1:0"


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "mirror-maker",
        help="run MirrorMaker 2 in dedicated mode (like connect-mirror-maker.sh)",
        description="Replicate between Kafka clusters from Kafka's "
        "connect-mirror-maker.properties: one distributed worker per source->target pair, "
        "running MirrorSourceConnector, MirrorCheckpointConnector and MirrorHeartbeatConnector.",
    )
    parser.add_argument("config", help="MirrorMaker 2 config (connect-mirror-maker.properties)")
    parser.add_argument(
        "--clusters",
        nargs="+",
        metavar="CLUSTER",
        help="target clusters this process serves (default: all)",
    )
    parser.add_argument("--log-level", default="INFO", help="root log level (default INFO)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    return run_mirror_maker(args.config, args.clusters, args.log_level)


class _Configurator(threading.Thread):
    """Writes a herder's connector configs whenever its worker becomes the group's leader
    (Kafka's ``MirrorHerder.rebalanceSuccess``), retrying until the writes succeed."""

    def __init__(
        self,
        herder: Any,
        desired: dict[str, dict[str, str]],
        unwanted: list[str],
        name: str,
        stopping: threading.Event,
    ) -> None:
        super().__init__(name=f"mm2-configure-{name}", daemon=True)
        self.herder = herder
        self.desired = desired
        self.unwanted = unwanted
        self.pair = name
        self.stopping = stopping

    def run(self) -> None:
        configured = False
        while not self.stopping.wait(0.5):
            try:
                leader = bool(self.herder.is_leader())
            except Exception:
                leader = False
            if not leader:
                configured = False
                continue
            if configured:
                continue
            try:
                self._configure()
                configured = True
            except Exception as e:
                log.info("Could not configure the connectors of %s yet: %s", self.pair, e)

    def _configure(self) -> None:
        existing = set(self.herder.connectors())
        for name, config in self.desired.items():
            if name in existing and self.herder.connector_config(name) == config:
                log.info("Configuration of %s for %s is up to date", name, self.pair)
                continue
            self.herder.put_connector_config(name, config, True)
            log.info("%s configured for %s", name, self.pair)
        for name in self.unwanted:
            if name in existing:
                self.herder.delete_connector_config(name)
                log.info("%s removed for %s (flow not enabled)", name, self.pair)


def run_mirror_maker(
    config_file: str, clusters: list[str] | None = None, log_level: str = "INFO"
) -> int:
    """The ``sluice mirror-maker`` command; returns the exit status."""
    from sluice.cli.distributed import start_distributed
    from sluice.runtime.config_files import ConfigFileError, load_properties
    from sluice.runtime.mirror_maker_config import (
        CHECKPOINT,
        CONNECTOR_CLASSES,
        HEARTBEAT,
        SOURCE,
        MirrorMakerConfig,
        MirrorMakerConfigError,
    )

    try:
        props = load_properties(Path(config_file))
        config = MirrorMakerConfig(props)
        unknown = sorted(set(clusters or ()) - set(config.clusters))
        if unknown:
            raise MirrorMakerConfigError(
                f"--clusters: unknown cluster alias '{unknown[0]}' (clusters = "
                f"{', '.join(config.clusters)})"
            )
        pairs = config.cluster_pairs(clusters or None)
        if not pairs:
            raise MirrorMakerConfigError(
                f"--clusters {' '.join(clusters or ())}: no source->target replication flow "
                "targets these clusters"
            )
        install_logging(log_level.upper(), props, config_file)
    except ConfigFileError as e:
        print(f"sluice: {e}", file=sys.stderr)
        return 1
    except MirrorMakerConfigError as e:
        print(f"sluice: {config_file}: {e}", file=sys.stderr)
        return 1

    wait = float(os.environ.get("SLUICE_KAFKA_WAIT_SECONDS", "30"))
    stopping = threading.Event()
    running: list[RunningWorker] = []
    workers: dict[str, RunningWorker] = {}
    errors: list[str] = []

    def start(pair: Any) -> None:
        worker_props = config.worker_config(pair)
        worker_props.setdefault("listeners", DEFAULT_LISTENERS)
        try:
            workers[str(pair)] = start_distributed(worker_props, f"{config_file} ({pair})", wait)
        except StartupError as e:
            errors.append(str(e))

    log.info("Targeting clusters %s", ", ".join(sorted({p.target for p in pairs})))
    starters = [threading.Thread(target=start, args=(p,), name=f"start-{p}") for p in pairs]
    for thread in starters:
        thread.start()
    for thread in starters:
        thread.join()
    running = list(workers.values())
    if errors:
        for worker in running:
            worker.stop()
        print(f"sluice: {errors[0]}", file=sys.stderr)
        return 1

    configurators = []
    for pair in pairs:
        enabled = config.flow_enabled(pair)
        names = CONNECTOR_CLASSES if enabled else (HEARTBEAT,)
        desired = {name: config.connector_config(pair, name) for name in names}
        unwanted = [] if enabled else [SOURCE, CHECKPOINT]
        configurator = _Configurator(
            workers[str(pair)].herder, desired, unwanted, str(pair), stopping
        )
        configurator.start()
        configurators.append(configurator)
        log.info("Herder for %s started (flow %s)", pair, "enabled" if enabled else "heartbeats")
    log.info("sluice mirror-maker started with %d herders", len(running))
    return _serve(running, stopping)


def _serve(running: list[RunningWorker], stopping: threading.Event) -> int:
    def stop_all() -> None:
        stopping.set()
        stoppers = [threading.Thread(target=w.stop) for w in running]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()

    def shutdown(signum: int, _frame: Any) -> None:
        log.info("Received signal %s, stopping", signal.Signals(signum).name)
        threading.Thread(target=stop_all, name="shutdown").start()

    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGTERM, shutdown)
    tune_collector()
    while not all(w.stopped.is_set() for w in running):
        time.sleep(0.5)
        for worker in running:
            failure = getattr(worker.herder, "failure", None)
            if failure is not None:
                log.error("A herder stopped after an unrecoverable error: %s", failure)
                stop_all()
                return 1
    return 0
