"""Fixtures shared by the whole suite: the real broker and the real database servers."""

pytest_plugins = [
    "tests.fixtures.kafka",
    "tests.fixtures.second_kafka",
    "tests.fixtures.databases",
    "tests.fixtures.mongodb",
]
