"""The Clarify job: config contract, predictors, bias and attribution checks, failures."""
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pandas as pd
import pytest

from byom_monitor.clarify import ClarifyJob, load_model_folder, run_clarify
from byom_monitor.clarify.__main__ import main
from byom_monitor.clarify.checks import attribution_drift_violations, bias_drift_violations, ndcg
from byom_monitor.example.model import CreditRiskModel

FIXTURE = ("compat", "sagemaker-python-sdk-fixtures", "pipeline", "clarify_check_step")


@pytest.fixture
def train(prepared):
    return pd.read_csv(prepared["data"] / "train.csv")


def bias_config(headers, **extra):
    return {"dataset_type": "text/csv", "headers": headers, "label": "credit_risk",
            "label_values_or_threshold": [1],
            "facet": [{"name_or_index": "foreign_worker", "value_or_threshold": [1]}],
            "methods": {"pre_training_bias": {"methods": "all"},
                        "post_training_bias": {"methods": "all"}},
            "predictor": {"model_name": "e2e-model-bias", "content_type": "text/csv"}, **extra}


def shap_config(headers, baseline, **shap):
    return {"dataset_type": "text/csv", "headers": headers, "label": "credit_risk",
            "methods": {"shap": {"baseline": [baseline], "num_samples": 64, **shap}},
            "predictor": {"model_name": "e2e-model"}}


def run(tmp_path, config, data, name="out", baseline=None, predictors=None, predictor=None):
    (tmp_path / f"{name}.json").write_text(json.dumps(config))
    job = ClarifyJob(str(tmp_path / f"{name}.json"), str(data), str(tmp_path / name), baseline,
                     predictors or {}, predictor)
    return run_clarify(job, message_file=str(tmp_path / "message"))


def analysis(tmp_path, name="out"):
    return json.loads((tmp_path / name / "analysis.json").read_text())


def test_fixture_baseline_check_flags_only_the_drifted_metric(tmp_path, shared):
    config = {"dataset_type": "text/csv", "headers": ["Label", "F1", "F2", "F3", "F4"],
              "label": "Label", "label_values_or_threshold": [1], "group_variable": "F2",
              "facet": [{"name_or_index": "F1", "value_or_threshold": [0.5]}],
              "methods": {"pre_training_bias": {"methods": "all"}}}
    data = shared(*FIXTURE, "dataset.csv")
    outcome = run(tmp_path, config, data)
    real = json.loads(shared(*FIXTURE, "data_bias", "good_cases", "analysis.json").read_text())
    assert analysis(tmp_path) == real  # the whole document, values and intervals included
    good = run(tmp_path, config, data, "good", str(shared(*FIXTURE, "data_bias", "good_cases",
                                                          "analysis.json")))
    assert outcome.status == good.status == "Completed"
    assert not (tmp_path / "good" / "constraint_violations.json").exists()
    bad = run(tmp_path, config, data, "bad",
              str(shared(*FIXTURE, "data_bias", "bad_cases", "analysis.json")))
    violations = json.loads((tmp_path / "bad" / "constraint_violations.json").read_text())
    assert bad.status == "CompletedWithViolations"
    assert [(v["metric_name"], v["facet_value"]) for v in violations["violations"]] == [
        ("KS", "(0.5, 0.9936148802477393]")]
    assert violations["violations"][0]["description"] == (
        "Metric value 0.015297906602254496 doesn't meet the baseline constraint requirement "
        "7.906602254496e-06")


def test_post_training_with_the_model_and_its_threshold(tmp_path, prepared, train):
    outcome = run(tmp_path, bias_config(list(train.columns)), prepared["data"] / "train.csv",
                  predictors={"e2e-model-bias": str(prepared["models"])})
    assert outcome.status == "Completed"
    post = analysis(tmp_path)["post_training_bias_metrics"]["facets"]["foreign_worker"][0]
    metrics = {m["name"]: m for m in post["metrics"]}
    assert list(metrics) == sorted(metrics) and len(metrics) == 13
    model = CreditRiskModel.load(prepared["models"])
    predicted = model.predict_proba(train) > model.threshold  # the model's own threshold
    foreign = train["foreign_worker"] == 1
    assert metrics["DPPL"]["value"] == pytest.approx(predicted[~foreign].mean() - predicted[foreign].mean())
    assert isinstance(metrics["FT"]["value"], float)


