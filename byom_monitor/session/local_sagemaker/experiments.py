"""SageMaker Experiments as ``sagemaker.experiments.Run`` uses them: experiments, trials,
trial components with parameters, artifacts and tags, their associations, ``Search`` over
trial components, and the metrics ``BatchPutMetrics`` logs (summarised as DescribeTrialComponent
reports them).
"""
from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from byom_monitor.session.local_sagemaker.store import ResourceStore
from byom_monitor.session.local_sagemaker.transport import (
    PAGING,
    ServiceError,
    only_emulated,
    page,
)

_ENTITIES = {"Experiment": "experiment", "Trial": "experiment-trial",
             "TrialComponent": "experiment-trial-component"}
_MERGED = ("Parameters", "InputArtifacts", "OutputArtifacts")


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Experiments:
    def __init__(self, store: ResourceStore, arn: Callable[[str, str], str]) -> None:
        self.store, self.arn = store, arn

    # -- the three entities -------------------------------------------------------------------
    def _create(self, kind: str, params: dict) -> dict:
        name = params[f"{kind}Name"]
        arn = self.arn(_ENTITIES[kind], name)
        now = _now()
        document = {**params, f"{kind}Arn": arn, "DisplayName": params.get("DisplayName", name),
                    "CreationTime": now, "LastModifiedTime": now}
        self.store.add(kind, name, document, conflict="ValidationException")
        return {f"{kind}Arn": arn}

    def _describe(self, kind: str, params: dict) -> dict:
        name = params[f"{kind}Name"]
        document = self.store.find(kind, name)
        if document is None:
            raise ServiceError("ResourceNotFound", f"{kind} '{name}' does not exist.")
        return document

    def _update(self, kind: str, params: dict) -> dict:
        document = self._describe(kind, params)
        changes: dict[str, Any] = {"LastModifiedTime": _now()}
        for key, value in params.items():
            if key in _MERGED:
                changes[key] = {**document.get(key, {}), **value}
            elif key.endswith("ToRemove"):
                merged = key.removesuffix("ToRemove")
                kept = changes.get(merged, document.get(merged, {}))
                changes[merged] = {k: v for k, v in kept.items() if k not in value}
            elif key != f"{kind}Name":
                changes[key] = value
        self.store.update(kind, params[f"{kind}Name"], changes)
        return {f"{kind}Arn": document[f"{kind}Arn"]}

    def _delete(self, kind: str, params: dict) -> dict:
        document = self._describe(kind, params)
        self.store.delete(kind, params[f"{kind}Name"])
        return {f"{kind}Arn": document[f"{kind}Arn"]}

    def describe_trial_component(self, params: dict) -> dict:
        document = self._describe("TrialComponent", params)
        return {**document, "Metrics": self._metric_summaries(document)}

    # -- associations ---------------------------------------------------------------------------
    def associate_trial_component(self, params: dict) -> dict:
        component = self._describe("TrialComponent", params)
        trial = self._describe("Trial", params)
        parent = {"TrialName": trial["TrialName"], "ExperimentName": trial["ExperimentName"]}
        parents = [p for p in component.get("Parents", []) if p != parent] + [parent]
        self.store.update("TrialComponent", component["TrialComponentName"],
                          {"Parents": parents})
        return {"TrialComponentArn": component["TrialComponentArn"],
                "TrialArn": trial["TrialArn"]}

    def disassociate_trial_component(self, params: dict) -> dict:
        component = self._describe("TrialComponent", params)
        trial = self._describe("Trial", params)
        parents = [p for p in component.get("Parents", [])
                   if p["TrialName"] != trial["TrialName"]]
        self.store.update("TrialComponent", component["TrialComponentName"],
                          {"Parents": parents})
        return {"TrialComponentArn": component["TrialComponentArn"],
                "TrialArn": trial["TrialArn"]}

    # -- listing and search ------------------------------------------------------------------
    def list_experiments(self, params: dict) -> dict:
        only_emulated(params, "ListExperiments", *PAGING)
        return page(params, "ExperimentSummaries",
                    [self._summary("Experiment", e) for e in self.store.all("Experiment")],
                    _sorting("Experiment"))

    def list_trials(self, params: dict) -> dict:
        only_emulated(params, "ListTrials", "ExperimentName", "TrialComponentName", *PAGING)
        trials = [t for t in self.store.all("Trial")
                  if params.get("ExperimentName", t["ExperimentName"]) == t["ExperimentName"]]
        if "TrialComponentName" in params:
            parents = self._describe("TrialComponent", params).get("Parents", [])
            names = {p["TrialName"] for p in parents}
            trials = [t for t in trials if t["TrialName"] in names]
        return page(params, "TrialSummaries", [self._summary("Trial", t) for t in trials],
                    _sorting("Trial"))

    def list_trial_components(self, params: dict) -> dict:
        only_emulated(params, "ListTrialComponents", "ExperimentName", "TrialName", *PAGING)
        components = [self._summary("TrialComponent", c)
                      for c in self.store.all("TrialComponent")
                      if _has_parent(c, "ExperimentName", params.get("ExperimentName"))
                      and _has_parent(c, "TrialName", params.get("TrialName"))]
        return page(params, "TrialComponentSummaries", components,
                    _sorting("TrialComponent"))

    def search(self, params: dict) -> dict:
        if params.get("Resource") != "ExperimentTrialComponent":
            raise ServiceError("ValidationException", f"Search over {params.get('Resource')} "
                                                      f"is not emulated locally")
        expression = params.get("SearchExpression", {})
        unsupported = set(expression) - {"Filters", "Operator"}
        if unsupported or expression.get("Operator", "And") != "And":
            raise ServiceError("ValidationException", f"Search with {sorted(expression)} (other "
                                                      f"than And over Filters) is not "
                                                      f"emulated locally")
        results = [c for c in self.store.all("TrialComponent")
                   if all(_matches(c, f) for f in expression.get("Filters", []))]
        size = int(params.get("MaxResults") or 100)
        return {"Results": [{"TrialComponent": {**c, "Metrics": self._metric_summaries(c)}}
                            for c in results[:size]]}

    @staticmethod
    def _summary(kind: str, document: dict) -> dict:
        keys = (f"{kind}Name", f"{kind}Arn", "DisplayName", "CreationTime", "LastModifiedTime",
                "Status", "StartTime", "EndTime", "ExperimentName")
        return {k: document[k] for k in keys if k in document}

    # -- metrics (sagemaker-metrics) ----------------------------------------------------------
    def batch_put_metrics(self, params: dict) -> dict:
        name = params["TrialComponentName"]
        self._describe("TrialComponent", params)
        data = self.store.find("TrialComponentMetrics", name)
        if data is None:
            self.store.add("TrialComponentMetrics", name, {})
            data = {}
        for point in params.get("MetricData", []):
            data.setdefault(point["MetricName"], []).append(
                [point["Timestamp"], point.get("Step"), float(point["Value"])])
        self.store.update("TrialComponentMetrics", name, data)
        return {"Errors": []}

    def _metric_summaries(self, component: dict) -> list[dict]:
        data = self.store.find("TrialComponentMetrics", component["TrialComponentName"]) or {}
        summaries = []
        for metric, points in sorted(data.items()):
            values = [p[2] for p in points]
            summaries.append({"MetricName": metric, "SourceArn": component["TrialComponentArn"],
                              "TimeStamp": max(_timestamp(p[0]) for p in points),
                              "Max": max(values), "Min": min(values), "Last": values[-1],
                              "Count": len(values), "Avg": statistics.fmean(values),
                              "StdDev": statistics.pstdev(values)})
        return summaries

    def operations(self) -> dict[tuple[str, str], Callable[[dict], dict]]:
        verbs = {"Create": self._create, "Describe": self._describe, "Update": self._update,
                 "Delete": self._delete}
        table: dict[tuple[str, str], Callable[[dict], dict]] = {
            ("sagemaker", f"{verb}{kind}"): lambda params, m=method, k=kind: m(k, params)
            for kind in _ENTITIES for verb, method in verbs.items()}
        table.update({
            ("sagemaker", "DescribeTrialComponent"): self.describe_trial_component,
            ("sagemaker", "AssociateTrialComponent"): self.associate_trial_component,
            ("sagemaker", "DisassociateTrialComponent"): self.disassociate_trial_component,
            ("sagemaker", "ListExperiments"): self.list_experiments,
            ("sagemaker", "ListTrials"): self.list_trials,
            ("sagemaker", "ListTrialComponents"): self.list_trial_components,
            ("sagemaker", "Search"): self.search,
            ("sagemaker-metrics", "BatchPutMetrics"): self.batch_put_metrics,
        })
        return table


def _sorting(kind: str) -> dict[str, str]:
    return {"CreationTime": "CreationTime", "Name": f"{kind}Name"}


def _timestamp(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromtimestamp(float(value), timezone.utc)


def _has_parent(component: dict, key: str, value: str | None) -> bool:
    return value is None or any(p.get(key) == value for p in component.get("Parents", []))


def _matches(component: dict, search_filter: dict) -> bool:
    name, operator = search_filter["Name"], search_filter.get("Operator", "Equals")
    value = search_filter.get("Value")
    if operator not in ("Equals", "Contains"):
        raise ServiceError("ValidationException", f"Search operator {operator} is not "
                                                  f"emulated locally")
    if name.startswith("Parents."):
        found = [p.get(name.removeprefix("Parents.")) for p in component.get("Parents", [])]
    elif name in ("TrialComponentName", "DisplayName", "TrialComponentArn"):
        found = [component.get(name)]
    else:
        raise ServiceError("ValidationException", f"Search filter on {name} is not emulated "
                                                  f"locally")
    return any(f is not None and (f == value if operator == "Equals" else value in f)
               for f in found)
