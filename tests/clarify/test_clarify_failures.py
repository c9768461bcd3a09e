"""A broken model, a wrong baseline or a failing disk never passes Clarify and leaves no outputs."""
import errno
import json
import math

import numpy as np
import pandas as pd
import pytest

from byom_monitor.clarify import ClarifyJob, load_model_folder, run_clarify
from byom_monitor.io.formats import dumps_clarify


@pytest.fixture
def train(prepared):
    return pd.read_csv(prepared["data"] / "train.csv").head(200)


@pytest.fixture
def data_file(train, tmp_path):
    train.to_csv(tmp_path / "train.csv", index=False)
    return tmp_path / "train.csv"


def bias_config(headers):
    return {"dataset_type": "text/csv", "headers": headers, "label": "credit_risk",
            "label_values_or_threshold": [1],
            "facet": [{"name_or_index": "foreign_worker", "value_or_threshold": [1]}],
            "methods": {"pre_training_bias": {"methods": ["CI", "DPL"]},
                        "post_training_bias": {"methods": ["DPPL", "DI"]}},
            "predictor": {"model_name": "m"}}


def shap_config(headers, baseline_row, **shap):
    return {"dataset_type": "text/csv", "headers": headers, "label": "credit_risk",
            "methods": {"shap": {"baseline": [baseline_row], "num_samples": 48, **shap}},
            "predictor": {"model_name": "m"}}


def run(tmp_path, config, data, name="out", baseline=None, predictor=None, predictors=None):
    (tmp_path / f"{name}.json").write_text(json.dumps(config))
    job = ClarifyJob(str(tmp_path / f"{name}.json"), str(data), str(tmp_path / name), baseline,
                     predictors or {}, predictor)
    return run_clarify(job, message_file=str(tmp_path / f"{name}.message"))


class Answers:
    """A predictor that answers what a test makes it answer."""

    default_threshold = 0.5

    def __init__(self, model, change):
        self.model, self.change = model, change

    def predict(self, features):
        return self.change(self.model.predict(features))


@pytest.fixture
def model(prepared):
    return load_model_folder(prepared["models"])


@pytest.mark.parametrize("change, reason", [
    (lambda s: np.where(np.arange(s.size) == 3, np.nan, s), "1 non-finite score(s) (e.g. nan)"),
    (lambda s: np.full(s.size, np.inf), "non-finite score(s) (e.g. inf)"),
    (lambda s: s * 10 - 1, "outside [0, 1]"),
    (lambda s: np.column_stack([1 - s, s]), "returned 2 values per row"),
    (lambda s: s[:-1], "scores for"),
])
@pytest.mark.parametrize("analysis", ["bias", "shap"])
def test_a_broken_model_fails_the_job(tmp_path, train, data_file, model, change, reason,
                                      analysis):
    headers = list(train.columns)
    config = (bias_config(headers) if analysis == "bias"
              else shap_config(headers, train.drop(columns="credit_risk").iloc[0].tolist(),
                               save_local_shap_values=True))
    outcome = run(tmp_path, config, data_file, predictor=Answers(model, change))
    assert outcome.status == "Failed", outcome.message
    assert reason in outcome.message and "predictor m" in outcome.message
    assert not (tmp_path / "out").exists()  # no analysis.json, no explanations_shap/out.csv


def test_the_same_model_with_sound_answers_completes(tmp_path, train, data_file, model):
    outcome = run(tmp_path, bias_config(list(train.columns)), data_file,
                  predictor=Answers(model, lambda s: s))
    assert outcome.status == "Completed"


@pytest.fixture
def bias_baseline(tmp_path, train, data_file, model):
    assert run(tmp_path, bias_config(list(train.columns)), data_file, "bias",
               predictor=model).status == "Completed"
    return tmp_path / "bias" / "analysis.json"


@pytest.mark.parametrize("baseline_text, reason", [
    (None, "has no explanations.kernel_shap block"),  # the bias baseline
    ("{}", "has no explanations.kernel_shap block"),
    ('{"explanations": {"kernel_shap": {"label0": {"global_shap_values": {"age": NaN}}}}}',
     "global_shap_values must be finite numbers"),
])
def test_an_explainability_check_needs_an_explanations_baseline(
        tmp_path, train, data_file, model, bias_baseline, baseline_text, reason):
    baseline = bias_baseline
    if baseline_text is not None:
        baseline = tmp_path / "baseline.json"
        baseline.write_text(baseline_text)
    config = shap_config(list(train.columns), train.drop(columns="credit_risk").iloc[0].tolist(),
                         save_local_shap_values=True)
    outcome = run(tmp_path, config, data_file, "check", str(baseline), predictor=model)
    assert outcome.status == "Failed" and reason in outcome.message
    assert str(baseline) in outcome.message
    assert not (tmp_path / "check").exists()  # explanations_shap/out.csv included


