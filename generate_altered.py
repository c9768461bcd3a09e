"""Scenario generator: alter new credit applications the way production data might change.

Every scenario starts from the held-out test split (``data/test.csv``: rows the model never saw
in training, scored by the model), changes it, scores it again, and :func:`main` writes the four
datasets the checks monitor. The ``control`` scenario changes nothing, so it shows what
unaltered new data gives (no violation); every other scenario is the control plus one drift.

Each scenario is a registered :class:`Scenario`: its transform ``(frame, rng) -> frame``, the
share of predictions flipped at random after scoring (``noise``, 0 unless stated), and the
checks it is expected to trip with the feature or metric names expected among the violations.
``python generate_altered.py --list`` lists them. To add one::

    @scenario(expected={"data-quality": ("age",)})
    def older_applicants(frame, rng):
        \"\"\"Applicants are ten years older.\"\"\"
        return frame.assign(age=frame["age"] + 10)
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import prep
from byom_monitor.example.credit_data import FEATURES, LABEL
from byom_monitor.example.model import PREDICTION_COLUMN, PROBABILITY_COLUMN
from byom_monitor.io.config import Config, ConfigError

Transform = Callable[[pd.DataFrame, np.random.Generator], pd.DataFrame]
CHECKS = ("data-quality", "model-quality", "model-bias", "model-explainability")
SEED = 0
#: The rows every scenario starts from: the held-out test split written by prep.py.
SOURCE_FILE = "test.csv"


@dataclass(frozen=True)
class Scenario:
    """A named change of the data, and what the monitor should say about it."""

    name: str
    transform: Transform
    description: str
    noise: float = 0.0
    #: check -> names expected among its violations (features for data quality, metric names
    #: for model quality and bias, "shap" for explainability). Absent checks expect none.
    expected: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.expected) - set(CHECKS)
        if unknown:
            raise ValueError(f"scenario {self.name}: unknown checks {sorted(unknown)}; "
                             f"expected some of {CHECKS}")
        if not 0.0 <= self.noise <= 1.0:
            raise ValueError(f"scenario {self.name}: noise must be a share in [0, 1]")


SCENARIOS: dict[str, Scenario] = {}


def scenario(*, expected: dict[str, tuple[str, ...]] | None = None,
             noise: float = 0.0) -> Callable[[Transform], Transform]:
    """Register the decorated function as a scenario under its name."""
    def register(function: Transform) -> Transform:
        SCENARIOS[function.__name__] = Scenario(
            function.__name__, function, " ".join((function.__doc__ or "").split()), noise,
            dict(expected or {}))
        return function
    return register


@scenario()
def control(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """No change: new applications the model never trained on, as they are. Every check
    should pass; this is the noise floor the other scenarios are compared with."""
    return frame


@scenario(expected={"data-quality": ("amount",)})
def default(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Everyday change: amounts rise by up to 10,000 and savings drop one class for ~30% of
    savers. The model copes: only data quality sees it."""
    altered = frame.copy()
    altered["amount"] = altered["amount"] + rng.integers(0, 10_001, size=len(altered))
    savers = (altered["savings"] > 1) & (rng.random(len(altered)) < 0.3)
    altered.loc[savers, "savings"] = altered.loc[savers, "savings"] - 1
    return altered


