import json

import pytest

from byom_monitor.cli import main


@pytest.fixture
def config_path(example_config):
    return str(example_config.path)


def run(config_path, *args):
    return main(["--config", config_path, *args])


def test_baseline_and_check_exit_codes(config_path, example_config, prepared, capsys):
    assert run(config_path, "baseline", "--check", "data-quality") == 0
    example_config.save_dataset("data-quality-modified-data",
                                str(prepared["data"] / "train_data_no_target.csv"))
    assert run(config_path, "check", "--check", "data-quality", "--fail-on-violations") == 0
    drifted = prepared["base"] / "drifted.csv"
    import pandas as pd

    frame = pd.read_csv(prepared["data"] / "train_data_no_target.csv")
    frame.assign(amount=frame["amount"] * 3).to_csv(drifted, index=False)
    example_config.save_dataset("data-quality-modified-data", str(drifted))
    assert run(config_path, "check", "--check", "data-quality") == 0
    assert run(config_path, "check", "--check", "data-quality", "--fail-on-violations") == 3
    capsys.readouterr()
    example_config.save_dataset("data-quality-modified-data", str(prepared["base"] / "none.csv"))
    assert run(config_path, "check", "--check", "data-quality") == 1
    assert "error:" in capsys.readouterr().err


def test_schedule_lifecycle(config_path, capsys):
    assert run(config_path, "schedule", "create", "dq", "--check", "data-quality",
               "--capture", "results/capture") == 0
    created = json.loads(capsys.readouterr().out)
    assert created["cron"] == "cron(0 * ? * * *)" and created["status"] == "Scheduled"
    assert run(config_path, "schedule", "list") == 0
    assert "dq\tdata-quality\tcron(0 * ? * * *)\tScheduled" in capsys.readouterr().out
    assert run(config_path, "schedule", "stop", "dq") == 0
    assert run(config_path, "schedule", "describe", "dq") == 0
    described = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert described["status"] == "Stopped" and described["last_execution"] is None
    assert run(config_path, "schedule", "create", "dq", "--check", "data-quality",
               "--capture", "x") == 1  # exists
    assert run(config_path, "schedule", "delete", "dq") == 0
    assert run(config_path, "schedule", "describe", "dq") == 1
    assert run(config_path, "executions") == 0


def test_alert_rules(config_path, capsys):
    assert run(config_path, "alert", "create", "drift", "--action", "webhook", "--target",
               "http://127.0.0.1:9/x", "--metric", "feature_baseline_drift_age",
               "--threshold", "0.1") == 0
    assert run(config_path, "alert", "create", "bad", "--action", "webhook", "--target", "x") == 1
    capsys.readouterr()
    assert run(config_path, "alert", "list") == 0
    assert json.loads(capsys.readouterr().out)["metric"] == "feature_baseline_drift_age"


def test_usage_errors_exit_2(config_path):
    with pytest.raises(SystemExit) as stop:
        run(config_path, "schedule", "create", "x", "--check", "nonsense", "--capture", "c")
    assert stop.value.code == 2


def test_setup_errors_are_one_line_with_exit_2(tmp_path, config_path, example_config, capsys,
                                              monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never asks the network
    example_config.set("monitoring", "store", "s3://bucket/results")
    assert run(config_path, "baseline", "--check", "data-quality") == 2
    assert "no AWS credentials" in one_line_error(capsys)
    example_config.set("monitoring", "store", "results")

    assert main(["--config", str(tmp_path), "executions"]) == 2
    assert "is a folder" in one_line_error(capsys)
    assert main(["--config", str(tmp_path / "nope" / "dir" / "config.ini"), "executions"]) == 2
    assert "does not exist" in one_line_error(capsys) and not (tmp_path / "nope").exists()

    (tmp_path / "plain").write_text("")
    example_config.set("monitoring", "database", str(tmp_path / "plain" / "monitor.sqlite"))
    assert run(config_path, "schedule", "list") == 2
    assert "is a file" in one_line_error(capsys)


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    return err
