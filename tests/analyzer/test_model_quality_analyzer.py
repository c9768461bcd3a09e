"""Model-quality jobs: golden fixture, check, ground-truth merge, windows and bad input."""
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from byom_monitor.analyzer.api import baseline_model_quality, check_model_quality
from byom_monitor.analyzer.contract import run_job

MQ = ("compat", "sagemaker-python-sdk-fixtures", "pipeline", "quality_check_step", "model_quality")
CSV = json.dumps({"csv": {"header": True}})


def _env(source, output, **extra):
    return {"dataset_source": str(source), "output_path": str(output), "dataset_format": CSV,
            "analysis_type": "MODEL_QUALITY", **extra}


REGRESSION = {"problem_type": "Regression", "inference_attribute": "Prediction",
              "ground_truth_attribute": "Label"}
BINARY = {"problem_type": "BinaryClassification", "inference_attribute": "prediction",
          "probability_attribute": "probability", "ground_truth_attribute": "label"}


def test_regression_statistics_and_constraints_match_the_service(tmp_path, shared):
    outcome = run_job(_env(shared(*MQ, "baseline_dataset.csv"), tmp_path, **REGRESSION),
                      message_file=None)
    assert outcome.status == "Completed"
    real = json.loads(shared(*MQ, "statistics.json").read_text())
    ours = json.loads((tmp_path / "statistics.json").read_text())
    assert ours["regression_metrics"] == real["regression_metrics"]  # to the last digit
    assert ours["dataset"]["item_count"] == real["dataset"]["item_count"]
    assert (tmp_path / "constraints.json").read_text() == shared(
        *MQ, "good_cases", "constraints.json").read_text()


def test_check_with_the_service_constraints(tmp_path, shared):
    for case, flagged in (("good_cases", []), ("bad_cases", ["mse"])):
        env = _env(shared(*MQ, "baseline_dataset.csv"), tmp_path / case, **REGRESSION,
                   baseline_constraints=str(shared(*MQ, case, "constraints.json")))
        run_job(env, message_file=None)
        violations = json.loads((tmp_path / case / "constraint_violations.json").read_text())
        assert [v["metric_name"] for v in violations["violations"]] == flagged
    description = violations["violations"][0]["description"]
    assert description == ("Metric mse with 0.33364933609800973 +/- NaN was "
                           "GreaterThanThreshold '0.03364933609800973'")


@pytest.fixture
def labelled(tmp_path):
    rng = np.random.default_rng(0)
    label = (rng.random(1000) < 0.6).astype(int)
    probability = np.clip(0.5 + 0.35 * (label - 0.5) + rng.normal(0, 0.2, label.size), 0, 1)
    frame = pd.DataFrame({"f": rng.normal(size=label.size), "label": label,
                          "probability": probability,
                          "prediction": (probability > 0.5).astype(int)})
    frame.to_csv(tmp_path / "baseline.csv", index=False)
    worse = frame.copy()
    flip = rng.random(len(frame)) < 0.3
    worse.loc[flip, "prediction"] = 1 - worse.loc[flip, "prediction"]
    worse.to_csv(tmp_path / "current.csv", index=False)
    return tmp_path


def test_binary_baseline_and_check(labelled):
    run_job(_env(labelled / "baseline.csv", labelled / "base", **BINARY), message_file=None)
    statistics = json.loads((labelled / "base" / "statistics.json").read_text())
    metrics = statistics["binary_classification_metrics"]
    assert list(metrics)[:3] == ["confusion_matrix", "recall", "precision"]
    frame = pd.read_csv(labelled / "baseline.csv")
    y, p, score = frame["label"], frame["prediction"], frame["probability"]
    for name, expected in (("accuracy", accuracy_score(y, p)), ("recall", recall_score(y, p)),
                           ("precision", precision_score(y, p)), ("f1", f1_score(y, p)),
                           ("auc", roc_auc_score(y, score))):
        assert metrics[name]["value"] == pytest.approx(expected, abs=1e-12), name
    assert metrics["confusion_matrix"] == {  # actual -> predicted -> count
        str(a): {str(b): float(((y == a) & (p == b)).sum()) for b in (0, 1)} for a in (0, 1)}
    assert metrics["accuracy"]["standard_deviation"] > 0  # 1000 rows >= 200
    constraints = json.loads((labelled / "base" / "constraints.json").read_text())
    rules = constraints["binary_classification_constraints"]
    assert rules["accuracy"] == {"threshold": metrics["accuracy"]["value"],
                                 "comparison_operator": "LessThanThreshold"}
    assert rules["false_positive_rate"]["comparison_operator"] == "GreaterThanThreshold"
    outcome = run_job(_env(labelled / "current.csv", labelled / "check", **BINARY,
                           baseline_constraints=str(labelled / "base" / "constraints.json")),
                      message_file=None)
    assert outcome.status == "CompletedWithViolations"
    names = {v["metric_name"] for v in json.loads(
        (labelled / "check" / "constraint_violations.json").read_text())["violations"]}
    assert {"accuracy", "precision", "f1"} <= names and "auc" not in names  # scores unchanged


