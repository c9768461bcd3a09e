"""Shared helpers of the benchmark scripts (no numpy / pandas here, see timed())."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable


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


def ensure_data(script: str, path: Path, rows: int) -> None:
    """Generate the data file once, in a child process (``script --generate PATH ROWS``)."""
    if not path.exists():
        print(f"writing {path} ...", flush=True)
        subprocess.run([sys.executable, script, "--generate", str(path), str(rows)], check=True)


def entry_point(make_data: Callable[[Path, int], None], main: Callable[[], None]) -> None:
    """``script --generate PATH ROWS`` makes the data; anything else runs the benchmark."""
    if len(sys.argv) == 4 and sys.argv[1] == "--generate":
        make_data(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
