"""``LocalSagemakerSession``: a ``sagemaker.Session`` answered in-process.

Unchanged SageMaker SDK code runs against it with no AWS account, no Docker and no network:
S3 is a local folder, the control plane lives in the project's SQLite file, and processing
jobs with the model-monitor or clarify image are executed by this project's analyzers.
Importing this module imports ``sagemaker``; see :func:`byom_monitor.session.sessions.session_from_config`
for the one line that builds it from config.ini.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import sagemaker
from sagemaker.session import _check_job_status

from byom_monitor.session.local_sagemaker.control_plane import ControlPlane
from byom_monitor.session.local_sagemaker.experiments import Experiments
from byom_monitor.session.local_sagemaker.monitoring import Monitoring
from byom_monitor.session.local_sagemaker.processing import LocalServices
from byom_monitor.session.local_sagemaker.s3 import LocalS3
from byom_monitor.session.local_sagemaker.store import ResourceStore
from byom_monitor.session.local_sagemaker.transport import emulated_boto_session

DEFAULT_REGION = "us-east-1"
DEFAULT_BUCKET = "byom-monitor-local"
#: An empty SDK defaults config: given, the SDK searches no config files.
_NO_DEFAULTS = {"SchemaVersion": "1.0"}


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
                         default_bucket=default_bucket, sagemaker_config=_NO_DEFAULTS)
        # No SDK defaults apply locally. An empty config also spares the schema validation the
        # SDK repeats on every config lookup (~0.1-0.5 s each, several per monitor or job).
        self.sagemaker_config = {}
        _switch_off_telemetry()

    def s3_path(self, uri: str) -> Path:
        """The local file or folder holding ``s3://bucket/key``."""
        return self.local_s3.path_of(uri)

    def wait_for_processing_job(self, job: str, poll: int = 5) -> dict:
        """The job has ended when CreateProcessingJob returned: check its status at once (the
        SDK's own wait sleeps ``poll`` seconds before it first looks)."""
        description = self.describe_processing_job(job)
        _check_job_status(job, description, "ProcessingJobStatus")  # the SDK's own exceptions
        return description

    def logs_for_processing_job(self, job_name: str, wait: bool = False, poll: int = 10) -> None:
        """Print the job's own log lines (the service would read them from CloudWatch)."""
        for line in self.resources.logs(job_name):
            print(line)
        if wait:
            self.wait_for_processing_job(job_name)


def _switch_off_telemetry() -> None:
    """The SDK reports some calls (``estimator.fit``, pipelines, ...) to an AWS telemetry
    endpoint over the network unless its config opts out; a local session never does. Only
    calls made with a local session are held back: other sessions are left as they are."""
    from sagemaker.telemetry import telemetry_logging

    send = telemetry_logging._send_telemetry_request
    if getattr(send, "local_sessions_held_back", False):
        return

    def send_unless_local(status, feature_list, session, *args, **kwargs):
        if isinstance(session, LocalSagemakerSession):
            return None
        return send(status, feature_list, session, *args, **kwargs)

    send_unless_local.local_sessions_held_back = True
    telemetry_logging._send_telemetry_request = send_unless_local