@pytest.mark.parametrize("baseline_text, reason", [
    ("{}", "the baseline has no bias metrics"),
    ('{"post_training_bias_metrics": {"facets": {"foreign_worker": [{"metrics": []}]}}}',
     "post_training_bias_metrics.facets must map each facet"),
    ('{"pre_training_bias_metrics": {"facets": {"f": [{"value_or_threshold": "1", '
     '"metrics": [{"value": 1}]}]}}}', "every metric needs a 'name'"),
    ('{"post_training_bias_metrics": {"facets": {"f": [{"value_or_threshold": "1", '
     '"metrics": [{"name": "DPPL", "value": NaN}]}]}}}', "metric DPPL has value nan"),
])
def test_a_bias_check_needs_a_bias_baseline(tmp_path, train, data_file, model, baseline_text,
                                            reason):
    (tmp_path / "baseline.json").write_text(baseline_text)
    outcome = run(tmp_path, bias_config(list(train.columns)), data_file, "check",
                  str(tmp_path / "baseline.json"), predictor=model)
    assert outcome.status == "Failed" and reason in outcome.message
    assert not (tmp_path / "check").exists()


def test_analysis_json_never_holds_nan_tokens():
    text = dumps_clarify({"value": math.nan, "values": [1.0, math.inf, -math.inf]})

    def refuse(token):
        raise AssertionError(f"bare {token} in the JSON")

    assert json.loads(text, parse_constant=refuse) == {
        "value": None, "values": [1.0, "Infinity", "-Infinity"]}


def test_a_full_disk_leaves_no_outputs(tmp_path, train, data_file, model, monkeypatch):
    config = shap_config(list(train.columns), train.drop(columns="credit_risk").iloc[0].tolist(),
                         save_local_shap_values=True)
    real_fdopen = __import__("os").fdopen
    writes = []

    def filling_disk(fd, mode="r", *args, **kwargs):
        handle = real_fdopen(fd, mode, *args, **kwargs)
        writes.append(handle)
        if len(writes) == 2:  # the second result file hits a full disk
            def write(_data):
                raise OSError(errno.ENOSPC, "No space left on device")
            handle.write = write
        return handle

    monkeypatch.setattr("byom_monitor.io.staged_output.os.fdopen", filling_disk)
    outcome = run(tmp_path, config, data_file, predictor=model)
    assert outcome.status == "Failed" and "No space left on device" in outcome.message
    assert not (tmp_path / "out").exists()  # the first file, written fine, is not left either


@pytest.mark.parametrize("change, reason", [
    (lambda c: c.update(probability_threshold="0.5"),
     "probability_threshold must be a number from 0 to 1, got '0.5'"),
    (lambda c: c["methods"]["shap"].update(num_samples=-5),
     "methods.shap.num_samples must be a whole number of at least 1, got -5"),
    (lambda c: c["methods"]["shap"].update(num_clusters=0), "methods.shap.num_clusters"),
    (lambda c: c["methods"]["shap"].update(use_logit="false"),
     "methods.shap.use_logit must be true or false, got 'false'"),
    (lambda c: c["methods"]["shap"].update(baseline=[["a"] * 20]),
     "methods.shap.baseline: every value must be a number"),
])
def test_bad_shap_settings_name_the_key(tmp_path, train, data_file, model, change, reason):
    config = shap_config(list(train.columns), train.drop(columns="credit_risk").iloc[0].tolist())
    change(config)
    outcome = run(tmp_path, config, data_file, predictor=model)
    assert outcome.status == "Failed" and reason in outcome.message, outcome.message
    assert "internal error" not in outcome.message


def test_shap_on_a_text_column_names_the_column(tmp_path, train, model):
    train.assign(purpose="car").to_csv(tmp_path / "text.csv", index=False)
    config = shap_config(list(train.columns), [0] * 20)
    config["methods"]["shap"].pop("baseline")
    outcome = run(tmp_path, config, tmp_path / "text.csv", predictor=model)
    assert outcome.status == "Failed"
    assert ("SHAP needs numeric features: column 'purpose' holds text (e.g. 'car')"
            in outcome.message)


def test_an_analysis_config_folder_is_named(tmp_path, data_file):
    (tmp_path / "config").mkdir()
    outcome = run_clarify(ClarifyJob(str(tmp_path / "config"), str(data_file),
                                     str(tmp_path / "out")), message_file=None)
    assert outcome.status == "Failed"
    assert "config: is a folder, expected the analysis config file" in outcome.message
