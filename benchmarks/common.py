"""Shared helpers of the benchmark scripts (no numpy / pandas here, see timed())."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

#: How often the memory of a timed process tree is sampled.
SAMPLE_SECONDS = 0.05


class Measurement(NamedTuple):
    seconds: float  # wall
    peak_mib: float
    cpu_seconds: float  # user + system, the process and the workers it waited for


#: A job to time: the command and the environment variables it adds.
Job = tuple[list[str], dict[str, str]]


def timed(command: list[str], env: dict[str, str] | None = None) -> Measurement:
    """Wall seconds, peak memory (MiB) and CPU seconds of one process and the workers it starts.

    The peak is the largest of: the process's own ru_maxrss, and the proportional set size
    (PSS: shared pages split between the processes sharing them) of the whole process tree,
    sampled every 50 ms from /proc (Linux). A child's ru_maxrss includes what it inherited from
    the parent at fork time, so the calling script must stay small: it imports no numpy /
    pandas and generates data in a child process.

    ``PYTHONDONTWRITEBYTECODE`` is not passed on: where it is set (this project's CI machine
    sets it), every start would compile the project's modules afresh, a cost installed packages
    do not pay (pip compiles them when it installs them).
    """
    started = time.perf_counter()
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    process = subprocess.Popen(command, env={**environment, **(env or {})})
    done = threading.Event()
    tree_peak = [0.0]

    def sample() -> None:
        while not done.wait(SAMPLE_SECONDS):
            tree_peak[0] = max(tree_peak[0], _tree_pss_mib(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return Measurement(elapsed, max(usage.ru_maxrss / 1024.0, tree_peak[0]),
                       usage.ru_utime + usage.ru_stime)


def best_of(runs: int, jobs: dict[str, Job]) -> dict[str, Measurement]:
    """Each job's fastest of ``runs`` runs (the machine may be shared), its largest peak memory
    and its least CPU time.

    The jobs run in turn, round after round, so a ratio between two of them compares runs made
    under the same load; an untimed first round writes bytecode and warms the file cache. Jobs
    run in the given order, so a later one may use an earlier one's output.
    """
    for command, env in jobs.values():
        timed(command, env)
    results: dict[str, list[Measurement]] = {name: [] for name in jobs}
    for _ in range(runs):
        for name, (command, env) in jobs.items():
            results[name].append(timed(command, env))
    return {name: Measurement(min(r.seconds for r in rounds), max(r.peak_mib for r in rounds),
                              min(r.cpu_seconds for r in rounds))
            for name, rounds in results.items()}


def _tree_pss_mib(pid: int) -> float:
    total = 0
    for member in _tree(pid):
        try:
            for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:  # gone, or not Linux
            continue
    return total / 1024.0


def _tree(pid: int) -> list[int]:
    members, queue = [], [pid]
    while queue:
        current = queue.pop()
        members.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                queue.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return members


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
