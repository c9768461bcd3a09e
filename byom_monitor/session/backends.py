"""The runner of the configured backend: in-process (``local``) or SageMaker Processing.

Kept apart from :mod:`~byom_monitor.session.runners` because the SageMaker runner builds on the
runner types there.
"""
from __future__ import annotations

from byom_monitor.io.config import Config
from byom_monitor.session.runners import LocalRunner, Runner


def runner_for(config: Config) -> Runner:
    """The runner of the configured backend."""
    if config.backend == "sagemaker":
        from byom_monitor.session.sagemaker_runner import SageMakerRunner

        return SageMakerRunner.from_config(config)
    return LocalRunner(config.predictors)
