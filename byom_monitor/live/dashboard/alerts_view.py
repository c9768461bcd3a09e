"""Page 4a: alert rules and their delivery attempts (newest first, a page at a time)."""
from __future__ import annotations

from byom_monitor.live.dashboard.context import Context
from byom_monitor.live.dashboard.layout import Page, esc, hint, href, link, table

PAGE_SIZE = 50


def _condition(rule: dict) -> str:
    parts = []
    if rule.get("metric") is not None:
        parts.append(f"{rule['metric']} {rule.get('comparison', '')} {rule.get('threshold')}")
    if rule.get("on_violations"):
        parts.append("any violation or failure")
    scope = [f"{k} {rule[k]}" for k in ("schedule", "check") if rule.get(k)]
    return " or ".join(parts) + (f" (only {', '.join(scope)})" if scope else "")


def alerts_page(context: Context, page: int) -> Page:
    reader = context.reader
    rules = reader.alert_rules()
    if rules:
        body = "<h2>Rules</h2>" + table(
            ["rule", "fires on", "action", "target", "retries"],
            [[esc(r.get("name")), esc(_condition(r)), esc(r.get("action")), esc(r.get("target")),
              esc(r.get("retries"))] for r in rules], numeric={4})
    else:
        body = hint("No alert rules. Create one with <code>byom-monitor alert create NAME "
                    "--metric feature_baseline_drift_duration --threshold 0.1 --action webhook "
                    "--target URL</code>.")
    waiting = reader.open_alerts()
    if waiting:
        body += "<h2>Waiting for delivery</h2>" + table(
            ["queued at", "rule", "execution", "state"],
            [[esc(a["queued_at"]), esc(a["rule"]),
              link(f"{a['schedule']} {a['scheduled_time']}",
                   href("schedules", a["schedule"], "executions", a["scheduled_time"])),
              esc(a["state"])] for a in waiting])
    total = reader.delivery_count()
    page = max(page, 0)
    rows = reader.deliveries(page * PAGE_SIZE, PAGE_SIZE)
    body += f"<h2>Deliveries ({total} attempts)</h2>"
    body += table(["delivered at", "rule", "execution", "attempt", "result", "detail", "reason"], [[
        esc(d["delivered_at"]), esc(d["rule"]),
        link(f"{d['schedule']} {d['scheduled_time']}",
             href("schedules", d["schedule"], "executions", d["scheduled_time"])),
        esc(d["attempt"]), "<span class='badge Completed'>delivered</span>" if d["ok"]
        else "<span class='badge Failed'>failed</span>", esc(d["detail"]),
        esc(d["document"].get("reason", ""))] for d in rows], numeric={3})
    pager = []
    if page > 0:
        pager.append(link("newer", href("alerts", page=page - 1)))
    if (page + 1) * PAGE_SIZE < total:
        pager.append(link("older", href("alerts", page=page + 1)))
    return Page("Alerts", body + f"<p>{' | '.join(pager)}</p>")
