import pytest

import generate_altered
from byom_monitor.example import workflow
from byom_monitor.example.checks import NotReady

pytestmark = pytest.mark.usefixtures("restore_storage")


@pytest.fixture
def config(example_config):
    return example_config


def test_baseline_then_check_records_every_location(config):
    baseline = workflow.data_quality_baseline(config)
    assert config.get_baseline("data-quality-statistics") == baseline.statistics.location
    assert config.get_baseline("data-quality-constraints").endswith("constraints.json")
    generate_altered.main("default", config=config)
    result = workflow.data_quality_check(config)
    assert config.get_baseline("data-quality-violations") == result.violations.location
    flagged = result.violations.to_df()
    assert ("amount", "baseline_drift_check") in set(
        zip(flagged["feature_name"], flagged["constraint_check_type"]))


def test_unaltered_training_data_raises_no_violation(config, prepared):
    workflow.data_quality_baseline(config)
    config.save_dataset("data-quality-modified-data", str(prepared["data"] / "train_data_no_target.csv"))
    assert workflow.data_quality_check(config).status == "Completed"


def test_a_failing_step_says_which_and_why(config, prepared):
    workflow.data_quality_baseline(config)
    config.save_dataset("data-quality-modified-data", str(prepared["base"] / "missing.csv"))
    with pytest.raises(workflow.StepFailed, match="data-quality-check .*missing.csv"):
        workflow.data_quality_check(config)


def test_model_quality_baseline_is_held_out(config):
    baseline = workflow.model_quality_baseline(config)
    assert config.get_baseline("model-quality-constraints") == baseline.constraints.location
    assert config.get_baseline("model-quality-baseline-data").endswith(
        "validation_data_with_prediction.csv")
    rules = baseline.constraints.body_dict["binary_classification_constraints"]
    assert rules["accuracy"]["comparison_operator"] == "LessThanThreshold"
    generate_altered.main("concept_drift", config=config)
    result = workflow.model_quality_check(config)
    assert result.status == "CompletedWithViolations"
    assert "precision" in set(result.violations.to_df()["metric_name"])
    assert config.get_baseline("model-quality-violations") == result.violations.location


def test_a_check_before_notebook_01_says_to_run_it(config):
    generate_altered.main("control", config=config)
    with pytest.raises(NotReady, match="no baseline 'data-quality-constraints' yet: "
                                                  "run notebook 01_create_baselines.ipynb first"):
        workflow.data_quality_check(config)


def test_clarify_baselines_and_checks(config):
    bias = workflow.clarify_baseline(config, "model-bias")
    assert set(bias.bias_df()["stage"]) == {"pre_training", "post_training"}
    assert config.get_baseline("model-bias-analysis_config").endswith("analysis_config.json")
    explainability = workflow.clarify_baseline(config, "model-explainability")
    assert len(explainability.shap_df()) == 20
    generate_altered.main("bias_drift", config=config)
    drift = workflow.clarify_check(config, "model-bias")
    assert "DPPL" in set(drift.violations_df()["metric_name"])
    generate_altered.main("explainability_drift", config=config)
    attribution = workflow.clarify_check(config, "model-explainability")
    assert attribution.violations_df()["constraint_check_type"].tolist() == [
        "feature_attribution_drift_check"]
    assert config.get_baseline("model-explainability-violations") == attribution.location(
        "constraint_violations.json")
    generate_altered.main("default", config=config)
    assert workflow.clarify_check(config, "model-explainability").status == "Completed"
    assert config.get_baseline("model-explainability-violations") == ""


@pytest.mark.parametrize("check", ["model-bias", "model-explainability"])
def test_clarify_configs_hold_the_methods_the_sdk_writes(config, check):
    """The SDK's own analysis config (DataConfig, BiasConfig / SHAPConfig, ModelConfig) has
    ``methods.report``; ours, used for checks on SageMaker, has it too."""
    from sagemaker import clarify

    ours = workflow.clarify_config(config, check)
    data = clarify.DataConfig(s3_data_input_path="s3://b/d.csv", s3_output_path="s3://b/o",
                              label=ours["label"], headers=ours["headers"],
                              dataset_type="text/csv")
    model = clarify.ModelConfig(model_name=ours["predictor"]["model_name"], instance_count=1,
                                instance_type="ml.m5.large", content_type="text/csv",
                                accept_type="text/csv")
    predicted = clarify.ModelPredictedLabelConfig(
        probability_threshold=ours["probability_threshold"])
    if check == "model-bias":
        bias = clarify.BiasConfig(label_values_or_threshold=[1], facet_name="foreign_worker",
                                  facet_values_or_threshold=[1])
        sdk = clarify._AnalysisConfigGenerator.bias(data, bias, model, predicted)
    else:
        shap = clarify.SHAPConfig(baseline=ours["methods"]["shap"]["baseline"], num_samples=100,
                                  agg_method="mean_abs", save_local_shap_values=True)
        sdk = clarify._AnalysisConfigGenerator.explainability(data, model, predicted, shap)
    assert set(ours["methods"]) == set(sdk["methods"])
    assert ours["methods"]["report"] == sdk["methods"]["report"]
