"""``analysis_config.json``: what the SDK's DataConfig, BiasConfig, ModelConfig,
ModelPredictedLabelConfig and SHAPConfig write (spec E.1, F.1), read and validated."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from byom_monitor.engines.bias_metrics import POST_TRAINING, PRE_TRAINING
from byom_monitor.engines.shap import AGGREGATIONS, ALGORITHMS
from byom_monitor.errors import InputError

DATASET_TYPES = ("text/csv", "application/jsonlines")
#: smclarify: an integer column with at least this share of distinct values is continuous.
UNIQUENESS_THRESHOLD = 0.05


class ClarifyError(InputError):
    """A problem with the job's config, data or predictor: the run ends ``Failed``."""


@dataclass(frozen=True)
class Facet:
    name_or_index: str | int
    value_or_threshold: list[Any] | None = None


@dataclass(frozen=True)
class ShapSettings:
    baseline: list[list[Any]] | str | None = None
    num_samples: int | None = None
    agg_method: str = "mean_abs"
    use_logit: bool = False
    save_local_shap_values: bool = False
    seed: int = 0
    num_clusters: int | None = None
    algorithm: str = "kernel"


@dataclass
class AnalysisConfig:
    dataset_type: str = "text/csv"
    headers: list[str] | None = None
    label: str | int | None = None
    features: str | None = None
    predicted_label: str | int | None = None
    label_values_or_threshold: list[Any] | None = None
    facets: list[Facet] = field(default_factory=list)
    group_variable: str | int | None = None
    probability_threshold: float | None = None
    excluded_columns: list[str | int] = field(default_factory=list)
    pre_training_methods: list[str] = field(default_factory=list)
    post_training_methods: list[str] = field(default_factory=list)
    shap: ShapSettings | None = None
    predictor: dict[str, Any] | None = None
    dataset_uri: str | None = None

    @property
    def wants_bias(self) -> bool:
        return bool(self.pre_training_methods or self.post_training_methods)

    @classmethod
    def from_dict(cls, document: dict[str, Any], source: str = "analysis_config.json"
                  ) -> AnalysisConfig:
        def need(key: str) -> Any:
            if document.get(key) in (None, "", []):
                raise ClarifyError(f"{source}: missing required key '{key}'")
            return document[key]

        dataset_type = document.get("dataset_type", "text/csv")
        if dataset_type not in DATASET_TYPES:
            raise ClarifyError(f"{source}: dataset_type {dataset_type!r} is not supported "
                               f"(supported: {', '.join(DATASET_TYPES)})")
        if dataset_type == "application/jsonlines":
            need("features")
        methods = need("methods")
        if not isinstance(methods, dict):
            raise ClarifyError(f"{source}: 'methods' must be an object")
        config = cls(dataset_type=dataset_type, headers=document.get("headers"),
                     label=document.get("label"), features=document.get("features"),
                     predicted_label=document.get("predicted_label"),
                     label_values_or_threshold=document.get("label_values_or_threshold"),
                     group_variable=document.get("group_variable"),
                     probability_threshold=_probability(document.get("probability_threshold"),
                                                        "probability_threshold", source),
                     excluded_columns=list(document.get("excluded_columns") or []),
                     predictor=document.get("predictor"),
                     dataset_uri=document.get("dataset_uri"))
        config.pre_training_methods = _methods(methods, "pre_training_bias", PRE_TRAINING, source)
        config.post_training_methods = _methods(methods, "post_training_bias", POST_TRAINING,
                                                source)
        if config.wants_bias:
            need("label")
            need("label_values_or_threshold")
            facets = need("facet")
            if not isinstance(facets, list) or not all(
                    isinstance(f, dict) and "name_or_index" in f for f in facets):
                raise ClarifyError(f"{source}: 'facet' must be a list of "
                                   f"{{\"name_or_index\": ..., \"value_or_threshold\": [...]}}")
            config.facets = [Facet(f["name_or_index"], f.get("value_or_threshold"))
                             for f in facets]
        if "shap" in methods:
            config.shap = _shap(methods["shap"] or {}, source)
        if not config.wants_bias and config.shap is None:
            raise ClarifyError(f"{source}: 'methods' asks for nothing this analyzer does "
                               f"(pre_training_bias, post_training_bias, shap)")
        if (config.post_training_methods or config.shap) and config.predicted_label is None \
                and not config.predictor:
            raise ClarifyError(f"{source}: post-training bias and SHAP need a 'predictor' "
                               f"(or, for bias, a 'predicted_label' column)")
        return config


