"""JSON values streamed from files in every layout the JSON connectors accept."""

from __future__ import annotations

import io
import json

import pytest

from sluice.connectors.spooldir.errors import BadDataError
from sluice.connectors.spooldir.readers import json_values
from sluice.connectors.spooldir.readers.json_values import JsonValues


def parse(text: str) -> list[tuple[object, int]]:
    return list(JsonValues(io.BytesIO(text.encode()), "utf-8"))


def test_one_per_line_and_concatenated_and_pretty() -> None:
    text = '{"a": 1}\n{"a": 2} {"a": 3}\n\n{\n  "a": [\n    4\n  ]\n}\n5\n'
    assert parse(text) == [({"a": 1}, 1), ({"a": 2}, 2), ({"a": 3}, 2), ({"a": [4]}, 4), (5, 9)]


def test_top_level_array_yields_elements() -> None:
    assert parse('[\n {"a": 1},\n {"a": 2}\n]\n') == [({"a": 1}, 2), ({"a": 2}, 3)]
    assert parse("[]") == []


def test_minified_array_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_values, "CHUNK", 7)
    items = [{"id": i, "name": "n" * (i % 5), "big": 12345678901234567890} for i in range(300)]
    text = json.dumps(items, separators=(",", ":"))
    assert [v for v, _ in parse(text)] == items
    assert [v for v, _ in parse("\n".join(json.dumps(i) for i in items))] == items


def test_numbers_split_by_a_chunk_boundary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_values, "CHUNK", 3)
    assert [v for v, _ in parse("123456 7890")] == [123456, 7890]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('{"a": 1}\n{"a": }\n', 2, "invalid JSON"),
        ('{"a": 1}\n{"a": 2', 2, "truncated JSON"),
        ('[{"a": 1}\n{"a": 2}]', 2, "expected ',' or ']'"),
        ('[{"a": 1},', 1, "not closed"),
        ('{"a": "x\ny"}', 1, "invalid JSON"),
    ],
)
def test_bad_json_names_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(BadDataError) as e:
        parse(text)
    assert e.value.line == line and message in e.value.reason