@scenario(expected={"model-quality": ("precision",)})
def concept_drift(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The world changed, the features did not: every loan of 2,500 or less is now bad
    (ground truth 0). (The original used 1,000, which relabels too few rows to stand out from
    the sampling noise of a small batch; its chained assignment also did nothing under pandas
    copy-on-write.)"""
    altered = frame.copy()
    altered.loc[altered["amount"] <= 2500, LABEL] = 0
    return altered


@scenario(expected={"model-quality": ("precision",)})
def label_drift(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Many more bad credits (a downturn): every row with ground truth 0 appears five times.
    The model's precision falls. (The original multiplied the good credits instead; then every
    metric improves and no check can flag it.)"""
    return pd.concat([frame, *[frame[frame[LABEL] == 0]] * 4], ignore_index=True)


@scenario(expected={"data-quality": ("duration",)})
def feature_drift(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Loans run longer: duration grows by half its standard deviation (about +6 months). (The
    original added twice that; on the real data the model then turns down so many good credits
    that model quality and bias fail too.)"""
    shift = int(frame["duration"].std() / 2)
    return frame.assign(duration=frame["duration"] + shift)


@scenario(expected={"data-quality": ("duration",)})
def feature_drift_systematic(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """A broken upstream system sends one default duration, 12 months, for every row. (The
    original sent 1, which makes the model approve almost everyone: model quality fails too.)"""
    return frame.assign(duration=12)


@scenario(expected={"data-quality": ("duration", "status"),
                    "model-quality": ("false_positive_rate",), "model-explainability": ("shap",)})
def explainability_drift(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """What drives the model changes: duration +24 months, savings one class lower for ~80% of
    savers, and every checking-account status below 3 becomes 4. The model now approves many
    bad credits too (false positive rate)."""
    altered = frame.assign(duration=frame["duration"] + int(2 * frame["duration"].std()))
    savers = (altered["savings"] > 1) & (rng.random(len(altered)) < 0.8)
    altered.loc[savers, "savings"] = altered.loc[savers, "savings"] - 1
    altered.loc[altered["status"] < 3, "status"] = 4
    return altered


@scenario(expected={"data-quality": ("status",), "model-quality": ("false_positive_rate",),
                    "model-bias": ("DPPL",)})
def bias_drift(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Foreign workers lose out: of those predicted good only the first stays; the remaining
    foreign workers appear 5 times; everything 100 times; non-foreign workers predicted good a
    further 10 times (about 100,000 rows from 150). A population this different shows in data
    quality (status) and model quality (more bad credits approved) too."""
    foreign_good = (frame["foreign_worker"] == 1) & (frame[PREDICTION_COLUMN] == 1)
    kept = frame[~foreign_good | (foreign_good.cumsum() == 1)]
    kept = pd.concat([kept, *[kept[kept["foreign_worker"] == 1]] * 4], ignore_index=True)
    kept = pd.concat([kept] * 100, ignore_index=True)
    extra = kept[(kept["foreign_worker"] != 1) & (kept[PREDICTION_COLUMN] == 1)]
    return pd.concat([kept, *[extra] * 10], ignore_index=True)


def resolve(chosen: str | Callable | Scenario) -> Scenario:
    """A scenario by name, by its function (as the original passed them) or itself."""
    if isinstance(chosen, Scenario):
        return chosen
    name = chosen if isinstance(chosen, str) else getattr(chosen, "__name__", repr(chosen))
    if name not in SCENARIOS:
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    return SCENARIOS[name]


def altered_data(chosen: str | Callable | Scenario, *, seed: int = SEED,
                 model_dir: str | os.PathLike = prep.MODEL_DIR,
                 data_dir: str | os.PathLike = prep.DATA_DIR) -> pd.DataFrame:
    """The held-out test rows changed by a scenario and scored by the model."""
    chosen = resolve(chosen)
    source = Path(data_dir) / SOURCE_FILE
    if not source.exists():
        raise FileNotFoundError(f"{source} not found: run `python prep.py` first")
    rows = pd.read_csv(source)
    return apply_scenario(chosen, prep.predict(rows, model_dir=model_dir), seed=seed,
                          model_dir=model_dir)


def apply_scenario(chosen: str | Callable | Scenario, scored: pd.DataFrame, *,
                   seed: int = SEED, model_dir: str | os.PathLike = prep.MODEL_DIR
                   ) -> pd.DataFrame:
    """A scenario applied to scored rows (features, label, the model's predictions), scored
    again by the model, then the scenario's share of predictions flipped."""
    chosen = resolve(chosen)
    rng = np.random.default_rng(seed)
    altered = chosen.transform(scored, rng)
    scored = prep.predict(altered[FEATURES + [LABEL]], model_dir=model_dir)
    if chosen.noise:
        flip = rng.random(len(scored)) < chosen.noise
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


def main(transform: str | Callable | Scenario = "default", *, seed: int = SEED,
         config: Config | str | os.PathLike = "config.ini", session=None) -> dict[str, str]:
    """Write the four monitoring datasets of a scenario (its name or its function) to S3 and
    record them in config.ini, with the scenario's name under ``[DATASETS] scenario``.

    They go to ``s3://<bucket>/<prefix>/<check>/input_data/<scenario>.csv`` through the
    SageMaker ``session`` (by default the one config.ini chooses: the in-process session
    locally). Returns the written URIs keyed by config key.
    """
    from sagemaker.s3 import S3Uploader

    chosen = resolve(transform)
    config = config if isinstance(config, Config) else open_config(config)
    if session is None:
        from byom_monitor.session.sessions import session_from_config

        session = session_from_config(config)[0]
    bucket = config.bucket or session.default_bucket()
    scored = altered_data(chosen, seed=seed, model_dir=config.model_dir, data_dir=config.data_dir)
    written = {}
    for check, frame in monitoring_datasets(scored).items():
        uri = f"s3://{bucket}/{config.prefix}/{check}/input_data/{chosen.name}.csv"
        written[f"{check}-modified-data"] = S3Uploader.upload_string_as_file_body(
            frame.to_csv(index=False), uri, sagemaker_session=session)
    for key, location in written.items():
        config.save_dataset(key, location)
    config.save_dataset("scenario", chosen.name)
    return written


def current_scenario(config: Config, session=None) -> str:
    """The scenario whose datasets config.ini names. On a clean state (none yet), the default
    scenario is generated once, and a line says so."""
    name = config.items("DATASETS").get("scenario")
    if name:
        return name
    main("default", config=config, session=session)
    print("No scenario generated yet: generated the default one "
          "(generate_altered.main(<scenario>) picks another).")
    return "default"


def open_config(path: str | os.PathLike = "config.ini") -> Config:
    """config.ini of the example folder: a clear error when run from elsewhere (where there is
    neither a config.ini nor the example's files)."""
    path = Path(path)
    folder = path.resolve().parent
    if not path.exists() and not (folder / "prep.py").exists():
        raise ConfigError(f"{path.resolve()} not found and {folder} is not the example's folder: "
                          f"start from the folder that holds prep.py and the notebooks")
    return Config(path)


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", nargs="?", default="default", help="scenario name")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = _parse_args(sys.argv[1:])
    if args.list:
        for known in SCENARIOS.values():
            expected = "; ".join(f"{c}: {', '.join(n)}" for c, n in known.expected.items())
            print(f"{known.name} (noise {known.noise:.0%}; expected: {expected or 'none'}): "
                  f"{known.description}")
        sys.exit(0)
    for config_key, uri in main(args.scenario, seed=args.seed).items():
        print(f"{config_key}: {uri}")