def _methods(methods: dict[str, Any], key: str, known: list[str], source: str) -> list[str]:
    if key not in methods:
        return []
    wanted = (methods[key] or {}).get("methods", "all")
    if wanted == "all":
        return list(known)
    unknown = [m for m in wanted if m not in known]
    if unknown:
        raise ClarifyError(f"{source}: methods.{key}.methods has unknown metric(s) {unknown}; "
                           f"known: {', '.join(known)}")
    return list(wanted)


def _shap(settings: dict[str, Any], source: str) -> ShapSettings:
    method = settings.get("agg_method", "mean_abs")
    if method not in AGGREGATIONS:
        raise ClarifyError(f"{source}: methods.shap.agg_method must be one of {AGGREGATIONS}, "
                           f"got {method!r}")
    for key in ("use_logit", "save_local_shap_values"):
        if not isinstance(settings.get(key, False), bool):
            raise ClarifyError(f"{source}: methods.shap.{key} must be true or false, "
                               f"got {settings[key]!r}")
    algorithm = settings.get("algorithm", "kernel")
    if algorithm not in ALGORITHMS:
        raise ClarifyError(f"{source}: methods.shap.algorithm must be one of {ALGORITHMS}, "
                           f"got {algorithm!r}")
    return ShapSettings(baseline=settings.get("baseline"), algorithm=algorithm,
                        num_samples=_count(settings, "num_samples", 1, source),
                        agg_method=method, use_logit=settings.get("use_logit", False),
                        save_local_shap_values=settings.get("save_local_shap_values", False),
                        seed=_count(settings, "seed", 0, source) or 0,
                        num_clusters=_count(settings, "num_clusters", 1, source))


def _count(settings: dict[str, Any], key: str, least: int, source: str) -> int | None:
    """An optional whole number of at least ``least`` from ``methods.shap``."""
    value = settings.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ClarifyError(f"{source}: methods.shap.{key} must be a whole number of at least "
                           f"{least}, got {value!r}")
    return value


def _probability(value: Any, key: str, source: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ClarifyError(f"{source}: {key} must be a number from 0 to 1, got {value!r}")
    return float(value)


# -- binarisation (spec E.2) ----------------------------------------------------------------------
def is_continuous(values: pd.Series, given: list[Any] | None) -> bool:
    """smclarify's rule: floats are continuous; integers when >= 5% of values are distinct;
    several given values always mean categories."""
    if given is not None and len(given) > 1:
        return False
    if pd.api.types.is_float_dtype(values):
        return True
    if pd.api.types.is_integer_dtype(values):
        return values.nunique() / max(values.count(), 1) >= UNIQUENESS_THRESHOLD
    numbers = pd.to_numeric(values, errors="coerce")
    return bool(numbers.notna().all() and (numbers == np.floor(numbers)).all()
                and values.nunique() / max(values.count(), 1) >= UNIQUENESS_THRESHOLD)


def positive_mask(values: pd.Series, given: list[Any], continuous: bool) -> tuple[np.ndarray, str]:
    """Which values are positive (or in the facet), and how Clarify writes the choice."""
    if continuous:
        try:
            threshold = float(given[0])
        except (TypeError, ValueError):
            raise ClarifyError(f"column {values.name!r} is continuous: its value_or_threshold "
                               f"must be one number, got {given!r}") from None
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        return numbers > threshold, f"({threshold}, {np.nanmax(numbers)}]"
    chosen = [v for v in values.dropna().unique() if _matches(v, given)]
    return values.isin(chosen).to_numpy(dtype=bool), ",".join(str(v) for v in given)


def _matches(value: Any, given: list[Any]) -> bool:
    for wanted in given:
        if value == wanted or str(value) == str(wanted):
            return True
        try:
            if float(value) == float(wanted):
                return True
        except (TypeError, ValueError):
            pass
    return False