def test_predicted_label_column_needs_no_model(tmp_path, train):
    data = train.assign(pred=(train["amount"] < 3000).astype(int))
    data.to_csv(tmp_path / "d.csv", index=False)
    config = bias_config(list(data.columns), predicted_label="pred")
    config.pop("predictor")
    assert run(tmp_path, config, tmp_path / "d.csv").status == "Completed"
    post = analysis(tmp_path)["post_training_bias_metrics"]["facets"]["foreign_worker"][0]
    dppl = next(m["value"] for m in post["metrics"] if m["name"] == "DPPL")
    foreign = data["foreign_worker"] == 1
    assert dppl == pytest.approx(data["pred"][~foreign].mean() - data["pred"][foreign].mean())


def test_replicated_rows_give_the_same_metrics(tmp_path, prepared, train):
    predictors = {"e2e-model-bias": str(prepared["models"])}
    pd.concat([train] * 3).to_csv(tmp_path / "tripled.csv", index=False)
    run(tmp_path, bias_config(list(train.columns)), prepared["data"] / "train.csv", "once",
        predictors=predictors)
    run(tmp_path, bias_config(list(train.columns)), tmp_path / "tripled.csv", "thrice",
        predictors=predictors)
    once, thrice = analysis(tmp_path, "once"), analysis(tmp_path, "thrice")
    for stage in ("pre_training_bias_metrics", "post_training_bias_metrics"):
        first = once[stage]["facets"]["foreign_worker"][0]["metrics"]
        second = thrice[stage]["facets"]["foreign_worker"][0]["metrics"]
        for a, b in zip(first, second):
            if a["name"] == "FT":  # k-NN sees each row's copies as neighbours: a real change
                continue
            assert a["value"] == pytest.approx(b["value"]), a["name"]


def test_facet_value_never_present_gives_errors_and_goes_on(tmp_path, prepared, train):
    config = bias_config(list(train.columns))
    config["facet"] = [{"name_or_index": "foreign_worker", "value_or_threshold": [7]},
                       {"name_or_index": "telephone"}]  # no value: one result per value
    outcome = run(tmp_path, config, prepared["data"] / "train.csv",
                  predictors={"e2e-model-bias": str(prepared["models"])})
    assert outcome.status == "Completed"
    facets = analysis(tmp_path)["pre_training_bias_metrics"]["facets"]
    ci = next(m for m in facets["foreign_worker"][0]["metrics"] if m["name"] == "CI")
    assert ci["value"] is None and "empty" in ci["error"]
    assert [g["value_or_threshold"] for g in facets["telephone"]] == ["1", "2"]


@pytest.mark.parametrize("change, message", [
    (lambda c: c.pop("label"), "missing required key 'label'"),
    (lambda c: c.pop("methods"), "missing required key 'methods'"),
    (lambda c: c.update(facet=[{"name_or_index": "nationality", "value_or_threshold": [1]}]),
     "facet 'nationality' is not a column"),
    (lambda c: c.update(label="outcome"), "label 'outcome' is not a column"),
    (lambda c: c["methods"]["post_training_bias"].update(methods=["DPPL", "XYZ"]),
     "unknown metric"),
    (lambda c: c.update(dataset_type="application/x-parquet"), "not supported"),
    (lambda c: c.update(predictor={"model_name": "unknown-model"}),
     "no entry for predictor 'unknown-model' in \\[predictors\\]"),
])
def test_bad_configs_fail_with_the_key(tmp_path, prepared, train, change, message):
    config = bias_config(list(train.columns))
    change(config)
    outcome = run(tmp_path, config, prepared["data"] / "train.csv",
                  predictors={"e2e-model-bias": str(prepared["models"])})
    assert outcome.status == "Failed"
    import re
    assert re.search(message, outcome.message), outcome.message
    assert (tmp_path / "message").read_text() == outcome.message
    assert not (tmp_path / "out" / "analysis.json").exists()


class _ModelHandler(BaseHTTPRequestHandler):
    model = None
    fail = False

    def do_POST(self):  # noqa: N802 (http.server naming)
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        if self.fail:
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"model exploded")
            return
        rows = pd.read_csv(__import__("io").StringIO(body), header=None,
                           names=self.model.features)
        answer = "\n".join(str(p) for p in self.model.predict_proba(rows)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def served_model(prepared):
    handler = type("Handler", (_ModelHandler,), {"model": CreditRiskModel.load(prepared["models"])})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_port}/invocations"
    server.shutdown()


