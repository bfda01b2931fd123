"""The key order of ``java.util.HashMap`` (:func:`sluice.jdk.hashing.as_hash_map`) against the
JDK's own, for the three ways Kafka's JsonConverter and SMTs build maps.

FileStreamSink, StringConverter and JsonConverter print a schemaless map in the order its
HashMap iterates, so byte-compatible output needs that order for any keys: ASCII, accented,
CJK, surrogate pairs, the empty string, and sizes on both sides of every resize. The harness
runs on the JDK the other compat tests use (17 here; Java 19+ sizes some copies differently,
see :func:`sluice.jdk.hashing.hash_map_copy_capacity`).
"""

from __future__ import annotations

import base64
import random
from pathlib import Path

import pytest

from sluice.jdk.hashing import as_hash_map, hash_map_copy_capacity, table_size_for
from tests.compat.java_tools import LineHarness, compile_line_harness

pytestmark = pytest.mark.compat

HARNESS = Path(__file__).resolve().parent / "java" / "HashMapOrderHarness.java"
ALPHABETS = ("abcdefghijklmnopqrstuvwxyz_", "ABCxyz019.", "éßø日本語", "a\U0001f600b")
SIZES = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 16, 24, 25, 40, 70)


@pytest.fixture(scope="module")
def java(tmp_path_factory: pytest.TempPathFactory) -> LineHarness:
    return compile_line_harness(
        HARNESS, "HashMapOrderHarness", (), tmp_path_factory.mktemp("hash-map-order")
    )


def _jobs(count: int, seed: int) -> list[tuple[str, int, list[str]]]:
    rng = random.Random(seed)
    jobs = []
    for _ in range(count):
        size = rng.choice(SIZES)
        keys: dict[str, None] = {}
        while len(keys) < size:
            alphabet = rng.choice(ALPHABETS)
            keys["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))] = None
        constructor = rng.choice(("new", "sized", "copy"))
        n = {"new": 0, "sized": rng.randint(0, size + 3), "copy": rng.randint(0, size)}
        jobs.append((constructor, n[constructor], list(keys)))
    return jobs


def _sluice_order(constructor: str, n: int, keys: list[str]) -> list[str]:
    entries = dict.fromkeys(keys)
    if constructor == "new":
        return list(as_hash_map(entries))
    if constructor == "sized":
        return list(as_hash_map(entries, table_size_for(n)))
    return list(as_hash_map(entries, hash_map_copy_capacity(n)))


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_key_order_matches_java(java: LineHarness) -> None:
    jobs = _jobs(1500, seed=16)
    answers = java([" ".join([c, str(n), *map(_b64, keys)]) for c, n, keys in jobs])
    reordered = 0
    for (constructor, n, keys), answer in zip(jobs, answers, strict=True):
        ours = _sluice_order(constructor, n, keys)
        theirs = [base64.b64decode(k).decode() for k in answer.split("\t")[1:]]
        assert ours == theirs, (constructor, n, keys)
        reordered += ours != keys
    assert reordered > 1000  # most of them: the check is not vacuous
