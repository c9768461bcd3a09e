"""Python API over the Clarify job, for notebooks and scripts.

>>> baseline = baseline_bias(train_df, "results/baselines/model-bias",
...                          analysis_config=config, model=my_classifier)
>>> result = check_bias(current_df, baseline, "results/checks/model-bias",
...                     analysis_config=config, model=my_classifier)
>>> result.status, result.to_df(), result.plot()

``model`` is anything :func:`~byom_monitor.clarify.models.as_predictor` accepts. The bias verbs
run the analysis config's bias methods only, the explainability verbs its ``shap`` method only,
so one config serves both. :func:`analyze` runs whatever the config asks for.
"""
from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from byom_monitor.analyzer.api import Result, Violations, bar_chart
from byom_monitor.analyzer.outcome import Outcome
from byom_monitor.clarify.checks import shap_block
from byom_monitor.clarify.config import ClarifyError
from byom_monitor.clarify.job import ClarifyJob, run_clarify
from byom_monitor.clarify.models import as_predictor
from byom_monitor.clarify.predictor import Predictor
from byom_monitor.errors import JobFailed
from byom_monitor.io import storage

BIAS_METHODS = ("pre_training_bias", "post_training_bias")


@dataclass
class ClarifyResult(Result):
    """A Clarify job's analysis.json and, for a check, its violations."""

    outcome: Outcome
    analysis: dict[str, Any]
    violations: Violations = field(default_factory=lambda: Violations({"violations": []}))

    def to_df(self) -> pd.DataFrame:
        """Bias rows then SHAP rows, with an ``analysis`` column saying which."""
        frames = [frame.assign(analysis=kind) for kind, frame
                  in (("bias", self.bias_df()), ("explainability", self.shap_df()))
                  if not frame.empty]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def plot(self, ax: Any = None) -> Any:
        return (self.shap_df().pipe(_plot_shap, ax, self.violated_names())
                if self.bias_df().empty else _plot_bias(self.bias_df(), ax,
                                                        self.violated_names()))

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



class BiasResult(ClarifyResult):
    """Pre- and post-training bias metrics: ``to_df()`` is :meth:`bias_df`."""

    def to_df(self) -> pd.DataFrame:
        return self.bias_df()

    def plot(self, ax: Any = None) -> Any:
        """Each metric's value (the first facet value), violated ones in red."""
        return _plot_bias(self.bias_df(), ax, self.violated_names())


class ExplainabilityResult(ClarifyResult):
    """Global SHAP values: ``to_df()`` is :meth:`shap_df`."""

    def to_df(self) -> pd.DataFrame:
        return self.shap_df()

    def plot(self, ax: Any = None) -> Any:
        return _plot_shap(self.shap_df(), ax, self.violated_names())


def _plot_bias(frame: pd.DataFrame, ax: Any, violated: set[str]) -> Any:
    rows = frame.dropna(subset=["value"]).drop_duplicates(["stage", "metric"])
    return bar_chart(rows["metric"].tolist(), rows["value"].astype(float).tolist(),
                     "bias metrics", ax, violated)


def _plot_shap(frame: pd.DataFrame, ax: Any, violated: set[str]) -> Any:
    return bar_chart(frame["feature"].tolist(), frame["global_shap_value"].tolist()
                     if not frame.empty else [], "global SHAP values", ax, violated)


def analyze(analysis_config: dict[str, Any], data: pd.DataFrame | str, output_path: str, *,
            predictors: dict[str, str] | None = None, predictor: Predictor | None = None,
            baseline: str | None = None,
            result_type: type[ClarifyResult] = ClarifyResult) -> ClarifyResult:
    """Run the analyses of ``analysis_config`` on ``data`` (and check against the baseline
    analysis.json when given). Writes analysis.json (and the config) to ``output_path``;
    JobFailed when the job fails."""
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
    violations = (Violations.from_uri(violations_file) if violations_file
                  else Violations({"violations": []}))
    return result_type(outcome, json.loads(storage.read_text(outcome.outputs["analysis.json"])),
                       violations)


def baseline_bias(data: pd.DataFrame | str, output_path: str, *,
                  analysis_config: dict[str, Any], model: Any = None) -> BiasResult:
    """Bias metrics of ``data`` (the config's bias methods), the baseline of a bias check."""
    return _run(data, output_path, None, analysis_config, model, BIAS_METHODS, BiasResult)


def check_bias(data: pd.DataFrame | str, baseline: ClarifyResult | str, output_path: str, *,
               analysis_config: dict[str, Any], model: Any = None) -> BiasResult:
    """Bias metrics of ``data`` and the baseline's metrics they violate."""
    return _run(data, output_path, baseline, analysis_config, model, BIAS_METHODS, BiasResult)


def baseline_explainability(data: pd.DataFrame | str, output_path: str, *,
                            analysis_config: dict[str, Any],
                            model: Any = None) -> ExplainabilityResult:
    """Global SHAP values of ``model`` on ``data``, the baseline of an attribution check."""
    return _run(data, output_path, None, analysis_config, model, ("shap",),
                ExplainabilityResult)


def check_explainability(data: pd.DataFrame | str, baseline: ClarifyResult | str,
                         output_path: str, *, analysis_config: dict[str, Any],
                         model: Any = None) -> ExplainabilityResult:
    """Global SHAP values on ``data`` and the drift of their ranking from the baseline's."""
    return _run(data, output_path, baseline, analysis_config, model, ("shap",),
                ExplainabilityResult)


def _run(data: pd.DataFrame | str, output_path: str, baseline: ClarifyResult | str | None,
         analysis_config: dict[str, Any], model: Any, methods: tuple[str, ...],
         result_type: type[ClarifyResult]) -> ClarifyResult:
    chosen = {k: v for k, v in (analysis_config.get("methods") or {}).items() if k in methods}
    if not chosen:
        raise ClarifyError(f"analysis_config: methods has none of {', '.join(methods)}")
    config = {**analysis_config, "methods": chosen}
    predictor = as_predictor(model) if model is not None else None
    if predictor is not None and not config.get("predictor"):  # given here, not by name
        config["predictor"] = {"model_name": getattr(predictor, "name", "model")}
    return analyze(config, data, output_path, baseline=_baseline_file(baseline),
                   predictor=predictor, result_type=result_type)


def _baseline_file(baseline: ClarifyResult | str | None) -> str | None:
    """The baseline's analysis.json: of a result, or a file, or the folder holding it."""
    if baseline is None or isinstance(baseline, str) and baseline.endswith(".json"):
        return baseline
    if isinstance(baseline, ClarifyResult):
        return baseline.location("analysis.json")
    return storage.join(baseline, "analysis.json")