def test_http_endpoint_gives_the_same_shap_as_the_model_folder(tmp_path, prepared, train, served_model):
    headers = list(train.columns)
    baseline = train.drop(columns="credit_risk").mode().iloc[0].tolist()
    config = shap_config(headers, baseline)
    config["probability_threshold"] = 0.5
    run(tmp_path, config, prepared["data"] / "train.csv", "local",
        predictors={"e2e-model": str(prepared["models"])})
    run(tmp_path, config, prepared["data"] / "train.csv", "remote",
        predictors={"e2e-model": served_model[1]})
    local = analysis(tmp_path, "local")["explanations"]["kernel_shap"]["label0"]
    remote = analysis(tmp_path, "remote")["explanations"]["kernel_shap"]["label0"]
    assert remote["expected_value"] == pytest.approx(local["expected_value"], abs=1e-6)
    for name, value in local["global_shap_values"].items():
        assert remote["global_shap_values"][name] == pytest.approx(value, abs=1e-6)
    served_model[0].fail = True
    failed = run(tmp_path, config, prepared["data"] / "train.csv", "broken",
                 predictors={"e2e-model": served_model[1]})
    served_model[0].fail = False
    assert failed.status == "Failed" and "answered HTTP 500: model exploded" in failed.message


def test_unreachable_endpoint_fails_clearly(tmp_path, prepared, train):
    import socket

    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens there
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/invocations"
    config = shap_config(list(train.columns), [0] * 20)
    outcome = run(tmp_path, config, prepared["data"] / "train.csv", predictors={"e2e-model": url})
    assert outcome.status == "Failed" and f"predictor {url} failed" in outcome.message


def test_shap_analysis_local_values_and_attribution_drift(tmp_path, prepared, train):
    headers = list(train.columns)
    baseline = train.drop(columns="credit_risk").mode().iloc[0].tolist()
    config = shap_config(headers, baseline, save_local_shap_values=True)
    predictors = {"e2e-model": str(prepared["models"])}
    run(tmp_path, config, prepared["data"] / "train.csv", "base", predictors=predictors)
    explained = analysis(tmp_path, "base")["explanations"]["kernel_shap"]["label0"]
    local = pd.read_csv(tmp_path / "base" / "explanations_shap" / "out.csv")
    assert local.shape == (len(train), 20)
    model = load_model_folder(prepared["models"])
    total = local.sum(axis=1) + explained["expected_value"]
    assert np.allclose(total, model.predict(train.drop(columns="credit_risk")), atol=1e-6)
    assert explained["global_shap_values"]["age"] == pytest.approx(local["age"].abs().mean())
    # same data: nDCG 1, no violations file
    same = run(tmp_path, config, prepared["data"] / "train.csv", "same",
               str(tmp_path / "base" / "analysis.json"), predictors)
    assert same.status == "Completed"
    assert not (tmp_path / "same" / "constraint_violations.json").exists()
    # the explainability scenario: duration +24, savings down, status 4 for most rows
    drifted = train.assign(duration=train["duration"] + 24, status=4, savings=1)
    drifted.to_csv(tmp_path / "drifted.csv", index=False)
    outcome = run(tmp_path, config, tmp_path / "drifted.csv", "drifted",
                  str(tmp_path / "base" / "analysis.json"), predictors)
    violations = json.loads((tmp_path / "drifted" / "constraint_violations.json").read_text())
    assert outcome.status == "CompletedWithViolations"
    (violation,) = violations["violations"]
    assert violation["constraint_check_type"] == "feature_attribution_drift_check"
    assert violation["description"].endswith("exceeds threshold 0.9")


def test_ndcg_reproduces_the_documented_example():
    baseline = {"SAT": 0.70, "GPA": 0.50, "Class rank": 0.05}
    current = {"SAT": 0.10, "GPA": 0.20, "Class rank": 0.70}
    assert ndcg(baseline, current) == pytest.approx(0.6877, abs=1e-4)
    assert ndcg(baseline, baseline) == 1.0
    document = lambda values: {"explanations": {"kernel_shap": {"label0": {  # noqa: E731
        "global_shap_values": values, "expected_value": 0.5}}}}
    violations, scores = attribution_drift_violations(document(current), document(baseline))
    assert scores["label0"] == pytest.approx(0.6877, abs=1e-4) and len(violations) == 1


def test_bias_drift_compares_distance_from_no_bias():
    def doc(values):
        return {"post_training_bias_metrics": {"facets": {"f": [{
            "value_or_threshold": "1",
            "metrics": [{"name": n, "value": v} for n, v in values.items()]}]}}}
    baseline = doc({"DPPL": 0.2, "DI": 0.8, "TE": 2.9, "AD": None})
    current = doc({"DPPL": -0.1, "DI": 1.1, "TE": "Infinity", "AD": 0.4})
    names = [v["metric_name"] for v in bias_drift_violations(current, baseline)]
    assert names == ["TE"]  # DPPL closer to 0, DI closer to 1, AD had no baseline value
    assert bias_drift_violations(doc({"DPPL": -0.3, "DI": 1.3}), baseline)[0]["metric_name"] == "DPPL"
    assert len(bias_drift_violations(doc({"DPPL": -0.3, "DI": 1.3}), baseline)) == 2


