"""Page 4b: an endpoint's operational metrics (invocations, model latency, 4xx, 5xx), per
minute over the last day or aggregated per hour / day over longer ranges, back from its last
recorded minute."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from byom_monitor.live.dashboard.context import Context
from byom_monitor.live.dashboard.layout import Page, esc, hint, href, link, table
from byom_monitor.live.dashboard.svg import line_chart

#: range -> (length, characters of the minute text that make a bucket, bucket name)
RANGES = {"1d": (timedelta(days=1), 16, "minute"), "7d": (timedelta(days=7), 13, "hour"),
          "30d": (timedelta(days=30), 13, "hour"), "365d": (timedelta(days=365), 10, "day")}
DEFAULT_RANGE = "1d"
_PADDING = {16: "", 13: ":00", 10: "T00:00"}


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text + _PADDING[len(text)]).replace(tzinfo=timezone.utc)


def endpoint_page(context: Context, name: str, range_name: str | None) -> Page | None:
    if name not in context.reader.endpoints():
        return None
    last = context.reader.last_minute(name)
    if last is None:
        return Page(f"Endpoint {name}", hint(
            "No operational metrics recorded for this endpoint. The model server records them "
            "with <code>byom-monitor serve --database results/monitor.sqlite</code>."))
    range_name = range_name if range_name in RANGES else DEFAULT_RANGE
    length, bucket, unit = RANGES[range_name]
    start = (datetime.fromisoformat(last) - length).strftime("%Y-%m-%dT%H:%M")
    rows = context.reader.endpoint_traffic(name, start, bucket)
    moments = [_moment(r["moment"]) for r in rows]

    def series(column: str) -> list[tuple[datetime, float]]:
        return [(m, float(r[column])) for m, r in zip(moments, rows)]

    charts = [line_chart(f"invocations per {unit}", series("invocations")),
              line_chart("model latency, mean (ms)", series("latency_mean")),
              line_chart("model latency, max (ms)", series("latency_max")),
              line_chart(f"4xx errors per {unit}", series("errors_4xx")),
              line_chart(f"5xx errors per {unit}", series("errors_5xx"))]
    links = [f"<strong>{esc(r)}</strong>" if r == range_name
             else link(r, href("endpoints", name, range=r)) for r in RANGES]
    totals = [[esc(sum(r["invocations"] for r in rows)), esc(sum(r["errors_4xx"] for r in rows)),
               esc(sum(r["errors_5xx"] for r in rows)), esc(last)]]
    body = (f"<p class='ranges'>Last {''.join(links)} (per {unit})</p>"
            + table(["invocations", "4xx", "5xx", "last recorded minute"], totals,
                    numeric={0, 1, 2})
            + f"<div class='grid'>{''.join(charts)}</div>")
    return Page(f"Endpoint {name}", body)
