"""A column read as text in some blocks and as numbers in others (issue 13, item 11): its value
counts are exact, and the result does not depend on how the file is cut into blocks."""
import json
import warnings

import numpy as np
import pandas as pd
import pytest

from byom_monitor.analyzer.contract import run_job
from byom_monitor.io import datasets

CSV = json.dumps({"csv": {"header": True}})
ROWS = 300_000  # above pandas' low_memory chunk, so one block once gave a DtypeWarning


@pytest.fixture(scope="module")
def large_file(tmp_path_factory):
    """``code`` is text, and only numbers in the last 60,000 rows; ``kind`` is text only."""
    rng = np.random.default_rng(0)
    code = rng.choice(["A11", "A12", "A13"], ROWS).astype(object)
    code[-60_000:] = rng.choice(["1", "2"], 60_000)
    frame = pd.DataFrame({"x": np.arange(ROWS), "code": code,
                          "kind": rng.choice(["new", "used"], ROWS)})
    path = tmp_path_factory.mktemp("large") / "large.csv"
    frame.to_csv(path, index=False)
    return path, frame


def _baseline_and_check(path, folder):
    base = run_job({"dataset_source": str(path), "output_path": str(folder / "base"),
                    "dataset_format": CSV}, message_file=None)
    check = run_job({"dataset_source": str(path), "output_path": str(folder / "check"),
                     "dataset_format": CSV,
                     "baseline_statistics": str(folder / "base" / "statistics.json"),
                     "baseline_constraints": str(folder / "base" / "constraints.json")},
                    message_file=None)
    assert base.ok and check.ok, (base.message, check.message)
    statistics = json.loads((folder / "base" / "statistics.json").read_text())
    violations = json.loads((folder / "check" / "constraint_violations.json").read_text())
    return {f["name"]: f for f in statistics["features"]}, violations["violations"]


def test_counts_are_exact_whatever_the_block_size(large_file, tmp_path, monkeypatch):
    path, frame = large_file
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DtypeWarning (nor any other) leaks out
        whole, whole_violations = _baseline_and_check(path, tmp_path / "whole")
        monkeypatch.setattr(datasets, "BLOCK_BYTES", 200_000)  # about 20 blocks
        blocked, blocked_violations = _baseline_and_check(path, tmp_path / "blocked")
    expected = frame["code"].value_counts()
    for features in (whole, blocked):
        buckets = features["code"]["string_statistics"]["distribution"]["categorical"]["buckets"]
        assert {b["value"]: b["count"] for b in buckets} == expected.to_dict()
        assert features["code"]["string_statistics"]["distinct_count"] == 5.0
    for name in ("code", "kind"):  # x differs only in its KLL sketch, approximate by design
        assert blocked[name] == whole[name]
    # checked against its own baseline: no domain violation (the numbers are counted); the one
    # violation is the data-type rule for a text column holding numbers, at any size
    assert blocked_violations == whole_violations
    assert [(v["feature_name"], v["constraint_check_type"]) for v in blocked_violations] == [
        ("code", "data_type_check")]
    assert "Observed: Only 80.0% of data is String" in \
        blocked_violations[0]["description"]


def test_text_columns_without_numbers_have_no_violations_against_themselves(large_file, tmp_path,
                                                                            monkeypatch):
    path, frame = large_file
    frame.drop(columns="code").to_csv(tmp_path / "clean.csv", index=False)
    monkeypatch.setattr(datasets, "BLOCK_BYTES", 200_000)
    _, violations = _baseline_and_check(tmp_path / "clean.csv", tmp_path)
    assert violations == []
