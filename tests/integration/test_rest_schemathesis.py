"""Schemathesis fuzzes the REST API of a real standalone worker against its own /openapi.json.

Every operation gets schema-derived valid and invalid requests (examples, coverage, fuzzing and
stateful phases); the checks require no 5xx and responses that match the document: documented
status codes, content types, headers and bodies, a 405 with a correct ``Allow`` for undocumented
methods. Path parameters are drawn mostly from connectors, loggers and plugins that exist, so the
requests reach the herder's logic instead of stopping at 404s.

The run's figures (operations, generated cases, failures) are printed for the closing note.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.engine import events, from_schema
from schemathesis.engine.statistic import Statistic

from sluice.testing import EmbeddedWorker, wait_for

pytestmark = pytest.mark.integration

MAX_EXAMPLES = int(os.environ.get("SLUICE_SCHEMATHESIS_EXAMPLES", "20"))
SEED = int(os.environ.get("SLUICE_SCHEMATHESIS_SEED", "20251124"))

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "unsupported_method",
    "allow_header_conformance",
    "use_after_free",
    "ensure_resource_availability",
]
"""``positive_data_acceptance`` is left out: a schema-valid config naming no installed connector
is rightly a 400, which that check cannot know."""

LOGGER = "sluice.schemathesis"


@pytest.fixture
def worker(kafka_bootstrap: str, kafka_topic: Any, tmp_path: Path) -> Iterator[EmbeddedWorker]:
    source = tmp_path / "in.txt"
    source.write_text("one\ntwo\n")
    topic = kafka_topic()
    with (
        EmbeddedWorker(kafka_bootstrap, tmp_path / "w") as w,
        httpx.Client(base_url=w.rest_url, timeout=60) as api,
    ):
        connectors = {
            "st-source": {
                "connector.class": "FileStreamSource",
                "file": str(source),
                "topic": topic,
            },
            "st-sink": {
                "connector.class": "FileStreamSink",
                "file": str(tmp_path / "out.txt"),
                "topics": topic,
            },
            "st-stopped": {
                "connector.class": "FileStreamSource",
                "file": str(source),
                "topic": topic,
            },
        }
        for name, config in connectors.items():
            r = api.put(f"/connectors/{name}/config", json=config)
            assert r.status_code == 201, r.text
        assert api.put("/connectors/st-stopped/stop").status_code == 204
        wait_for(
            lambda: (
                api.get("/connectors/st-source/status").json()["connector"]["state"] == "RUNNING"
            ),
            30,
        )
        yield w
    logging.getLogger(LOGGER).setLevel(logging.NOTSET)


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "dictionaries": {
                "connectors": {"values": ["st-source", "st-sink", "st-stopped"]},
                "loggers": {"values": [LOGGER, f"{LOGGER}.child"]},
                "plugins": {
                    "values": [
                        "FileStreamSource",
                        "FileStreamSinkConnector",
                        "org.apache.kafka.connect.file.FileStreamSourceConnector",
                        "org.apache.kafka.connect.json.JsonConverter",
                    ]
                },
            },
            "parameters": {
                "path.connector": {"dictionary": "connectors", "probability": 0.8},
                # never a random logger name: levels set here would outlive the test
                "path.logger": {"dictionary": "loggers", "probability": 1.0},
                "path.plugin": {"dictionary": "plugins", "probability": 0.6},
            },
        }
    )


def _describe(stats: Statistic) -> str:
    lines = []
    for label, groups in stats.failures.items():
        for group in groups.values():
            for failure in group.failures:
                lines.append(f"{label}: {failure.title}: {failure.message}")
            if group.code_sample:
                lines.append(f"    {group.code_sample}")
            if group.response is not None:
                lines.append(f"    -> {group.response.status_code} {group.response.text[:500]}")
    return "\n".join(lines)


def test_schemathesis_finds_no_server_errors_or_schema_violations(
    worker: EmbeddedWorker, request: pytest.FixtureRequest
) -> None:
    schema = schemathesis.openapi.from_url(worker.rest_url + "openapi.json", config=_config())
    operations = len(list(schema.get_all_operations()))
    stats = Statistic()
    errors: list[str] = []
    started = time.monotonic()
    phases: dict[str, float] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.PhaseStarted):
            phases[event.phase.name.value] = time.monotonic()
        elif isinstance(event, events.PhaseFinished):
            name = event.phase.name.value
            phases[name] = time.monotonic() - phases.get(name, time.monotonic())
        if isinstance(event, events.ScenarioFinished) and event.is_test_scenario:
            stats.on_scenario_finished(event.recorder)
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            raise event.exception
    elapsed = time.monotonic() - started

    summary = (
        f"schemathesis: {operations} operations, {len(stats.tested_operations)} tested, "
        f"{stats.total_cases} generated cases, {stats.total_failures} failures, "
        f"{len(errors)} errors in {elapsed:.0f}s (seed {SEED}, max-examples {MAX_EXAMPLES}; "
        + ", ".join(f"{name} {t:.0f}s" for name, t in phases.items())
        + ")"
    )
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(summary)  # shown even when output is captured
    else:
        print(summary)

    assert operations == 32  # Kafka Connect's 30, and /metrics, /metrics/summary
    assert not errors, "\n".join(errors)
    assert stats.total_failures == 0, _describe(stats)
    assert len(stats.tested_operations) == operations
    assert stats.total_cases >= operations * 5
    # the worker still serves normally afterwards
    r = httpx.get(worker.rest_url + "connectors", timeout=30)
    assert r.status_code == 200
