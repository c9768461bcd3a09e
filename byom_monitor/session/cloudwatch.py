"""Execution metrics of this project's schedules in CloudWatch, under a namespace of our own.

The service's namespaces (``aws/sagemaker/Endpoints/*``, spec G.2) hold what SageMaker itself
publishes for its endpoints, with its own metric names and dimensions. Our schedules watch a
model served outside SageMaker and add metrics the service never publishes (``violations``,
``invocations``, ``errors_4xx``), so they go to ``byom-monitor/<check>`` (e.g.
``byom-monitor/data-quality``) with the dimensions ``Endpoint`` and ``MonitoringSchedule``, and
alarms on them cannot be mistaken for the service's.

Only finite numbers are sent (PutMetricData refuses NaN and infinities, spec G.3 skips them too),
and :func:`publish_safely` turns a failed PutMetricData into a logged warning so one schedule's
CloudWatch trouble never stops the scheduler's other work.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

NAMESPACE_ROOT = "byom-monitor"
#: PutMetricData's classic limit of datums per call (newer accounts allow more).
BATCH = 20

logger = logging.getLogger(__name__)


def namespace(check: str) -> str:
    """Our namespace for one check type, e.g. ``byom-monitor/model-quality``."""
    return f"{NAMESPACE_ROOT}/{check}"


def schedule_dimensions(endpoint: str, schedule: str) -> dict[str, str]:
    return {"Endpoint": endpoint, "MonitoringSchedule": schedule}


def metric_data(metrics: dict[str, Any], dimensions: dict[str, str],
                when: datetime) -> list[dict[str, Any]]:
    """PutMetricData datums for the finite numeric values (NaN, ±inf and non-numbers left out)."""
    data = []
    for name, value in metrics.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            data.append({"MetricName": name, "Timestamp": when, "Value": number,
                         "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()]})
    return data


def put_metrics(cloudwatch_client: Any, namespace_name: str, dimensions: dict[str, str],
                metrics: dict[str, Any], when: datetime) -> int:
    """Send the finite metrics in calls of at most :data:`BATCH`; the number sent."""
    data = metric_data(metrics, dimensions, when)
    for start in range(0, len(data), BATCH):
        cloudwatch_client.put_metric_data(Namespace=namespace_name,
                                          MetricData=data[start:start + BATCH])
    return len(data)


def publish_safely(publish: Callable[..., Any], check: str, endpoint: str, schedule: str,
                   metrics: dict[str, Any], when: datetime) -> str | None:
    """``publish(namespace, dimensions, metrics, when)``; on any error a warning is logged and
    its one-line message returned instead of raised (None when it worked)."""
    try:
        publish(namespace(check), schedule_dimensions(endpoint, schedule), metrics, when)
    except Exception as exc:  # noqa: BLE001 - a metrics outage must not stop the scheduler
        message = f"metrics of schedule {schedule} at {when.isoformat()} not published: {exc}"
        logger.warning(message)
        return message
    return None
