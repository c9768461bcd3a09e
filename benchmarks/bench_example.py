"""Benchmark: the whole example as ``make example`` runs it, in a fresh folder.

``prep.py``, then notebooks 01-06 headless on the in-process SageMaker session (local backend),
as whole processes; prints each notebook's time and the total (target: the notebooks in at most
2 minutes on a 2-core machine). The load of the machine is printed beside, since other work on
the same cores stretches every figure.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def whole_job(folder: Path) -> None:
    for name in [*ROOT.glob("0*.ipynb"), ROOT / "prep.py", ROOT / "generate_altered.py",
                 ROOT / "config.ini.example"]:
        shutil.copy(name, folder / name.name)
    clock = time.perf_counter()
    subprocess.run([sys.executable, "prep.py"], cwd=folder, check=True, capture_output=True)
    print(f"prep.py: {time.perf_counter() - clock:.1f} s")
    notebooks = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "byom_monitor.example.run_notebooks"],
                          cwd=folder, capture_output=True, text=True)
    print("".join(line + "\n" for line in done.stdout.splitlines() if ": ran in " in line), end="")
    if done.returncode:
        print(done.stderr[-2000:])
    print(f"notebooks: {time.perf_counter() - notebooks:.1f} s "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="byom-example-") as folder:
        whole_job(Path(folder))


if __name__ == "__main__":
    main()
