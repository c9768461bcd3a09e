"""Experiments names fit the SDK's Run: every scenario, and an 80-character one, records."""
import re
from datetime import datetime, timezone

import boto3
import pytest
from moto import mock_aws

import generate_altered
from byom_monitor.session.run_names import (
    MAX_NAME_LENGTH,
    experiment_name,
    fit,
    run_name,
    trial_component_name,
)

WHEN = datetime(2026, 1, 27, 10, 15, 0, tzinfo=timezone.utc)
SERVICE_NAME = re.compile(r"[a-z0-9](-*[a-z0-9])*")
LONG = "a user scenario with a rather long and descriptive name, eighty characters long!"


def test_the_limit_is_the_sdks():
    from sagemaker.experiments.run import Run

    Run._generate_trial_component_name("a" * MAX_NAME_LENGTH, "b" * MAX_NAME_LENGTH)
    with pytest.raises(ValueError):
        Run._generate_trial_component_name("a" * (MAX_NAME_LENGTH + 1), "b")


@pytest.mark.parametrize("scenario", [*generate_altered.SCENARIOS, LONG])
def test_run_names_fit_and_do_not_repeat_the_experiment(scenario):
    assert len(LONG) == 80
    name = run_name(scenario, WHEN)
    assert len(name) <= MAX_NAME_LENGTH and SERVICE_NAME.fullmatch(name)
    assert name.endswith("-20260127t101500")
    assert not name.startswith("model-monitor-byom")


def test_long_names_stay_apart():
    first, second = LONG + " one", LONG + " two"
    assert run_name(first, WHEN) != run_name(second, WHEN)
    assert fit("x" * 200) != fit("x" * 201) and len(fit("x" * 200)) == MAX_NAME_LENGTH
    assert fit("Feature_Drift") == "feature-drift"
    with pytest.raises(ValueError, match="no letters or digits"):
        fit("__")


def test_every_scenario_records_as_a_run(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        from sagemaker import Session
        from sagemaker.experiments.run import Run

        boto_session = boto3.Session(region_name="us-east-1")
        boto_session.client("s3").create_bucket(Bucket="bkt")
        session = Session(boto_session=boto_session, default_bucket="bkt")
        experiment = experiment_name("model-monitor-byom")
        for scenario in [*generate_altered.SCENARIOS, LONG]:
            name = run_name(scenario, WHEN)
            with Run(experiment_name=experiment, run_name=name,
                     sagemaker_session=session) as run:
                run.log_parameters({"data-quality-violation-count": "1"})
                component = run.experiment_config["RunName"]
            assert component == trial_component_name(experiment, name)
            assert component.count("model-monitor-byom") == 1  # no repeated prefix
            described = session.sagemaker_client.describe_trial_component(
                TrialComponentName=component)
            assert described["Parameters"]["data-quality-violation-count"]["StringValue"] == "1"
