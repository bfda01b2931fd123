"""Test plugins loaded from ``plugin.path``: a source whose task fails on demand."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sluice.api import (
    ConfigDef,
    ConfigType,
    ConnectError,
    Schema,
    SourceConnector,
    SourceRecord,
    SourceTask,
    Task,
)


class FailOnceSourceConnector(SourceConnector):
    """Emits numbered records; its task fails while the file named by ``fail.flag`` exists."""

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    def task_class(self) -> type[Task]:
        return FailOnceSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.props) for _ in range(max_tasks)]

    def stop(self) -> None:
        return None

    def config(self) -> ConfigDef:
        return ConfigDef().define("topic", ConfigType.STRING).define("fail.flag", ConfigType.STRING)

    def version(self) -> str:
        return "1.2.3"


class FailOnceSourceTask(SourceTask):
    def start(self, props: Mapping[str, str]) -> None:
        self.topic = props["topic"]
        self.flag = Path(props["fail.flag"])
        self.n = 0

    def poll(self) -> list[SourceRecord] | None:
        if self.flag.exists():
            raise ConnectError(f"failing because {self.flag} exists")
        self.n += 1
        return [
            SourceRecord(
                None, None, self.topic, None, None, None, Schema.STRING_SCHEMA, f"record-{self.n}"
            )
        ]

    def stop(self) -> None:
        return None