def test_json_lines_dataset(tmp_path):
    rng = np.random.default_rng(0)
    lines = [json.dumps({"features": [int(g), float(x)], "label": int(y)})
             for g, x, y in zip(rng.integers(0, 2, 200), rng.normal(size=200), rng.integers(0, 2, 200))]
    (tmp_path / "d.jsonl").write_text("\n".join(lines) + "\n")
    config = {"dataset_type": "application/jsonlines", "features": "features", "label": "label",
              "headers": ["group", "x", "label"], "label_values_or_threshold": [1],
              "facet": [{"name_or_index": "group", "value_or_threshold": [1]}],
              "methods": {"pre_training_bias": {"methods": ["CI", "DPL"]}}}
    assert run(tmp_path, config, tmp_path / "d.jsonl").status == "Completed"
    metrics = analysis(tmp_path)["pre_training_bias_metrics"]["facets"]["group"][0]["metrics"]
    assert [m["name"] for m in metrics] == ["CI", "DPL"]


def test_command_line(tmp_path, prepared, train):
    (tmp_path / "config.ini").write_text(f"[predictors]\ne2e-model-bias = {prepared['models']}\n")
    (tmp_path / "analysis_config.json").write_text(json.dumps(bias_config(list(train.columns))))
    args = ["--analysis-config", str(tmp_path / "analysis_config.json"),
            "--data", str(prepared["data"] / "train.csv"), "--output", str(tmp_path / "cli"),
            "--config-ini", str(tmp_path / "config.ini"), "--message-file", str(tmp_path / "m")]
    assert main(args) == 0 and (tmp_path / "cli" / "analysis.json").exists()
    assert main(args[:2] + ["--data", str(tmp_path / "nope.csv")] + args[4:]) == 1


def test_label_value_never_present_gives_errors_not_a_crash(tmp_path, prepared, train):
    config = bias_config(list(train.columns), label_values_or_threshold=[5])
    outcome = run(tmp_path, config, prepared["data"] / "train.csv",
                  predictors={"e2e-model-bias": str(prepared["models"])})
    assert outcome.status == "Completed"
    pre = analysis(tmp_path)["pre_training_bias_metrics"]["facets"]["foreign_worker"][0]["metrics"]
    by_name = {m["name"]: m for m in pre}
    assert by_name["DPL"]["value"] == 0.0  # nobody is positive
    assert by_name["KL"]["value"] == 0.0 and by_name["CI"]["value"] is not None


def test_slow_predictor_times_out(prepared):
    from byom_monitor.clarify import ClarifyError, HttpPredictor

    release = threading.Event()

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            release.wait(30)  # never answers until the test is over

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        predictor = HttpPredictor(f"http://127.0.0.1:{server.server_port}/", timeout=0.3)
        with pytest.raises(ClarifyError, match="did not answer within 0.3 s"):
            predictor.predict(pd.read_csv(prepared["data"] / "test.csv").head(2))
    finally:
        release.set()
        server.shutdown()


def test_shap_without_baseline_summarises_the_data(tmp_path, prepared, train):
    config = shap_config(list(train.columns), None)
    config["methods"]["shap"] = {"num_samples": 40, "num_clusters": 3,
                                 "save_local_shap_values": True}
    outcome = run(tmp_path, config, prepared["data"] / "train.csv",
                  predictors={"e2e-model": str(prepared["models"])})
    assert outcome.status == "Completed"
    label0 = analysis(tmp_path)["explanations"]["kernel_shap"]["label0"]
    local = pd.read_csv(tmp_path / "out" / "explanations_shap" / "out.csv")
    assert list(label0["global_shap_values"]) == list(local.columns) == list(train.columns[:-1])
    # against the summarised baseline, each row's values still add up to its prediction
    model = load_model_folder(prepared["models"])
    predictions = model.predict(train.drop(columns="credit_risk"))
    assert np.allclose(local.sum(axis=1) + label0["expected_value"], predictions, atol=1e-6)
    assert label0["global_shap_values"]["duration"] == pytest.approx(local["duration"].abs().mean())
    # the baseline is a summary (3 centres), not the data's mean prediction nor one data row
    assert label0["expected_value"] != pytest.approx(predictions.mean(), abs=1e-9)
