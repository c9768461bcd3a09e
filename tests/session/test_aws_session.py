"""backend = sagemaker: the session, role and bucket from config.ini, and one line naming the
config.ini key for each configuration error (moto; AWS files in a temporary folder)."""
import boto3
import pytest

from byom_monitor.io.config import ConfigError
from byom_monitor.session.aws_session import s3_root, sagemaker_session_from_config

ACCOUNT_ROLE = "arn:aws:iam::123456789012:role/{}"


@pytest.fixture
def config(sagemaker_config):
    return sagemaker_config


def _error(config) -> str:
    with pytest.raises(ConfigError) as caught:
        sagemaker_session_from_config(config)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(config.path))
    return message


def test_session_role_and_bucket(config):
    session, role, bucket = sagemaker_session_from_config(config)
    assert role == ACCOUNT_ROLE.format("SageMakerRole")
    assert (bucket, session.boto_region_name) == ("my-bucket", "eu-west-1")
    assert session.default_bucket_prefix == "model-monitor-bring-your-own-model"
    assert s3_root(config, bucket) == "s3://my-bucket/model-monitor-bring-your-own-model"


def test_an_empty_bucket_is_the_sagemaker_default_bucket(config):
    config.set("aws-settings", "bucket", "")
    _, _, bucket = sagemaker_session_from_config(config)
    assert bucket == "sagemaker-eu-west-1-123456789012"


@pytest.mark.parametrize("given, arn", [
    ("service-role/MonitorRole", ACCOUNT_ROLE.format("service-role/MonitorRole")),
    ("MonitorRole", ACCOUNT_ROLE.format("service-role/MonitorRole")),
    (ACCOUNT_ROLE.format("any/Role"), ACCOUNT_ROLE.format("any/Role")),
])
def test_roles_by_name_path_or_arn(config, given, arn):
    config.set("aws-settings", "executionrole", given)
    assert sagemaker_session_from_config(config)[1] == arn


@pytest.mark.parametrize("settings, expected", [
    ({"executionrole": ""}, "[aws-settings] executionrole is not set"),
    ({"executionrole": "arn:aws:iam::12:role/x"}, "is not an IAM role ARN"),
    ({"executionrole": "NoSuchRole"}, "executionrole = NoSuchRole: no IAM role named NoSuchRole"),
    ({"executionrole": "other-path/MonitorRole"}, "has the ARN " + ACCOUNT_ROLE.format(
        "service-role/MonitorRole")),
    ({"profilename": "typo"}, "[aws-settings] profilename = typo: no such AWS profile "
                              "(profiles found: keyless, monitor)"),
    ({"profilename": "keyless"}, "no AWS credentials found for [aws-settings] profilename = "
                                 "keyless"),
    ({"profilename": ""}, "[aws-settings] region is not set"),
    ({"region": "il-central-1"}, "region = il-central-1: SageMaker has no clarify image there"),
    ({"region": "mx-central-1"}, "no model-monitor, clarify, xgboost 3.0-5 image"),
    ({"bucket": "not-mine"}, "[aws-settings] bucket = not-mine: no such bucket"),
])
def test_configuration_errors_are_one_line_naming_the_key(config, settings, expected):
    for key, value in settings.items():
        config.set("aws-settings", key, value)
    assert expected in _error(config)


def test_an_unknown_aws_profile_in_the_environment(config, monkeypatch):
    config.set("aws-settings", "profilename", "")
    monkeypatch.setenv("AWS_PROFILE", "gone")
    assert "AWS_PROFILE = gone names no AWS profile" in _error(config)


def test_rejected_credentials(config, monkeypatch):
    from botocore.exceptions import ClientError

    def refuse(*_, **__):
        raise ClientError({"Error": {"Code": "ExpiredToken", "Message": "token expired"}},
                          "GetCallerIdentity")

    real_client = boto3.Session.client

    def client(self, name, *args, **kwargs):
        made = real_client(self, name, *args, **kwargs)
        if name == "sts":
            made.get_caller_identity = refuse
        return made

    monkeypatch.setattr(boto3.Session, "client", client)
    assert "AWS refused the credentials of [aws-settings] profilename = monitor" in _error(config)


def test_a_stale_aws_profile_variable_is_named_before_the_sdk_trips_on_it(config):
    """``import sagemaker`` builds a default boto3 session, which fails on an AWS_PROFILE that
    names no profile, even when config.ini names a good one (a fresh interpreter: the SDK is
    imported only once per process)."""
    import os
    import subprocess
    import sys

    script = ("from byom_monitor.io.config import Config, ConfigError\n"
              "from byom_monitor.session.aws_session import sagemaker_session_from_config\n"
              "try:\n"
              f"    sagemaker_session_from_config(Config({str(config.path)!r}))\n"
              "except ConfigError as error:\n"
              "    print(error)\n")
    answer = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env={**os.environ, "AWS_PROFILE": "gone"}, check=True)
    assert answer.stdout.strip().endswith(
        "the environment's AWS_PROFILE = gone names no AWS profile (profiles found: keyless, "
        "monitor); unset it")
