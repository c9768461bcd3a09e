import json

from byom_monitor.session import jobs


def test_data_quality_check_job_is_the_originals():
    job = jobs.data_quality_job("s3://b/data.csv", "s3://b/out", constraints="s3://b/c.json",
                                statistics="s3://b/s.json")
    assert job.image == jobs.MODEL_MONITOR and job.purpose == "data-quality-check"
    assert job.environment == {
        "dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
        "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
        "output_path": "/opt/ml/processing/output",
        "publish_cloudwatch_metrics": "Disabled",
        "baseline_constraints": "/opt/ml/processing/baseline/constraints/constraints.json",
        "baseline_statistics": "/opt/ml/processing/baseline/stats/statistics.json",
    }
    assert [(i.name, i.destination) for i in job.inputs] == [
        ("baseline_dataset_input", "/opt/ml/processing/input/baseline_dataset_input"),
        ("constraints", "/opt/ml/processing/baseline/constraints"),
        ("baseline", "/opt/ml/processing/baseline/stats")]
    assert job.outputs[0].name == "monitoring_output" and job.output == "s3://b/out"


def test_baseline_jobs_have_no_baseline_inputs():
    job = jobs.data_quality_job("d.csv", "out")
    assert job.purpose == "data-quality-baseline" and len(job.inputs) == 1
    assert "baseline_constraints" not in job.environment


def test_model_quality_job_adds_the_attributes():
    attributes = {"problem_type": "BinaryClassification", "inference_attribute": "prediction",
                  "probability_attribute": "prediction_probability",
                  "ground_truth_attribute": "credit_risk"}
    job = jobs.model_quality_job("d.csv", "out", attributes, constraints="c.json")
    assert job.environment["analysis_type"] == "MODEL_QUALITY"
    assert {k: job.environment[k] for k in attributes} == attributes
    assert job.purpose == "model-quality-check"


def test_clarify_jobs():
    check = jobs.clarify_job("model-bias", "cfg.json", "d.csv", "out", baseline_analysis="a.json")
    assert check.image == jobs.CLARIFY and check.base_job_name == "model-bias-byom"
    assert check.environment == {
        "baseline_constraints": "/opt/ml/processing/baseline/constraints/analysis.json"}
    assert [i.name for i in check.inputs] == ["analysis_config", "dataset", "analysis_file"]
    baseline = jobs.clarify_job("model-explainability", "cfg.json", "d.csv", "out")
    assert baseline.environment == {} and baseline.purpose == "model-explainability-baseline"
    assert baseline.outputs[0].name == "analysis_result"
    assert check.max_runtime_in_seconds == baseline.max_runtime_in_seconds == 3600  # endpoint
