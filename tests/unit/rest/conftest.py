"""An app over the in-memory herder, and a client that talks to it in-process."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():  # starlette would rather have httpx2; httpx works the same
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

from sluice.rest import create_app
from sluice.runtime.loggers import Loggers
from tests.unit.rest.fake_herder import FakeHerder


@pytest.fixture
def herder() -> FakeHerder:
    return FakeHerder()


@pytest.fixture
def client(herder: FakeHerder) -> Iterator[TestClient]:
    with TestClient(create_app(herder, Loggers()), raise_server_exceptions=True) as c:
        yield c


SOURCE = {
    "connector.class": "FileStreamSource",
    "file": "/tmp/in.txt",
    "topic": "t1",
}
