"""Page 1: every monitored endpoint and schedule with its last execution; failed and violating
items first. On an empty store: how to create a schedule."""
from __future__ import annotations

from byom_monitor.live.dashboard.context import Context
from byom_monitor.live.dashboard.layout import Page, badge, esc, href, link, table
from byom_monitor.live.dashboard.store import ExecutionRow

#: sort order of a last execution's status: failed, violating, running, fine, none
_RANK = {"Failed": 0, "CompletedWithViolations": 1, "Stopped": 2, "InProgress": 3,
         "Pending": 3, "Completed": 4}

GETTING_STARTED = """
<p>There are no monitoring schedules in this store yet. With a model server capturing its
traffic, create one and run the scheduler:</p>
<pre>byom-monitor serve --capture results/capture --database results/monitor.sqlite
byom-monitor schedule create dq-hourly --check data-quality --capture results/capture
byom-monitor schedule create mq-hourly --check model-quality --capture results/capture \\
    --ground-truth results/ground-truth --start-offset -PT1H
byom-monitor schedule run --forever</pre>
<p>The checks need their baselines first (<code>byom-monitor baseline --check data-quality</code>,
or notebook 01). <code>make demo</code> builds a complete example store in
<code>results/demo/</code>: <code>byom-monitor --config results/demo/config.ini dashboard</code>
shows it.</p>"""


def _rank(row: ExecutionRow | None) -> int:
    return 5 if row is None else _RANK.get(row.status, 3)


def overview(context: Context) -> Page:
    reader = context.reader
    schedules = reader.schedules()
    if not schedules:
        return Page("No monitoring schedules yet", GETTING_STARTED)
    latest = {s["name"]: reader.latest(s["name"]) for s in schedules}
    ordered = sorted(schedules, key=lambda s: (_rank(latest[s["name"]]), s["name"]))
    rows = []
    for schedule in ordered:
        last = latest[schedule["name"]]
        rows.append([
            link(schedule["name"], href("schedules", schedule["name"])),
            esc(schedule.get("check")), link(schedule.get("endpoint"),
                                             href("endpoints", schedule.get("endpoint", ""))),
            esc(schedule.get("status")),
            link(last.scheduled_time, href("schedules", schedule["name"], "executions",
                                           last.scheduled_time)) if last else "-",
            badge(last.status if last else None),
            esc(last.violations) if last and last.violations is not None else "-",
            esc(last.failure_reason or "") if last else ""])
    endpoint_rows = []
    for endpoint in reader.endpoints():
        mine = [s for s in ordered if s.get("endpoint") == endpoint]
        worst = min((latest[s["name"]] for s in mine), key=_rank, default=None)
        endpoint_rows.append([link(endpoint, href("endpoints", endpoint)),
                              esc(", ".join(s["name"] for s in mine) or "no schedule"),
                              badge(worst.status if worst else None),
                              esc(reader.last_minute(endpoint) or "-")])
    body = ("<h2>Endpoints</h2>" + table(["endpoint", "schedules", "worst last status",
                                           "last traffic minute"], endpoint_rows)
            + "<h2>Schedules</h2>"
            + table(["schedule", "check", "endpoint", "schedule status", "last execution",
                     "status", "violations", "failure reason"], rows, numeric={6}))
    return Page("Monitoring overview", body)
