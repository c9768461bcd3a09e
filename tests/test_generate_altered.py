import io

import pandas as pd
import pytest

import generate_altered
from byom_monitor.example.credit_data import FEATURES, LABEL
from byom_monitor.io import storage

pytestmark = pytest.mark.usefixtures("restore_storage")


def _read(uri: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(storage.read_text(uri)))


@pytest.fixture
def config(example_config):
    return example_config


def test_scenarios_are_listed_with_noise_and_expected_checks():
    assert "default" in generate_altered.SCENARIOS
    for name, scenario in generate_altered.SCENARIOS.items():
        assert scenario.name == name and scenario.description and scenario.noise == 0.0
        assert set(scenario.expected) <= set(generate_altered.CHECKS)
    assert generate_altered.SCENARIOS["control"].expected == {}


def test_a_scenario_with_an_unknown_check_is_refused():
    with pytest.raises(ValueError, match="unknown checks"):
        generate_altered.Scenario("x", lambda f, r: f, "", expected={"quality": ("a",)})


def test_main_accepts_the_function_or_its_name_and_records_the_scenario(config):
    generate_altered.main(generate_altered.label_drift, config=config)
    assert config.items("DATASETS")["scenario"] == "label_drift"
    assert "label_drift" in config.get_dataset("model-quality-modified-data")
    assert generate_altered.current_scenario(config) == "label_drift"


def test_a_clean_state_generates_the_default_scenario_once_and_says_so(config, capsys):
    assert generate_altered.current_scenario(config) == "default"
    assert "generated the default one" in capsys.readouterr().out
    assert generate_altered.current_scenario(config) == "default"
    assert capsys.readouterr().out == ""


def test_run_from_another_folder_says_where_to_start(tmp_path):
    with pytest.raises(ValueError, match="start from the folder that holds prep.py"):
        generate_altered.open_config(tmp_path / "config.ini")
    assert not (tmp_path / "config.ini").exists()


def test_control_is_the_held_out_test_split_unchanged(scenario, prepared):
    control = scenario("control")
    test = pd.read_csv(prepared["data"] / "test.csv")
    assert control[FEATURES + [LABEL]].equals(test)
    train = pd.read_csv(prepared["data"] / "train.csv")
    assert not test.merge(train, how="inner").shape[0]  # never trained on


def test_main_writes_four_datasets_and_records_them(config):
    written = generate_altered.main("default", config=config)
    assert set(written) == {f"{c}-modified-data" for c in
                            ("data-quality", "model-quality", "model-explainability", "model-bias")}
    for key, location in written.items():
        assert config.get_dataset(key) == location and location.startswith("s3://")
    assert list(_read(written["data-quality-modified-data"]).columns) == FEATURES
    bias = _read(written["model-bias-modified-data"])
    quality = _read(written["model-quality-modified-data"])
    assert list(bias.columns) == FEATURES + [LABEL]
    assert (bias[LABEL] == quality["prediction"]).all()  # the model's output stands in as label


def test_default_scenario_is_seeded_and_changes_amounts(config, prepared):
    first = generate_altered.altered_data("default", seed=1, model_dir=config.model_dir,
                                          data_dir=config.data_dir)
    again = generate_altered.altered_data("default", seed=1, model_dir=config.model_dir,
                                          data_dir=config.data_dir)
    pd.testing.assert_frame_equal(first, again)
    test = pd.read_csv(prepared["data"] / "test.csv")
    assert (first["amount"] >= test["amount"]).all()
    assert first["amount"].mean() > test["amount"].mean() + 4000


def test_unknown_scenario_lists_the_known_ones(config):
    with pytest.raises(KeyError, match="known: control, default"):
        generate_altered.altered_data("nope", model_dir=config.model_dir, data_dir=config.data_dir)


def test_the_control_and_the_seven_scenarios_of_the_original_are_registered():
    assert list(generate_altered.SCENARIOS) == [
        "control", "default", "concept_drift", "label_drift", "feature_drift",
        "feature_drift_systematic",
        "explainability_drift", "bias_drift"]


@pytest.fixture
def scenario(config):
    def altered(name):
        return generate_altered.altered_data(name, model_dir=config.model_dir,
                                             data_dir=config.data_dir)
    return altered


def test_concept_drift_really_relabels(scenario, prepared):
    altered = scenario("concept_drift")
    small = altered["amount"] <= 2500
    assert small.any() and (altered.loc[small, LABEL] == 0).all()
    test = pd.read_csv(prepared["data"] / "test.csv")
    assert altered[FEATURES].equals(test[FEATURES])  # features unchanged
    assert (altered[LABEL] != test[LABEL]).any()


def test_feature_and_label_scenarios(scenario, prepared):
    test = pd.read_csv(prepared["data"] / "test.csv")
    assert len(scenario("label_drift")) == len(test) + 4 * int((test[LABEL] == 0).sum())
    shifted = scenario("feature_drift")["duration"] - test["duration"]
    assert shifted.nunique() == 1 and shifted.iloc[0] == int(test["duration"].std() / 2) > 0
    assert (scenario("feature_drift_systematic")["duration"] == 12).all()
    assert (scenario("explainability_drift")["status"] >= 3).all()


def test_bias_drift_favours_non_foreign_workers(scenario, prepared):
    altered = scenario("bias_drift")
    assert len(altered) > 100 * len(pd.read_csv(prepared["data"] / "test.csv"))
    foreign = altered["foreign_worker"] == 1
    dppl = altered.loc[~foreign, "prediction"].mean() - altered.loc[foreign, "prediction"].mean()
    assert dppl > 0.3
