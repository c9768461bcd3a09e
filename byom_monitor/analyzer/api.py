"""Python API over the analyzer, for notebooks and scripts.

>>> baseline = baseline_data_quality(train_df, "results/baselines/data-quality")
>>> baseline.to_df()
>>> result = check_data_quality("results/datasets/default/data-quality.csv", baseline,
...                             "results/checks/data-quality")
>>> result.status, result.to_df(), result.plot()

Each runs the same job as ``python -m byom_monitor.analyzer`` (a DataFrame is written to a
temporary CSV first), and returns the written files as objects. Every result offers ``to_df()``
(its main table) and ``plot(ax=None)`` (a matplotlib bar chart on ``ax`` or a new Axes, which it
returns; the backend is the caller's).
"""
from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from byom_monitor.analyzer.contract import run_job
from byom_monitor.analyzer.model_quality import Attributes, evaluation_from_frame, textbook_r2
from byom_monitor.analyzer.outcome import Outcome
from byom_monitor.errors import JobFailed
from byom_monitor.io import storage
from byom_monitor.io.formats import load_json

CSV_WITH_HEADER = {"csv": {"header": True, "output_columns_position": "START"}}


class Document:
    """A result file's JSON (``body_dict``, as the SDK calls it) and where it lives."""

    def __init__(self, body: dict[str, Any], location: str | None = None) -> None:
        self.body_dict = body
        self.location = location

    @classmethod
    def from_uri(cls, location: str) -> Document:
        return cls(load_json(location), location)


def bar_chart(labels: list[str], values: list[float], title: str, ax: Any = None,
              highlight: set[str] | None = None) -> Any:
    """Horizontal bars, ``highlight`` ones in red, on ``ax`` (a new Axes when None)."""
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.subplots(figsize=(6, 0.25 * len(labels) + 1.2))[1]
    colors = ["tab:red" if name in (highlight or set()) else "tab:blue" for name in labels]
    ax.barh(labels, values, color=colors)
    ax.invert_yaxis()
    ax.set_title(title)
    return ax


class Statistics(Document):
    def plot(self, ax: Any = None, highlight: set[str] | None = None) -> Any:
        """Completeness per feature (share of rows with a value); violated features in red."""
        frame = self.to_df()
        rows = (frame["num_present"] + frame["num_missing"]).where(lambda n: n > 0)
        return bar_chart(frame["name"].tolist(), (frame["num_present"] / rows).fillna(0).tolist(),
                         "completeness per feature", ax, highlight)

    def to_df(self) -> pd.DataFrame:
        """One row per feature: type, counts, moments, distinct count."""
        rows = []
        for feature in self.body_dict.get("features", []):
            block = feature.get("numerical_statistics") or feature.get("string_statistics") or {}
            common = block.get("common", {})
            rows.append({"name": feature["name"], "inferred_type": feature["inferred_type"],
                         "num_present": common.get("num_present"),
                         "num_missing": common.get("num_missing"),
                         **{k: block.get(k) for k in ("mean", "std_dev", "min", "max", "sum",
                                                      "distinct_count")}})
        return pd.DataFrame(rows)


class Constraints(Document):
    def to_df(self) -> pd.DataFrame:
        rows = []
        for feature in self.body_dict.get("features", []):
            rows.append({"name": feature["name"], "inferred_type": feature.get("inferred_type"),
                         "completeness": feature.get("completeness"),
                         "is_non_negative": (feature.get("num_constraints") or {})
                         .get("is_non_negative"),
                         "domains": (feature.get("string_constraints") or {}).get("domains")})
        return pd.DataFrame(rows)


class Violations(Document):
    def to_df(self) -> pd.DataFrame:
        """One row per violation (data quality: feature_name; model quality: metric_name)."""
        return pd.DataFrame(self.body_dict.get("violations", []))


