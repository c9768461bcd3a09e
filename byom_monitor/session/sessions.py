"""The one line the notebooks call: ``session, role, bucket = session_from_config()``.

``[monitoring] backend = local`` gives the in-process SageMaker session
(:class:`~byom_monitor.session.local_sagemaker.session.LocalSagemakerSession`: S3 in
``[monitoring] local_s3``, the control plane in ``[monitoring] database``), a placeholder role
and the local bucket, and points :mod:`byom_monitor.io.storage` at the local S3 so the project's
own ``s3://`` reads and writes land there too; ``backend = sagemaker`` a real
``sagemaker.Session`` from the profile, region and role in config.ini. The SDK code after that
line is the same for both.
"""
from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from byom_monitor.io import storage
from byom_monitor.io.config import Config

if TYPE_CHECKING:
    import sagemaker

LOCAL_ROLE = "arn:aws:iam::000000000000:role/byom-local"
_PROFILE_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")


def session_from_config(config: Config | str = "config.ini"
                        ) -> tuple[sagemaker.Session, str, str]:
    """``(session, role, bucket)`` of the configured backend."""
    config = config if isinstance(config, Config) else Config(config)
    if config.backend == "sagemaker":
        from byom_monitor.session.aws_session import sagemaker_session_from_config

        return sagemaker_session_from_config(config)
    with _without_broken_profile():
        from byom_monitor.session.local_sagemaker.session import (
            DEFAULT_BUCKET,
            DEFAULT_REGION,
            LocalSagemakerSession,
        )
    bucket = config.bucket or DEFAULT_BUCKET
    session = LocalSagemakerSession(config.local_s3, config.database,
                                    region=config.region or DEFAULT_REGION,
                                    default_bucket=bucket, predictors=config.predictors)
    storage.set_s3_client(session.s3_client)  # the project's s3:// reads and writes, too
    return session, LOCAL_ROLE, bucket


def quiet_sdk_output() -> None:
    """For programs run from a shell (the CLI, the demo): warnings and errors only. The SDK
    prints a v3 notice per class and turns on INFO logging of the root logger when it imports
    ``sagemaker.experiments``, unless the root logger is configured first."""
    os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("sagemaker.config").setLevel(logging.WARNING)  # its config-file search


@contextlib.contextmanager
def _without_broken_profile() -> Iterator[None]:
    """``import sagemaker`` builds a default boto3 session, which fails when AWS_PROFILE names
    a profile that does not exist (or is empty). The local backend needs no AWS configuration,
    so such a variable is hidden while the SDK is imported, then restored."""
    import botocore.session

    known = set(botocore.session.Session().available_profiles)
    hidden = {name: os.environ[name] for name in _PROFILE_VARIABLES
              if name in os.environ and os.environ[name] not in known}
    for name in hidden:
        del os.environ[name]
    try:
        yield
    finally:
        os.environ.update(hidden)
