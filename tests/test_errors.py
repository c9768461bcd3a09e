"""One exception base: every error raised on purpose is a MonitorError; input errors are
InputError (and ValueError), a job that ran and failed is JobFailed."""
from __future__ import annotations

import pandas as pd
import pytest

import byom_monitor as bm
from byom_monitor.analyzer.contract import JobError, JobSpec
from byom_monitor.analyzer.model_quality import Attributes
from byom_monitor.clarify.config import ClarifyError
from byom_monitor.engines.bias_metrics import MetricError
from byom_monitor.io.config import ConfigError
from byom_monitor.io.datasets import DatasetError
from byom_monitor.io.formats import FormatError
from byom_monitor.io.staged_output import PublishError
from byom_monitor.live.alerts import AlertError
from byom_monitor.live.schedule import ScheduleError


@pytest.mark.parametrize("error", [DatasetError, FormatError, ConfigError, ClarifyError,
                                   JobError, ScheduleError, AlertError, MetricError])
def test_input_errors_share_one_base(error):
    assert issubclass(error, bm.InputError) and issubclass(error, bm.MonitorError)
    assert issubclass(error, ValueError)


def test_publish_and_job_failures_are_monitor_errors_but_not_input_errors():
    for error in (PublishError, bm.JobFailed):
        assert issubclass(error, bm.MonitorError) and not issubclass(error, bm.InputError)


def test_a_bad_problem_type_is_a_config_error_not_a_dataset_error():
    with pytest.raises(ConfigError, match="problem_type must be one of") as caught:
        Attributes(problem_type="Ranking", ground_truth="y", inference="p")
    assert not isinstance(caught.value, DatasetError)


def test_categorical_drift_method_is_checked_by_one_rule(tmp_path):
    env = {"dataset_source": "x.csv", "output_path": str(tmp_path),
           "categorical_drift_method": "Hellinger"}
    with pytest.raises(JobError, match="categorical_drift_method must be one of"):
        JobSpec.from_environment(env)
    frame = pd.DataFrame({"a": range(10)})
    with pytest.raises(bm.JobFailed, match="categorical_drift_method must be one of") as caught:
        bm.baseline_data_quality(frame, str(tmp_path / "out"), categorical_drift_method="KL")
    assert caught.value.outcome.status == "Failed"
