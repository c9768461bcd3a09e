"""Semantics of each data-quality check on small frames."""
import numpy as np
import pandas as pd
import pytest

from byom_monitor.analyzer.data_quality import (
    check_data_quality,
    statistics_document,
    suggest_constraints,
)
from byom_monitor.engines.profile import profile_frame
from byom_monitor.io.formats import FormatError


@pytest.fixture
def reference():
    rng = np.random.default_rng(0)
    n = 2000
    return pd.DataFrame({
        "age": rng.integers(18, 80, n),
        "income": rng.normal(3000, 500, n),
        "state": rng.choice(["KS", "OH", "NJ"], n, p=[0.5, 0.3, 0.2]),
    })


def baseline_of(frame, method="LInfinity"):
    profile = profile_frame(frame)
    return statistics_document(profile), suggest_constraints(profile, method)


def check(current, baseline):
    statistics, constraints = baseline
    violations, _ = check_data_quality(profile_frame(current), statistics, constraints)
    return [(v.feature_name, v.constraint_check_type) for v in violations], violations


def test_suggestion(reference):
    statistics, constraints = baseline_of(reference)
    by_name = {f["name"]: f for f in constraints["features"]}
    assert by_name["age"] == {"name": "age", "inferred_type": "Integral", "completeness": 1.0,
                              "num_constraints": {"is_non_negative": True}}
    assert by_name["state"]["string_constraints"]["domains"] == ["KS", "OH", "NJ"]
    assert statistics["dataset"]["item_count"] == 2000
    state = next(f for f in statistics["features"] if f["name"] == "state")
    assert state["string_statistics"]["distinct_count"] == 3.0
    negative = suggest_constraints(profile_frame(pd.DataFrame({"x": [-1.5, 2.0]})))
    assert "num_constraints" not in negative["features"][0]


def test_no_domain_for_mostly_unique_strings():
    frame = pd.DataFrame({"id": [f"user-{i}" for i in range(50)]})
    assert "string_constraints" not in suggest_constraints(profile_frame(frame))["features"][0]


def test_same_data_has_no_violations(reference):
    assert check(reference, baseline_of(reference))[0] == []


def test_numeric_drift(reference):
    drifted = reference.assign(income=reference["income"] + 400)
    found, violations = check(drifted, baseline_of(reference))
    assert found == [("income", "baseline_drift_check")]
    assert violations[0].description.startswith("Numerical distance: 0.")
    assert violations[0].description.endswith("exceeds numerical threshold: 0.1")


def test_robust_distance_tolerates_small_samples(reference):
    """80 rows whose CDF differs by ~0.15: Simple flags it, Robust (KS-corrected) does not."""
    small = reference.head(80).assign(income=lambda f: f["income"] + 150)
    statistics, constraints = baseline_of(reference)
    assert check(small, (statistics, constraints))[0] == []
    constraints["monitoring_config"]["distribution_constraints"]["comparison_method"] = "Simple"
    assert ("income", "baseline_drift_check") in check(small, (statistics, constraints))[0]


@pytest.mark.parametrize("method", ["LInfinity", "ChiSquared"])
def test_categorical_drift(reference, method):
    rng = np.random.default_rng(1)
    shifted = reference.assign(state=rng.choice(["KS", "OH", "NJ"], len(reference),
                                                p=[0.2, 0.3, 0.5]))
    found, violations = check(shifted, baseline_of(reference, method))
    assert found == [("state", "baseline_drift_check")]
    assert "Categorical distance" in violations[0].description
    same = reference.sample(frac=1.0, random_state=2)
    assert check(same, baseline_of(reference, method))[0] == []


def test_data_type_check(reference):
    current = reference.astype({"age": object})
    current.loc[:9, "age"] = "unknown"
    found, violations = check(current, baseline_of(reference))
    assert ("age", "data_type_check") in found
    text = next(v.description for v in violations if v.constraint_check_type == "data_type_check")
    assert text == ("Data type match requirement is not met. Expected data type: Integral, "
                    "Expected match: 100.0%. Observed: Only 99.5% of data is Integral.")


def test_fractional_accepts_whole_numbers(reference):
    current = reference.assign(income=reference["income"].round().astype(int))
    assert "data_type_check" not in {c for _, c in check(current, baseline_of(reference))[0]}


def test_completeness_check(reference):
    current = reference.copy()
    current.loc[:99, "state"] = None
    found, violations = check(current, baseline_of(reference))
    assert ("state", "completeness_check") in found
    text = next(v.description for v in violations if v.constraint_check_type == "completeness_check")
    assert text.endswith("Expected completeness: 100.0%. Observed completeness: 95.0%.")


def test_categorical_values_check(reference):
    current = reference.copy()
    current.loc[:19, "state"] = "TX"
    found, _ = check(current, baseline_of(reference))
    assert ("state", "categorical_values_check") in found


def test_missing_and_extra_columns(reference):
    found, _ = check(reference.drop(columns=["state"]).assign(extra=1), baseline_of(reference))
    assert ("state", "missing_column_check") in found and ("extra", "extra_column_check") in found


def test_headerless_data_matches_by_position(reference):
    current = reference.copy()
    current.columns = ["_c0", "_c1", "_c2"]
    assert check(current, baseline_of(reference))[0] == []


def test_switches_turn_checks_off(reference):
    current = reference.copy()
    current.loc[:99, "state"] = "TX"
    current["income"] += 400
    statistics, constraints = baseline_of(reference)
    features = {f["name"]: f for f in constraints["features"]}
    features["state"]["string_constraints"]["monitoring_config_overrides"] = {
        "evaluate_constraints": "Disabled"}
    found, _ = check(current, (statistics, constraints))
    assert found == [("income", "baseline_drift_check")]
    constraints["monitoring_config"]["distribution_constraints"]["perform_comparison"] = "Disabled"
    assert check(current, (statistics, constraints))[0] == []
    features["state"].pop("string_constraints")
    features["state"]["monitoringConfigOverrides"] = {"evaluate_constraints": "Enabled"}
    constraints["monitoring_config"]["evaluate_constraints"] = "Disabled"
    assert check(current, (statistics, constraints))[0] == []


def test_old_constraint_keys_are_tolerated(reference):
    statistics, constraints = baseline_of(reference)
    constraints["monitoring_config"]["distribution_constraints"] = {
        "enable_comparisons": True, "min_domain_mass": 1.0, "comparison_threshold": 1.0}
    drifted = reference.assign(income=reference["income"] + 400)
    assert check(drifted, (statistics, constraints))[0] == []  # threshold 1.0: never drifts


@pytest.mark.parametrize("mutate, message", [
    (lambda s, c: c.pop("features"), "missing key 'features'"),
    (lambda s, c: c["monitoring_config"].update(datatype_check_threshold="high"),
     "datatype_check_threshold must be a number"),
    (lambda s, c: c["monitoring_config"]["distribution_constraints"].update(
        comparison_method="Fancy"), "comparison_method must be one of"),
    (lambda s, c: s["features"][1].pop("numerical_statistics"), "has no KLL sketch"),
])
def test_bad_baselines_name_the_problem(reference, mutate, message):
    statistics, constraints = baseline_of(reference)
    mutate(statistics, constraints)
    with pytest.raises(FormatError, match=message):
        check(reference, (statistics, constraints))
