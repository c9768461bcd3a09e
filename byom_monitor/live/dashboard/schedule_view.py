"""Page 2: one schedule's executions over time (status, violations, duration; a page at a time)
and a chart of each metric it tracks across executions, with the threshold drawn.

Data and model quality metrics are in the executions' rows and are aggregated inside SQLite
over the chosen range. Bias metrics and the attribution nDCG are only in each execution's
analysis.json, so their charts cover the last :data:`CLARIFY_EXECUTIONS` executions, read from
those files (kept parsed in the document cache).
"""
from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache

from byom_monitor.clarify.checks import NDCG_THRESHOLD
from byom_monitor.live.dashboard import documents as docs
from byom_monitor.live.dashboard.context import PER_EXECUTION_LIMIT, RANGES, Context, since
from byom_monitor.live.dashboard.layout import (
    Page,
    badge,
    esc,
    hint,
    href,
    link,
    notice,
    table,
)
from byom_monitor.live.dashboard.store import ExecutionRow
from byom_monitor.live.dashboard.svg import line_chart

PAGE_SIZE = 50
CLARIFY_EXECUTIONS = 48
DEFAULT_RANGE = "30d"


@lru_cache(maxsize=20000)
def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text if len(text) > 10 else text + "T12:00:00")
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _points(series: list[tuple[str, float, float]], violated_above: bool
            ) -> list[tuple[datetime, float]]:
    """One point per moment: the value, or the day's worst value (nearest the violation)."""
    return [(_moment(when), high if violated_above else low) for when, low, high in series]


def schedule_page(context: Context, name: str, range_name: str | None,
                  before: str | None) -> Page | None:
    schedule = context.reader.schedule(name)
    if schedule is None:
        return None
    range_name = range_name if range_name in RANGES else DEFAULT_RANGE
    latest = context.reader.latest(name)
    facts = table(["check", "cron", "endpoint", "status", "created", "executions"], [[
        esc(schedule.get("check")), esc(schedule.get("cron")), esc(schedule.get("endpoint")),
        esc(schedule.get("status")), esc(schedule.get("created")),
        esc(context.reader.count(name))]], numeric={5})
    if latest is None:
        return Page(f"Schedule {name}", facts + hint("No execution yet: the scheduler "
                    "(<code>byom-monitor schedule run</code>) runs it at its next window."))
    charts = _charts(context, schedule, latest, range_name)
    return Page(f"Schedule {name}", facts + charts + _executions(context, name, before))


def _ranges(name: str, current: str) -> str:
    links = [f"<strong>{esc(r)}</strong>" if r == current else link(r, href("schedules", name,
                                                                              range=r))
             for r in RANGES]
    return f"<p class='ranges'>Charts over the last {''.join(links)}</p>"


def _charts(context: Context, schedule: dict, latest: ExecutionRow, range_name: str) -> str:
    check, name = schedule.get("check"), schedule["name"]
    daily = RANGES[range_name] > PER_EXECUTION_LIMIT
    start = since(latest.scheduled_time, range_name)
    html = ["<h2>Metrics across executions</h2>", _ranges(name, range_name)]
    if daily:
        html.append("<p>One point per day: the day's value nearest its threshold.</p>")
    if check == "data-quality":
        constraints = context.baseline("data-quality-constraints")
        threshold = docs.drift_threshold(constraints.document) if constraints.document else None
        if constraints.problem:
            html.append(notice(f"No threshold drawn: {constraints.problem}"))
        prefix = "feature_baseline_drift_"
        series = context.metric_series(name, start, range_name, ("violations",), (prefix,))
        drift = sorted((k for k in series if k.startswith(prefix)),
                       key=lambda k: -max(high for _, _, high in series[k]))
        charts = [line_chart(f"{k.removeprefix(prefix)} drift distance",
                             _points(series[k], True), threshold=threshold) for k in drift]
    elif check == "model-quality":
        constraints = context.baseline("model-quality-constraints")
        rules = docs.metric_rules(constraints.document) if constraints.document else {}
        if constraints.problem:
            html.append(notice(f"No thresholds drawn: {constraints.problem}"))
        names = tuple(rules) or ("accuracy", "precision", "recall", "f1", "auc")
        series = context.metric_series(name, start, range_name, names + ("violations",))
        charts = []
        for metric in names:
            rule = rules.get(metric, {})
            above = not docs.violated_below(rule) if rule else True
            charts.append(line_chart(metric, _points(series.get(metric, []), above),
                                     threshold=rule.get("threshold"), violated_above=above))
    else:
        series = context.metric_series(name, start, range_name, ("violations",))
        notes, charts = _clarify_charts(context, name, check)
        html.append(notes)
    charts.append(line_chart("violations", _points(series.get("violations", []), True)))
    html.append(f"<div class='grid'>{''.join(charts)}</div>")
    return "".join(html)