class ModelQualityStatistics(Document):
    """statistics.json of a model-quality job; ``textbook_r2`` is set for regression."""

    textbook_r2: float | None = None

    @property
    def metrics(self) -> dict[str, Any]:
        return next(v for k, v in self.body_dict.items() if k.endswith("_metrics"))

    def to_df(self) -> pd.DataFrame:
        """One row per scalar metric: value and standard deviation (NaN below 200 rows)."""
        rows = [{"metric": name, "value": m["value"],
                 "standard_deviation": float(m["standard_deviation"])}
                for name, m in self.metrics.items() if isinstance(m, dict) and "value" in m]
        if self.textbook_r2 is not None:
            rows.append({"metric": "r2_textbook (not in the file)", "value": self.textbook_r2,
                         "standard_deviation": float("nan")})
        return pd.DataFrame(rows)

    def plot(self, ax: Any = None, highlight: set[str] | None = None) -> Any:
        """The scalar metrics; violated ones in red."""
        frame = self.to_df()
        return bar_chart(frame["metric"].tolist(), frame["value"].astype(float).tolist(),
                         "model quality metrics", ax, highlight)

    def confusion_matrix(self) -> pd.DataFrame:
        """Rows: actual class; columns: predicted class."""
        return pd.DataFrame(self.metrics["confusion_matrix"]).T


@dataclass
class Baseline:
    """statistics.json + constraints.json of a baseline (data or model quality)."""

    statistics: Statistics | ModelQualityStatistics
    constraints: Constraints | Document

    def to_df(self) -> pd.DataFrame:
        """The baseline's statistics, one row per feature (or metric)."""
        return self.statistics.to_df()

    def plot(self, ax: Any = None) -> Any:
        return self.statistics.plot(ax)

    @classmethod
    def from_folder(cls, folder: str, *, model_quality: bool = False) -> Baseline:
        statistics = ModelQualityStatistics if model_quality else Statistics
        constraints = Document if model_quality else Constraints
        return cls(statistics.from_uri(storage.join(folder, "statistics.json")),
                   constraints.from_uri(storage.join(folder, "constraints.json")))


class Result:
    """What every check returns: how the job ended (``outcome``, the package's one status
    type), the violations file, ``to_df()`` and ``plot()``."""

    outcome: Outcome
    violations: Violations

    @property
    def status(self) -> str:
        return self.outcome.status

    @property
    def violation_list(self) -> list[dict[str, Any]]:
        return self.violations.body_dict.get("violations", [])

    def violations_df(self) -> pd.DataFrame:
        return self.violations.to_df()

    def violated_names(self) -> set[str]:
        """The features or metrics the violations name."""
        return {v.get("feature_name") or v.get("metric_name") for v in self.violation_list}


@dataclass
class CheckResult(Result):
    """A data- or model-quality check: the statistics of the checked data and the violations."""

    outcome: Outcome
    statistics: Statistics | ModelQualityStatistics
    violations: Violations

    def to_df(self) -> pd.DataFrame:
        """One row per violation."""
        return self.violations_df()

    def plot(self, ax: Any = None) -> Any:
        """The checked data's statistics, the violated features or metrics in red."""
        return self.statistics.plot(ax, highlight=self.violated_names())


def baseline_data_quality(data: pd.DataFrame | str, output_path: str, *,
                     dataset_format: dict[str, Any] | None = None,
                     categorical_drift_method: str = "LInfinity") -> Baseline:
    """Profile ``data`` (a DataFrame, or a dataset file / folder / S3 URI) and write
    statistics.json and suggested constraints.json to ``output_path``."""
    outcome = _run(data, output_path, dataset_format,
                   {"categorical_drift_method": categorical_drift_method})
    return Baseline(Statistics.from_uri(outcome.outputs["statistics.json"]),
                    Constraints.from_uri(outcome.outputs["constraints.json"]))


def check_data_quality(data: pd.DataFrame | str, baseline: Baseline | str, output_path: str, *,
                       dataset_format: dict[str, Any] | None = None) -> CheckResult:
    """Check ``data`` against a baseline (a :class:`Baseline` or its folder) and write
    statistics.json, constraints.json and constraint_violations.json to ``output_path``."""
    if isinstance(baseline, str):
        baseline = Baseline.from_folder(baseline)
    with tempfile.TemporaryDirectory(prefix="byom-baseline-") as folder:
        env = {}
        for name, document in (("statistics", baseline.statistics),
                               ("constraints", baseline.constraints)):
            path = document.location or str(Path(folder) / f"{name}.json")
            if document.location is None:
                Path(path).write_text(json.dumps(document.body_dict))
            env[f"baseline_{name}"] = path
        outcome = _run(data, output_path, dataset_format, env)
    return CheckResult(outcome, Statistics.from_uri(outcome.outputs["statistics.json"]),
                       Violations.from_uri(outcome.outputs["constraint_violations.json"]))


