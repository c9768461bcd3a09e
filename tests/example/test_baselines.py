"""The example's baselines through the SDK on the local session, and the checks against them."""
import json

import pytest

import generate_altered
from byom_monitor.errors import JobFailed
from byom_monitor.example import checks
from byom_monitor.example.baselines import CHECKS, build_baseline
from byom_monitor.io import storage
from byom_monitor.session.sessions import session_from_config

pytestmark = pytest.mark.usefixtures("restore_storage")


@pytest.fixture
def local(example_config):
    session, role, bucket = session_from_config(example_config)
    return example_config, session, role, bucket


def test_every_baseline_records_what_notebook_01_records(local):
    config, session, role, bucket = local
    for check in CHECKS:
        recorded = build_baseline(config, session, role, bucket, check)
        assert recorded == {key: config.get_baseline(key) for key in recorded}
        assert all(storage.exists(location) for location in recorded.values()), recorded
    root = f"s3://{bucket}/{config.prefix}"
    assert config.get_baseline("data-quality-constraints") == (
        f"{root}/data-quality/baseline_results/constraints.json")
    assert config.get_baseline("model-quality-baseline-data").endswith(
        "validation_data_with_prediction.csv")  # held out: never trained on
    bias_config = json.loads(storage.read_text(config.get_baseline("model-bias-analysis_config")))
    assert bias_config["predictor"]["model_name"] == "e2e-model-bias"
    assert bias_config["facet"] == [{"name_or_index": "foreign_worker", "value_or_threshold": [1]}]
    shap = json.loads(storage.read_text(config.get_baseline("model-explainability-analysis")))
    assert len(shap["explanations"]["kernel_shap"]["label0"]["global_shap_values"]) == 20
    described = session.sagemaker_client.describe_model(ModelName="e2e-model")
    assert described["PrimaryContainer"]["ModelDataUrl"].startswith(f"{root}/models/")

    generate_altered.main("feature_drift", config=config, session=session)
    result = checks.run_check(config, session, role, bucket, "data-quality")
    assert result.status == "CompletedWithViolations" and "duration" in result.names
    generate_altered.main("control", config=config, session=session)
    for check in CHECKS:  # the suggestions as they are: notebook 01 reviews model quality and
        # bias tolerances for batches of this size, which this module leaves to the user
        result = checks.run_check(config, session, role, bucket, check)
        assert result.status in ("Completed", "CompletedWithViolations"), check
        assert result.violations == [] or check in ("model-quality", "model-bias"), check


def test_a_failing_baseline_names_the_check_and_the_reason(local, tmp_path):
    config, session, role, bucket = local
    data = tmp_path / "data"
    data.mkdir()
    (data / "train_data_no_target.csv").write_text("")  # no header, no rows
    config.set("monitoring", "data_dir", str(data))
    with pytest.raises(JobFailed, match=r"data-quality baseline \(baseline-suggestion-job-"
                                        r".*: Failed: .*empty file"):
        build_baseline(config, session, role, bucket, "data-quality")
    with pytest.raises(ValueError, match="unknown check 'drift'"):
        build_baseline(config, session, role, bucket, "drift")
