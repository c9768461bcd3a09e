import pytest

from byom_monitor.example.experiments import ExperimentStore
from byom_monitor.io.config import Config, ConfigError


def test_runs_round_trip_and_latest_per_scenario(tmp_path):
    store = ExperimentStore(tmp_path / "deep" / "monitor.sqlite")
    first = store.start_run("exp", "default")
    store.record_check(first, "data-quality", "Completed", "ok", 0, {"a": "1"}, 0.5)
    second = store.start_run("exp", "default")
    store.record_check(second, "data-quality", "CompletedWithViolations", "bad", 2, {}, 0.7)
    store.finish_run(second, 1.2)
    other = store.start_run("other", "bias_drift")
    store.record_check(other, "model-bias", "Completed", "ok", 0, {}, 0.1)
    latest = store.checks("exp")
    assert latest["run_id"].tolist() == [second] and latest["violations"].tolist() == [2]
    everything = ExperimentStore(tmp_path / "deep" / "monitor.sqlite").checks(latest_only=False)
    assert len(everything) == 3 and everything.loc[0, "outputs"] == {"a": "1"}


def test_database_must_be_local(tmp_path):
    config = Config(tmp_path / "config.ini")
    assert config.database == str(tmp_path / "results" / "monitor.sqlite")
    config.set("monitoring", "database", "s3://bucket/db.sqlite")
    with pytest.raises(ConfigError, match="must be a local file"):
        _ = config.database
