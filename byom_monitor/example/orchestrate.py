"""Every scenario through all four checks, recorded as an experiment (notebook 05)."""
from __future__ import annotations

import time
from typing import Callable, Iterable

import pandas as pd

from byom_monitor.example import workflow
from byom_monitor.io.config import Config
from byom_monitor.example.experiments import ExperimentStore
from byom_monitor.session.runners import runner_for

CHECKS = ("data-quality", "model-quality", "model-bias", "model-explainability")
EXPERIMENT = "model-monitor-byom"


def store_for(config: Config) -> ExperimentStore:
    return ExperimentStore(config.database)


def run_check(config: Config, check: str):
    """One check on the current datasets of config.ini (whatever generate_altered wrote)."""
    if check == "data-quality":
        return workflow.data_quality_check(config)
    if check == "model-quality":
        return workflow.model_quality_check(config)
    return workflow.clarify_check(config, check)


def run_scenarios(config: Config, scenarios: Iterable[str],
                  prepare: Callable[[str], object], *, experiment: str = EXPERIMENT,
                  checks: Iterable[str] = CHECKS, progress: Callable[[str], None] = print
                  ) -> pd.DataFrame:
    """For each scenario: ``prepare(scenario)`` writes its datasets (generate_altered.main),
    then every check runs and is recorded (in the local store; on SageMaker also as a
    SageMaker Experiments run whose parameters are the violation locations and counts);
    config.ini's [EXPERIMENT_TRIALS] gets the run (the trial component on SageMaker) under the
    scenario's name with ``-`` (concept-drift, ...). Returns scenario x check."""
    store = store_for(config)
    runner = runner_for(config)
    rows = []
    for scenario in scenarios:
        started = time.perf_counter()
        prepare(scenario)
        run_id = store.start_run(experiment, scenario)
        for check in checks:
            clock = time.perf_counter()
            result = run_check(config, check)
            seconds = time.perf_counter() - clock
            violations = len(result.violation_list)
            outputs = {**result.outcome.outputs,
                       "dataset": config.get_dataset(f"{check}-modified-data")}
            store.record_check(run_id, check, result.status, result.outcome.message, violations,
                               outputs, seconds)
            rows.append({"scenario": scenario, "check": check, "status": result.status,
                         "violations": violations, "seconds": round(seconds, 2)})
        store.finish_run(run_id, time.perf_counter() - started)
        parameters = {f"{r['check']}-violations": config.get_baseline(f"{r['check']}-violations")
                      for r in rows if r["scenario"] == scenario}
        parameters.update({f"{r['check']}-violation-count": str(r["violations"])
                           for r in rows if r["scenario"] == scenario})
        tracked = runner.record_run(experiment, run_id, parameters)
        config.save_trial(scenario.replace("_", "-"), tracked or run_id)
        progress(f"{scenario}: done in {time.perf_counter() - started:.1f} s")
    return pd.DataFrame(rows)


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Violations per scenario (rows) and check (columns)."""
    table = frame.pivot_table(index="scenario", columns="check", values="violations",
                              aggfunc="sum", sort=False)
    return table.reindex(columns=[c for c in CHECKS if c in table.columns])
