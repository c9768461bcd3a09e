"""Scenario generator: alter the training data the way production data might change.

Each scenario is a named, documented function ``(frame, rng) -> frame`` registered with
:func:`scenario`. It gets the training data (features plus the ground-truth ``credit_risk``) and
returns the altered rows; :func:`main` then scores them with the model and writes the four
datasets the checks monitor. ``python generate_altered.py --list`` lists the scenarios.

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
from byom_monitor import storage
from byom_monitor.config import Config
from byom_monitor.credit_data import FEATURES, LABEL
from byom_monitor.model import PREDICTION_COLUMN, PROBABILITY_COLUMN

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


#: Scenarios whose predictions get flipped at random after scoring (the original's noise).
NOISY_PREDICTIONS = {"default"}


def altered_data(name: str, *, seed: int = SEED, model_dir: str | os.PathLike = prep.MODEL_DIR,
                 data_dir: str | os.PathLike = prep.DATA_DIR) -> pd.DataFrame:
    """The training data changed by scenario ``name`` and scored by the model."""
    if name not in SCENARIOS:
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    rng = np.random.default_rng(seed)
    train = pd.read_csv(Path(data_dir) / "train.csv")
    scored = prep.predict(SCENARIOS[name](train, rng), model_dir=model_dir)
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
