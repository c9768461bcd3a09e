import pandas as pd
import pytest

import generate_altered
from byom_monitor.example.credit_data import FEATURES, LABEL


@pytest.fixture
def config(example_config):
    return example_config


def test_scenarios_are_listed():
    assert "default" in generate_altered.SCENARIOS
    assert all(f.__doc__ for f in generate_altered.SCENARIOS.values())


def test_main_writes_four_datasets_and_records_them(config):
    written = generate_altered.main("default", config=config)
    assert set(written) == {f"{c}-modified-data" for c in
                            ("data-quality", "model-quality", "model-explainability", "model-bias")}
    for key, location in written.items():
        assert config.get_dataset(key) == location
    assert list(pd.read_csv(written["data-quality-modified-data"]).columns) == FEATURES
    bias = pd.read_csv(written["model-bias-modified-data"])
    quality = pd.read_csv(written["model-quality-modified-data"])
    assert list(bias.columns) == FEATURES + [LABEL]
    assert (bias[LABEL] == quality["prediction"]).all()  # the model's output stands in as label


def test_default_scenario_is_seeded_and_changes_amounts(config, prepared):
    first = generate_altered.altered_data("default", seed=1, model_dir=config.model_dir,
                                          data_dir=config.data_dir)
    again = generate_altered.altered_data("default", seed=1, model_dir=config.model_dir,
                                          data_dir=config.data_dir)
    pd.testing.assert_frame_equal(first, again)
    train = pd.read_csv(prepared["data"] / "train.csv")
    assert (first["amount"] >= train["amount"]).all()
    assert first["amount"].mean() > train["amount"].mean() + 4000


def test_unknown_scenario_lists_the_known_ones(config):
    with pytest.raises(KeyError, match="known: default"):
        generate_altered.altered_data("nope", model_dir=config.model_dir, data_dir=config.data_dir)


def test_the_seven_scenarios_of_the_original_are_registered():
    assert list(generate_altered.SCENARIOS) == [
        "default", "concept_drift", "label_drift", "feature_drift", "feature_drift_systematic",
        "explainability_drift", "bias_drift"]


@pytest.fixture
def scenario(config):
    def altered(name):
        return generate_altered.altered_data(name, model_dir=config.model_dir,
                                             data_dir=config.data_dir)
    return altered


def test_concept_drift_really_relabels(scenario, prepared):
    altered = scenario("concept_drift")
    small = altered["amount"] <= 1000
    assert small.any() and (altered.loc[small, LABEL] == 0).all()
    train = pd.read_csv(prepared["data"] / "train.csv")
    assert altered[FEATURES].equals(train[FEATURES])  # features unchanged


def test_feature_and_label_scenarios(scenario, prepared):
    train = pd.read_csv(prepared["data"] / "train.csv")
    assert len(scenario("label_drift")) == len(train) + 4 * int((train[LABEL] == 1).sum())
    shifted = scenario("feature_drift")["duration"] - train["duration"]
    assert shifted.nunique() == 1 and shifted.iloc[0] == int(2 * train["duration"].std())
    assert (scenario("feature_drift_systematic")["duration"] == 1).all()
    assert (scenario("explainability_drift")["status"] >= 3).all()


def test_bias_drift_favours_non_foreign_workers(scenario, prepared):
    altered = scenario("bias_drift")
    assert len(altered) > 100 * len(pd.read_csv(prepared["data"] / "train.csv"))
    foreign = altered["foreign_worker"] == 1
    dppl = altered.loc[~foreign, "prediction"].mean() - altered.loc[foreign, "prediction"].mean()
    assert dppl > 0.3
