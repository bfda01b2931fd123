"""/admin/loggers over the process's Python loggers."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from sluice.rest import RestOptions, create_app
from sluice.runtime.loggers import Loggers
from tests.unit.rest.fake_herder import FakeHerder


@pytest.fixture
def ns() -> Iterator[str]:
    name = f"sluice.resttest{uuid.uuid4().hex[:8]}"
    yield name
    for logger_name, logger in list(logging.Logger.manager.loggerDict.items()):
        if logger_name.startswith(name) and isinstance(logger, logging.Logger):
            logger.setLevel(logging.NOTSET)


@pytest.fixture
def admin(herder: FakeHerder) -> Iterator[TestClient]:
    with TestClient(create_app(herder, Loggers(clock=lambda: 1700000000.5))) as c:
        yield c


def test_put_get_and_list(admin: TestClient, ns: str) -> None:
    logging.getLogger(f"{ns}.child")
    r = admin.put(f"/admin/loggers/{ns}", json={"level": "debug"})
    assert r.status_code == 200
    assert r.json() == [ns, f"{ns}.child"]
    assert admin.get(f"/admin/loggers/{ns}.child").json() == {
        "level": "DEBUG",
        "last_modified": 1700000000500,
    }
    listed = admin.get("/admin/loggers").json()
    assert listed[ns] == {"level": "DEBUG", "last_modified": 1700000000500}
    assert "root" in listed
    assert list(listed) == sorted(listed)
    # unchanged levels are not reported again
    assert admin.put(f"/admin/loggers/{ns}", json={"level": "DEBUG"}).json() == []


def test_unknown_logger_is_404(admin: TestClient, ns: str) -> None:
    r = admin.get(f"/admin/loggers/{ns}.never.created")
    assert r.json() == {"error_code": 404, "message": f"Logger {ns}.never.created not found."}


def test_level_errors(admin: TestClient, ns: str) -> None:
    r = admin.put(f"/admin/loggers/{ns}", json={"level": "bogus"})
    assert r.json() == {"error_code": 404, "message": "invalid log level 'bogus'."}
    r = admin.put(f"/admin/loggers/{ns}", json={"level": 5})
    assert r.json() == {"error_code": 404, "message": "invalid log level '5'."}
    r = admin.put(f"/admin/loggers/{ns}", json={})
    assert r.json() == {
        "error_code": 400,
        "message": "Desired 'level' parameter was not specified in request.",
    }
    r = admin.put(f"/admin/loggers/{ns}", json={"level": ["x"]})
    assert r.status_code == 400


def test_cluster_scope_goes_to_the_herder_with_204(
    admin: TestClient, herder: FakeHerder, ns: str
) -> None:
    r = admin.put(f"/admin/loggers/{ns}?scope=cluster", json={"level": "WARN"})
    assert (r.status_code, r.content) == (204, b"")
    # Every worker applies it when it reads it back from the config topic (KIP-976), this one
    # included; the route itself does not touch the local level.
    assert herder.calls[-1] == ("set_cluster_logger_level", (ns, "WARN"))
    assert logging.getLogger(ns).level == logging.NOTSET
    r = admin.put(f"/admin/loggers/{ns}?scope=bogus", json={"level": "ERROR"})
    assert r.json() == [ns]


def test_admin_disabled(herder: FakeHerder) -> None:
    with TestClient(create_app(herder, options=RestOptions(admin_enabled=False))) as c:
        assert c.get("/admin/loggers").status_code == 404
