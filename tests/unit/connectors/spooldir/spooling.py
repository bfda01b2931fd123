"""Spool directories on disk, and driving spooldir tasks as the runtime would."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sluice.api import SourceRecord
from sluice.testing import SourceTaskHarness

SEED_HEADER = (
    "id,first_name,last_name,email,gender,ip_address,last_login,account_balance,country,"
    "favorite_color"
)


@dataclass
class Spool:
    """``input/`` with ``finished/`` and ``error/`` beside it."""

    root: Path

    @property
    def input(self) -> Path:
        return self.root / "input"

    @property
    def finished(self) -> Path:
        return self.root / "finished"

    @property
    def error(self) -> Path:
        return self.root / "error"

    def config(self, **overrides: object) -> dict[str, str]:
        base: dict[str, object] = {
            "input.path": self.input,
            "finished.path": self.finished,
            "error.path": self.error,
            "input.file.pattern": r"^.*\.csv$",
            "topic": "spool",
            "halt.on.error": "false",
            "empty.poll.wait.ms": "10",
        }
        base.update({k.replace("_", "."): v for k, v in overrides.items()})
        return {k: str(v) for k, v in base.items()}

    def drop(self, name: str, content: str | bytes, age: float = 10.0) -> Path:
        """Write a file into ``input/`` as if it had been there for ``age`` seconds."""
        path = self.input / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        then = time.time() - age
        os.utime(path, (then, then))
        return path

    def listing(self, which: str = "input") -> list[str]:
        base = getattr(self, which)
        return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file())


def poll_until(
    h: SourceTaskHarness,
    condition: Callable[[list[SourceRecord]], bool],
    commit: bool = True,
    timeout: float = 10.0,
) -> list[SourceRecord]:
    """Poll (committing offsets and calling ``task.commit()`` as the runtime does) until
    ``condition(all records so far)`` holds."""
    got: list[SourceRecord] = []
    deadline = time.monotonic() + timeout
    while not condition(got):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met after {timeout}s; {len(got)} records")
        got.extend(h.poll(commit=commit))
        if commit:
            h.task.commit()
    return got


def values(records: list[SourceRecord], field: str = "id") -> list[object]:
    return [r.value.get(field) for r in records]


Run = Callable[..., SourceTaskHarness]
"""The ``run`` fixture: ``run(task, config, offsets=None)`` starts a task under the harness."""
