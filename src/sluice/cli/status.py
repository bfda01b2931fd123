"""``sluice status``: every connector and task of the cluster on one screen.

States come from Kafka Connect's own ``GET /connectors?expand=status&expand=info``, so the
command works against a Java worker too; throughput and sink lag come from sluice's
``GET /metrics/summary``. A worker that does not serve the summary (a Java worker, or an older
sluice) still gets its table, with ``-`` in the number columns.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sluice.cli.rest_client import (
    CliError,
    RestClient,
    RestError,
    client_options,
    member,
    members,
    print_json,
    runner,
)
from sluice.cli.tables import EMPTY, format_lag, format_rate, render, use_colour

__all__ = [
    "STATUS_HEADERS",
    "TaskMetrics",
    "connector_metrics",
    "failure_lines",
    "fetch_connectors",
    "fetch_summary",
    "metrics_by_task",
    "register",
    "status_table",
    "tasks_of",
    "trace_summary",
    "unreachable_workers",
]

STATUS_HEADERS = ("CONNECTOR", "TASK", "TYPE", "STATE", "WORKER", "IN/S", "OUT/S", "LAG")


@dataclass(frozen=True)
class TaskMetrics:
    """A task's numbers from the summary; ``None`` where the worker does not know them."""

    in_rate: float | None
    out_rate: float | None
    lag: int | None


_UNKNOWN = TaskMetrics(None, None, None)


def fetch_connectors(client: RestClient) -> dict[str, Any]:
    """Kafka Connect's expanded connector list: ``{name: {"status": ..., "info": ...}}``."""
    body = client.get("/connectors", params={"expand": ["status", "info"]})
    if not isinstance(body, dict):
        raise CliError(f"{client.url}/connectors?expand=status answered {body!r}, not an object")
    return body


def fetch_summary(client: RestClient) -> dict[str, Any] | None:
    """``GET /metrics/summary``, or ``None`` when the worker cannot give it: the numbers are
    extra, so their absence (404 on workers without it) or failure must not fail the table."""
    try:
        body = client.get("/metrics/summary")
    except RestError:
        return None
    return body if isinstance(body, dict) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def metrics_by_task(summary: Mapping[str, Any] | None) -> dict[tuple[str, int], TaskMetrics]:
    """The summary's tasks keyed by ``(connector, task)``; entries it does not shape as the
    contract says are skipped rather than trusted."""
    out: dict[tuple[str, int], TaskMetrics] = {}
    for entry in members(summary, "tasks"):
        connector, task = entry.get("connector"), entry.get("task")
        if not isinstance(connector, str) or not isinstance(task, int):
            continue
        lag = _number(entry.get("lag"))
        out[(connector, task)] = TaskMetrics(
            _number(entry.get("records_in_rate")),
            _number(entry.get("records_out_rate")),
            None if lag is None else int(lag),
        )
    return out


