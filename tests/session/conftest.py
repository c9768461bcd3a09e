"""Fixtures of the SageMaker-backend tests: AWS configuration files in a temporary folder,
moto, and a config.ini with backend = sagemaker."""
import boto3
import pytest
from moto import mock_aws

from byom_monitor.io import storage
from byom_monitor.io.config import Config


@pytest.fixture
def aws_home(tmp_path, monkeypatch):
    """An AWS configuration with one profile 'monitor' (keys, region eu-west-1), and nothing
    from the environment."""
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                     "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
                     "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance role lookups
    (tmp_path / "aws-config").write_text("[profile monitor]\nregion = eu-west-1\n"
                                         "[profile keyless]\nregion = eu-west-1\n")
    (tmp_path / "aws-credentials").write_text(
        "[monitor]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    with mock_aws():
        boto3.Session(profile_name="monitor").client("s3").create_bucket(
            Bucket="my-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        iam = boto3.Session(profile_name="monitor").client("iam")
        iam.create_role(RoleName="SageMakerRole", AssumeRolePolicyDocument="{}")
        iam.create_role(RoleName="MonitorRole", Path="/service-role/",
                        AssumeRolePolicyDocument="{}")
        yield tmp_path
    storage.set_s3_client(None)


@pytest.fixture
def sagemaker_config(aws_home):
    config = Config(aws_home / "config.ini")
    for key, value in {"profilename": "monitor", "executionrole": "SageMakerRole",
                       "bucket": "my-bucket"}.items():
        config.set("aws-settings", key, value)
    config.set("monitoring", "backend", "sagemaker")
    return config


@pytest.fixture
def notebook_project(prepared, tmp_path, monkeypatch):
    """A project folder for the notebooks with ``backend = sagemaker`` against moto: no AWS
    profile (credentials from the environment, as moto's ``mock_aws`` expects), the region and
    the role ARN in config.ini, bucket ``my-bucket``, the prepared data and model; the working
    directory is that folder. Yields its config.ini."""
    for variable in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN",
                     "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_DEFAULT_REGION": "us-east-1",  # config.ini's region wins
                            "AWS_EC2_METADATA_DISABLED": "true",
                            "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
                            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
                            }.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.chdir(tmp_path)
    config = Config(tmp_path / "config.ini")
    for section, key, value in (
            ("aws-settings", "region", "eu-west-1"),
            ("aws-settings", "executionrole", "arn:aws:iam::123456789012:role/SageMakerRole"),
            ("aws-settings", "bucket", "my-bucket"),
            ("monitoring", "backend", "sagemaker"),
            ("monitoring", "model_dir", str(prepared["models"])),
            ("monitoring", "data_dir", str(prepared["data"]))):
        config.set(section, key, value)
    with mock_aws():
        boto3.client("s3", region_name="eu-west-1").create_bucket(
            Bucket="my-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        yield config
    storage.set_s3_client(None)