def test_prediction_from_probability_and_threshold(labelled):
    env = _env(labelled / "baseline.csv", labelled / "p", problem_type="BinaryClassification",
               probability_attribute="probability", ground_truth_attribute="label",
               probability_threshold_attribute="0.5")
    assert run_job(env, message_file=None).status == "Completed"
    from_probability = json.loads((labelled / "p" / "statistics.json").read_text())
    run_job(_env(labelled / "baseline.csv", labelled / "q", **BINARY), message_file=None)
    from_column = json.loads((labelled / "q" / "statistics.json").read_text())
    key = "binary_classification_metrics"
    assert from_probability[key]["confusion_matrix"] == from_column[key]["confusion_matrix"]


def test_attributes_by_index(labelled):
    env = _env(labelled / "baseline.csv", labelled / "i", problem_type="BinaryClassification",
               inference_attribute="3", probability_attribute="_c2", ground_truth_attribute="1")
    assert run_job(env, message_file=None).status == "Completed"
    run_job(_env(labelled / "baseline.csv", labelled / "n", **BINARY), message_file=None)
    by_index, by_name = (json.loads((labelled / folder / "statistics.json").read_text())
                         for folder in ("i", "n"))
    key = "binary_classification_metrics"
    assert by_index[key] == by_name[key] and by_index[key]["auc"]["value"] > 0.5


@pytest.mark.parametrize("column, values, message", [
    ("label", [2] + [0] * 9, "ground_truth_attribute must be 0 or 1"),
    ("label", ["yes"] + [0] * 9, "ground_truth_attribute has 1 non-numeric value"),
    ("probability", [1.5] + [0.5] * 9, "outside \\[0, 1\\]"),
    ("label", [None] + [0] * 9, "1 row\\(s\\) have no value for ground_truth_attribute"),
])
def test_bad_values_name_the_attribute(tmp_path, column, values, message):
    frame = pd.DataFrame({"label": [0] * 10, "probability": [0.5] * 10, "prediction": [0] * 10})
    frame[column] = values
    frame.to_csv(tmp_path / "bad.csv", index=False)
    outcome = run_job(_env(tmp_path / "bad.csv", tmp_path / "out", **BINARY), message_file=None)
    assert outcome.status == "Failed"
    assert "bad.csv" in outcome.message
    import re
    assert re.search(message, outcome.message), outcome.message
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("env_change, message", [
    ({"inference_attribute": "nope"}, "no column 'nope' for inference_attribute"),
    ({"problem_type": "Ranking"}, "problem_type must be one of"),
    ({"inference_attribute": "", "probability_attribute": ""}, "inference_attribute is not set"),
    ({"probability_threshold_attribute": "half"}, "must be a number"),
])
def test_bad_settings(labelled, env_change, message):
    env = _env(labelled / "baseline.csv", labelled / "out", **{**BINARY, **env_change})
    outcome = run_job(env, message_file=None)
    assert outcome.status == "Failed" and message in outcome.message


def test_multiclass_with_string_labels(tmp_path):
    rng = np.random.default_rng(3)
    label = rng.choice(["low", "mid", "high"], 300)
    frame = pd.DataFrame({"label": label, "prediction": np.where(rng.random(300) < 0.7, label, "mid")})
    frame.to_csv(tmp_path / "m.csv", index=False)
    env = _env(tmp_path / "m.csv", tmp_path / "out", problem_type="MulticlassClassification",
               inference_attribute="prediction", ground_truth_attribute="label")
    assert run_job(env, message_file=None).status == "Completed"
    metrics = json.loads((tmp_path / "out" / "statistics.json").read_text())[
        "multiclass_classification_metrics"]
    assert set(metrics["confusion_matrix"]) == {"low", "mid", "high"}
    assert metrics["accuracy"]["value"] == pytest.approx(accuracy_score(frame["label"],
                                                                        frame["prediction"]))
    assert metrics["weighted_f1"]["value"] == pytest.approx(
        f1_score(frame["label"], frame["prediction"], average="weighted"))
    assert metrics["confusion_matrix"]["high"]["mid"] == float(
        ((frame["label"] == "high") & (frame["prediction"] == "mid")).sum())


def _capture(event_id, probability, when, inference_id=None):
    metadata = {"eventId": event_id, "inferenceTime": when}
    if inference_id:
        metadata["inferenceId"] = inference_id
    return json.dumps({"captureData": {
        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": "1,2,3",
                          "encoding": "CSV"},
        "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                           "data": str(probability), "encoding": "CSV"}},
        "eventMetadata": metadata, "eventVersion": "0"})


