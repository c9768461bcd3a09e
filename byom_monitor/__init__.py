"""byom-monitor: SageMaker Model Monitor and Clarify compatible monitoring for any model.

One verb pair per analysis, with the same argument names::

    baseline_<analysis>(data, output_path, ...) -> a baseline
    check_<analysis>(data, baseline, output_path, ...) -> a result

for data quality, model quality, bias and explainability. ``data`` is a DataFrame or a dataset
file, folder or S3 URI; every result offers ``status``, ``violations``, ``to_df()`` and
``plot(ax=None)``. Errors derive from :class:`MonitorError`: :class:`InputError` for input to fix,
:class:`JobFailed` for a job that ran and failed.
"""

from byom_monitor.analyzer.api import (
    Baseline,
    CheckResult,
    Result,
    baseline_data_quality,
    baseline_model_quality,
    check_data_quality,
    check_model_quality,
)
from byom_monitor.analyzer.outcome import Outcome
from byom_monitor.clarify.api import (
    BiasResult,
    ClarifyResult,
    ExplainabilityResult,
    baseline_bias,
    baseline_explainability,
    check_bias,
    check_explainability,
)
from byom_monitor.clarify.models import as_predictor
from byom_monitor.errors import InputError, JobFailed, MonitorError

__version__ = "0.1.0"

__all__ = [
    "Baseline", "BiasResult", "CheckResult", "ClarifyResult", "ExplainabilityResult",
    "InputError", "JobFailed", "MonitorError", "Outcome", "Result", "as_predictor",
    "baseline_bias", "baseline_data_quality", "baseline_explainability", "baseline_model_quality",
    "check_bias", "check_data_quality", "check_explainability", "check_model_quality",
]
