"""A real SageMaker session from config.ini (``backend = sagemaker``), checked up front.

Everything that would otherwise fail midway, or as a traceback from inside boto3 or the SDK,
is found before the first job and reported as one line naming the config.ini key to fix:
an unset or malformed ``executionrole``, an unknown ``profilename`` (or ``AWS_PROFILE``), no
``region``, a region without one of the images the example needs (model-monitor, clarify,
XGBoost 3.0-5), missing or rejected credentials, and a role that cannot be found. A role may be
given as an ARN, a name, or ``path/name`` as the IAM console shows it (``service-role/X``):
GetRole takes the bare name, and the path must match the role found.

``[aws-settings] bucket`` is the bucket for inputs and results (empty: the SageMaker default
bucket ``sagemaker-<region>-<account>``), and ``prefix`` is the key prefix of everything the
SDK writes there by default (``Session(default_bucket_prefix=...)``) and of :func:`s3_root`.
"""
from __future__ import annotations

import os
import re
from typing import Any

from byom_monitor.io import storage
from byom_monitor.io.config import Config, ConfigError
from byom_monitor.session.sagemaker_model import XGBOOST_VERSION

#: The managed images the example uses, as ``image_uris.retrieve`` names them.
IMAGES = (("model-monitor", None), ("clarify", None), ("xgboost", XGBOOST_VERSION))
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/([\w+=,.@-]+/)*[\w+=,.@-]+")


def sagemaker_session_from_config(config: Config) -> tuple[Any, str, str]:
    """``(sagemaker.Session, role ARN, bucket)`` for the profile, region and role in config.ini;
    :class:`ConfigError` (one line naming the key) for anything that would not work."""
    _role_setting(config)
    boto_session = boto_session_from_config(config)
    session_class = _session_class(config)
    check_images(config, boto_session.region_name)
    check_credentials(config, boto_session)
    role = resolve_role(config, boto_session)
    if config.bucket:
        bucket = check_bucket(config, boto_session)
    else:  # asked without a prefix: with one, the SDK lists the missing bucket, never makes it
        bucket = session_class(boto_session=boto_session).default_bucket()
    session = session_class(boto_session=boto_session, default_bucket=bucket,
                            default_bucket_prefix=config.prefix or None)
    storage.set_s3_client(boto_session.client("s3"))  # storage reads with the same account
    return session, role, bucket


def s3_root(config: Config, bucket: str) -> str:
    """``s3://bucket/prefix``: where this project's own keys (inputs, models, results) go."""
    return "/".join(part for part in (f"s3://{bucket}", config.prefix) if part)