def _truth(event_id, label):
    return json.dumps({"groundTruthData": {"data": str(label), "encoding": "CSV"},
                       "eventMetadata": {"eventId": event_id}, "eventVersion": "0"})


def test_capture_merged_with_ground_truth_in_a_window(tmp_path):
    capture = tmp_path / "capture" / "ep" / "AllTraffic" / "2024" / "01" / "01" / "10"
    capture.mkdir(parents=True)
    lines = [_capture(f"e{i}", 0.9 if i % 2 else 0.1, f"2024-01-01T10:{i:02d}:00Z")
             for i in range(40)]
    lines.append(_capture("x", 0.9, "2024-01-01T10:59:00Z", inference_id="inf-7"))
    lines.append(_capture("late", 0.9, "2024-01-01T12:00:00Z"))  # outside the window
    (capture / "part.jsonl").write_text("\n".join(lines) + "\n")
    truth = tmp_path / "truth" / "2024" / "01" / "02" / "00"
    truth.mkdir(parents=True)
    labels = [_truth(f"e{i}", i % 2) for i in range(38)]  # e38, e39: no label yet
    labels += [_truth("inf-7", 1), _truth("ghost", 0)]     # by inferenceId; an unknown id
    (truth / "gt.jsonl").write_text("\n".join(labels) + "\n")
    env = {"dataset_source": str(tmp_path / "capture"), "output_path": str(tmp_path / "out"),
           "dataset_format": json.dumps({"sagemakerCaptureJson": {}}),
           "analysis_type": "MODEL_QUALITY", "problem_type": "BinaryClassification",
           "probability_attribute": "0", "probability_threshold_attribute": "0.5",
           "ground_truth_source": str(tmp_path / "truth"),
           "start_time": "2024-01-01T11:00:00Z", "end_time": "2024-01-01T12:00:00Z",
           "start_time_offset": "-PT1H", "end_time_offset": "-PT0H"}
    outcome = run_job(env, message_file=None)
    assert outcome.status == "Completed", outcome.message
    report = json.loads((tmp_path / "out" / "merge" / "merge_report.json").read_text())
    assert report == {"captured": 41, "ground_truth": 40, "matched": 39,
                      "captured_without_ground_truth": 2, "ground_truth_for_unknown_events": 1,
                      "outside_window": 1}
    merged = [json.loads(line) for line in open(outcome.outputs["merge"])]
    assert len(merged) == 39 and set(merged[0]) == {"eventVersion", "groundTruthData",
                                                    "captureData", "eventMetadata"}
    statistics = json.loads((tmp_path / "out" / "statistics.json").read_text())
    assert statistics["dataset"]["item_count"] == 39
    assert statistics["binary_classification_metrics"]["accuracy"]["value"] == 1.0


def test_empty_window_fails_clearly(tmp_path):
    (tmp_path / "c.jsonl").write_text(_capture("e1", 0.9, "2024-01-01T10:00:00Z") + "\n")
    (tmp_path / "gt.jsonl").write_text(_truth("e1", 1) + "\n")
    env = {"dataset_source": str(tmp_path / "c.jsonl"), "output_path": str(tmp_path / "out"),
           "dataset_format": json.dumps({"sagemakerCaptureJson": {}}),
           "analysis_type": "MODEL_QUALITY", "problem_type": "BinaryClassification",
           "probability_attribute": "0", "ground_truth_source": str(tmp_path / "gt.jsonl"),
           "start_time": "2024-01-02T00:00:00Z", "end_time": "2024-01-02T01:00:00Z"}
    outcome = run_job(env, message_file=None)
    assert outcome.status == "Failed"
    assert "no captured record in the window has ground truth" in outcome.message
    assert "1 outside the window" in outcome.message


def test_bad_offset_is_named(tmp_path):
    env = {**_env(tmp_path / "x.csv", tmp_path / "o", **BINARY), "start_time": "2024-01-01T00:00:00Z",
           "start_time_offset": "one hour"}
    assert "start_time_offset 'one hour' is not an ISO-8601 duration" in run_job(
        env, message_file=None).message


def test_python_api_with_textbook_r2(tmp_path, shared):
    data = str(shared(*MQ, "baseline_dataset.csv"))
    baseline = baseline_model_quality(
        data, str(tmp_path / "base"), problem_type="Regression",
        inference_attribute="Prediction", ground_truth_attribute="Label")
    table = baseline.statistics.to_df().set_index("metric")
    assert table.loc["r2", "value"] == pytest.approx(-3.208758170289026)
    assert table.loc["r2_textbook (not in the file)", "value"] == pytest.approx(-0.3351, abs=1e-4)
    result = check_model_quality(data, str(tmp_path / "base"), str(tmp_path / "check"),
                                 problem_type="Regression", inference_attribute="Prediction",
                                 ground_truth_attribute="Label")
    assert result.status == "Completed" and result.violations.to_df().empty
