"""Benchmark: notebook 06's work on a whole orchestration (every scenario, synthetic data).

Builds the results once in a temporary folder (prep, four baselines, every scenario through the
four checks), then times what 06 does: reading the runs of [EXPERIMENT_TRIALS] and their result
files, drawing every section's charts as PNG, and writing report.html. Prints the figures.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def orchestrate_all(folder: Path):
    import generate_altered
    import prep
    from byom_monitor.example.baselines import CHECKS, build_baseline
    from byom_monitor.example.scenario_recording import record_scenarios
    from byom_monitor.io.config import Config
    from byom_monitor.session.sessions import session_from_config

    config = Config(folder / "config.ini")
    config.set("monitoring", "model_dir", str(folder / "models"))
    config.set("monitoring", "data_dir", str(folder / "data"))
    prep.main(raw_file=folder / "absent.asc", data_dir=folder / "data", model_dir=folder / "models")
    session, role, bucket = session_from_config(config)
    for check in CHECKS:
        build_baseline(config, session, role, bucket, check)
    record_scenarios(config, session, role, bucket, generate_altered.SCENARIOS,
                     lambda name: generate_altered.main(name, config=config, session=session))
    return config, session


def main() -> None:
    import generate_altered
    from byom_monitor.example import report

    with tempfile.TemporaryDirectory() as name:
        config, session = orchestrate_all(Path(name))
        clock = time.perf_counter()
        results = report.Results.load(config, session)
        loaded = time.perf_counter() - clock
        clock, cpu = time.perf_counter(), time.process_time()
        sections = report.scenario_sections(results, generate_altered.SCENARIOS)
        charts = sum(len(section.images) for section in sections)
        drawn, drawn_cpu = time.perf_counter() - clock, time.process_time() - cpu
        clock = time.perf_counter()
        location = report.write_report(results, Path(name) / "report",
                                       generate_altered.SCENARIOS, sections)
        written = time.perf_counter() - clock
        size = Path(location).stat().st_size
    print(f"scenarios                         {len(results.runs):6d}")
    print(f"read runs and result files        {loaded:6.2f} s")
    print(f"draw {charts:3d} charts as PNG           {drawn:6.2f} s ({drawn / charts:.3f} s each; "
          f"CPU {drawn_cpu:.2f} s)")
    print(f"write report.html                 {written:6.2f} s ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
