"""The South German Credit dataset: schema, loader for the real file, synthetic stand-in.

The real data (UCI, Groemping 2019, CC BY 4.0) is a space-separated file with a German header
row and 1000 rows of 21 integer columns. When it is not available, :func:`generate_synthetic`
draws a dataset with the same schema, codebook value ranges, realistic marginal frequencies and a
label that depends on the features roughly as in the real data.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: German column names of the raw file, in order, mapped to the English names used everywhere.
GERMAN_TO_ENGLISH: dict[str, str] = {
    "laufkont": "status",
    "laufzeit": "duration",
    "moral": "credit_history",
    "verw": "purpose",
    "hoehe": "amount",
    "sparkont": "savings",
    "beszeit": "employment_duration",
    "rate": "installment_rate",
    "famges": "personal_status_sex",
    "buerge": "other_debtors",
    "wohnzeit": "present_residence",
    "verm": "property",
    "alter": "age",
    "weitkred": "other_installment_plans",
    "wohn": "housing",
    "bishkred": "number_credits",
    "beruf": "job",
    "pers": "people_liable",
    "telef": "telephone",
    "gastarb": "foreign_worker",
    "kredit": "credit_risk",
}
COLUMNS: list[str] = list(GERMAN_TO_ENGLISH.values())
LABEL = "credit_risk"
FEATURES: list[str] = [c for c in COLUMNS if c != LABEL]
#: One-hot encoded by the model's preprocessor, as in the original example.
CATEGORICAL: list[str] = [
    "credit_history", "purpose", "personal_status_sex", "other_debtors", "property",
    "other_installment_plans", "housing", "job", "telephone", "foreign_worker",
]
NUMERIC: list[str] = [c for c in FEATURES if c not in CATEGORICAL]

#: Codebook codes and their approximate shares in the real data, for every coded column.
#: (duration, amount and age are numeric and drawn separately.)
CODE_SHARES: dict[str, dict[int, float]] = {
    "status": {1: 0.274, 2: 0.269, 3: 0.063, 4: 0.394},
    "credit_history": {0: 0.040, 1: 0.049, 2: 0.530, 3: 0.088, 4: 0.293},
    "purpose": {0: 0.234, 1: 0.103, 2: 0.181, 3: 0.280, 4: 0.012, 5: 0.022, 6: 0.050,
                7: 0.0, 8: 0.009, 9: 0.097, 10: 0.012},
    "savings": {1: 0.603, 2: 0.103, 3: 0.063, 4: 0.048, 5: 0.183},
    "employment_duration": {1: 0.062, 2: 0.172, 3: 0.339, 4: 0.174, 5: 0.253},
    "installment_rate": {1: 0.136, 2: 0.231, 3: 0.157, 4: 0.476},
    "personal_status_sex": {1: 0.050, 2: 0.310, 3: 0.548, 4: 0.092},
    "other_debtors": {1: 0.907, 2: 0.041, 3: 0.052},
    "present_residence": {1: 0.130, 2: 0.308, 3: 0.149, 4: 0.413},
    "property": {1: 0.282, 2: 0.232, 3: 0.332, 4: 0.154},
    "other_installment_plans": {1: 0.139, 2: 0.047, 3: 0.814},
    "housing": {1: 0.179, 2: 0.714, 3: 0.107},
    "number_credits": {1: 0.633, 2: 0.333, 3: 0.028, 4: 0.006},
    "job": {1: 0.022, 2: 0.200, 3: 0.630, 4: 0.148},
    "people_liable": {1: 0.155, 2: 0.845},
    "telephone": {1: 0.596, 2: 0.404},
    "foreign_worker": {1: 0.037, 2: 0.963},
}
#: Codebook ranges of the numeric columns (months, DM, years).
NUMERIC_RANGES: dict[str, tuple[int, int]] = {
    "duration": (4, 72), "amount": (250, 18424), "age": (19, 75),
}

#: Share of good credit (credit_risk = 1) by code in the real data, for the columns that drive
#: the synthetic label. Turned into log-odds effects by :func:`_label_logits`.
_GOOD_RATE_BY_CODE: dict[str, dict[int, float]] = {
    "status": {1: 0.51, 2: 0.61, 3: 0.78, 4: 0.88},
    "credit_history": {0: 0.38, 1: 0.43, 2: 0.68, 3: 0.68, 4: 0.83},
    "savings": {1: 0.64, 2: 0.67, 3: 0.83, 4: 0.88, 5: 0.83},
    "employment_duration": {1: 0.63, 2: 0.59, 3: 0.69, 4: 0.78, 5: 0.75},
    "other_installment_plans": {1: 0.59, 2: 0.60, 3: 0.72},
    "housing": {1: 0.61, 2: 0.74, 3: 0.59},
    "property": {1: 0.79, 2: 0.69, 3: 0.69, 4: 0.56},
    "foreign_worker": {1: 0.89, 2: 0.69},
}
_GOOD_RATE = 0.70


def load_south_german_credit(path: str | Path) -> pd.DataFrame:
    """Read the raw ``SouthGermanCredit.asc`` file and return it with English column names.

    Raises ``ValueError`` naming the file when the header or the values are not as expected.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, sep=r"\s+", engine="python")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a readable South German Credit file ({exc})") from exc
    header = list(raw.columns)
    if header == list(GERMAN_TO_ENGLISH):
        raw = raw.rename(columns=GERMAN_TO_ENGLISH)
    elif header != COLUMNS:
        raise ValueError(
            f"{path}: expected the header {' '.join(GERMAN_TO_ENGLISH)} (or the English names), "
            f"got {' '.join(map(str, header))}"
        )
    bad = [c for c in COLUMNS if not pd.api.types.is_integer_dtype(raw[c])]
    if bad:
        raise ValueError(f"{path}: columns {bad} must hold integers only (no missing values)")
    return raw[COLUMNS].astype("int64")


