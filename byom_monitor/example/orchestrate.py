"""Every scenario through all four checks, recorded as an experiment (notebook 05)."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from byom_monitor.example import workflow
from byom_monitor.example.experiments import ExperimentStore
from byom_monitor.io.config import Config
from byom_monitor.session.backends import runner_for

CHECKS = ("data-quality", "model-quality", "model-bias", "model-explainability")
EXPERIMENT = "model-monitor-byom"
#: The result file of each check that holds its analysis (what 06 reads besides the violations).
ANALYSIS_FILE = {"data-quality": "statistics.json", "model-quality": "statistics.json",
                 "model-bias": "analysis.json", "model-explainability": "analysis.json"}


def store_for(config: Config) -> ExperimentStore:
    return ExperimentStore(config.database)


def run_check(config: Config, check: str):
    """One check on the current datasets of config.ini (whatever generate_altered wrote)."""
    if check == "data-quality":
        return workflow.data_quality_check(config)
    if check == "model-quality":
        return workflow.model_quality_check(config)
    return workflow.clarify_check(config, check)


def violated_names(check: str, violations: list[dict[str, Any]]) -> list[str]:
    """What a check's violations name: features (data quality), metrics (model quality, bias)
    or ``shap`` (explainability)."""
    key = "feature_name" if check == "data-quality" else "metric_name"
    return sorted({str(v.get(key)) for v in violations})


def run_scenarios(config: Config, scenarios: Iterable[str],
                  prepare: Callable[[str], object], *, experiment: str = EXPERIMENT,
                  checks: Iterable[str] = CHECKS, progress: Callable[[str], None] = print
                  ) -> pd.DataFrame:
    """For each scenario: ``prepare(scenario)`` writes its datasets (generate_altered.main),
    then every check runs and is recorded: in the local store, and on SageMaker also as a
    SageMaker Experiments run. The run's parameters are, per check, ``{check}-violations``
    (constraint_violations.json, "" when none), ``{check}-analysis`` (its statistics.json or
    analysis.json) and ``{check}-violation-count``, plus ``scenario``. config.ini's
    [EXPERIMENT_TRIALS] names the run under the scenario's name with ``-``. Returns one row
    per scenario and check, with the violated names."""
    store = store_for(config)
    runner = runner_for(config)
    rows = []
    for scenario in scenarios:
        started = time.perf_counter()
        prepare(scenario)
        run_id = store.start_run(experiment, scenario)
        parameters = {"scenario": scenario}
        for check in checks:
            clock = time.perf_counter()
            result = run_check(config, check)
            seconds = time.perf_counter() - clock
            names = violated_names(check, result.violation_list)
            outputs = {**result.outcome.outputs,
                       "dataset": config.get_dataset(f"{check}-modified-data")}
            store.record_check(run_id, check, result.status, result.outcome.message,
                               len(result.violation_list), outputs, seconds)
            parameters.update({
                f"{check}-violations": config.get_baseline(f"{check}-violations"),
                f"{check}-analysis": outputs.get(ANALYSIS_FILE[check], ""),
                f"{check}-violation-count": str(len(result.violation_list))})
            rows.append({"scenario": scenario, "check": check, "status": result.status,
                         "violations": len(result.violation_list), "names": names,
                         "seconds": round(seconds, 2)})
        store.finish_run(run_id, time.perf_counter() - started)
        store.log_parameters(run_id, parameters)
        tracked = runner.record_run(experiment, run_id, parameters)
        config.save_trial(scenario.replace("_", "-"), tracked or run_id)
        progress(f"{scenario}: done in {time.perf_counter() - started:.1f} s")
    return pd.DataFrame(rows)


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Violations per scenario (rows) and check (columns)."""
    table = frame.pivot_table(index="scenario", columns="check", values="violations",
                              aggfunc="sum", sort=False)
    return table.reindex(columns=[c for c in CHECKS if c in table.columns])
