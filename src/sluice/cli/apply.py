"""``sluice apply -f FILE`` (also ``sluice connectors apply``): make a worker's connectors what
the files say, as ``kubectl apply`` and the Strimzi operator do with ``KafkaConnector`` resources.

Files are those ``sluice standalone`` takes (:func:`load_connector_configs`): Strimzi
``KafkaConnector`` YAML with any number of documents, and ``.properties`` or JSON connector
configs. Each connector goes through the REST API of a running worker (any worker of a cluster,
sluice or Java) in three steps, as the operator does them:

1. read: every file is parsed, and each connector's config checked by the worker
   (``PUT /connector-plugins/{class}/config/validate``); any error in any file stops everything
   before the first change, with one line per problem naming the file, document and field;
2. config: ``GET /connectors/{name}/config``; a connector that does not exist is created
   (``PUT /connectors/{name}/config``, or ``POST /connectors`` with ``initial_state`` when it must
   start paused or stopped), one whose config differs is updated, one that matches is left alone;
3. state: a ``KafkaConnector`` declares the state its connector must be in (``spec.state``,
   else ``spec.pause``, else running), so a connector in another state is paused, stopped or
   resumed. A connector going to ``PAUSED`` or ``STOPPED`` gets there before its new config, so
   its tasks never run with it; one going to ``RUNNING`` is resumed after. A ``.properties`` or
   JSON file declares no state: only its config is applied (its ``initial_state`` counts on
   creation).

Notes (documents skipped, Strimzi fields only an operator acts on) go to stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sluice.cli.rest_client import (
    CliError,
    RestClient,
    RestError,
    client_options,
    member,
    print_json,
    runner,
)
from sluice.runtime.config_files import (
    ConfigFileError,
    ConnectorFile,
    ConnectorFileEntry,
    load_connector_configs,
    read_connector_configs,
)

__all__ = ["ApplyResult", "add_apply_verb", "apply_command", "load_files", "register"]

_STATE_CALLS = {"PAUSED": "/pause", "STOPPED": "/stop", "RUNNING": "/resume"}
_STATE_DONE = {"PAUSED": "Paused", "STOPPED": "Stopped", "RUNNING": "Resumed"}
_SETTLED = ("RUNNING", "PAUSED", "STOPPED")


def _path(name: str, suffix: str = "") -> str:
    return f"/connectors/{quote(name, safe='')}{suffix}"


@dataclass(frozen=True)
class ApplyResult:
    """What applying one connector did: ``config`` is ``created``, ``updated`` or ``unchanged``;
    ``state_change`` the state it was moved to (``PAUSED``...), ``None`` if none was needed."""

    name: str
    where: str
    config: str
    state: str | None
    state_change: str | None

    def sentence(self) -> str:
        if self.config == "created":
            shown = f" ({self.state_change})" if self.state_change else ""
            return f"Created connector {self.name}{shown}"
        text = (
            f"Updated connector {self.name}"
            if self.config == "updated"
            else f"Connector {self.name} unchanged"
        )
        if self.state_change:
            text += f"; {_STATE_DONE[self.state_change].lower()} it"
        return text


# --- reading ------------------------------------------------------------------------------------


def load_files(files: list[str]) -> tuple[list[ConnectorFileEntry], list[str]]:
    """Every connector of every file (``-`` is stdin), and the notes; :class:`CliError` on the
    first bad file, or on a connector name given twice."""
    entries: list[ConnectorFileEntry] = []
    notes: list[str] = []
    seen: dict[str, str] = {}
    for file in files:
        try:
            if file == "-":
                loaded: ConnectorFile = read_connector_configs(sys.stdin.buffer.read(), "<stdin>")
            else:
                loaded = load_connector_configs(Path(file))
        except ConfigFileError as e:
            raise CliError(str(e)) from None
        notes += loaded.notes
        for entry in loaded.connectors:
            if entry.name in seen:
                raise CliError(
                    f"{entry.where}: connector '{entry.name}' is also defined in {seen[entry.name]}"
                )
            seen[entry.name] = entry.where
            entries.append(entry)
    return entries, notes


def _field(key: str, entry: ConnectorFileEntry) -> str:
    """The name of a config key as the file writes it (``spec.class`` in a KafkaConnector)."""
    if entry.state is None:  # .properties / JSON: the key itself
        return key
    return {
        "connector.class": "spec.class",
        "tasks.max": "spec.tasksMax",
        "name": "metadata.name",
    }.get(key, f"spec.config.{key}")


def _validation_errors(client: RestClient, entry: ConnectorFileEntry) -> list[str]:
    """The worker's objections to one config, one line each, before anything is changed."""
    plugin = entry.config.get("connector.class", "")
    try:
        report = client.request(
            "PUT",
            f"/connector-plugins/{quote(plugin, safe='')}/config/validate",
            body=entry.config,
        ).body
    except RestError as e:  # an unknown class, mostly
        return [f"{entry.where}: {_field('connector.class', entry)}: {e.server_message}"]
    problems = []
    for item in report.get("configs", []) if isinstance(report, dict) else []:
        value = member(item, "value")
        for error in value.get("errors") or []:
            problems.append(f"{entry.where}: {_field(str(value.get('name')), entry)}: {error}")
    return problems


