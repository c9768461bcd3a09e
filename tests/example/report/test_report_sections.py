from types import SimpleNamespace

import pytest

from byom_monitor.example.report import charts, sections
from byom_monitor.example.report.runs import CheckResult, ScenarioRun
from byom_monitor.example.report.sections import AS_EXPECTED, verdict


def scenario(description="What changes.", noise=0.0, expected=None):
    return SimpleNamespace(description=description, noise=noise, expected=expected or {})


@pytest.mark.parametrize("expected, check, names, outcome", [
    ({}, "model-quality", [], AS_EXPECTED),
    ({}, "model-quality", ["auc"], "unexpected violations"),
    ({"data-quality": ("duration",)}, "data-quality", ["duration", "age"], AS_EXPECTED),
    ({"data-quality": ("duration",)}, "data-quality", ["age"], "missed: duration"),
    ({"data-quality": ("duration",)}, "data-quality", [], "missed: no violations"),
    ({"model-quality": ()}, "model-quality", ["auc"], AS_EXPECTED),
    (None, "model-quality", ["auc"], "not declared"),
])
def test_verdict(expected, check, names, outcome):
    assert verdict(expected, check, names) == outcome


def test_expectation_table_of_a_declared_and_of_a_plain_scenario():
    run = ScenarioRun("x", "run-x", {
        "data-quality": CheckResult("data-quality", [{"feature_name": "duration"}], {}),
        "model-quality": CheckResult("model-quality", [], {})})
    table = sections.expectation_table(run, scenario(expected={"data-quality": ("duration",)}))
    assert table.loc["data-quality"].to_dict() == {
        "expected": "duration", "violations": 1, "names": "duration", "verdict": AS_EXPECTED}
    assert table.loc["model-quality", "expected"] == "none"

    def plain(frame, rng):
        """Old-style registry entry."""
    assert set(sections.expectation_table(run, plain)["verdict"]) == {"not declared"}
    assert sections.description(plain) == "Old-style registry entry."


def test_sections_text_comes_from_the_scenarios_and_the_results(results):
    registry = {name: scenario(f"Declared text of {name}.", noise=0.25)
                for name in results.scenarios}
    registry["feature_drift_systematic"] = scenario(
        "Duration is 1 everywhere.", expected={"data-quality": ("duration",)})
    found = {s.scenario: s for s in sections.scenario_sections(results, registry)}
    assert list(found) == results.scenarios
    systematic = found["feature_drift_systematic"]
    assert systematic.paragraphs[0] == "Duration is 1 everywhere."
    assert "0% of rows" in systematic.paragraphs[1]
    dq, base = results.run("feature_drift_systematic").checks["data-quality"], results.baselines
    distances, _, _ = charts.feature_distances(dq.analysis, base["data-quality-statistics"],
                                               base["data-quality-constraints"])
    assert max(distances, key=distances.get) == "duration"
    assert f"`duration` {distances['duration']:.3f}" in systematic.paragraphs[2]
    assert systematic.table.loc["data-quality", "verdict"] == AS_EXPECTED
    assert "histogram-duration" in [name for name, _ in systematic.charts]
    assert found["default"].paragraphs[1] == ("Predictions flipped at random after scoring: "
                                              "25% of rows.")
    shap = results.run("explainability_drift").checks["model-explainability"]
    score = charts.attribution_ndcg(shap.analysis, base["model-explainability-analysis"])
    assert score < charts.NDCG_THRESHOLD
    assert f"nDCG of the feature attributions against the baseline: {score:.3f}" in \
        found["explainability_drift"].paragraphs[2]


def test_charts_follow_what_was_expected_or_violated(results):
    quiet = scenario()  # declares nothing: every check must be silent
    drawn = {s.scenario: [name for name, _ in s.charts]
             for s in sections.scenario_sections(results, dict.fromkeys(results.scenarios, quiet))}
    for names in drawn.values():
        assert names[0] == "feature-drift" and "model-metrics" in names
    assert "shap-top5" in drawn["explainability_drift"]  # violated, though not expected
    assert "shap-top5" not in drawn["label_drift"]
    section = sections.scenario_section(results.run("default"), results, quiet)
    assert [n for n, _ in section.images] == [n for n, _ in section.charts]
    assert all(image.startswith(b"\x89PNG") for _, image in section.images)


def test_overview_counts_and_verdicts(results):
    registry = {name: scenario() for name in results.scenarios}
    table = sections.overview(results, registry)
    assert list(table.index) == results.scenarios
    systematic = table.loc["feature_drift_systematic"]
    assert systematic["data-quality"] == 1
    assert "data-quality: unexpected violations" in systematic["verdict"]
    assert "model-explainability" not in systematic["verdict"]  # that one went as declared
    assert set(sections.overview(results, {})["verdict"]) == {"not declared"}
    assert sections.label_drift_overview(results).axes[0].get_xticklabels()[0].get_text() \
        == "baseline"