def _run(data: pd.DataFrame | str, output_path: str, dataset_format: dict[str, Any] | None,
         extra_env: dict[str, str]) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="byom-data-") as folder:
        if isinstance(data, pd.DataFrame):
            source = str(Path(folder) / "data.csv")
            data.to_csv(source, index=False)
            dataset_format = CSV_WITH_HEADER
        else:
            source = str(data)
        env = {"dataset_source": source, "output_path": str(output_path),
               "dataset_format": json.dumps(dataset_format or CSV_WITH_HEADER),
               "publish_cloudwatch_metrics": "Disabled", **extra_env}
        outcome = run_job(env, message_file=None)
    if not outcome.ok:
        raise JobFailed(outcome.message, outcome)
    return outcome


def baseline_model_quality(data: pd.DataFrame | str, output_path: str, *,
                           problem_type: str, ground_truth_attribute: str,
                           inference_attribute: str | None = None,
                           probability_attribute: str | None = None,
                           probability_threshold_attribute: float | None = None,
                           dataset_format: dict[str, Any] | None = None) -> Baseline:
    """Metrics of a labelled dataset with predictions (statistics.json) and suggested
    constraints (constraints.json), written to ``output_path``."""
    env = _model_quality_env(problem_type, ground_truth_attribute, inference_attribute,
                             probability_attribute, probability_threshold_attribute)
    outcome = _run(data, output_path, dataset_format, env)
    statistics = _with_textbook_r2(
        ModelQualityStatistics.from_uri(outcome.outputs["statistics.json"]), data, env,
        dataset_format)
    return Baseline(statistics, Document.from_uri(outcome.outputs["constraints.json"]))


def check_model_quality(data: pd.DataFrame | str, baseline: Baseline | str,
                        output_path: str, *, problem_type: str, ground_truth_attribute: str,
                        inference_attribute: str | None = None,
                        probability_attribute: str | None = None,
                        probability_threshold_attribute: float | None = None,
                        dataset_format: dict[str, Any] | None = None) -> CheckResult:
    """Metrics of the current data and the constraints they fail."""
    constraints = (storage.join(baseline, "constraints.json") if isinstance(baseline, str)
                   else baseline.constraints.location)
    env = _model_quality_env(problem_type, ground_truth_attribute, inference_attribute,
                             probability_attribute, probability_threshold_attribute)
    outcome = _run(data, output_path, dataset_format, {**env, "baseline_constraints": constraints})
    statistics = _with_textbook_r2(
        ModelQualityStatistics.from_uri(outcome.outputs["statistics.json"]), data, env,
        dataset_format)
    return CheckResult(outcome, statistics,
                       Violations.from_uri(outcome.outputs["constraint_violations.json"]))


def _model_quality_env(problem_type: str, ground_truth: str, inference: str | None,
                       probability: str | None, threshold: float | None) -> dict[str, str]:
    env = {"analysis_type": "MODEL_QUALITY", "problem_type": problem_type,
           "ground_truth_attribute": ground_truth}
    for key, value in (("inference_attribute", inference), ("probability_attribute", probability),
                       ("probability_threshold_attribute", threshold)):
        if value is not None:
            env[key] = str(value)
    return env


def _with_textbook_r2(statistics: ModelQualityStatistics, data: pd.DataFrame | str,
                      env: dict[str, str], dataset_format: dict[str, Any] | None
                      ) -> ModelQualityStatistics:
    """For regression, the textbook R-squared beside the service-compatible r2."""
    if env["problem_type"] != "Regression":
        return statistics
    frame = data if isinstance(data, pd.DataFrame) else None
    if frame is None:
        from byom_monitor.io.datasets import DatasetFormat, read_chunks

        fmt = DatasetFormat.parse(dataset_format or CSV_WITH_HEADER)
        frame = pd.concat(c.frame for c in read_chunks(data, fmt))
    attributes = Attributes(problem_type="Regression", ground_truth=env["ground_truth_attribute"],
                            inference=env.get("inference_attribute"))
    statistics.textbook_r2 = textbook_r2(evaluation_from_frame(frame, attributes, str(data)[:80]))
    return statistics
