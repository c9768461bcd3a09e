import pandas as pd
import pytest

from byom_monitor.analyzer.api import Baseline, baseline_data_quality, check_data_quality
from byom_monitor.errors import JobFailed


@pytest.fixture
def frame():
    return pd.DataFrame({"a": range(200), "b": ["x", "y"] * 100})


def test_baseline_from_a_dataframe_and_check_of_a_file(frame, tmp_path):
    baseline = baseline_data_quality(frame, str(tmp_path / "base"))
    table = baseline.statistics.to_df()
    assert list(table["name"]) == ["a", "b"] and table.loc[0, "mean"] == 99.5
    assert baseline.constraints.to_df().loc[1, "domains"] == ["x", "y"]
    frame.assign(a=frame["a"] * 3).to_csv(tmp_path / "current.csv", index=False)
    result = check_data_quality(str(tmp_path / "current.csv"), baseline, str(tmp_path / "check"))
    assert result.status == "CompletedWithViolations"
    assert result.violations.to_df()["constraint_check_type"].tolist() == ["baseline_drift_check"]


def test_check_from_a_baseline_folder(frame, tmp_path):
    baseline_data_quality(frame, str(tmp_path / "base"))
    result = check_data_quality(frame, str(tmp_path / "base"), str(tmp_path / "check"))
    assert result.status == "Completed" and result.violations.to_df().empty
    again = Baseline.from_folder(str(tmp_path / "base"))
    assert again.statistics.body_dict["dataset"]["item_count"] == 200


def test_failure_raises_with_the_reason(tmp_path):
    with pytest.raises(JobFailed, match="no such file or folder"):
        baseline_data_quality(str(tmp_path / "absent.csv"), str(tmp_path / "out"))
