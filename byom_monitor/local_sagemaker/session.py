"""``LocalSagemakerSession``: a ``sagemaker.Session`` answered in-process.

Unchanged SageMaker SDK code runs against it with no AWS account, no Docker and no network:
S3 is a local folder, the control plane lives in the project's SQLite file, and processing
jobs with the model-monitor or clarify image are executed by this project's analyzers.
Importing this module imports ``sagemaker``; see :func:`byom_monitor.sessions.session_from_config`
for the one line that builds it from config.ini.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import sagemaker

from .control_plane import ControlPlane
from .experiments import Experiments
from .processing import LocalServices
from .monitoring import Monitoring
from .s3 import LocalS3
from .store import ResourceStore
from .transport import emulated_boto_session

DEFAULT_REGION = "us-east-1"
DEFAULT_BUCKET = "byom-monitor-local"
#: The SDK's defaults config with telemetry switched off (and no config files searched).
TELEMETRY_OFF = {"SchemaVersion": "1.0",
                 "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}


class LocalSagemakerSession(sagemaker.Session):
    """A SageMaker session whose AWS calls are answered by emulators in this process.

    >>> session = LocalSagemakerSession("results/s3", "results/monitor.sqlite")
    >>> session.upload_string_as_file_body("a,b\\n1,2\\n", session.default_bucket(), "x.csv")
    's3://byom-monitor-local/x.csv'
    """

    def __init__(self, s3_root: str | os.PathLike, database: str | os.PathLike,
                 region: str = DEFAULT_REGION, default_bucket: str = DEFAULT_BUCKET,
                 predictors: Mapping[str, str] | None = None) -> None:
        self.local_s3 = LocalS3(s3_root)
        self.resources = ResourceStore(database)
        services = LocalServices(Path(s3_root).resolve(), Path(database).resolve(),
                                 dict(predictors or {}))
        self.control_plane = ControlPlane(self.resources, region, services)
        experiments = Experiments(self.resources, self.control_plane.arn)
        self.monitoring = Monitoring(self.resources, self.control_plane.arn)
        operations = {**self.local_s3.operations(), **self.control_plane.operations(),
                      **experiments.operations(), **self.monitoring.operations()}
        super().__init__(boto_session=emulated_boto_session(region, operations),
                         default_bucket=default_bucket, sagemaker_config=TELEMETRY_OFF)

    def s3_path(self, uri: str) -> Path:
        """The local file or folder holding ``s3://bucket/key``."""
        return self.local_s3.path_of(uri)

    def logs_for_processing_job(self, job_name: str, wait: bool = False, poll: int = 10) -> None:
        """Print the job's own log lines (the service would read them from CloudWatch)."""
        for line in self.resources.logs(job_name):
            print(line)
        if wait:
            self.wait_for_processing_job(job_name)
