import pandas as pd
import pytest

from byom_monitor.session.job_limits import EXPLAINABILITY_ROWS, max_runtime, sample_rows


def test_each_check_has_a_limit():
    assert max_runtime("data-quality") == 1800 and max_runtime("model-explainability") == 3600
    with pytest.raises(ValueError, match="no time limit for check 'drift'"):
        max_runtime("drift")


def test_the_explainability_input_is_a_seeded_sample(tmp_path):
    frame = pd.DataFrame({"a": range(10_000), "b": [i % 7 for i in range(10_000)]})
    frame.to_csv(tmp_path / "big.csv", index=False)
    sample = sample_rows(str(tmp_path / "big.csv"), str(tmp_path / "out" / "sample.csv"))
    written = pd.read_csv(tmp_path / "out" / "sample.csv")
    assert (sample.rows, sample.of_rows, len(written)) == (EXPLAINABILITY_ROWS, 10_000,
                                                          EXPLAINABILITY_ROWS)
    assert written["a"].is_unique and written["a"].is_monotonic_increasing
    again = sample_rows(str(tmp_path / "big.csv"), str(tmp_path / "again.csv"))
    assert pd.read_csv(again.location).equals(written)  # seeded
    small = sample_rows(str(tmp_path / "out" / "sample.csv"),
                        str(tmp_path / "small.csv"), rows=5000)
    assert small.rows == small.of_rows == EXPLAINABILITY_ROWS  # a small file whole


def test_a_dataset_on_s3_is_sampled_next_to_it(s3_bucket):
    from byom_monitor.io import storage

    frame = pd.DataFrame({"a": range(3000)})
    storage.write_text(f"{s3_bucket}/data/big.csv", frame.to_csv(index=False))
    sample = sample_rows(f"{s3_bucket}/data/big.csv", f"{s3_bucket}/data/big-sample.csv")
    assert (sample.location, sample.rows, sample.of_rows) == (
        f"{s3_bucket}/data/big-sample.csv", EXPLAINABILITY_ROWS, 3000)
    assert storage.read_text(sample.location).count("\n") == EXPLAINABILITY_ROWS + 1