def _sum(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def connector_metrics(parts: list[TaskMetrics]) -> TaskMetrics:
    """A connector's numbers: its tasks' rates and lags added up (unknown if none is known)."""
    lag = _sum([None if p.lag is None else float(p.lag) for p in parts])
    return TaskMetrics(
        _sum([p.in_rate for p in parts]),
        _sum([p.out_rate for p in parts]),
        None if lag is None else int(lag),
    )


def tasks_of(status: Any) -> list[dict[str, Any]]:
    """A status document's tasks in id order."""
    return sorted(
        members(status, "tasks"),
        key=lambda t: t.get("id", 0) if isinstance(t.get("id"), int) else 0,
    )


def _cell(value: Any) -> str:
    return EMPTY if value is None or value == "" else str(value)


def _metric_cells(m: TaskMetrics, known: bool) -> list[str]:
    if not known:
        return [EMPTY, EMPTY, EMPTY]
    return [format_rate(m.in_rate), format_rate(m.out_rate), format_lag(m.lag)]


def status_rows(
    connectors: Mapping[str, Any], metrics: Mapping[tuple[str, int], TaskMetrics]
) -> list[list[str]]:
    """One row per connector (its tasks' numbers added up), then one per task; the connector
    name is repeated on task rows so that ``grep`` keeps them."""
    rows: list[list[str]] = []
    for name in sorted(connectors):
        status, info = member(connectors[name], "status"), member(connectors[name], "info")
        kind = _cell(status.get("type") or info.get("type"))
        conn = member(status, "connector")
        tasks = tasks_of(status)
        parts = [metrics.get((name, t.get("id", -1)), _UNKNOWN) for t in tasks]
        known = any(p is not _UNKNOWN for p in parts)
        rows.append(
            [
                name,
                "",
                kind,
                _cell(conn.get("state")),
                _cell(conn.get("worker_id")),
                *_metric_cells(connector_metrics(parts), known),
            ]
        )
        for task, part in zip(tasks, parts, strict=True):
            rows.append(
                [
                    name,
                    _cell(task.get("id")),
                    kind,
                    _cell(task.get("state")),
                    _cell(task.get("worker_id")),
                    *_metric_cells(part, part is not _UNKNOWN),
                ]
            )
    return rows


def trace_summary(trace: str) -> str:
    """The line of a trace that names the error: Java puts it first, Python last."""
    lines = [line.strip() for line in trace.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    return lines[-1] if lines[0].startswith("Traceback") else lines[0]


def failure_lines(connectors: Mapping[str, Any]) -> list[str]:
    """``name: error`` / ``name task N: error`` for every FAILED connector and task, so the
    table answers "why" without a second command."""
    out = []
    for name in sorted(connectors):
        status = member(connectors[name], "status")
        conn = member(status, "connector")
        if conn.get("state") == "FAILED":
            out.append(f"{name}: {trace_summary(str(conn.get('trace') or 'no trace'))}")
        for task in tasks_of(status):
            if task.get("state") == "FAILED":
                reason = trace_summary(str(task.get("trace") or "no trace"))
                out.append(f"{name} task {task.get('id')}: {reason}")
    return out


def warning_lines(connectors: Mapping[str, Any]) -> list[str]:
    """Tasks that run but report a problem (sluice puts it in a RUNNING task's ``trace``:
    brokers unreachable, a connector that keeps warning)."""
    out = []
    for name in sorted(connectors):
        for task in tasks_of(member(connectors[name], "status")):
            if task.get("state") == "RUNNING" and task.get("trace"):
                out.append(f"{name} task {task.get('id')}: {trace_summary(str(task['trace']))}")
    return out


def status_table(
    connectors: Mapping[str, Any], summary: Mapping[str, Any] | None, colour: bool = False
) -> str:
    """The whole ``sluice status`` text."""
    if not connectors:
        return "No connectors."
    text = render(
        STATUS_HEADERS,
        status_rows(connectors, metrics_by_task(summary)),
        right=(5, 6, 7),
        states=(3,),
        colour=colour,
    )
    for title, lines in (
        ("Failed", failure_lines(connectors)),
        ("Warnings", warning_lines(connectors)),
    ):
        if lines:
            text += f"\n\n{title}:\n" + "\n".join(f"  {line}" for line in lines)
    return text


def unreachable_workers(summary: Mapping[str, Any] | None) -> list[str]:
    """Workers the summary could not ask: their tasks' numbers are missing, and people should
    know why."""
    out = []
    for w in members(summary, "workers"):
        if w.get("reachable") is False:
            out.append(f"{w.get('worker_id')} ({w.get('error') or 'unreachable'})")
    return out


def _status(client: RestClient, args: argparse.Namespace) -> int:
    connectors = fetch_connectors(client)
    summary = fetch_summary(client)
    if args.output == "json":
        print_json({"connectors": connectors, "summary": summary})
        return 0
    print(status_table(connectors, summary, use_colour(sys.stdout)))
    missing = unreachable_workers(summary)
    if missing:
        print(f"sluice: no numbers from worker(s) {', '.join(missing)}", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``status``; parsed arguments carry ``func(args) -> exit code``."""
    parser = subparsers.add_parser(
        "status",
        parents=[client_options()],
        help="show connectors and tasks: state, worker, records/s, sink lag",
        description="Show every connector and task of the cluster with its state, the worker "
        "running it, records per second in and out, and sink lag. --output json prints "
        '{"connectors": GET /connectors?expand=status&expand=info, '
        '"summary": GET /metrics/summary or null}.',
    )
    parser.set_defaults(func=runner(_status))
