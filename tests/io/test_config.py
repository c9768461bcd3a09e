import configparser
import os
import shutil
from pathlib import Path

import pytest

from byom_monitor.io import config as config_module
from byom_monitor.io.config import DEFAULTS, Config, ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_example_file_documents_exactly_the_defaults():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "config.ini.example")
    assert {s: dict(parser.items(s)) for s in parser.sections()} == DEFAULTS


def test_missing_file_is_created_from_the_example(tmp_path):
    shutil.copy(ROOT / "config.ini.example", tmp_path / "config.ini.example")
    config = Config(tmp_path / "config.ini")
    assert (tmp_path / "config.ini").read_text() == (tmp_path / "config.ini.example").read_text()
    assert config.backend == "local"
    assert config.store == str(tmp_path / "results")
    assert config.aws_profile is None and config.prefix == "model-monitor-bring-your-own-model"


def test_missing_file_without_example_gets_local_defaults(tmp_path):
    config = Config(tmp_path / "config.ini")
    assert config.backend == "local" and config.model_dir == str(tmp_path / "models")
    assert Config(tmp_path / "config.ini").items("BASELINES") == {}


def test_round_trip_keeps_every_section(tmp_path):
    config = Config(tmp_path / "config.ini")
    config.save_baseline("data-quality-statistics", "s3://bucket/p/statistics.json")
    config.save_dataset("data-quality-modified-data", "/tmp/x.csv")
    config.save_trial("concept-drift", "run-1")
    again = Config(tmp_path / "config.ini")
    assert again.get_baseline("data-quality-statistics") == "s3://bucket/p/statistics.json"
    assert again.get_dataset("data-quality-modified-data") == "/tmp/x.csv"
    assert again.get_trial("concept-drift") == "run-1"
    assert again.backend == "local"


def test_two_handles_do_not_lose_each_others_keys(tmp_path):
    first, second = Config(tmp_path / "config.ini"), Config(tmp_path / "config.ini")
    first.save_baseline("a", "1")
    second.save_baseline("b", "2")
    assert first.items("BASELINES") == {"a": "1", "b": "2"}


def test_interrupted_write_leaves_the_file_intact(tmp_path, monkeypatch):
    config = Config(tmp_path / "config.ini")
    config.save_baseline("kept", "yes")
    before = (tmp_path / "config.ini").read_bytes()

    def fail(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        config.save_baseline("lost", "no")
    assert (tmp_path / "config.ini").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["config.ini"]  # no temp file left


def test_missing_key_names_file_section_and_key(tmp_path):
    config = Config(tmp_path / "config.ini")
    with pytest.raises(ConfigError, match=r"config.ini: no key 'nope' in section \[BASELINES\]"):
        config.get_baseline("nope")


def test_corrupted_file_is_a_clear_error(tmp_path):
    (tmp_path / "config.ini").write_text("this is not = an ini file\n[[[")
    with pytest.raises(ConfigError, match="config.ini: not a valid config file"):
        Config(tmp_path / "config.ini")


def test_invalid_backend_names_the_key(tmp_path):
    config = Config(tmp_path / "config.ini")
    config.set("monitoring", "backend", "kubernetes")
    with pytest.raises(ConfigError, match=r"\[monitoring\] backend = 'kubernetes'"):
        _ = config.backend


def test_s3_store_is_kept_as_is(tmp_path):
    config = Config(tmp_path / "config.ini")
    config.set("monitoring", "store", "s3://bucket/prefix/")
    assert config.store == "s3://bucket/prefix"
    assert config_module.storage.is_s3(config.store)


def test_predictors_follow_model_dir_unless_set(tmp_path):
    config = Config(tmp_path / "config.ini")
    config.set("monitoring", "model_dir", "trained")
    assert config.predictors == {"e2e-model": str(tmp_path / "trained"),
                                 "e2e-model-bias": str(tmp_path / "trained")}
    config.set("predictors", "e2e-model", "http://127.0.0.1:8080/invocations")
    assert config.predictors["e2e-model"] == "http://127.0.0.1:8080/invocations"
