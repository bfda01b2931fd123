"""Helpers for testing connectors: run a real worker in-process, or a task on its own.

``EmbeddedWorker`` is a standalone worker (herder, worker threads, REST API on a free loopback
port) against a real broker, for integration tests that exercise a connector exactly as users
run it. ``SourceTaskHarness`` and ``SinkTaskHarness`` drive a single task without Kafka, for unit
tests of connector logic. ``wait_for`` replaces sleeps: it polls a condition until a deadline.
"""

from sluice.testing.harness import MemoryOffsetReader, SinkTaskHarness, SourceTaskHarness
from sluice.testing.waiting import wait_for
from sluice.testing.worker import EmbeddedWorker

__all__ = [
    "EmbeddedWorker",
    "MemoryOffsetReader",
    "SinkTaskHarness",
    "SourceTaskHarness",
    "wait_for",
]
