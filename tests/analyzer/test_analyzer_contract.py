"""The environment-variable contract, outputs, status message, metrics and failures."""
import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from byom_monitor.analyzer.__main__ import main
from byom_monitor.analyzer.contract import run_job

CSV = json.dumps({"csv": {"header": True, "output_columns_position": "START"}})


@pytest.fixture
def data(tmp_path):
    frame = pd.DataFrame({"x": range(100), "y": [i * 0.5 for i in range(100)],
                          "c": ["a", "b"] * 50})
    frame.to_csv(tmp_path / "train.csv", index=False)
    frame.assign(x=frame["x"] + 80).to_csv(tmp_path / "drifted.csv", index=False)
    return tmp_path


def _env(data, source, output, **extra):
    return {"dataset_source": str(data / source), "output_path": str(data / output),
            "dataset_format": CSV, **extra}


def _baseline(data):
    outcome = run_job(_env(data, "train.csv", "base"), message_file=str(data / "message"))
    assert outcome.status == "Completed"
    return {"baseline_statistics": str(data / "base" / "statistics.json"),
            "baseline_constraints": str(data / "base" / "constraints.json")}


def test_baseline_writes_statistics_and_constraints(data):
    _baseline(data)
    assert sorted(p.name for p in (data / "base").iterdir()) == ["constraints.json",
                                                                 "statistics.json"]
    assert (data / "message").read_text() == "Completed: Job completed successfully with no violations."


def test_check_writes_three_files_and_the_status(data):
    env = _env(data, "drifted.csv", "check", **_baseline(data))
    outcome = run_job(env, message_file=str(data / "message"))
    assert sorted(p.name for p in (data / "check").iterdir()) == [
        "constraint_violations.json", "constraints.json", "statistics.json"]
    assert outcome.status == "CompletedWithViolations" and outcome.violations == 1
    assert (data / "message").read_text() == (
        "CompletedWithViolations: Job completed successfully with 1 violations.")
    clean = run_job(_env(data, "train.csv", "clean", **_baseline(data)), message_file=None)
    assert clean.status == "Completed"
    assert json.loads((data / "clean" / "constraint_violations.json").read_text()) == {
        "violations": []}


def test_metrics_when_enabled(data):
    env = _env(data, "drifted.csv", "check", publish_cloudwatch_metrics="Enabled",
               sagemaker_endpoint_name="credit", sagemaker_monitoring_schedule_name="hourly",
               end_time="2024-01-01T11:00:00Z", **_baseline(data))
    run_job(env, message_file=None, metrics_dir=str(data / "metrics"))
    rows = [json.loads(line) for line in
            (data / "metrics" / "data-quality-metrics.jsonl").read_text().splitlines()]
    names = {row["MetricName"] for row in rows}
    assert {"feature_data_x", "feature_non_null_c", "feature_baseline_drift_x"} <= names
    drift = next(r for r in rows if r["MetricName"] == "feature_baseline_drift_x")
    assert drift["Value"] > 0.1 and drift["Timestamp"] == "2024-01-01T11:00:00Z"
    assert drift["Dimensions"] == [{"Name": "Endpoint", "Value": "credit"},
                                   {"Name": "MonitoringSchedule", "Value": "hourly"}]
    data_x = next(r for r in rows if r["MetricName"] == "feature_data_x")
    assert data_x["StatisticValues"] == {"SampleCount": 100.0, "Sum": 12950.0,
                                         "Minimum": 80.0, "Maximum": 179.0}


@pytest.mark.parametrize("change, reason", [
    ({"dataset_source": "nope.csv"}, "no such file or folder"),
    ({"dataset_format": '{"parquet": {}}'}, "not supported"),
    ({"baseline_constraints": "broken.json"}, "broken.json: not valid JSON"),
    ({"baseline_constraints": "nokeys.json"}, "nokeys.json: missing key 'features'"),
    ({"baseline_statistics": "base/statistics.json"}, "baseline_constraints is not"),
    ({"analysis_type": "SOMETHING"}, "analysis_type"),
    ({"categorical_drift_method": "KL"}, "categorical_drift_method"),
    ({"dataset_source": "empty.csv"}, "empty file"),
    ({"dataset_source": "header_only.csv"}, "no rows"),
])
def test_failures_are_one_clear_line_and_leave_no_outputs(data, change, reason):
    _baseline(data)
    (data / "broken.json").write_text("{oops")
    (data / "nokeys.json").write_text("{}")
    (data / "empty.csv").write_text("")
    (data / "header_only.csv").write_text("x,y,c\n")
    env = _env(data, "train.csv", "out")
    for key, value in change.items():
        env[key] = str(data / value) if value.endswith((".csv", ".json")) else value
    outcome = run_job(env, message_file=str(data / "message"))
    assert outcome.status == "Failed"
    message = (data / "message").read_text()
    assert message.startswith("Failed: ") and reason in message and "\n" not in message
    assert not (data / "out").exists()


def test_record_preprocessor_and_postprocessor(data):
    (data / "pre.py").write_text(
        "def preprocess_handler(line):\n"
        "    x, y, c = line.split(',')\n"
        "    return [] if c == 'b' else {'x': int(x), 'y': float(y)}\n")
    (data / "post.py").write_text(
        "def postprocess_handler():\n    open(__file__ + '.ran', 'w').write('yes')\n")
    env = _env(data, "train.csv", "pre", record_preprocessor_script=str(data / "pre.py"),
               post_analytics_processor_script=str(data / "post.py"))
    outcome = run_job(env, message_file=None)
    statistics = json.loads((data / "pre" / "statistics.json").read_text())
    assert outcome.status == "Completed" and statistics["dataset"]["item_count"] == 50
    assert [f["name"] for f in statistics["features"]] == ["x", "y"]
    assert (data / "post.py.ran").read_text() == "yes"


def test_a_failing_preprocessor_names_the_line(data):
    (data / "pre.py").write_text("def preprocess_handler(line):\n    raise KeyError('oops')\n")
    env = _env(data, "train.csv", "pre", record_preprocessor_script=str(data / "pre.py"))
    outcome = run_job(env, message_file=None)
    assert outcome.status == "Failed" and "train.csv: line 2: preprocess_handler failed" in outcome.message


def test_command_line_exit_codes(data, capsys):
    base = ["--message-file", str(data / "message"), "--env", f"dataset_format={CSV}"]
    assert main(base + ["--env", f"dataset_source={data / 'train.csv'}",
                        "--env", f"output_path={data / 'cli'}"]) == 0
    assert main(base + ["--env", f"dataset_source={data / 'missing.csv'}",
                        "--env", f"output_path={data / 'cli2'}"]) == 1
    assert "Failed: " in capsys.readouterr().err


def test_module_runs_as_a_program_from_the_environment(data):
    env = {**os.environ, **_env(data, "train.csv", "proc")}
    result = subprocess.run([sys.executable, "-m", "byom_monitor.analyzer", "--message-file",
                             str(data / "message")], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Completed" in result.stderr and (data / "proc" / "statistics.json").exists()
