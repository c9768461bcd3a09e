import json

import numpy as np
import pandas as pd
import pytest

import prep
from byom_monitor.example.credit_data import COLUMNS, FEATURES, LABEL, generate_synthetic
from byom_monitor.example.model import CreditRiskModel, choose_threshold


def test_writes_the_expected_files(prepared):
    data, models = prepared["data"], prepared["models"]
    assert {p.name for p in models.iterdir()} == {"preprocessor.joblib", "xgboost-model.json",
                                                  "metadata.json"}
    json.loads((models / "xgboost-model.json").read_text())  # XGBoost's own JSON format
    assert list(pd.read_csv(data / "train.csv").columns) == COLUMNS
    assert list(pd.read_csv(data / "train_data_no_target.csv").columns) == FEATURES
    with_prediction = pd.read_csv(data / "train_data_with_prediction.csv")
    assert list(with_prediction.columns) == COLUMNS + ["prediction_probability", "prediction"]
    assert "synthetic" in (data / "SOURCE.txt").read_text()


def test_split_really_holds_rows_out():
    frame = generate_synthetic(1000, seed=0).reset_index(names="row_id")
    train, validation, test = prep.split_data(frame, seed=0)
    ids = [set(part["row_id"]) for part in (train, validation, test)]
    assert not (ids[0] & ids[1]) and not (ids[0] & ids[2]) and not (ids[1] & ids[2])
    assert len(ids[0]) + len(ids[1]) + len(ids[2]) == 1000
    assert (len(ids[1]), len(ids[2])) == (150, 150)


def test_written_splits_do_not_overlap(prepared):
    parts = [pd.read_csv(prepared["data"] / f"{n}.csv") for n in ("train", "validation", "test")]
    assert sum(len(p) for p in parts) == 1000
    assert abs(parts[2][LABEL].mean() - parts[0][LABEL].mean()) < 0.03  # stratified


def test_same_seed_gives_identical_outputs(prepared, tmp_path):
    prep.main(0, raw_file=tmp_path / "absent.asc", data_dir=tmp_path / "data",
              model_dir=tmp_path / "models")
    for name in ("train.csv", "test.csv", "train_data_with_prediction.csv"):
        assert (tmp_path / "data" / name).read_bytes() == (prepared["data"] / name).read_bytes()
    first = json.loads((prepared["models"] / "metadata.json").read_text())
    second = json.loads((tmp_path / "models" / "metadata.json").read_text())
    assert first == second


def test_threshold_is_chosen_on_validation_and_saved(prepared):
    model = CreditRiskModel.load(prepared["models"])
    validation = pd.read_csv(prepared["data"] / "validation.csv")
    expected = choose_threshold(validation[LABEL].to_numpy(), model.predict_proba(validation))
    assert model.threshold == pytest.approx(expected)
    assert 0.0 < model.threshold < 1.0
    scored = pd.read_csv(prepared["data"] / "train_data_with_prediction.csv")
    assert ((scored["prediction_probability"] >= model.threshold).astype(int)
            == scored["prediction"]).all()


def test_early_stopping_and_metadata(prepared):
    metadata = json.loads((prepared["models"] / "metadata.json").read_text())
    boosting = metadata["boosting"]
    assert boosting["trees"] == boosting["best_iteration"] + 1 < boosting["max_rounds"]
    assert metadata["validation_metrics"]["rows"] == 150
    assert metadata["validation_metrics"]["auc"] > 0.6  # the label is learnable
    assert set(metadata["versions"]) >= {"scikit-learn", "xgboost", "pandas"}
    assert metadata["features"] == FEATURES and metadata["label"] == LABEL


def test_predict_survives_unknown_categories_and_ignores_extra_columns(prepared):
    rows = pd.read_csv(prepared["data"] / "test.csv").head(5)
    rows["purpose"] = 7  # never seen in training (absent from the codebook data)
    rows["foreign_worker"] = 3
    rows["note"] = "extra"
    scored = prep.predict(rows, model_dir=prepared["models"])
    assert scored["prediction_probability"].between(0, 1).all()
    assert list(scored.columns[:-2]) == list(rows.columns)


def test_predict_names_missing_columns(prepared):
    rows = pd.read_csv(prepared["data"] / "test.csv").drop(columns=["age", "savings"]).head(2)
    with pytest.raises(ValueError, match="savings, age"):
        prep.predict(rows, model_dir=prepared["models"])


def test_predict_names_a_non_numeric_column(prepared):
    rows = pd.read_csv(prepared["data"] / "test.csv").head(3)
    rows["amount"] = rows["amount"].astype(str)
    rows.loc[1, "amount"] = "lots"
    with pytest.raises(ValueError, match="'amount'.*'lots'"):
        prep.predict(rows, model_dir=prepared["models"])


def test_missing_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="run prep.py"):
        prep.predict(generate_synthetic(2), model_dir=tmp_path)


def test_real_data_is_used_when_present(real_credit_file, tmp_path):
    metadata = prep.main(0, raw_file=real_credit_file, data_dir=tmp_path / "d",
                         model_dir=tmp_path / "m")
    assert "real data" in metadata["data_source"]
    assert metadata["validation_metrics"]["auc"] > 0.7
    assert np.isclose(pd.read_csv(tmp_path / "d" / "train.csv")[LABEL].mean(), 0.7, atol=0.01)
