"""Benchmark: the whole example, locally, in a fresh folder.

Stages timed in-process: prep (data + model), the four baselines and their reviews, every
scenario x 4 checks (scenario datasets included; the bias scenario has about 100,000 rows), the
report. Then the same as ``make example`` does it: ``prep.py`` and all six notebooks headless, as
whole processes, with each notebook's time.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def stages(folder: Path) -> None:
    import generate_altered
    import prep
    from byom_monitor.example import orchestrate, report, workflow
    from byom_monitor.io.config import Config

    config = Config(folder / "config.ini")
    config.set("monitoring", "model_dir", str(folder / "models"))
    config.set("monitoring", "data_dir", str(folder / "data"))
    timings = {}
    clock = time.perf_counter()
    prep.main(raw_file=folder / "absent.asc", data_dir=folder / "data", model_dir=folder / "models")
    timings["prep (data, split, model)"] = time.perf_counter() - clock
    clock = time.perf_counter()
    workflow.data_quality_baseline(config)
    workflow.model_quality_baseline(config)
    workflow.clarify_baseline(config, "model-bias")
    workflow.clarify_baseline(config, "model-explainability")
    timings["four baselines"] = time.perf_counter() - clock
    clock = time.perf_counter()
    workflow.review_model_quality(config)
    workflow.review_bias(config)
    timings["reviews (bootstrap)"] = time.perf_counter() - clock
    clock = time.perf_counter()
    runs = orchestrate.run_scenarios(config, generate_altered.SCENARIOS,
                                     lambda s: generate_altered.main(s, config=config),
                                     progress=lambda _: None)
    timings[f"{len(generate_altered.SCENARIOS)} scenarios x 4 checks"] = \
        time.perf_counter() - clock
    clock = time.perf_counter()
    report.write_report(report.Results.load(config), folder / "report")
    timings["charts and HTML report"] = time.perf_counter() - clock
    for name, seconds in timings.items():
        print(f"{name:28s} {seconds:6.1f} s")
    print(f"{'total':28s} {sum(timings.values()):6.1f} s")
    print("\nviolations per scenario and check:")
    print(orchestrate.summary(runs).to_string())


def whole_job(folder: Path) -> float:
    for name in [*ROOT.glob("0*.ipynb"), ROOT / "prep.py", ROOT / "generate_altered.py",
                 ROOT / "config.ini.example"]:
        shutil.copy(name, folder / name.name)
    clock = time.perf_counter()
    subprocess.run([sys.executable, "prep.py"], cwd=folder, check=True, capture_output=True)
    notebooks = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "byom_monitor.example.run_notebooks"],
                          cwd=folder, check=True, capture_output=True, text=True)
    print("".join(line + "\n" for line in done.stdout.splitlines() if ": ran in " in line), end="")
    print(f"notebooks 01-06: {time.perf_counter() - notebooks:.1f} s")
    return time.perf_counter() - clock


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="byom-example-") as first:
        stages(Path(first))
    with tempfile.TemporaryDirectory(prefix="byom-example-") as second:
        seconds = whole_job(Path(second))
    print(f"\nmain job (prep.py + notebooks 01-06 headless, whole processes): {seconds:.1f} s")


if __name__ == "__main__":
    main()
