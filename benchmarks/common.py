"""Shared helpers of the benchmark scripts (no numpy / pandas here, see timed())."""
from __future__ import annotations

import os
import subprocess
import time


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MiB) of one process.

    A child's ru_maxrss includes what it inherited from the parent at fork time, so the calling
    script must stay small: it imports no numpy / pandas and generates data in a child process.
    """
    started = time.perf_counter()
    process = subprocess.Popen(command, env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return elapsed, usage.ru_maxrss / 1024.0
