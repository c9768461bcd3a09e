"""Profiles built over a CSV's blocks in worker processes equal the one-worker profile."""
import json

import numpy as np
import pandas as pd
import pytest

from byom_monitor.analyzer.data_quality import statistics_document, suggest_constraints
from byom_monitor.analyzer.inputs import profile_dataset
from byom_monitor.analyzer.parallel_profile import profile_csv_blocks
from byom_monitor.engines.profile import MAX_TRACKED_VALUES
from byom_monitor.io.datasets import DatasetError, DatasetFormat, csv_blocks

BLOCK = 64 * 1024


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory):
    rng = np.random.default_rng(5)
    n = 30_000
    frame = pd.DataFrame({
        "ints": rng.integers(-500, 500, n),
        "floats": rng.normal(50, 7, n).round(3),
        "gappy_whole": pd.array(np.where(rng.random(n) < 0.05, None, rng.integers(0, 9, n)),
                                dtype="Int64"),  # written "3" or empty: read as float
        "cats": rng.choice(["red", "green", "blue"], n),
        "ids": [f"id-{i}" for i in rng.permutation(n)],  # beyond MAX_TRACKED_VALUES
    })
    assert n > MAX_TRACKED_VALUES
    path = tmp_path_factory.mktemp("parallel") / "data.csv"
    frame.to_csv(path, index=False)
    return path


def documents(path, workers, by_offset=False):
    profile = profile_csv_blocks(csv_blocks([str(path)], True, BLOCK, by_offset=by_offset), workers)
    return (json.dumps(statistics_document(profile)).encode(),
            json.dumps(suggest_constraints(profile)).encode(), profile)


def test_two_workers_give_byte_identical_statistics(csv_file):
    assert len(list(csv_blocks([str(csv_file)], True, BLOCK))) > 8
    one = documents(csv_file, 1)
    two = documents(csv_file, 2, by_offset=True)  # workers read their own lines
    assert one[0] == two[0] and one[1] == two[1]
    profile = one[2]
    assert profile.rows == 30_000
    assert profile.columns["gappy_whole"].inferred_type == "Integral"  # text read in the worker
    assert profile.columns["ids"].counts is None  # the HyperLogLog merged across workers
    assert profile.columns["ints"].sketch.count == 30_000


def test_the_analyzer_profile_uses_the_workers(csv_file):
    whole = profile_dataset(str(csv_file), DatasetFormat("csv", header=True), workers=1)
    parallel = profile_dataset(str(csv_file), DatasetFormat("csv", header=True), workers=2)
    assert json.dumps(statistics_document(whole)) == json.dumps(statistics_document(parallel))


def test_a_bad_line_in_a_later_block_names_its_line(tmp_path, csv_file):
    lines = csv_file.read_text().splitlines()
    lines[25_000] += ",extra"
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError, match=r"bad.csv: line 25001 has 6 fields, expected 5"):
        profile_csv_blocks(csv_blocks([str(bad)], True, BLOCK, by_offset=True), 2)


def test_workers_variable(monkeypatch):
    from byom_monitor.analyzer.parallel_profile import default_workers

    monkeypatch.setenv("BYOM_MONITOR_WORKERS", "3")
    assert default_workers() == 3
    monkeypatch.setenv("BYOM_MONITOR_WORKERS", "many")
    with pytest.raises(ValueError, match="BYOM_MONITOR_WORKERS must be a positive integer"):
        default_workers()
    monkeypatch.delenv("BYOM_MONITOR_WORKERS")
    assert default_workers() >= 1
