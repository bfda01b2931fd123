"""``sluice connectors list|describe|create|apply|delete|pause|resume|restart|stop|offsets``.

The verbs of kcctl over Kafka Connect's REST API, against any worker (sluice or Java): each verb
is one or two requests, printed as a table for people or, with ``--output json``, as the REST
API's own JSON for scripts. ``create -f`` takes the files users already keep for
``connect-standalone``, read by the same reader (:func:`load_connector_config_file`), so a file
means the same thing on the command line as at start-up:

* ``{"name": ..., "config": {...}}`` (a ``CreateConnectorRequest``) is POSTed to ``/connectors``:
  it creates, and fails with 409 if the connector exists;
* a flat config map with ``name`` inside, or a ``.properties`` file, is PUT to
  ``/connectors/{name}/config``: it creates or replaces the config, as re-running
  ``connect-standalone`` with an edited file would.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sluice.cli.apply import add_apply_verb, apply_command
from sluice.cli.rest_client import (
    CliError,
    Command,
    RestClient,
    RestError,
    client_options,
    member,
    members,
    print_json,
    runner,
)
from sluice.cli.status import (
    TaskMetrics,
    fetch_connectors,
    fetch_summary,
    metrics_by_task,
    tasks_of,
    trace_summary,
)
from sluice.cli.tables import EMPTY, format_lag, format_rate, key_values, render, use_colour
from sluice.runtime.config_files import ConfigFileError, load_connector_config_file

__all__ = [
    "describe_text",
    "is_create_request",
    "list_table",
    "offsets_table",
    "register",
    "task_counts",
]


def _path(name: str, suffix: str = "") -> str:
    # A connector name may hold any character, "/" and "?" included.
    return f"/connectors/{quote(name, safe='')}{suffix}"


# --- list ---------------------------------------------------------------------------------------


def task_counts(status: Mapping[str, Any]) -> str:
    """``2 RUNNING, 1 FAILED``: how many tasks are in each state, the commonest first."""
    states = Counter(str(t.get("state")) for t in members(status, "tasks"))
    return ", ".join(f"{n} {state}" for state, n in states.most_common()) or EMPTY


def list_table(connectors: Mapping[str, Any], colour: bool = False) -> str:
    if not connectors:
        return "No connectors."
    rows = []
    for name in sorted(connectors):
        status, info = member(connectors[name], "status"), member(connectors[name], "info")
        config, conn = member(info, "config"), member(status, "connector")
        rows.append(
            [
                name,
                str(status.get("type") or info.get("type") or EMPTY),
                str(conn.get("state") or EMPTY),
                task_counts(status),
                str(config.get("connector.class") or EMPTY),
            ]
        )
    return render(("NAME", "TYPE", "STATE", "TASKS", "CLASS"), rows, states=(2,), colour=colour)


def _list(client: RestClient, args: argparse.Namespace) -> int:
    connectors = fetch_connectors(client)
    if args.output == "json":
        print_json(connectors)
    else:
        print(list_table(connectors, use_colour(sys.stdout)))
    return 0


# --- describe -----------------------------------------------------------------------------------


def describe_text(
    info: Mapping[str, Any],
    status: Mapping[str, Any],
    topics: list[str] | None,
    metrics: Mapping[tuple[str, int], TaskMetrics],
    colour: bool = False,
) -> str:
    """A connector on one screen: what it is, where it runs, its tasks, config and failures."""
    name = str(info.get("name") or status.get("name"))
    conn, config = member(status, "connector"), member(info, "config")
    head = {
        "Name:": name,
        "Type:": str(status.get("type") or info.get("type") or EMPTY),
        "State:": str(conn.get("state") or EMPTY),
        "Worker:": str(conn.get("worker_id") or EMPTY),
        "Class:": str(config.get("connector.class") or EMPTY),
    }
    if topics is not None:
        head["Topics:"] = ", ".join(topics) or EMPTY
    parts = [key_values(head)]
    tasks = tasks_of(status)
    if tasks:
        rows = []
        for t in tasks:
            task_id = t.get("id")
            m = metrics.get((name, task_id)) if isinstance(task_id, int) else None
            rows.append(
                [
                    str(task_id),
                    str(t.get("state") or EMPTY),
                    str(t.get("worker_id") or EMPTY),
                    format_rate(m.in_rate if m else None),
                    format_rate(m.out_rate if m else None),
                    format_lag(m.lag if m else None),
                ]
            )
        table = render(
            ("TASK", "STATE", "WORKER", "IN/S", "OUT/S", "LAG"),
            rows,
            right=(3, 4, 5),
            states=(1,),
            colour=colour,
        )
        parts.append("Tasks:\n" + "\n".join(f"  {line}" for line in table.splitlines()))
    else:
        parts.append("Tasks: none")
    parts.append("Config:\n" + key_values({k: str(v) for k, v in sorted(config.items())}, "  "))
    traces = []
    if conn.get("trace"):
        traces.append(("Connector failure", str(conn["trace"])))
    traces += [(f"Task {t.get('id')} failure", str(t["trace"])) for t in tasks if t.get("trace")]
    for title, trace in traces:
        body = "\n".join(f"  {line}" for line in trace.rstrip().splitlines())
        parts.append(f"{title}: {trace_summary(trace)}\n{body}")
    return "\n\n".join(parts)


def _describe(client: RestClient, args: argparse.Namespace) -> int:
    info = client.get(_path(args.name))
    status = client.get(_path(args.name, "/status"))
    try:
        active = client.get(_path(args.name, "/topics"))
    except RestError:  # topic tracking switched off (403), or a worker too old for KIP-558
        active = None
    entry = member(active, args.name)
    topics = [str(t) for t in entry["topics"]] if isinstance(entry.get("topics"), list) else None
    if args.output == "json":
        print_json({"info": info, "status": status, "topics": topics})
        return 0
    metrics = metrics_by_task(fetch_summary(client))
    print(describe_text(info, status, topics, metrics, use_colour(sys.stdout)))
    return 0


# --- create -------------------------------------------------------------------------------------


def is_create_request(path: Path) -> bool:
    """Whether a file the config reader accepted is a ``CreateConnectorRequest`` rather than a
    flat config: only the former has a ``config`` object (the reader's own JSON test decides
    JSON versus ``.properties``)."""
    raw = path.read_bytes()
    if path.suffix.lower() != ".json" and not raw.lstrip(b" \t\r\n\xef\xbb\xbf").startswith(b"{"):
        return False
    try:
        text = raw.decode(json.detect_encoding(raw)).lstrip("\ufeff \t\r\n")
        document, _ = json.JSONDecoder().raw_decode(text)
    except ValueError:
        return False
    return isinstance(document, dict) and isinstance(document.get("config"), dict)


def _create(client: RestClient, args: argparse.Namespace) -> int:
    path = Path(args.file)
    if path.suffix.lower() in (".yaml", ".yml"):
        # A Strimzi KafkaConnector file declares a state too, and may hold several connectors:
        # that is `apply`, which creates as well.
        return apply_command(client, argparse.Namespace(file=[args.file], output=args.output))
    try:
        name, config, initial_state = load_connector_config_file(path)
        create_request = is_create_request(path)
    except ConfigFileError as e:
        raise CliError(str(e)) from None
    except OSError as e:
        raise CliError(f"{path}: cannot read file: {e.strerror or e}") from None
    if create_request:
        body: dict[str, Any] = {"name": name, "config": config}
        if initial_state is not None:
            body["initial_state"] = initial_state
        reply = client.request("POST", "/connectors", body=body)
    else:
        reply = client.request("PUT", _path(name, "/config"), body=config)
    if args.output == "json":
        print_json(reply.body)
    elif reply.status == 201:
        print(f"Created connector {name}")
    else:
        print(f"Updated connector {name}: its config was replaced")
    return 0


# --- state changes ------------------------------------------------------------------------------


def _simple(method: str, suffix: str, done: str) -> Command:
    """A verb that is one request on ``/connectors/{name}{suffix}`` and a sentence."""

    def command(client: RestClient, args: argparse.Namespace) -> int:
        reply = client.request(method, _path(args.name, suffix))
        if args.output == "json":
            if reply.body is not None:
                print_json(reply.body)
        else:
            print(done.format(name=args.name))
        return 0

    return command


def _restart(client: RestClient, args: argparse.Namespace) -> int:
    if args.task is not None:
        if args.include_tasks or args.only_failed:
            raise CliError("--task restarts one task; it takes no --include-tasks/--only-failed")
        client.request("POST", _path(args.name, f"/tasks/{args.task}/restart"))
        if args.output == "table":
            print(f"Restarted task {args.task} of connector {args.name}")
        return 0
    params = {"includeTasks": str(args.include_tasks).lower()}
    params["onlyFailed"] = str(args.only_failed).lower()
    reply = client.request("POST", _path(args.name, "/restart"), params=params)
    if args.output == "json":
        if reply.body is not None:
            print_json(reply.body)
        return 0
    if reply.body is None:
        print(f"Restarted connector {args.name}")
        return 0
    # 202: Kafka returns the status with the instances being restarted marked RESTARTING.
    status = reply.body
    conn = member(status, "connector")
    rows = [[args.name, "", str(conn.get("state") or EMPTY), str(conn.get("worker_id") or EMPTY)]]
    for t in tasks_of(status):
        state, worker = str(t.get("state") or EMPTY), str(t.get("worker_id") or EMPTY)
        rows.append([args.name, str(t.get("id")), state, worker])
    print(f"Restarting connector {args.name} (instances marked RESTARTING):")
    table = render(
        ("CONNECTOR", "TASK", "STATE", "WORKER"), rows, states=(2,), colour=use_colour(sys.stdout)
    )
    print(table)
    return 0


# --- offsets ------------------------------------------------------------------------------------


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(", ", ": "))


def offsets_table(body: Any) -> str:
    """``GET /connectors/{c}/offsets`` as ``PARTITION  OFFSET``, each a compact JSON object
    (source partitions and offsets are whatever the connector chose)."""
    entries = members(body, "offsets")
    if not entries:
        return "No committed offsets."
    rows = [[_compact(o.get("partition")), _compact(o.get("offset"))] for o in entries]
    return render(("PARTITION", "OFFSET"), rows)


def _offsets(client: RestClient, args: argparse.Namespace) -> int:
    if args.reset:
        # Kafka refuses unless the connector is STOPPED; its 400 says so and is shown as is.
        reply = client.request("DELETE", _path(args.name, "/offsets"))
        if args.output == "json":
            print_json(reply.body)
        else:
            message = reply.body.get("message") if isinstance(reply.body, dict) else None
            print(message or f"Reset the offsets of connector {args.name}")
        return 0
    body = client.get(_path(args.name, "/offsets"))
    if args.output == "json":
        print_json(body)
    else:
        print(offsets_table(body))
    return 0


# --- the command line ---------------------------------------------------------------------------


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``connectors VERB``; parsed arguments carry ``func(args) -> exit code``."""
    common = client_options()
    connectors = subparsers.add_parser(
        "connectors",
        parents=[common],
        help="list, describe, create, apply, pause, resume, restart, stop or delete connectors",
        description="Manage connectors over the REST API of any worker of the cluster.",
    )
    verbs = connectors.add_subparsers(dest="connectors_command", required=True, metavar="VERB")

    def verb(
        name: str, help_text: str, command: Command, takes_name: bool = True
    ) -> argparse.ArgumentParser:
        parser = verbs.add_parser(name, parents=[common], help=help_text, description=help_text)
        if takes_name:
            parser.add_argument("name", metavar="NAME", help="the connector")
        parser.set_defaults(func=runner(command))
        return parser

    verb("list", "list connectors with type, state and tasks", _list, takes_name=False)
    verb("describe", "a connector's state, tasks, topics, config and failures", _describe)
    create = verb(
        "create",
        "create a connector (or replace its config) from a .json or .properties file "
        "(a KafkaConnector .yaml is applied, as by apply)",
        _create,
        takes_name=False,
    )
    create.add_argument(
        "-f",
        "--file",
        required=True,
        help='{"name", "config"} JSON (POST /connectors), or a flat JSON/.properties config '
        "with name (PUT /connectors/NAME/config)",
    )
    add_apply_verb(verbs, common)
    verb("delete", "delete a connector", _simple("DELETE", "", "Deleted connector {name}"))
    verb(
        "pause",
        "pause a connector and its tasks",
        _simple("PUT", "/pause", "Pausing connector {name}"),
    )
    verb(
        "resume",
        "resume a paused or stopped connector",
        _simple("PUT", "/resume", "Resuming connector {name}"),
    )
    verb(
        "stop",
        "stop a connector: no tasks run, its offsets can be reset",
        _simple("PUT", "/stop", "Stopped connector {name}"),
    )
    restart = verb("restart", "restart a connector, its tasks or one task", _restart)
    restart.add_argument("--include-tasks", action="store_true", help="restart its tasks too")
    restart.add_argument(
        "--only-failed", action="store_true", help="restart only instances that FAILED"
    )
    restart.add_argument("--task", type=int, metavar="N", help="restart only task N")
    offsets = verb("offsets", "show a connector's committed offsets", _offsets)
    offsets.add_argument(
        "--reset",
        action="store_true",
        help="delete its committed offsets (the connector must be STOPPED)",
    )
