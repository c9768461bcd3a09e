import json
import time
from datetime import datetime, timezone

import pandas as pd
import pytest

from byom_monitor.io import storage
from byom_monitor.session import jobs
from byom_monitor.session.runners import LocalRunner


@pytest.fixture
def data(tmp_path):
    frame = pd.DataFrame({"x": range(300), "c": ["a", "b", "c"] * 100})
    frame.to_csv(tmp_path / "train.csv", index=False)
    frame.assign(x=frame["x"] * 4).to_csv(tmp_path / "current.csv", index=False)
    return tmp_path


def test_local_runner_baseline_then_check(data):
    runner = LocalRunner()
    baseline = runner.run(jobs.data_quality_job(str(data / "train.csv"), str(data / "base")))
    assert baseline.status == "Completed" and baseline.failure_reason is None
    assert set(baseline.outputs) == {"statistics.json", "constraints.json"}
    before, clock = datetime.now(timezone.utc), time.perf_counter()
    check = runner.run(jobs.data_quality_job(
        str(data / "current.csv"), str(data / "check"),
        constraints=baseline.output("constraints.json"),
        statistics=baseline.output("statistics.json")))
    elapsed = time.perf_counter() - clock
    assert check.status == "CompletedWithViolations"
    assert check.exit_message == "CompletedWithViolations: Job completed successfully with 1 violations."
    # the name carries the start time to the millisecond; the duration is the run's own
    assert before <= check.started <= datetime.now(timezone.utc)
    assert check.job_name == ("model-monitor-byom-"
                              + check.started.strftime("%Y-%m-%d-%H-%M-%S-%f")[:-3])
    assert check.job_name != baseline.job_name
    assert 0 < check.seconds <= elapsed
    violations = json.loads((data / "check" / "constraint_violations.json").read_text())
    assert violations["violations"][0]["feature_name"] == "x"


def test_failure_reason_and_no_outputs(data):
    execution = LocalRunner().run(jobs.data_quality_job(str(data / "missing.csv"), str(data / "out")))
    assert execution.status == "Failed" and not execution.ok
    assert "missing.csv" in execution.failure_reason
    assert execution.outputs == {} and not (data / "out").exists()


def test_inputs_and_outputs_on_s3(data, s3_bucket):
    storage.copy(data / "train.csv", f"{s3_bucket}/input/part-1.csv")
    storage.copy(data / "train.csv", f"{s3_bucket}/input/part-2.csv")
    execution = LocalRunner().run(jobs.data_quality_job(f"{s3_bucket}/input", f"{s3_bucket}/out"))
    assert execution.output("statistics.json") == f"{s3_bucket}/out/statistics.json"
    statistics = json.loads(storage.read_text(execution.output("statistics.json")))
    assert statistics["dataset"]["item_count"] == 600  # both files of the prefix


def test_include_stages_only_the_listed_folders(data):
    from dataclasses import replace

    for hour in ("09", "10"):
        folder = data / "capture" / "2024" / "01" / "01" / hour
        folder.mkdir(parents=True)
        (folder / "part.csv").write_text((data / "train.csv").read_text())
    job = jobs.data_quality_job(str(data / "capture"), str(data / "out"))
    job = replace(job, inputs=(replace(job.inputs[0], include=("2024/01/01/10", "2024/01/01/11")),))
    execution = LocalRunner().run(job)
    statistics = json.loads((data / "out" / "statistics.json").read_text())
    assert execution.ok and statistics["dataset"]["item_count"] == 300  # one hour's file only
