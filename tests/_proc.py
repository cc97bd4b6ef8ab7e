"""Kill tests: start a run in its own process group and SIGKILL it at a chosen moment."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import Callable


def kill_when(proc: subprocess.Popen, ready: Callable[[], bool], timeout: float) -> None:
    """SIGKILL ``proc``'s process group as soon as ``ready()`` holds; fail if it ended or timed out first."""
    deadline = time.time() + timeout
    while proc.poll() is None and time.time() < deadline and not ready():
        time.sleep(0.05)
    alive = proc.poll() is None
    if alive:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert alive and ready(), ("the run ended (or timed out) before the kill point: "
                               + proc.stderr.read().decode()[-3000:])
