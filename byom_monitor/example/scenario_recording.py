"""Scenarios through the four checks, each recorded as a ``sagemaker.experiments.Run``.

Notebook 05 shows these calls cell by cell; this is the same loop for the benchmarks and tests
that need recorded runs: for each scenario ``prepare`` (``generate_altered.main``) writes its
datasets, every
check runs (:func:`byom_monitor.example.checks.run_check`), the run logs the parameters notebook
06 reads back (``{check}-violations``, ``{check}-analysis``, ``{check}-violation-count``,
``scenario``), and config.ini's ``[EXPERIMENT_TRIALS]`` names its trial component.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from byom_monitor.example import checks
from byom_monitor.io.config import Config

EXPERIMENT = "model-monitor-byom"


def record_scenarios(config: Config, session: Any, role: str, bucket: str,
                     scenarios: Iterable[str], prepare: Callable[[str], object]) -> pd.DataFrame:
    """One row per scenario and check: status, violation count and the violated names."""
    from sagemaker.experiments import Run

    rows = []
    for name in scenarios:
        prepare(name)
        with Run(experiment_name=EXPERIMENT,
                 run_name=f"{name.replace('_', '-')}-{checks.stamp()}",
                 sagemaker_session=session) as run:
            parameters = {"scenario": name}
            for check in checks.CHECKS:
                result = checks.run_check(config, session, role, bucket, check)
                parameters.update({f"{check}-violations": result.violations_uri,
                                   f"{check}-analysis": result.analysis_uri,
                                   f"{check}-violation-count": str(len(result.violations))})
                rows.append({"scenario": name, "check": check, "status": result.status,
                             "violations": len(result.violations), "names": result.names})
            run.log_parameters(parameters)
        config.save_trial(name.replace("_", "-"), run.experiment_config["RunName"])
    return pd.DataFrame(rows)
