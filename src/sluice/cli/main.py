"""The ``sluice`` command: ``standalone``, ``distributed``, ``kafka``, ``plugins``, ``version``,
and ``status``/``connectors`` against a running worker's REST API."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import sluice

__all__ = ["main"]


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sluice",
        description="Kafka Connect, rebuilt in Python.",
    )
    parser.add_argument("--version", action="version", version=f"sluice {sluice.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    standalone = sub.add_parser(
        "standalone",
        help="run a standalone worker (like connect-standalone.sh)",
        description="Run a standalone worker with the same files connect-standalone.sh takes: "
        "a worker config, then any number of connector configs (none is fine: connectors can "
        "also be created over the REST API).",
    )
    standalone.add_argument("worker_properties", help="worker config (.properties)")
    standalone.add_argument(
        "connector_configs",
        nargs="*",
        help="connector configs (.properties, .json or Strimzi KafkaConnector .yaml), optional; "
        "each starts one connector",
    )
    standalone.add_argument("--log-level", default="INFO", help="root log level (default INFO)")
    standalone.set_defaults(func=_run_standalone)

    distributed = sub.add_parser(
        "distributed",
        help="run a distributed worker (like connect-distributed.sh)",
        description="Run one worker of a Connect cluster from Kafka's "
        "connect-distributed.properties; connectors are managed over the REST API.",
    )
    distributed.add_argument("worker_properties", help="worker config (.properties)")
    distributed.add_argument("--log-level", default="INFO", help="root log level (default INFO)")
    distributed.set_defaults(func=_run_distributed)

    plugins = sub.add_parser("plugins", help="list installed plugins with type and version")
    plugins.add_argument(
        "--plugin-path", action="append", default=[], help="extra plugin folder (repeatable)"
    )
    plugins.add_argument(
        "--worker-config", help="read plugin.path from this worker .properties file"
    )
    plugins.set_defaults(func=_run_plugins)

    version = sub.add_parser("version", help="print the version")
    version.set_defaults(func=lambda _args: print(f"sluice {sluice.__version__}") or 0)

    from sluice.cli import apply, connectors, demo, local_kafka, mirror_maker, status

    local_kafka.register(sub)
    demo.register(sub)
    status.register(sub)
    connectors.register(sub)
    apply.register(sub)
    mirror_maker.register(sub)
    return parser


def _run_standalone(args: argparse.Namespace) -> int:
    from sluice.cli.standalone import run_standalone

    return run_standalone(args.worker_properties, args.connector_configs, args.log_level)


def _run_distributed(args: argparse.Namespace) -> int:
    from sluice.cli.distributed import run_distributed

    return run_distributed(args.worker_properties, args.log_level)


def _run_plugins(args: argparse.Namespace) -> int:
    from pathlib import Path

    from sluice.plugins.registry import PluginRegistry
    from sluice.runtime.config_files import ConfigFileError, load_properties

    paths = list(args.plugin_path)
    if args.worker_config:
        try:
            props = load_properties(Path(args.worker_config))
        except ConfigFileError as e:
            print(f"sluice: {e}", file=sys.stderr)
            return 1
        paths += [p.strip() for p in props.get("plugin.path", "").split(",") if p.strip()]
    registry = PluginRegistry(paths)
    rows = [(d.kind, d.name, d.version, d.origin) for d in registry.plugins()]
    widths = [
        max(len(r[i]) for r in [("TYPE", "CLASS", "VERSION", "ORIGIN"), *rows]) for i in range(4)
    ]
    for row in [("TYPE", "CLASS", "VERSION", "ORIGIN"), *rows]:
        print("  ".join(col.ljust(w) for col, w in zip(row, widths, strict=True)).rstrip())
    for failure in registry.failures():
        print(f"sluice: cannot load plugin {failure}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    result = args.func(args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
