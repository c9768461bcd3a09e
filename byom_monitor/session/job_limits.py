"""Time limits per SageMaker job, and the sampled input that lets Kernel SHAP fit in one.

Every check's Processing job gets ``MaxRuntimeInSeconds = max_runtime(check)`` (notebooks
02-04, ``example.checks.run_check`` for notebook 05, ``jobs.clarify_job``). The explainability
check explains a seeded uniform sample of :data:`EXPLAINABILITY_ROWS` rows (``sample_rows``,
written next to the dataset); bias metrics still read every row.

Why, for the big scenario (``bias_drift``: 110,800 rows from the real data, 92,800 from the
synthetic; the original's was about 500,000) through Kernel SHAP with ``num_samples = 100``
against one ml.m5.large shadow endpoint. Figures from ``benchmarks/bench_big_scenario.py``.

Measured (the local session, 2 AMD EPYC cores shared with other work, load average 3.6-6):
the served model (``e2e-model``: the XGBoost archive and ``inference.py`` in script mode, CSV
in and out) takes 0.11-0.45 ms per prediction in requests of 100 rows (0.45 ms is used below),
0.01-0.09 ms in requests of 1,000. One explained row is 100 coalitions x 1 baseline row = 100
predictions: 45 ms.

Assumed, not measured on AWS: the ml.m5.large endpoint predicts as fast as this machine; one
request per explained row, 10 ms round trip; Clarify's explainer on the processing instance
costs what ``shap``'s KernelExplainer costs here, 87 ms per row (README: 1,000 rows x 100
coalitions in 87 s, its own model calls included, so partly counted twice); 600 s to start the
processing instance and the shadow endpoint, counted inside the limit.

Per explained row 45 + 10 + 87 = 142 ms, so
- the sample: 600 s + 2,000 x 0.142 s = 884 s, under 1800 s (the job's limit is 3600 s); it
  would still fit 1800 s at 0.6 s per row, 4x the estimate;
- every row: 600 s + 110,800 x 0.142 s = 16,300 s; the predictions alone (110,800 x 45 ms =
  5,000 s) are over 1800 s. The original's 500,000 rows: 71,600 s.
The bias job predicts every row once, in requests of 1,000 rows: 110,800 x 0.09 ms + 111 x 10
ms = 11 s after its 600 s start. Attribution drift compares global mean |SHAP| values: the
sample's are within 3.5% (of the largest attribution) of all 110,800 rows', in the same order
(nDCG 1.0; measured).
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
