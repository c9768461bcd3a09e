"""The runs of the last orchestration and their result documents (what notebook 06 charts).

Notebook 05 names one run per scenario in config.ini's ``[EXPERIMENT_TRIALS]`` (key: the
scenario with ``-`` for ``_``). A run's parameters give, per check, ``{check}-violations`` (the
constraint_violations.json, or "" when there were none), ``{check}-analysis`` (its
statistics.json or analysis.json) and ``{check}-violation-count``. Only those runs are read, so a
scenario run once and later removed never shows up.

The parameters come from SageMaker Experiments trial components through the SDK's client
(:func:`trial_component_parameters`; any :data:`RunParameters` in tests). Documents are read by
a :data:`ReadDocument`, through ``S3Downloader`` when a SageMaker session is given
(:func:`document_reader`).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from byom_monitor.io import storage
from byom_monitor.io.config import Config

CHECKS = ("data-quality", "model-quality", "model-bias", "model-explainability")
#: config.ini [BASELINES] keys of the documents the charts compare with.
BASELINE_KEYS = ("data-quality-statistics", "data-quality-constraints",
                 "model-quality-statistics", "model-quality-constraints",
                 "model-bias-analysis", "model-explainability-analysis")

RunParameters = Callable[[str], Mapping[str, str]]
ReadDocument = Callable[[str], Any]


class ResultError(LookupError):
    """A run, parameter or result document of the last orchestration that cannot be read."""


@dataclass(frozen=True)
class CheckResult:
    """One check of one scenario run: its violations (empty when none) and its analysis."""

    check: str
    violations: list[dict[str, Any]]
    analysis: dict[str, Any]

    @property
    def count(self) -> int:
        return len(self.violations)

    @property
    def names(self) -> list[str]:
        """The feature or metric names the violations name, each once, in file order."""
        return list(dict.fromkeys(v.get("feature_name") or v.get("metric_name") or "?"
                                  for v in self.violations))


@dataclass(frozen=True)
class ScenarioRun:
    scenario: str
    run_name: str
    checks: dict[str, CheckResult]


def document_reader(base: str | Path, session: Any = None) -> ReadDocument:
    """Parsed JSON from a URI: ``s3://`` through the SDK's ``S3Downloader`` when a SageMaker
    ``session`` is given, otherwise through :mod:`byom_monitor.io.storage`; relative local paths
    are taken from ``base`` (the folder of config.ini)."""
    def read(uri: str) -> Any:
        try:
            if session is not None and storage.is_s3(uri):
                from sagemaker.s3 import S3Downloader

                text = S3Downloader.read_file(uri, sagemaker_session=session)
            else:
                local = uri if storage.is_s3(uri) else Path(base) / uri
                text = storage.read_text(local)
            return json.loads(text)
        except (OSError, ValueError) as exc:
            raise ResultError(f"cannot read the result document {uri}: {exc}") from exc
    return read


def trial_component_parameters(sagemaker_client: Any) -> RunParameters:
    """A run's parameters from SageMaker Experiments (``describe_trial_component``), the way
    the original's notebook 06 read them; config.ini names the trial component."""
    def parameters(run_name: str) -> dict[str, str]:
        try:
            described = sagemaker_client.describe_trial_component(TrialComponentName=run_name)
        except Exception as exc:  # the SDK's ClientError and the local session's errors
            raise ResultError(f"trial component {run_name!r}: {exc}") from exc
        return {name: str(value.get("StringValue", value.get("NumberValue", "")))
                for name, value in described.get("Parameters", {}).items()}
    return parameters


def _check_result(run: str, check: str, parameters: Mapping[str, str],
                  read: ReadDocument) -> CheckResult | None:
    analysis = parameters.get(f"{check}-analysis")
    violations = parameters.get(f"{check}-violations")
    if analysis is None and violations is None:
        return None  # the check was not part of this orchestration
    if analysis is None:
        raise ResultError(f"run {run!r} has no parameter '{check}-analysis'")
    if not analysis:
        raise ResultError(f"run {run!r}: '{check}-analysis' is empty (did the {check} check "
                          f"fail? its status is in notebook 05)")
    found = read(violations)["violations"] if violations else []
    recorded = parameters.get(f"{check}-violation-count")
    if recorded not in (None, "") and int(float(recorded)) != len(found):
        raise ResultError(f"run {run!r}: {check} recorded {recorded} violations, but "
                          f"{violations or 'no violations file'} holds {len(found)}")
    return CheckResult(check, found, read(analysis))


def last_orchestration(config: Config, parameters_of: RunParameters,
                       read: ReadDocument) -> list[ScenarioRun]:
    """The runs config.ini's [EXPERIMENT_TRIALS] names, in its order, with their results."""
    trials = config.items("EXPERIMENT_TRIALS")
    if not trials:
        raise ResultError(f"{config.path}: [EXPERIMENT_TRIALS] is empty: run notebook 05 first")
    runs = []
    for key, run_name in trials.items():
        parameters = parameters_of(run_name)
        scenario = parameters.get("scenario") or key.replace("-", "_")
        checks = {check: result for check in CHECKS
                  if (result := _check_result(run_name, check, parameters, read)) is not None}
        runs.append(ScenarioRun(scenario, run_name, checks))
    return runs


@dataclass(frozen=True)
class Results:
    """The baselines of config.ini and the runs of the last orchestration."""

    baselines: dict[str, Any]
    runs: list[ScenarioRun]

    @classmethod
    def load(cls, config: Config, session: Any) -> Results:
        """With a SageMaker ``session`` (either backend's, from ``session_from_config``): the
        runs from SageMaker Experiments, the documents through ``S3Downloader``."""
        return cls.read(config, trial_component_parameters(session.sagemaker_client),
                        document_reader(config.path.parent, session))

    @classmethod
    def read(cls, config: Config, parameters_of: RunParameters, read: ReadDocument
             ) -> Results:
        """The baselines of config.ini and the last orchestration, from the given sources."""
        baselines = {key: read(config.get_baseline(key)) for key in BASELINE_KEYS}
        return cls(baselines, last_orchestration(config, parameters_of, read))

    @property
    def scenarios(self) -> list[str]:
        return [run.scenario for run in self.runs]

    def run(self, scenario: str) -> ScenarioRun:
        for run in self.runs:
            if run.scenario == scenario:
                return run
        raise ResultError(f"scenario {scenario!r} is not in the last orchestration "
                          f"({', '.join(self.scenarios)})")
