import numpy as np
import pandas as pd
import pytest

from byom_monitor.example.credit_data import (
    CATEGORICAL,
    CODE_SHARES,
    COLUMNS,
    FEATURES,
    LABEL,
    NUMERIC,
    NUMERIC_RANGES,
    generate_synthetic,
    load_south_german_credit,
)


def test_schema_has_21_columns_with_the_label_last():
    assert len(COLUMNS) == 21 and COLUMNS[-1] == LABEL == "credit_risk"
    assert len(CATEGORICAL) == 10 and len(NUMERIC) == 10
    assert set(CATEGORICAL) | set(NUMERIC) == set(FEATURES)


def test_synthetic_is_reproducible_and_seed_dependent():
    pd.testing.assert_frame_equal(generate_synthetic(300, seed=3), generate_synthetic(300, seed=3))
    assert not generate_synthetic(300, seed=3).equals(generate_synthetic(300, seed=4))


def test_synthetic_values_stay_in_the_codebook():
    frame = generate_synthetic(5000, seed=1)
    assert list(frame.columns) == COLUMNS
    assert all(pd.api.types.is_integer_dtype(frame[c]) for c in COLUMNS)
    for column, shares in CODE_SHARES.items():
        assert set(frame[column]) <= set(shares), column
    for column, (low, high) in NUMERIC_RANGES.items():
        assert frame[column].between(low, high).all(), column
    assert set(frame[LABEL]) == {0, 1}


def test_synthetic_label_depends_on_the_features():
    frame = generate_synthetic(20000, seed=2)
    good_by_status = frame.groupby("status")[LABEL].mean()
    assert good_by_status[4] - good_by_status[1] > 0.2  # no checking account is riskier
    assert frame.groupby("foreign_worker")[LABEL].mean()[1] > frame.groupby("foreign_worker")[LABEL].mean()[2]
    long_loans = frame["duration"] > 36
    assert frame.loc[long_loans, LABEL].mean() < frame.loc[~long_loans, LABEL].mean()


def test_rejects_empty_request():
    with pytest.raises(ValueError, match="n_rows"):
        generate_synthetic(0)


def test_real_loader_reads_the_uci_file(real_credit_file):
    frame = load_south_german_credit(real_credit_file)
    assert frame.shape == (1000, 21) and list(frame.columns) == COLUMNS
    assert frame[LABEL].value_counts().to_dict() == {1: 700, 0: 300}
    assert frame["foreign_worker"].value_counts().to_dict() == {2: 963, 1: 37}
    assert (frame["duration"].min(), frame["duration"].max()) == (4, 72)


def test_synthetic_marginals_are_close_to_the_real_data(real_credit_file):
    """Same size as the real file; tolerances are about twice the sampling noise at n=1000.

    Coded columns: total variation distance <= 0.06 (the largest seen over seeds 0-5 is 0.044).
    Numeric columns: two-sample KS statistic <= 0.1 (the 5% critical value is 0.061, the
    synthetic model is a simplification). Label: good rate 0.70 +- 0.04.
    """
    real = load_south_german_credit(real_credit_file)
    synthetic = generate_synthetic(len(real), seed=0)
    for column in CODE_SHARES:
        codes = sorted(set(real[column]) | set(synthetic[column]))
        p = real[column].value_counts(normalize=True).reindex(codes, fill_value=0)
        q = synthetic[column].value_counts(normalize=True).reindex(codes, fill_value=0)
        assert 0.5 * np.abs(p - q).sum() <= 0.06, column
    for column in NUMERIC_RANGES:
        assert _ks(real[column], synthetic[column]) <= 0.1, column
    assert abs(synthetic[LABEL].mean() - real[LABEL].mean()) <= 0.04
    corr = np.corrcoef(synthetic["duration"], np.log(synthetic["amount"]))[0, 1]
    real_corr = np.corrcoef(real["duration"], np.log(real["amount"]))[0, 1]
    assert abs(corr - real_corr) < 0.15


def _ks(a: pd.Series, b: pd.Series) -> float:
    grid = np.union1d(a, b)
    cdf_a = np.searchsorted(np.sort(a), grid, side="right") / len(a)
    cdf_b = np.searchsorted(np.sort(b), grid, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def test_loader_names_the_file_on_a_wrong_header(tmp_path):
    bad = tmp_path / "bad.asc"
    bad.write_text("a b c\n1 2 3\n")
    with pytest.raises(ValueError, match="bad.asc.*expected the header"):
        load_south_german_credit(bad)


def test_loader_rejects_non_integer_values(tmp_path):
    frame = generate_synthetic(5, seed=0)
    frame.loc[2, "age"] = None
    path = tmp_path / "holes.asc"
    frame.to_csv(path, sep=" ", index=False)
    with pytest.raises(ValueError, match="holes.asc.*age"):
        load_south_german_credit(path)