def boto_session_from_config(config: Config) -> Any:
    """A boto3 session for ``profilename`` and ``region``; ConfigError when the profile does not
    exist or no region is set anywhere."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    try:
        session = boto3.Session(profile_name=config.aws_profile, region_name=config.region)
    except ProfileNotFound:
        raise ConfigError(_unknown_profile(config)) from None
    if not session.region_name:
        raise ConfigError(f"{config.path}: [aws-settings] region is not set and the AWS profile "
                          f"{config.aws_profile or '(default)'} names none; set it, e.g. "
                          f"region = eu-west-1")
    return session


def check_images(config: Config, region: str) -> None:
    """Every managed image of the example exists in the region (the SDK's own image table)."""
    from sagemaker import image_uris

    missing = []
    for framework, version in IMAGES:
        try:
            image_uris.retrieve(framework, region, version=version)
        except ValueError:
            missing.append(framework + (f" {version}" if version else ""))
    if missing:
        raise ConfigError(f"{config.path}: [aws-settings] region = {region}: SageMaker has no "
                          f"{', '.join(missing)} image there; choose another region")


def check_credentials(config: Config, boto_session: Any) -> str:
    """The account the credentials belong to (STS GetCallerIdentity); ConfigError when there
    are none, or AWS refuses them (expired, wrong keys, SSO not logged in)."""
    from botocore.exceptions import BotoCoreError, ClientError

    profile = config.aws_profile
    where = (f"[aws-settings] profilename = {profile}" if profile
             else "[aws-settings] profilename (empty: environment, ~/.aws, instance role)")
    if boto_session.get_credentials() is None:
        raise ConfigError(f"{config.path}: no AWS credentials found for {where}; run "
                          f"'aws configure{f' --profile {profile}' if profile else ''}' or "
                          f"'aws sso login'")
    try:
        return boto_session.client("sts").get_caller_identity()["Account"]
    except (ClientError, BotoCoreError) as error:
        raise ConfigError(f"{config.path}: AWS refused the credentials of {where}: "
                          f"{_one_line(error)}") from None


def resolve_role(config: Config, boto_session: Any) -> str:
    """The execution role's ARN: as given, or looked up by name (with its IAM path)."""
    from botocore.exceptions import ClientError

    role = _role_setting(config)
    if role.startswith("arn:"):
        return role
    path, _, name = role.strip("/").rpartition("/")
    try:
        arn = boto_session.client("iam").get_role(RoleName=name)["Role"]["Arn"]
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        why = (f"no IAM role named {name} in this account" if code == "NoSuchEntity"
               else f"cannot look up role {name} ({code}); give its ARN instead")
        raise ConfigError(f"{config.path}: [aws-settings] executionrole = {role}: {why}") from None
    if path and not arn.endswith(f":role/{path}/{name}"):
        raise ConfigError(f"{config.path}: [aws-settings] executionrole = {role}: the role "
                          f"{name} has the ARN {arn} (another path)")
    return arn


def _role_setting(config: Config) -> str:
    role = config.execution_role
    if not role:
        raise ConfigError(f"{config.path}: [aws-settings] executionrole is not set (the IAM "
                          f"role SageMaker jobs run as: a name, path/name or ARN)")
    if role.startswith("arn:") and not _ROLE_ARN.fullmatch(role):
        raise ConfigError(f"{config.path}: [aws-settings] executionrole = {role} is not an IAM "
                          f"role ARN (arn:aws:iam::<account>:role/<path/><name>)")
    return role


def check_bucket(config: Config, boto_session: Any) -> str:
    """The bucket of config.ini, which must exist and be readable (it is not created)."""
    from botocore.exceptions import ClientError

    try:
        boto_session.client("s3").head_bucket(Bucket=config.bucket)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        why = {"404": "no such bucket", "NoSuchBucket": "no such bucket",
               "403": "access denied"}.get(code, _one_line(error))
        raise ConfigError(f"{config.path}: [aws-settings] bucket = {config.bucket}: {why} "
                          f"(empty: the SageMaker default bucket)") from None
    return config.bucket


def _session_class(config: Config) -> Any:
    from botocore.exceptions import ProfileNotFound

    try:  # the SDK builds a default boto3 session when imported (sagemaker.jumpstart)
        from sagemaker import Session
    except ProfileNotFound:  # profilename exists (checked before): AWS_PROFILE does not
        raise ConfigError(_unknown_profile(config, environment=True)) from None
    return Session


def _unknown_profile(config: Config, environment: bool = False) -> str:
    import botocore.session

    try:
        known = ", ".join(sorted(botocore.session.Session(profile=None).full_config
                                 .get("profiles", {}))) or "none"
    except Exception:  # noqa: BLE001 - only for the message; an unreadable file says so itself
        known = "unknown"
    if config.aws_profile and not environment:
        return (f"{config.path}: [aws-settings] profilename = {config.aws_profile}: no such AWS "
                f"profile (profiles found: {known})")
    return (f"{config.path}: the environment's AWS_PROFILE = {os.environ.get('AWS_PROFILE')} "
            f"names no AWS profile (profiles found: {known}); unset it"
            + ("" if config.aws_profile else " or set [aws-settings] profilename"))


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())
