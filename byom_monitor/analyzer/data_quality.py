"""Data quality: statistics.json and suggested constraints.json from a profile, and the checks
that produce constraint_violations.json (spec sections B.1-B.4).

Message texts: ``data_type_check`` follows the observed service text; the other checks have no
confirmed text and use the spec's recommended templates in the same style (marked below).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from byom_monitor.engines import datatypes as dt
from byom_monitor.engines.drift import categorical_linf, chi_squared_p_value, numerical_distance
from byom_monitor.engines.kll import DEFAULT_C, DEFAULT_K, KLLSketch
from byom_monitor.engines.profile import ColumnState, DatasetProfile
from byom_monitor.io.formats import FormatError, java_double, require

DRIFT_METHODS = ("LInfinity", "ChiSquared")
COMPARISON_METHODS = ("Robust", "Simple")
ENABLED, DISABLED = "Enabled", "Disabled"
#: Deequ's CategoricalRangeRule: suggest a domain when at most this share of the distinct
#: values was seen only once.
DOMAIN_MAX_UNIQUE_SHARE = 0.1


# -- statistics.json ------------------------------------------------------------------------------
def statistics_document(profile: DatasetProfile) -> dict[str, Any]:
    """The statistics.json document of a profile."""
    return {"version": 0.0, "dataset": {"item_count": int(profile.rows)},
            "features": [_feature_statistics(state) for state in profile.columns.values()]}


def _feature_statistics(state: ColumnState) -> dict[str, Any]:
    kind = state.inferred_type
    common = {"num_present": int(state.present), "num_missing": int(state.missing)}
    if kind in dt.NUMERIC_TYPES:
        buckets = state.sketch.buckets(state.minimum, state.maximum)
        return {"name": state.name, "inferred_type": kind, "numerical_statistics": {
            "common": common,
            "mean": state.total / state.n,
            "sum": float(state.total),
            "std_dev": state.std_dev,
            "min": float(state.minimum),
            "max": float(state.maximum),
            "distribution": {"kll": {
                "buckets": [{"lower_bound": float(lo), "upper_bound": float(hi), "count": count}
                            for lo, hi, count in buckets],
                "sketch": {"parameters": {"c": state.sketch.c, "k": float(state.sketch.k)},
                           "data": state.sketch.to_data()},
            }},
        }}
    # String, and Unknown (all null): the service's block for Unknown is unconfirmed (spec B.1);
    # we write the string block with what is known.
    strings: dict[str, Any] = {"common": common, "distinct_count": state.distinct_count}
    if state.counts is not None and state.counts:
        ordered = sorted(state.counts.items(), key=lambda item: (-item[1], item[0]))
        strings["distribution"] = {"categorical": {
            "buckets": [{"value": value, "count": int(count)} for value, count in ordered]}}
    return {"name": state.name, "inferred_type": kind, "string_statistics": strings}


def checked_drift_method(method: str, source: str) -> str:
    """``method`` if it is one of :data:`DRIFT_METHODS`; FormatError naming ``source``."""
    if method not in DRIFT_METHODS:
        raise FormatError(f"{source}: categorical_drift_method must be one of "
                          f"{DRIFT_METHODS}, got {method!r}")
    return method


# -- constraints.json -----------------------------------------------------------------------------
def suggest_constraints(profile: DatasetProfile,
                        categorical_drift_method: str = "LInfinity") -> dict[str, Any]:
    """Suggested constraints (Deequ rules, spec B.2): completeness as observed, non-negativity
    for numeric columns with min >= 0, domains for low-cardinality String columns."""
    checked_drift_method(categorical_drift_method, "suggest_constraints")
    features = []
    for state in profile.columns.values():
        kind = state.inferred_type
        feature: dict[str, Any] = {
            "name": state.name, "inferred_type": kind,
            "completeness": state.present / profile.rows if profile.rows else 0.0,
        }
        if kind in dt.NUMERIC_TYPES and state.minimum >= 0:
            feature["num_constraints"] = {"is_non_negative": True}
        domains = _suggested_domain(state) if kind == dt.STRING else None
        if domains:
            feature["string_constraints"] = {"domains": domains}
        features.append(feature)
    return {"version": 0.0, "features": features, "monitoring_config": {
        "evaluate_constraints": ENABLED,
        "emit_metrics": ENABLED,
        "datatype_check_threshold": 1.0,
        "domain_content_threshold": 1.0,
        "distribution_constraints": {
            "perform_comparison": ENABLED,
            "comparison_threshold": 0.1,
            "comparison_method": "Robust",
            "categorical_comparison_threshold": 0.1,
            "categorical_drift_method": categorical_drift_method,
        },
    }}


def _suggested_domain(state: ColumnState) -> list[str] | None:
    if not state.counts:
        return None
    seen_once = sum(1 for count in state.counts.values() if count == 1)
    if seen_once / len(state.counts) > DOMAIN_MAX_UNIQUE_SHARE:
        return None
    return [value for value, _ in sorted(state.counts.items(), key=lambda i: (-i[1], i[0]))]


# -- checks ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Violation:
    feature_name: str
    constraint_check_type: str
    description: str

    def to_dict(self) -> dict[str, str]:
        return {"feature_name": self.feature_name,
                "constraint_check_type": self.constraint_check_type,
                "description": self.description}


@dataclass
class FeatureCheck:
    """Values computed for one feature during a check (they also become metrics)."""

    name: str
    completeness: float
    drift: float | None = None


def check_data_quality(current: DatasetProfile, baseline_statistics: dict[str, Any],
                       constraints: dict[str, Any], *, statistics_source: str = "statistics",
                       constraints_source: str = "constraints"
                       ) -> tuple[list[Violation], list[FeatureCheck]]:
    """Compare a profile of the current data with the baseline; returns the violations and
    the per-feature values (completeness, drift distance) for metrics."""
    config = MonitoringConfig.read(constraints, constraints_source)
    baseline_features = {f["name"]: f for f in named_features(baseline_statistics,
                                                              statistics_source)}
    constraint_features = named_features(constraints, constraints_source)
    for feature in constraint_features:
        _validate_constraint(feature, constraints_source)
    expected_names = [f["name"] for f in constraint_features]
    columns = _match_columns(expected_names, list(current.columns))
    violations: list[Violation] = []
    feature_checks: list[FeatureCheck] = []

    missing = [name for name in expected_names if name not in columns]
    extra = [name for name in current.columns if name not in set(columns.values())]
    for name in missing:  # template recommended by the spec (service text unconfirmed)
        violations.append(Violation(name, "missing_column_check", (
            f"There are missing columns in current dataset. Number of columns in current "
            f"dataset: {len(current.columns)}, Number of columns in baseline constraints: "
            f"{len(expected_names)}")))
    for name in extra:
        violations.append(Violation(name, "extra_column_check", (
            f"There are extra columns in current dataset. Number of columns in current "
            f"dataset: {len(current.columns)}, Number of columns in baseline constraints: "
            f"{len(expected_names)}")))

    for feature in constraint_features:
        name = feature["name"]
        if name not in columns:
            continue
        state = current.columns[columns[name]]
        completeness = state.present / current.rows if current.rows else 0.0
        check = FeatureCheck(name, completeness)
        feature_checks.append(check)
        if not config.evaluates(feature):
            continue
        violations.extend(_constraint_violations(feature, state, completeness, config))
        if config.perform_comparison and name in baseline_features:
            drift = _drift_violation(baseline_features[name], state, config, statistics_source)
            if drift is not None:
                check.drift, violation = drift
                if violation:
                    violations.append(violation)
    return violations, feature_checks


def named_features(document: dict[str, Any], source: str) -> list[dict[str, Any]]:
    """``document["features"]``: a list of objects each with a ``name``; FormatError naming
    the file and the entry otherwise."""
    features = require(document, "features", source, list)
    for index, feature in enumerate(features):
        if not isinstance(feature, dict):
            raise FormatError(f"{source}: features[{index}] must be an object")
        require(feature, "name", f"{source} (features[{index}])", str)
    return features


def _validate_constraint(feature: dict[str, Any], source: str) -> None:
    """Types of the constraint values the checks read (a wrong type must not be ignored)."""
    where = f"{source}: feature '{feature['name']}'"
    completeness = feature.get("completeness")
    if completeness is not None and (isinstance(completeness, bool) or not isinstance(
            completeness, (int, float)) or not 0 <= completeness <= 1):
        raise FormatError(f"{where}: completeness must be a number from 0 to 1, "
                          f"got {completeness!r}")
    for block in ("string_constraints", "num_constraints"):
        if not isinstance(feature.get(block, {}), dict):
            raise FormatError(f"{where}: {block} must be an object")
    domains = (feature.get("string_constraints") or {}).get("domains")
    if domains is not None and (not isinstance(domains, list) or not all(
            isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in domains)):
        raise FormatError(f"{where}: string_constraints.domains must be a list of values, "
                          f"got {domains!r}")


def _match_columns(expected: list[str], current: Iterable[str]) -> dict[str, str]:
    """Baseline name -> current column. Headerless data (``_c0``, ``_c1``...) matches by
    position, as the service matches captured columns to baseline names."""
    current = list(current)
    headerless = all(c == f"_c{i}" for i, c in enumerate(current))
    if headerless and not set(expected) <= set(current):
        return {name: column for name, column in zip(expected, current)}
    return {name: name for name in expected if name in set(current)}


def _percent(share: float) -> str:
    """``100.0%``, ``99.64592817400101%``: the service prints the plain Java double."""
    return java_double(share * 100.0) + "%"


def _constraint_violations(feature: dict[str, Any], state: ColumnState, completeness: float,
                           config: MonitoringConfig) -> list[Violation]:
    name, expected_type = feature["name"], feature.get("inferred_type")
    found: list[Violation] = []
    if expected_type in (dt.INTEGRAL, dt.FRACTIONAL, dt.STRING) and state.present:
        observed = _type_match_share(state, expected_type)
        if observed < config.datatype_threshold:
            found.append(Violation(name, "data_type_check", (
                f"Data type match requirement is not met. Expected data type: {expected_type}, "
                f"Expected match: {_percent(config.datatype_threshold)}. Observed: Only "
                f"{_percent(observed)} of data is {expected_type}.")))
    expected_completeness = feature.get("completeness")
    if isinstance(expected_completeness, (int, float)) and completeness < expected_completeness:
        found.append(Violation(name, "completeness_check", (  # recommended template
            f"Data completeness requirement is not met. Expected completeness: "
            f"{_percent(float(expected_completeness))}. Observed completeness: "
            f"{_percent(completeness)}.")))
    domains = (feature.get("string_constraints") or {}).get("domains")
    if domains and state.present and state.counts is not None:
        allowed = set(map(str, domains))
        in_domain = sum(c for v, c in state.counts.items() if v in allowed) / state.present
        if in_domain < config.domain_threshold:
            found.append(Violation(name, "categorical_values_check", (  # recommended template
                f"Data does not meet the categorical values requirement. Expected: "
                f"{_percent(config.domain_threshold)} in domain, Observed: "
                f"{_percent(in_domain)}.")))
    return found


def _type_match_share(state: ColumnState, expected: str) -> float:
    """Share of present values of the expected type.

    String counts String (and Boolean, reported as String) values: the SDK's ``bad_cases``
    fixture, which declares a numeric column String, is one the service flags. Integral values
    also satisfy Fractional (our choice; the service's rule is unconfirmed, spec B.4).
    """
    if expected == dt.STRING:
        matching = state.types.get(dt.STRING, 0) + state.types.get(dt.BOOLEAN, 0)
    else:
        matching = state.types.get(dt.INTEGRAL, 0)
        if expected == dt.FRACTIONAL:
            matching += state.types.get(dt.FRACTIONAL, 0)
    return matching / state.present


def drift_distance(baseline: dict[str, Any], current_type: str, sketch: KLLSketch | None,
                   counts: Mapping[str, float] | None, config: MonitoringConfig,
                   source: str) -> float | None:
    """A feature's drift from its baseline as the check measures it: the configured distance
    of the KLL sketches (numeric), or the LInfinity distance or ChiSquared p-value of the
    category counts (strings); None when the two are not comparable."""
    kind = baseline.get("inferred_type")
    if kind in dt.NUMERIC_TYPES and current_type in dt.NUMERIC_TYPES and sketch is not None:
        distance = numerical_distance(baseline_sketch(baseline, source), sketch,
                                      config.comparison_method)
        return None if math.isnan(distance) else distance
    if kind == dt.STRING and current_type == dt.STRING and counts is not None:
        buckets = (((baseline.get("string_statistics") or {}).get("distribution") or {})
                   .get("categorical") or {}).get("buckets")
        if not buckets:
            return None  # no baseline distribution (too many distinct values)
        try:
            expected = {str(b["value"]): float(b["count"]) for b in buckets}
        except (KeyError, TypeError, ValueError):
            raise FormatError(f"{source}: feature '{baseline.get('name')}': every categorical "
                              f"bucket needs a value and a numeric count") from None
        if config.categorical_method == "ChiSquared":
            p_value = chi_squared_p_value(expected, counts)
            return None if math.isnan(p_value) else p_value
        return categorical_linf(expected, counts)
    return None


def _drift_violation(baseline: dict[str, Any], state: ColumnState, config: MonitoringConfig,
                     source: str) -> tuple[float, Violation | None] | None:
    name = baseline.get("name")
    distance = drift_distance(baseline, state.inferred_type, state.sketch, state.counts, config,
                              source)
    if distance is None:
        return None
    if baseline.get("inferred_type") in dt.NUMERIC_TYPES:
        if distance > config.comparison_threshold:  # SECONDARY-sourced template
            return distance, Violation(name, "baseline_drift_check", (
                f"Numerical distance: {java_double(distance)} exceeds numerical threshold: "
                f"{java_double(config.comparison_threshold)}"))
        return distance, None
    if config.categorical_method == "ChiSquared":
        if distance < config.categorical_threshold:  # unconfirmed rule and template
            return distance, Violation(name, "baseline_drift_check", (
                f"Categorical distance (ChiSquared p-value): {java_double(distance)} is below "
                f"categorical threshold: {java_double(config.categorical_threshold)}"))
        return distance, None
    if distance > config.categorical_threshold:  # unconfirmed template
        return distance, Violation(name, "baseline_drift_check", (
            f"Categorical distance: {java_double(distance)} exceeds categorical threshold: "
            f"{java_double(config.categorical_threshold)}"))
    return distance, None


def baseline_sketch(feature: dict[str, Any], source: str) -> KLLSketch:
    try:
        kll = feature["numerical_statistics"]["distribution"]["kll"]["sketch"]
        parameters = kll.get("parameters", {})
        return KLLSketch.from_data(kll["data"], int(parameters.get("k", DEFAULT_K)),
                                   float(parameters.get("c", DEFAULT_C)))
    except (KeyError, TypeError) as exc:
        raise FormatError(f"{source}: feature '{feature.get('name')}' has no KLL sketch "
                          f"(numerical_statistics.distribution.kll.sketch)") from exc
    except ValueError as exc:
        raise FormatError(f"{source}: feature '{feature.get('name')}': the KLL sketch holds "
                          f"values that are not numbers ({exc})") from exc


@dataclass(frozen=True)
class MonitoringConfig:
    evaluate_constraints: bool
    emit_metrics: bool
    datatype_threshold: float
    domain_threshold: float
    perform_comparison: bool
    comparison_threshold: float
    comparison_method: str
    categorical_threshold: float
    categorical_method: str

    @classmethod
    def read(cls, constraints: dict[str, Any], source: str) -> MonitoringConfig:
        config = constraints.get("monitoring_config") or {}
        distribution = config.get("distribution_constraints") or {}
        # tolerated old spellings (spec B.2): enable_comparisons, comparion_method
        perform = distribution.get("perform_comparison",
                                   ENABLED if distribution.get("enable_comparisons", True)
                                   else DISABLED)
        method = distribution.get("comparison_method",
                                  distribution.get("comparion_method", "Robust"))
        method = {"linf_simple": "Simple", "linf_robust": "Robust"}.get(method, method)
        if method not in COMPARISON_METHODS:
            raise FormatError(f"{source}: comparison_method must be one of "
                              f"{COMPARISON_METHODS}, got {method!r}")
        categorical = checked_drift_method(
            distribution.get("categorical_drift_method", "LInfinity"), source)
        threshold = _number(distribution, "comparison_threshold", 0.1, source)
        return cls(
            evaluate_constraints=config.get("evaluate_constraints", ENABLED) != DISABLED,
            emit_metrics=config.get("emit_metrics", ENABLED) != DISABLED,
            datatype_threshold=_number(config, "datatype_check_threshold", 1.0, source),
            domain_threshold=_number(config, "domain_content_threshold", 1.0, source),
            perform_comparison=perform != DISABLED,
            comparison_threshold=threshold,
            comparison_method=method,
            categorical_threshold=_number(distribution, "categorical_comparison_threshold",
                                          threshold, source),
            categorical_method=categorical,
        )

    def evaluates(self, feature: dict[str, Any]) -> bool:
        """False when constraints are off globally or for this feature (either spelling)."""
        return self.evaluate_constraints and feature_override(feature, "evaluate_constraints")

    def emits(self, feature: dict[str, Any]) -> bool:
        return self.emit_metrics and feature_override(feature, "emit_metrics")


def feature_override(feature: dict[str, Any], key: str) -> bool:
    """A per-feature ``monitoring_config_overrides`` switch (SDK form under the constraint
    block, or the docs' ``monitoringConfigOverrides`` at feature level); True unless Disabled."""
    places = [feature.get("monitoringConfigOverrides") or {}]
    for block in ("string_constraints", "num_constraints"):
        places.append((feature.get(block) or {}).get("monitoring_config_overrides") or {})
    return all(place.get(key, ENABLED) != DISABLED for place in places)


def _number(block: dict[str, Any], key: str, default: float, source: str) -> float:
    value = block.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FormatError(f"{source}: {key} must be a number, got {value!r}")
    return float(value)
