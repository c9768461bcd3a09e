"""Python API over the Clarify job, for notebooks and scripts.

>>> result = analyze(analysis_config, "data/train.csv", "results/baselines/model-bias",
...                  predictors={"e2e-model-bias": "models"})
>>> result.bias_df(), result.shap_df()
"""
from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from byom_monitor.errors import JobFailed
from byom_monitor.io import storage
from byom_monitor.analyzer.outcome import Outcome
from byom_monitor.clarify.checks import shap_block
from byom_monitor.clarify.job import ClarifyJob, run_clarify
from byom_monitor.clarify.predictor import Predictor


@dataclass
class ClarifyResult:
    outcome: Outcome
    analysis: dict[str, Any]
    violations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.outcome.status

    @property
    def violation_list(self) -> list[dict[str, Any]]:
        return self.violations

    def location(self, name: str) -> str | None:
        return self.outcome.outputs.get(name)

    def bias_df(self) -> pd.DataFrame:
        """One row per (stage, facet, facet value, metric)."""
        rows = []
        for stage in ("pre_training_bias_metrics", "post_training_bias_metrics"):
            for facet, groups in (self.analysis.get(stage) or {}).get("facets", {}).items():
                for group in groups:
                    for metric in group["metrics"]:
                        rows.append({"stage": stage.split("_bias")[0], "facet": facet,
                                     "facet_value": group["value_or_threshold"],
                                     "metric": metric["name"], "value": metric["value"],
                                     "description": metric["description"],
                                     "error": metric.get("error")})
        return pd.DataFrame(rows)

    def shap_df(self) -> pd.DataFrame:
        """Global SHAP value per feature (and label), largest first."""
        rows = [{"label": label, "feature": feature, "global_shap_value": value}
                for label, block in shap_block(self.analysis)[1].items()
                for feature, value in block["global_shap_values"].items()]
        frame = pd.DataFrame(rows)
        return frame.sort_values("global_shap_value", ascending=False, ignore_index=True) \
            if not frame.empty else frame

    def violations_df(self) -> pd.DataFrame:
        return pd.DataFrame(self.violations)


def analyze(analysis_config: dict[str, Any], data: pd.DataFrame | str, output_path: str, *,
            predictors: dict[str, str] | None = None, predictor: Predictor | None = None,
            baseline: str | None = None) -> ClarifyResult:
    """Run the analyses of ``analysis_config`` on ``data`` (and check against the baseline
    analysis.json when given). Writes analysis.json (and the config) to ``output_path``."""
    with tempfile.TemporaryDirectory(prefix="byom-clarify-") as folder:
        config_path = str(Path(folder) / "analysis_config.json")
        Path(config_path).write_text(json.dumps(analysis_config, indent=2))
        source = str(data)
        if isinstance(data, pd.DataFrame):
            source = str(Path(folder) / "data.csv")
            data.to_csv(source, index=False)
        job = ClarifyJob(config_path, source, output_path, baseline, predictors or {}, predictor)
        outcome = run_clarify(job, message_file=None)
    if not outcome.ok:
        raise JobFailed(outcome.message, outcome)
    violations_file = outcome.outputs.get("constraint_violations.json")
    violations = (json.loads(storage.read_text(violations_file))["violations"]
                  if violations_file else [])
    return ClarifyResult(outcome, json.loads(storage.read_text(outcome.outputs["analysis.json"])),
                         violations)