# --- applying -----------------------------------------------------------------------------------


def _current_config(client: RestClient, name: str) -> dict[str, Any] | None:
    try:
        body = client.get(_path(name, "/config"))
    except RestError as e:
        if e.status == 404:
            return None
        raise
    return body if isinstance(body, dict) else {}


def _connector_state(client: RestClient, name: str) -> str | None:
    return member(client.get(_path(name, "/status")), "connector").get("state")


def _apply_one(client: RestClient, entry: ConnectorFileEntry) -> ApplyResult:
    name, config = entry.name, entry.config
    current = _current_config(client, name)
    if current is None:
        initial = entry.initial_state
        if initial is not None and initial != "RUNNING":
            body = {"name": name, "config": config, "initial_state": initial}
            client.request("POST", "/connectors", body=body)
            return ApplyResult(name, entry.where, "created", entry.state, initial)
        client.request("PUT", _path(name, "/config"), body=config)
        return ApplyResult(name, entry.where, "created", entry.state, None)

    changed = {str(k): str(v) for k, v in current.items()} != config
    move_to = None
    if entry.state is not None:
        state = _connector_state(client, name)
        # As the Strimzi operator: act only from a settled state (UNASSIGNED and RESTARTING pass),
        # and leave a FAILED connector to a restart.
        if state in _SETTLED and state != entry.state:
            move_to = entry.state
    if move_to in ("PAUSED", "STOPPED"):  # stop first: no task runs the new config meanwhile
        client.request("PUT", _path(name, _STATE_CALLS[move_to]))
    if changed:
        client.request("PUT", _path(name, "/config"), body=config)
    if move_to == "RUNNING":
        client.request("PUT", _path(name, _STATE_CALLS[move_to]))
    return ApplyResult(
        name, entry.where, "updated" if changed else "unchanged", entry.state, move_to
    )


def apply_command(client: RestClient, args: argparse.Namespace) -> int:
    """``sluice apply -f FILE...``: validate everything, then apply connector by connector."""
    entries, notes = load_files(list(args.file))
    for note in notes:
        print(f"sluice: note: {note}", file=sys.stderr)
    problems = [p for entry in entries for p in _validation_errors(client, entry)]
    if problems:
        for problem in problems:
            print(f"sluice: {problem}", file=sys.stderr)
        print(
            f"sluice: nothing applied: {len(problems)} problem(s) in the connector configs",
            file=sys.stderr,
        )
        return 1
    results: list[ApplyResult] = []
    for entry in entries:
        try:
            results.append(_apply_one(client, entry))
        except CliError as e:
            if args.output == "json":
                print_json([_as_json(r) for r in results])
            raise CliError(f"{entry.where}: {e.message}") from None
        if args.output != "json":
            print(results[-1].sentence(), flush=True)
    if args.output == "json":
        print_json([_as_json(r) for r in results])
    return 0


def _as_json(result: ApplyResult) -> Mapping[str, Any]:
    return {
        "name": result.name,
        "source": result.where,
        "config": result.config,
        "state": result.state,
        "state_change": result.state_change,
    }


# --- the command line ---------------------------------------------------------------------------

_DESCRIPTION = (
    "Create or update connectors from files, through the REST API of a running worker: "
    "Strimzi KafkaConnector YAML (any number of documents; spec.state or spec.pause is "
    "enforced, other kinds are skipped), or the .properties and JSON connector files "
    "sluice standalone takes. Every file is read and every config validated by the worker "
    "before anything changes."
)


def _add_file_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-f",
        "--file",
        action="append",
        required=True,
        metavar="FILE",
        help="a KafkaConnector .yaml, or a .json/.properties connector config; repeatable; "
        "- reads stdin",
    )
    parser.set_defaults(func=runner(apply_command))


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the top-level ``sluice apply``, as in ``kubectl apply -f``."""
    parser = subparsers.add_parser(
        "apply",
        parents=[client_options()],
        help="create or update connectors from KafkaConnector YAML or connector files",
        description=_DESCRIPTION,
    )
    _add_file_option(parser)


def add_apply_verb(
    verbs: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add ``sluice connectors apply``, the same command beside ``create``."""
    parser = verbs.add_parser(
        "apply",
        parents=[common],
        help="create or update connectors from KafkaConnector YAML or connector files",
        description=_DESCRIPTION,
    )
    _add_file_option(parser)