def _clarify_charts(context: Context, name: str, check: str) -> tuple[str, list[str]]:
    """Notes, and charts of the bias metrics or the nDCG of the latest executions, from their
    analysis.json."""
    key = f"{check}-analysis"
    baseline = context.baseline(key)
    if baseline.problem:
        return notice(f"No {check} metrics: {baseline.problem}"), []
    recent = [e for e in context.reader.executions(name, limit=CLARIFY_EXECUTIONS)
              if "analysis.json" in e.outputs][::-1]
    values: dict[str, list[tuple[datetime, float]]] = {}
    unreadable = 0
    for execution in recent:
        loaded = context.cache.load(execution.outputs["analysis.json"], "analysis.json")
        if loaded.document is None:
            unreadable += 1
            continue
        when = _moment(execution.scheduled_time)
        if check == "model-bias":
            for (_stage, facet, value, metric), number_ in docs.bias_values(loaded.document).items():
                values.setdefault(f"{metric} ({facet} = {value})", []).append((when, number_))
        else:
            for label, score in docs.ndcg_scores(loaded.document, baseline.document).items():
                values.setdefault(f"nDCG {label}", []).append((when, score))
    notes = [(f"The last {len(recent)} executions, read from their analysis.json (the store "
              f"records only their violation counts).")]
    if unreadable:
        notes.append(f"{unreadable} of them have a missing or unreadable analysis.json.")
    charts = []
    if check == "model-bias":
        notes.append("Each chart: how far the metric is from no bias (|value|, |DI - 1| for "
                     "DI); the dashed line is the baseline's distance, a drift violation above.")
        reference = {f"{metric} ({facet} = {value})": number_ for (_, facet, value, metric), number_
                     in docs.bias_values(baseline.document).items()}
        for title, points in sorted(values.items()):
            ideal = 1.0 if title.startswith("DI ") else 0.0
            base = reference.get(title)
            charts.append(line_chart(title, [(t, abs(v - ideal)) for t, v in points],
                                     threshold=None if base is None else abs(base - ideal)))
    else:
        charts += [line_chart(title, points, threshold=NDCG_THRESHOLD, violated_above=False)
                   for title, points in sorted(values.items())]
    return hint(" ".join(esc(n) for n in notes)), charts


def _executions(context: Context, name: str, before: str | None) -> str:
    rows = context.reader.executions(name, before, PAGE_SIZE)
    table_rows = [[link(e.scheduled_time, href("schedules", name, "executions", e.scheduled_time)),
                   badge(e.status), esc(e.violations if e.violations is not None else "-"),
                   esc(f"{e.seconds:.1f} s" if e.seconds is not None else "-"),
                   esc(e.exit_message)] for e in rows]
    pager = [link("newest", href("schedules", name))] if before else []
    if len(rows) == PAGE_SIZE:
        pager.append(link("older", href("schedules", name, before=rows[-1].scheduled_time)))
    if rows and all(e.seconds is None for e in rows):
        pager.append("the store records no durations of these executions")
    return ("<h2>Executions</h2>" + table(["scheduled time", "status", "violations", "duration",
                                           "exit message"], table_rows, numeric={2, 3})
            + f"<p>{' | '.join(pager)}</p>")

