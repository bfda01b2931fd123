"""Test plugins loaded from ``plugin.path``: a source whose task fails on demand."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path

from sluice.api import (
    ConfigDef,
    ConfigType,
    ConnectError,
    DataError,
    Schema,
    SinkConnector,
    SinkRecord,
    SinkTask,
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


class ReportOddSinkConnector(SinkConnector):
    """A sink whose task hands every record with an odd value to the errant record reporter."""

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    def task_class(self) -> type[Task]:
        return ReportOddSinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.props)]

    def stop(self) -> None:
        return None

    def config(self) -> ConfigDef:
        return ConfigDef().define("file", ConfigType.STRING)


class ReportOddSinkTask(SinkTask):
    def start(self, props: Mapping[str, str]) -> None:
        self.out = Path(props["file"])
        self.reporter = self.context.errant_record_reporter()

    def put(self, records: list[SinkRecord]) -> None:
        good = []
        for r in records:
            if int(r.value) % 2:
                assert self.reporter is not None
                self.reporter.report(r, DataError(f"odd value {r.value}")).result(30)
            else:
                good.append(r.value)
        with open(self.out, "a") as f:
            f.writelines(f"{v}\n" for v in good)

    def stop(self) -> None:
        return None


class SendThenBlockSourceConnector(SourceConnector):
    """Its task sends ``count`` records in one poll, then blocks in ``poll`` until stopped."""

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    def task_class(self) -> type[Task]:
        return SendThenBlockSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.props)]

    def stop(self) -> None:
        return None

    def config(self) -> ConfigDef:
        return ConfigDef().define("topic", ConfigType.STRING).define("count", ConfigType.INT)


class SendThenBlockSourceTask(SourceTask):
    def start(self, props: Mapping[str, str]) -> None:
        self.topic = props["topic"]
        self.count = int(props["count"])
        self.sent = False
        self.stopped = threading.Event()

    def poll(self) -> list[SourceRecord] | None:
        if self.sent:
            self.stopped.wait()  # a connector waiting for its source, for as long as it takes
            return None
        self.sent = True
        return [
            SourceRecord({"stream": "s"}, {"n": n}, self.topic, None, None, None, None, str(n))
            for n in range(1, self.count + 1)
        ]

    def stop(self) -> None:
        self.stopped.set()
