"""Fixtures shared by the whole suite: the real broker lives in tests/fixtures/kafka.py."""

pytest_plugins = ["tests.fixtures.kafka"]
