"""Scenario generator: alter the training data the way production data might change.

Each scenario is a named, documented function ``(frame, rng) -> frame`` registered with
:func:`scenario`. It gets the training data (features, the ground-truth ``credit_risk`` and the
model's ``prediction_probability`` / ``prediction``) and returns the altered rows; they are then
scored again by the model, and :func:`main` writes the four datasets the checks monitor. ``python generate_altered.py --list`` lists the scenarios.

To add a scenario, write a function and decorate it::

    @scenario
    def my_drift(frame, rng):
        \"\"\"What changes and why.\"\"\"
        return frame.assign(age=frame["age"] + 10)
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

import prep
from byom_monitor.io import storage
from byom_monitor.io.config import Config
from byom_monitor.example.credit_data import FEATURES, LABEL
from byom_monitor.example.model import PREDICTION_COLUMN, PROBABILITY_COLUMN

Scenario = Callable[[pd.DataFrame, np.random.Generator], pd.DataFrame]
SCENARIOS: dict[str, Scenario] = {}
SEED = 0
#: The share of rows whose *prediction* is flipped in the noisy scenarios, as in the original.
PREDICTION_NOISE = 0.3


def scenario(function: Scenario) -> Scenario:
    """Register ``function`` under its name."""
    SCENARIOS[function.__name__] = function
    return function


@scenario
def default(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Mild everyday change: amounts rise by up to 10,000, savings drop one class for ~30% of
    savers, and ~30% of predictions are wrong (flipped)."""
    altered = frame.copy()
    altered["amount"] = altered["amount"] + rng.integers(0, 10_001, size=len(altered))
    savers = (altered["savings"] > 1) & (rng.random(len(altered)) < 0.3)
    altered.loc[savers, "savings"] = altered.loc[savers, "savings"] - 1
    return altered


@scenario
def concept_drift(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The world changed, the features did not: every loan of 1,000 or less is now bad
    (ground truth 0), and ~30% of predictions are wrong. (The original's chained assignment did
    nothing under pandas copy-on-write; this one really changes the labels.)"""
    altered = frame.copy()
    altered.loc[altered["amount"] <= 1000, LABEL] = 0
    return altered


@scenario
def label_drift(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Many more good credits: every row with ground truth 1 appears five times."""
    return pd.concat([frame, *[frame[frame[LABEL] == 1]] * 4], ignore_index=True)


@scenario
def feature_drift(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Loans run longer: duration grows by twice its standard deviation (about +24 months);
    ~30% of predictions are wrong."""
    shift = int(2 * frame["duration"].std())
    return frame.assign(duration=frame["duration"] + shift)


@scenario
def feature_drift_systematic(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """A broken upstream system: duration is 1 for every row."""
    return frame.assign(duration=1)


@scenario
def explainability_drift(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """What drives the model changes: duration +24 months, savings one class lower for ~80% of
    savers, and every checking-account status below 3 becomes 4."""
    altered = frame.assign(duration=frame["duration"] + int(2 * frame["duration"].std()))
    savers = (altered["savings"] > 1) & (rng.random(len(altered)) < 0.8)
    altered.loc[savers, "savings"] = altered.loc[savers, "savings"] - 1
    altered.loc[altered["status"] < 3, "status"] = 4
    return altered


@scenario
def bias_drift(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Foreign workers lose out: of those predicted good only the first stays; the remaining
    foreign workers appear 5 times; everything 100 times; non-foreign workers predicted good a
    further 10 times (about 746,000 rows from 1,000, as in the original)."""
    foreign_good = (frame["foreign_worker"] == 1) & (frame[PREDICTION_COLUMN] == 1)
    kept = frame[~foreign_good | (foreign_good.cumsum() == 1)]
    kept = pd.concat([kept, *[kept[kept["foreign_worker"] == 1]] * 4], ignore_index=True)
    kept = pd.concat([kept] * 100, ignore_index=True)
    extra = kept[(kept["foreign_worker"] != 1) & (kept[PREDICTION_COLUMN] == 1)]
    return pd.concat([kept, *[extra] * 10], ignore_index=True)


#: Scenarios whose predictions get flipped at random after scoring (the original's noise).
NOISY_PREDICTIONS = {"default", "concept_drift", "feature_drift", "explainability_drift"}


def altered_data(name: str, *, seed: int = SEED, model_dir: str | os.PathLike = prep.MODEL_DIR,
                 data_dir: str | os.PathLike = prep.DATA_DIR) -> pd.DataFrame:
    """The training data changed by scenario ``name`` and scored by the model."""
    if name not in SCENARIOS:
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    train = pd.read_csv(Path(data_dir) / "train.csv")
    return apply_scenario(name, prep.predict(train, model_dir=model_dir), seed=seed,
                          model_dir=model_dir)


def apply_scenario(name: str, scored: pd.DataFrame, *, seed: int = SEED,
                   model_dir: str | os.PathLike = prep.MODEL_DIR) -> pd.DataFrame:
    """Scenario ``name`` applied to scored rows (features, label, the model's predictions),
    then scored again by the model."""
    rng = np.random.default_rng(seed)
    altered = SCENARIOS[name](scored, rng)
    scored = prep.predict(altered[FEATURES + [LABEL]], model_dir=model_dir)
    if name in NOISY_PREDICTIONS:
        flip = rng.random(len(scored)) < PREDICTION_NOISE
        scored.loc[flip, PREDICTION_COLUMN] = 1 - scored.loc[flip, PREDICTION_COLUMN]
    return scored


def monitoring_datasets(scored: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The four datasets the checks read, keyed by check.

    Bias and explainability take the model's prediction as their label, as in the original.
    """
    by_model = scored[FEATURES].assign(**{LABEL: scored[PREDICTION_COLUMN]})
    return {
        "data-quality": scored[FEATURES],
        "model-quality": scored[FEATURES + [LABEL, PROBABILITY_COLUMN, PREDICTION_COLUMN]],
        "model-explainability": by_model,
        "model-bias": by_model,
    }


def main(scenario: str = "default", *, seed: int = SEED,
         config: Config | str | os.PathLike = "config.ini") -> dict[str, str]:
    """Write the four monitoring datasets of ``scenario`` and record them in config.ini.

    They go below ``<store>/datasets/<scenario>/`` (a local folder or S3, per config.ini).
    Returns the written locations keyed by config key.
    """
    config = config if isinstance(config, Config) else Config(config)
    scored = altered_data(scenario, seed=seed, model_dir=config.model_dir,
                          data_dir=config.data_dir)
    written = {}
    for check, frame in monitoring_datasets(scored).items():
        location = storage.join(config.store, "datasets", scenario, f"{check}.csv")
        storage.write_text(location, frame.to_csv(index=False))
        written[f"{check}-modified-data"] = location
    for key, location in written.items():
        config.save_dataset(key, location)
    return written


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", nargs="?", default="default", help="scenario name")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = _parse_args(sys.argv[1:])
    if args.list:
        for scenario_name, function in SCENARIOS.items():
            print(f"{scenario_name}: {' '.join((function.__doc__ or '').split())}")
        sys.exit(0)
    for config_key, uri in main(args.scenario, seed=args.seed).items():
        print(f"{config_key}: {uri}")
