"""A contender's worker process, watched from outside: CPU time and RSS sampled with psutil.

Both runtimes run as separate processes started the way a user starts them, so start-up, memory
and CPU are measured the same way for each. The sampler keeps a timeline; a run's CPU cost is
read off it between two wall-clock instants that may only be known afterwards (the first record's
append time comes from the broker).
"""

from __future__ import annotations

import bisect
import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import psutil

__all__ = ["Sample", "WorkerExitedError", "WorkerProcess", "machine_busy", "wait_until_quiet"]

SAMPLE_INTERVAL = 0.1


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (every process, the broker included)."""
    t = psutil.cpu_times()
    return float(t.user + t.system + t.nice + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0))


def wait_until_quiet(cores: float, timeout: float) -> tuple[float, float]:
    """Wait until the machine was busy with less than ``cores`` over one second (or
    ``timeout`` passed); returns the seconds waited and the last second's busy cores."""
    started = time.monotonic()
    while True:
        before = machine_busy()
        time.sleep(1.0)
        busy = machine_busy() - before
        if busy < cores or time.monotonic() - started > timeout:
            return time.monotonic() - started, busy


class WorkerExitedError(Exception):
    """The worker process ended while the harness still waited on it."""


class Sample:
    __slots__ = ("cpu", "rss", "t")

    def __init__(self, t: float, cpu: float, rss: int) -> None:
        self.t = t
        self.cpu = cpu
        self.rss = rss


class WorkerProcess:
    """Starts a command with its output in a log file and samples it until stopped."""

    def __init__(
        self, argv: Sequence[str], log_file: Path, env: dict[str, str] | None = None
    ) -> None:
        self.argv = list(argv)
        self.log_file = log_file
        self.env = env
        self.samples: list[Sample] = []
        self.started_at = 0.0
        self._proc: subprocess.Popen[bytes] | None = None
        self._ps: psutil.Process | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.companions: list[subprocess.Popen[bytes]] = []
        """Helpers attached to the worker (a profiler) that end when it ends."""

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def start(self) -> WorkerProcess:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_file, "wb")  # noqa: SIM115 - the child owns it until it exits
        self.started_at = time.time()
        self._proc = subprocess.Popen(
            self.argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=self.env,
            start_new_session=True,
        )
        log.close()
        self._ps = psutil.Process(self._proc.pid)
        self._thread = threading.Thread(target=self._sample_loop, name="sampler", daemon=True)
        self._thread.start()
        return self

    def _sample_loop(self) -> None:
        """Samples the worker with its child processes (sluice runs tasks in processes): CPU is
        the sum over every process seen so far, the last figure kept for those that ended; RSS
        the sum over those alive."""
        ps = self._ps
        assert ps is not None
        child_cpu: dict[int, float] = {}
        while not self._stop.is_set():
            try:
                with ps.oneshot():
                    cpu = ps.cpu_times()
                    rss = ps.memory_info().rss
                children = ps.children(recursive=True)
            except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
                return
            for child in children:
                try:
                    with child.oneshot():
                        times = child.cpu_times()
                        child_rss = child.memory_info().rss
                except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
                    continue
                child_cpu[child.pid] = times.user + times.system
                rss += child_rss
            total = cpu.user + cpu.system + sum(child_cpu.values())
            self.samples.append(Sample(time.time(), total, rss))
            self._stop.wait(SAMPLE_INTERVAL)

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def check_alive(self) -> None:
        if not self.alive():
            code = self._proc.returncode if self._proc is not None else None
            raise WorkerExitedError(
                f"{Path(self.argv[0]).name} exited with status {code}; "
                f"last lines of {self.log_file}:\n{self.log_tail()}"
            )

    def log_tail(self, lines: int = 25) -> str:
        try:
            text = self.log_file.read_text("utf-8", "replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (a graceful stop, offsets committed), SIGKILL after ``timeout``."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        for companion in self.companions:
            try:
                companion.wait(60)
            except subprocess.TimeoutExpired:
                companion.kill()
                companion.wait(10)

    # -- reading the timeline -------------------------------------------------------------------
    def cpu_at(self, t: float) -> float:
        """CPU seconds used by ``t``, interpolated between the samples around it."""
        samples = self.samples
        if not samples:
            return 0.0
        times = [s.t for s in samples]
        i = bisect.bisect_left(times, t)
        if i == 0:
            return samples[0].cpu
        if i >= len(samples):
            return samples[-1].cpu
        a, b = samples[i - 1], samples[i]
        span = b.t - a.t
        frac = 0.0 if span <= 0 else (t - a.t) / span
        return a.cpu + (b.cpu - a.cpu) * frac

    def peak_rss(self) -> int:
        return max((s.rss for s in self.samples), default=0)

    def rss_between(self, start: float, end: float) -> list[int]:
        return [s.rss for s in self.samples if start <= s.t <= end]
