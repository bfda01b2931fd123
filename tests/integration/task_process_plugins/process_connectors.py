"""Test plugins for tasks in processes: a counting source, a recording sink, and tasks that fail
or crash their process on demand."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import threading
from collections.abc import Mapping
from pathlib import Path

from sluice.api import (
    ConfigDef,
    ConfigType,
    ConnectError,
    Schema,
    SinkConnector,
    SinkRecord,
    SinkTask,
    SourceConnector,
    SourceRecord,
    SourceTask,
    Task,
)

log = logging.getLogger("tests.process_connectors")


def _crash(how: str) -> None:
    if how == "segv-c":
        ctypes.string_at(0)  # a read of address 0 inside C code
    os.kill(os.getpid(), signal.SIGSEGV if how == "segv" else signal.SIGKILL)


class CountingSourceConnector(SourceConnector):
    """Each task sends ``count`` records numbered from its committed offset, then idles.

    Task ``n`` of task ``n`` writes partition ``n`` of ``topic`` and keeps its offsets under the
    source partition ``{"task": "n"}``. While the file ``crash.flag`` exists, task
    ``crash.task`` kills its own process (``crash.how``: ``segv``, ``segv-c`` or ``kill``);
    while ``fail.flag`` exists, every task raises in ``poll``.
    """

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    def task_class(self) -> type[Task]:
        return CountingSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [{**self.props, "task.number": str(i)} for i in range(max_tasks)]

    def stop(self) -> None:
        return None

    def config(self) -> ConfigDef:
        return (
            ConfigDef()
            .define("topic", ConfigType.STRING)
            .define("count", ConfigType.INT, 1000)
            .define("crash.flag", ConfigType.STRING, "")
            .define("crash.task", ConfigType.STRING, "1")
            .define("crash.how", ConfigType.STRING, "segv")
            .define("fail.flag", ConfigType.STRING, "")
        )

    def version(self) -> str:
        return "4.5.6"


class CountingSourceTask(SourceTask):
    def start(self, props: Mapping[str, str]) -> None:
        self.topic = props["topic"]
        self.number = props["task.number"]
        self.count = int(props.get("count", "1000"))
        self.crash_flag = Path(props["crash.flag"]) if props.get("crash.flag") else None
        self.crash = props.get("crash.task", "1") == self.number
        self.how = props.get("crash.how", "segv")
        self.fail_flag = Path(props["fail.flag"]) if props.get("fail.flag") else None
        self.partition = {"task": self.number}
        stored = self.context.offset_storage_reader().offset(self.partition)
        self.next = int(stored["pos"]) + 1 if stored else 0
        log.info("counting task %s starts at %d (pid %d)", self.number, self.next, os.getpid())
        self.idle = threading.Event()

    def poll(self) -> list[SourceRecord] | None:
        if self.crash and self.crash_flag is not None and self.crash_flag.exists():
            _crash(self.how)
        if self.fail_flag is not None and self.fail_flag.exists():
            raise ConnectError(f"task {self.number} fails because {self.fail_flag} exists")
        if self.next >= self.count:
            self.idle.wait(0.05)
            return None
        end = min(self.count, self.next + 200)
        records = [
            SourceRecord(
                self.partition,
                {"pos": i},
                self.topic,
                int(self.number),
                None,
                None,
                Schema.STRING_SCHEMA,
                f"{self.number}-{i}",
            )
            for i in range(self.next, end)
        ]
        self.next = end
        return records

    def stop(self) -> None:
        self.idle.set()


class RecordingSinkConnector(SinkConnector):
    """Each task appends the values it is given to ``<dir>/task-<n>.txt`` (flushed per put)."""

    def start(self, props: Mapping[str, str]) -> None:
        self.props = dict(props)

    def task_class(self) -> type[Task]:
        return RecordingSinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [{**self.props, "task.number": str(i)} for i in range(max_tasks)]

    def stop(self) -> None:
        return None

    def config(self) -> ConfigDef:
        return (
            ConfigDef().define("dir", ConfigType.STRING).define("fail.flag", ConfigType.STRING, "")
        )


class RecordingSinkTask(SinkTask):
    def start(self, props: Mapping[str, str]) -> None:
        self.out = Path(props["dir"]) / f"task-{props['task.number']}.txt"
        self.fail_flag = Path(props["fail.flag"]) if props.get("fail.flag") else None
        log.warning("recording sink task %s writes %s", props["task.number"], self.out)

    def put(self, records: list[SinkRecord]) -> None:
        if self.fail_flag is not None and self.fail_flag.exists() and records:
            raise ConnectError(f"put fails because {self.fail_flag} exists")
        if records:
            with open(self.out, "a") as f:
                f.writelines(f"{r.value}\n" for r in records)

    def stop(self) -> None:
        return None