def generate_synthetic(n_rows: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Draw a dataset with the South German Credit schema.

    Coded columns follow the real marginal shares independently; ``amount`` grows with
    ``duration`` (log-linear, as in the real data, correlation about 0.6); the label is drawn
    from a logistic model whose effects come from the real good-credit rates by code and from
    duration, amount and age, with the intercept set so that about 70% of rows are good.
    """
    if n_rows < 1:
        raise ValueError(f"n_rows must be at least 1, got {n_rows}")
    rng = np.random.default_rng(seed)
    data: dict[str, np.ndarray] = {}
    for column, shares in CODE_SHARES.items():
        codes = np.array(list(shares), dtype=np.int64)
        p = np.array(list(shares.values()))
        data[column] = rng.choice(codes, size=n_rows, p=p / p.sum())
    data["duration"] = _draw_duration(rng, n_rows)
    data["amount"] = _draw_amount(rng, data["duration"])
    data["age"] = _draw_age(rng, n_rows)
    frame = pd.DataFrame({c: data[c] for c in FEATURES})
    logits = _label_logits(frame)
    intercept = _intercept_for_rate(logits, _GOOD_RATE)
    prob_good = 1.0 / (1.0 + np.exp(-(logits + intercept)))
    frame[LABEL] = (rng.random(n_rows) < prob_good).astype(np.int64)
    return frame[COLUMNS]


def _draw_duration(rng: np.random.Generator, n: int) -> np.ndarray:
    # Lognormal around 18 months; most loans run a whole number of half-years, as in the data.
    months = np.exp(rng.normal(np.log(18.0), 0.55, size=n))
    rounded = np.where(rng.random(n) < 0.7, np.round(months / 6) * 6, np.round(months))
    low, high = NUMERIC_RANGES["duration"]
    return np.clip(rounded, low, high).astype(np.int64)


def _draw_amount(rng: np.random.Generator, duration: np.ndarray) -> np.ndarray:
    log_amount = 5.45 + 0.8 * np.log(duration) + rng.normal(0.0, 0.6, size=duration.size)
    low, high = NUMERIC_RANGES["amount"]
    return np.clip(np.round(np.exp(log_amount)), low, high).astype(np.int64)


def _draw_age(rng: np.random.Generator, n: int) -> np.ndarray:
    low, high = NUMERIC_RANGES["age"]
    return np.clip(np.round(low + rng.gamma(2.0, 8.2, size=n)), low, high).astype(np.int64)


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def _label_logits(frame: pd.DataFrame) -> np.ndarray:
    """Log-odds of good credit without intercept.

    The per-code effects are damped (x0.8) because they are drawn independently here while in
    the real data they overlap.
    """
    logits = np.zeros(len(frame))
    for column, rates in _GOOD_RATE_BY_CODE.items():
        effect = {code: 0.8 * (_logit(rate) - _logit(_GOOD_RATE)) for code, rate in rates.items()}
        logits += frame[column].map(effect).to_numpy(dtype=float)
    logits -= 0.035 * (frame["duration"].to_numpy() - 21.0)
    logits -= 0.25 * (np.log(frame["amount"].to_numpy()) - np.log(2320.0))
    logits += 0.012 * (frame["age"].to_numpy() - 35.0)
    return logits


def _intercept_for_rate(logits: np.ndarray, rate: float) -> float:
    """Bisection for the intercept whose mean probability equals ``rate``."""
    low, high = -10.0, 10.0
    for _ in range(60):
        mid = (low + high) / 2.0
        if np.mean(1.0 / (1.0 + np.exp(-(logits + mid)))) < rate:
            low = mid
        else:
            high = mid
    return (low + high) / 2.0
