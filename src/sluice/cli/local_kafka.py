"""``sluice kafka start|stop|status|fetch``: the command layer over :mod:`sluice.devkafka`.

The broker itself (jars, configuration, start, stop, status) lives in :mod:`sluice.devkafka`;
this module parses the arguments, calls it, and prints one line (errors to stderr, exit 1).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from sluice.devkafka import (
    DEFAULT_HEAP,
    DEFAULT_PORT,
    LocalKafka,
    LocalKafkaError,
    kafka_version,
    port_owner,
)

__all__ = ["main", "port_arg", "register"]


def port_arg(text: str) -> int:
    """argparse ``type`` for a TCP port, shared by the commands that take ``--port``."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 < port < 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a TCP port between 1 and 65534")
    return port


def _version_or_kafka(broker: LocalKafka) -> str:
    try:
        return f"Kafka {kafka_version(broker.libs_dir)}"
    except LocalKafkaError:
        return "Kafka"


class _NotAnswering(str):
    """The message of a ``status`` that found no broker answering: exit status 1."""


def _cmd_start(broker: LocalKafka, args: argparse.Namespace) -> str:
    already = broker.running_pid() is not None
    broker.start(timeout=args.timeout)
    status = broker.status()
    state = "already running" if already else "running"
    return (
        f"{_version_or_kafka(broker)} {state} at {status.bootstrap} "
        f"(pid {status.pid}, data {status.data_dir})"
    )


def _cmd_stop(broker: LocalKafka, args: argparse.Namespace) -> str:
    pid = broker.status().pid
    if not broker.stop(timeout=args.timeout):
        return (
            f"Kafka is not running on port {broker.port} (data {broker.data_dir}); nothing to stop"
        )
    return f"Kafka stopped (pid {pid}, port {broker.port}, data {broker.data_dir})"


def _cmd_status(broker: LocalKafka, args: argparse.Namespace) -> str:
    """Exit status 0 when a broker answers on the port (this data folder's or another), else 1."""
    status = broker.status()
    if status.running and status.answers:
        return (
            f"{_version_or_kafka(broker)} running at {status.bootstrap} "
            f"(pid {status.pid}, data {status.data_dir})"
        )
    if status.running:
        return _NotAnswering(
            f"Kafka (pid {status.pid}, data {status.data_dir}) is running but does not answer "
            f"at {status.bootstrap} yet; see {broker.log_file}"
        )
    if status.answers:
        owner = port_owner(status.port)
        who = f" ({owner})" if owner is not None else ""
        return (
            f"Kafka is not running from {status.data_dir}, but a Kafka broker answers at "
            f"{status.bootstrap}{who}"
        )
    return _NotAnswering(f"Kafka is not running (port {status.port}, data {status.data_dir})")


_Action = Callable[[LocalKafka, argparse.Namespace], str]


def _cmd_fetch(broker: LocalKafka, args: argparse.Namespace) -> str:
    libs = broker.ensure_jars()
    return f"Kafka {kafka_version(libs)} jars in {libs}"


def _runner(name: str, action: _Action) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            broker = LocalKafka(
                port=getattr(args, "port", DEFAULT_PORT),
                data_dir=getattr(args, "data_dir", None),
                heap=getattr(args, "heap", DEFAULT_HEAP),
            )
            message = action(broker, args)
        except LocalKafkaError as exc:
            print(f"sluice kafka {name}: {exc}", file=sys.stderr)
            return 1
        print(message)
        return 1 if isinstance(message, _NotAnswering) else 0

    return run


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``kafka start|stop|status|fetch``; parsed arguments carry ``func(args) -> exit code``.

    Each command takes only the options that mean something to it: the broker's port and data
    folder (which broker), the heap (start), a timeout (start, stop); ``fetch`` needs none.
    """
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument(
        "--port", type=port_arg, default=DEFAULT_PORT, help="broker port (default %(default)s)"
    )
    where.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="broker data folder (default $SLUICE_KAFKA_DATA, else .cache/kafka/data-PORT in "
        "the sluice checkout, else ~/.local/share/sluice/kafka-PORT)",
    )
    heap = argparse.ArgumentParser(add_help=False)
    heap.add_argument(
        "--heap", default=DEFAULT_HEAP, help="broker JVM maximum heap (default %(default)s)"
    )
    kafka = subparsers.add_parser(
        "kafka",
        help="run a local single-node Apache Kafka broker",
        description="Run a local single-node Apache Kafka broker (KRaft) for development.",
    )
    actions = kafka.add_subparsers(dest="kafka_command", required=True, metavar="COMMAND")
    commands: list[tuple[str, str, _Action, list[argparse.ArgumentParser], float]] = [
        ("start", "start the broker and wait until it answers", _cmd_start, [where, heap], 60.0),
        ("stop", "stop the broker", _cmd_stop, [where], 30.0),
        (
            "status",
            "say whether the broker runs and answers (exit status 1 when no broker answers)",
            _cmd_status,
            [where],
            0.0,
        ),
        (
            "fetch",
            "fetch Kafka's jars through Maven (again if pom.xml changed)",
            _cmd_fetch,
            [],
            0.0,
        ),
    ]
    for name, help_text, action, parents, timeout in commands:
        parser = actions.add_parser(name, parents=parents, help=help_text, description=help_text)
        if timeout:
            parser.add_argument(
                "--timeout",
                type=float,
                default=timeout,
                help="seconds to wait (default %(default)s)",
            )
        parser.set_defaults(func=_runner(name, action))


def main(argv: list[str] | None = None) -> int:
    """``python -m sluice.cli.local_kafka start|stop|status [options]``."""
    parser = argparse.ArgumentParser(prog="sluice")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["kafka", *(sys.argv[1:] if argv is None else argv)])
    func: Callable[[argparse.Namespace], int] = args.func
    return func(args)


if __name__ == "__main__":
    sys.exit(main())
