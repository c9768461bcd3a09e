import pandas as pd
import pytest

import generate_altered
from byom_monitor.credit_data import FEATURES, LABEL


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
