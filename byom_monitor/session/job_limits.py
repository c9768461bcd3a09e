"""Time limits per SageMaker job (used by ``jobs.clarify_job``), and the sampled input that
lets Kernel SHAP fit in one.

The big scenario (bias drift, about 500k rows) does not fit 1800 s through Kernel SHAP: with
``num_samples = 100`` every explained row costs 100 model predictions on one ml.m5.large shadow
endpoint, and the endpoint itself takes minutes to start inside the same limit. The
explainability check therefore explains a seeded uniform sample of the rows
(:data:`EXPLAINABILITY_ROWS` = 2000 rows: 200k predictions); bias metrics still read every row.
Attribution drift compares global mean |SHAP| values, which a uniform sample of 2000 rows
estimates closely. Not measured on AWS: the figures above are the arithmetic, stated.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from byom_monitor.io import storage

#: MaxRuntimeInSeconds per job kind. 1800 s is what the service advises for hourly schedules
#: (spec C.3); Clarify jobs start a shadow endpoint first, so they get an hour.
MAX_RUNTIME_SECONDS = {"data-quality": 1800, "model-quality": 1800,
                       "model-bias": 3600, "model-explainability": 3600}
EXPLAINABILITY_ROWS = 2000


def max_runtime(check: str) -> int:
    """The MaxRuntimeInSeconds of a job of this check type."""
    try:
        return MAX_RUNTIME_SECONDS[check]
    except KeyError:
        raise ValueError(f"no time limit for check {check!r}; known: "
                         f"{', '.join(MAX_RUNTIME_SECONDS)}") from None


@dataclass(frozen=True)
class Sample:
    """A written sample: where it is, its rows, and the rows of the file it was drawn from."""

    location: str
    rows: int
    of_rows: int


def sample_rows(source: str, target: str, rows: int = EXPLAINABILITY_ROWS,
                seed: int = 0) -> Sample:
    """A seeded uniform sample (without replacement, in the source's order) of a CSV with a
    header row, written to ``target``; the whole file when it has no more rows than that."""
    with storage.open_binary(source) as stream:  # (an S3 body comes wrapped in closing())
        frame = pd.read_csv(stream)
    if frame.empty:
        raise ValueError(f"{source}: no rows to sample")
    chosen = frame if len(frame) <= rows else frame.sample(n=rows, random_state=seed).sort_index()
    storage.write_text(target, chosen.to_csv(index=False))
    return Sample(target, len(chosen), len(frame))
