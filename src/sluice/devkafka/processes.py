"""The broker's process once launched: kept, reaped, stopped, and its log's last lines.

The broker runs detached from the process that started it, so most of what is known of it is
its pid; when this process launched it, the ``Popen`` is kept too, to collect its exit status.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import time
from collections import deque
from pathlib import Path

import psutil

from sluice.devkafka.errors import BrokerStopError

__all__ = ["LOG_TAIL_LINES", "adopt", "log_tail", "reap", "terminate"]

LOG_TAIL_LINES = 30

# Brokers this process started and has not yet seen exit. Holding the Popen objects keeps
# Python from warning that a child is "still running" when they are collected: outliving us
# is the point of a detached broker.
_children: dict[int, subprocess.Popen[bytes]] = {}


def adopt(process: subprocess.Popen[bytes]) -> None:
    """Keep a broker this process launched until it is seen to exit (see :func:`reap`)."""
    _children[process.pid] = process


@atexit.register
def _leave_brokers_running() -> None:
    """Tell the Popen objects that a broker outliving this process is intended.

    Module teardown collects ``_children``; a Popen collected while its process runs prints
    "ResourceWarning: subprocess N is still running". The broker is detached on purpose (its pid
    file lets the next ``sluice kafka`` find it), so it is marked as handed over instead.
    """
    for pid, child in list(_children.items()):
        if child.poll() is None:
            child.returncode = 0
        del _children[pid]


def reap(pid: int) -> None:
    """Collect the exit status if the broker is our own child, so it does not linger as a zombie."""
    child = _children.get(pid)
    if child is not None:
        if child.poll() is not None:
            del _children[pid]
        return
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def terminate(pid: int, grace: float) -> None:
    """SIGTERM lets Kafka shut down cleanly; SIGKILL if it takes longer than ``grace``."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            reap(pid)
            return
        if _wait_exit(pid, wait):
            return
    raise BrokerStopError(f"Kafka (pid {pid}) did not exit after SIGTERM and SIGKILL")


def _wait_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        reap(pid)
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def log_tail(path: Path, lines: int = LOG_TAIL_LINES, start: int = 0) -> str:
    """The last ``lines`` of the log from byte ``start`` on (this run's part), or why not."""
    try:
        with path.open("rb") as log:
            log.seek(start)
            last = deque(log, maxlen=lines)
    except OSError:
        return f"(no log at {path})"
    text = b"".join(last).decode("utf-8", "replace").rstrip()
    return text or f"(the log at {path} is empty)"
