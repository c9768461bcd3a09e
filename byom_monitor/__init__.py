"""byom-monitor: SageMaker Model Monitor and Clarify compatible monitoring for any model.

One verb pair per analysis, with the same argument names::

    baseline_<analysis>(data, output_path, ...) -> a baseline
    check_<analysis>(data, baseline, output_path, ...) -> a result

for data quality, model quality, bias and explainability. ``data`` is a DataFrame or a dataset
file, folder or S3 URI; every result offers ``status``, ``violations``, ``to_df()`` and
``plot(ax=None)``. Errors derive from :class:`MonitorError`: :class:`InputError` for input to fix,
:class:`JobFailed` for a job that ran and failed.

The names load on first use, so that importing a submodule (``python -m byom_monitor.analyzer``,
the ``byom-monitor`` command) does not load numpy before the entry point has chosen its CPU
kernels (:mod:`byom_monitor.io.numpy_kernels`).
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Each public name and the module it comes from.
_SOURCES = {
    **dict.fromkeys(["Baseline", "CheckResult", "Result", "baseline_data_quality",
                     "baseline_model_quality", "check_data_quality", "check_model_quality"],
                    "byom_monitor.analyzer.api"),
    "Outcome": "byom_monitor.analyzer.outcome",
    **dict.fromkeys(["BiasResult", "ClarifyResult", "ExplainabilityResult", "baseline_bias",
                     "baseline_explainability", "check_bias", "check_explainability"],
                    "byom_monitor.clarify.api"),
    "as_predictor": "byom_monitor.clarify.models",
    **dict.fromkeys(["InputError", "JobFailed", "MonitorError"], "byom_monitor.errors"),
}

__all__ = sorted(_SOURCES)


def __getattr__(name: str) -> Any:
    if name not in _SOURCES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_SOURCES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_SOURCES})

