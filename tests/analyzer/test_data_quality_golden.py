"""Against the real files the AWS container wrote (../shared/compat); skipped when absent."""
import json

import pytest

from byom_monitor.analyzer.contract import run_job

DQ = ("compat", "sagemaker-python-sdk-fixtures", "pipeline", "quality_check_step", "data_quality")


@pytest.fixture
def baseline_run(tmp_path, shared):
    dataset = shared(*DQ, "baseline_dataset.csv")
    outcome = run_job({"dataset_source": str(dataset), "output_path": str(tmp_path),
                       "dataset_format": json.dumps({"csv": {"header": False}})},
                      message_file=str(tmp_path / "message"))
    assert outcome.status == "Completed"
    return tmp_path


def test_statistics_are_byte_identical_to_the_service(baseline_run, shared):
    """Counts, sum, mean, population std_dev, min, max, KLL buckets and sketch, types, and the
    JVM's JSON layout: the whole file matches to the byte."""
    real = shared(*DQ, "statistics.json").read_text()
    assert (baseline_run / "statistics.json").read_text() == real


def test_suggested_constraints_match_the_service(baseline_run, shared):
    real = json.loads(shared(*DQ, "good_cases", "constraints.json").read_text())
    ours = json.loads((baseline_run / "constraints.json").read_text())
    assert ours["features"] == real["features"]
    ours_config, real_config = ours["monitoring_config"], real["monitoring_config"]
    ours_distribution = ours_config.pop("distribution_constraints")
    real_distribution = real_config.pop("distribution_constraints")
    assert ours_config == real_config
    # The fixture predates the categorical keys (spec B.2); everything it has matches.
    assert {k: ours_distribution[k] for k in real_distribution} == real_distribution
    assert ours_distribution["categorical_drift_method"] == "LInfinity"


def test_check_against_the_service_baseline(tmp_path, shared):
    """The service's own statistics + constraints, checked on the data they came from: clean;
    the bad_cases constraints (one column expected String) give one data_type_check."""
    dataset = shared(*DQ, "baseline_dataset.csv")
    for case, expected in (("good_cases", []), ("bad_cases", ["data_type_check"])):
        out = tmp_path / case
        outcome = run_job({
            "dataset_source": str(dataset), "output_path": str(out),
            "baseline_statistics": str(shared(*DQ, "statistics.json")),
            "baseline_constraints": str(shared(*DQ, case, "constraints.json"))},
            message_file=None)
        violations = json.loads((out / "constraint_violations.json").read_text())["violations"]
        assert [v["constraint_check_type"] for v in violations] == expected
        assert outcome.status == ("Completed" if not expected else "CompletedWithViolations")
