"""Charts as plain inline SVG (no script, no external file): a metric over time with its
threshold, grouped horizontal bars, and two distributions overlaid.

Drawing a few hundred points this way takes well under a millisecond, where a matplotlib figure
takes tens of milliseconds; the dashboard's pages stay fast on a year of executions.
"""
from __future__ import annotations

import math
from datetime import datetime, timezone
from html import escape

BASELINE, OBSERVED, VIOLATED, THRESHOLD = "#7f8c8d", "#2e86c1", "#c0392b", "#c0392b"
_FONT = "font-family='sans-serif' font-size='10'"


def _number(value: float) -> str:
    if value == 0 or 0.01 <= abs(value) < 10000:
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return f"{value:.2e}"


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (f"<svg xmlns='http://www.w3.org/2000/svg' role='img' width='{width}' "
            f"height='{height}' viewBox='0 0 {width} {height}'><title>{escape(title)}</title>"
            + "".join(body) + "</svg>")


def _frame(box: tuple[float, float, float, float], y_high: str, y_low: str, x_low: str,
           x_high: str) -> list[str]:
    """The plot area ``(left, top, right, bottom)`` and the labels of its corners."""
    left, top, right, bottom = box
    end = f"{_FONT} text-anchor='end'"
    return [(f"<rect x='{left}' y='{top}' width='{right - left}' height='{bottom - top}' "
             f"fill='#fafafa' stroke='#ddd'/>"),
            f"<text x='{left - 3}' y='{top + 8}' {end}>{escape(y_high)}</text>",
            f"<text x='{left - 3}' y='{bottom}' {end}>{escape(y_low)}</text>",
            f"<text x='{left}' y='{bottom + 16}' {_FONT}>{escape(x_low)}</text>",
            f"<text x='{right}' y='{bottom + 16}' {end}>{escape(x_high)}</text>"]


def _date(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M")


def line_chart(title: str, points: list[tuple[datetime, float]], *,
               threshold: float | None = None, violated_above: bool = True,
               width: int = 340, height: int = 150) -> str:
    """Values over time (one line), the threshold dashed, points past it marked red."""
    finite = [(t.timestamp(), v) for t, v in points if v is not None and math.isfinite(v)]
    left, right, top, bottom = 44, 8, 18, 22
    body = [f"<text x='4' y='12' {_FONT} font-weight='bold'>{escape(title)}</text>"]
    if not finite:
        body.append(f"<text x='{left}' y='{height / 2}' {_FONT}>no values recorded</text>")
        return _svg(width, height, title, body)
    xs, ys = [p[0] for p in finite], [p[1] for p in finite]
    y_values = ys + ([threshold] if threshold is not None else [])
    low, high = min(y_values), max(y_values)
    if high == low:
        low, high = low - 0.5, high + 0.5
    x_low, x_high = min(xs), max(xs)
    span = (x_high - x_low) or 1.0

    def x(value: float) -> float:
        return left + (value - x_low) / span * (width - left - right)

    def y(value: float) -> float:
        return top + (high - value) / (high - low) * (height - top - bottom)

    body += _frame((left, top, width - right, height - bottom), _number(high), _number(low),
                   _date(x_low), _date(x_high))
    finite = _thinned(finite, x_low, span, width - left - right)
    line = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in finite)
    body.append(f"<polyline fill='none' stroke='{OBSERVED}' stroke-width='1.2' points='{line}'/>")
    if threshold is not None:
        body.append(f"<line x1='{left}' x2='{width - right}' y1='{y(threshold):.1f}' "
                    f"y2='{y(threshold):.1f}' stroke='{THRESHOLD}' stroke-dasharray='4 3'>"
                    f"<title>threshold {_number(threshold)}</title></line>")
        past = [(a, b) for a, b in finite if (b > threshold if violated_above else b < threshold)]
        body += [f"<circle cx='{x(a):.1f}' cy='{y(b):.1f}' r='2' fill='{VIOLATED}'/>"
                 for a, b in past[-200:]]
    return _svg(width, height, title, body)


def _thinned(points: list[tuple[float, float]], x_low: float, span: float, columns: int
             ) -> list[tuple[float, float]]:
    """At most the lowest and the highest point of each pixel column (in time order): the
    line looks the same and every peak stays, with a bounded number of points."""
    if len(points) <= 2 * columns:
        return points
    kept: dict[int, list[tuple[float, float]]] = {}
    for point in points:
        column = kept.setdefault(int((point[0] - x_low) / span * (columns - 1)), [point, point])
        if point[1] < column[0][1]:
            column[0] = point
        if point[1] > column[1][1]:
            column[1] = point
    return sorted({p for pair in kept.values() for p in pair})


def bar_chart(title: str, labels: list[str], series: dict[str, list[float | None]],
              colours: dict[str, str], *, marked: set[str] = frozenset(),
              reference: float | None = None, width: int = 560) -> str:
    """Horizontal grouped bars, one group per label; ``marked`` labels are drawn red (their
    first series); ``reference`` draws a dashed vertical line (a threshold)."""
    row = 14 * len(series) + 6
    left, right, top = 150, 60, 30
    height = top + row * len(labels) + 10
    values = [v for vs in series.values() for v in vs if v is not None and math.isfinite(v)]
    values += [0.0] + ([reference] if reference is not None else [])
    low, high = min(values), max(values)
    high = high if high > low else low + 1

    def x(value: float) -> float:
        return left + (value - low) / (high - low) * (width - left - right)

    body = [f"<text x='4' y='12' {_FONT} font-weight='bold'>{escape(title)}</text>"]
    body += [f"<rect x='{160 + 90 * i}' y='17' width='8' height='8' fill='{colours[name]}'/>"
             f"<text x='{172 + 90 * i}' y='25' {_FONT}>{escape(name)}</text>"
             for i, name in enumerate(series)]
    for i, label in enumerate(labels):
        base = top + i * row
        body.append(f"<text x='{left - 4}' y='{base + row / 2 + 3}' {_FONT} text-anchor='end'"
                    f"{' fill=' + repr(VIOLATED) if label in marked else ''}>{escape(label)}</text>")
        for j, (name, vs) in enumerate(series.items()):
            value = vs[i]
            y = base + 3 + 14 * j
            if value is None or not math.isfinite(value):
                body.append(f"<text x='{x(0) + 2:.1f}' y='{y + 10}' {_FONT}>n/a</text>")
                continue
            start, end = sorted((x(0.0), x(value)))
            colour = VIOLATED if label in marked and j == 0 else colours[name]
            body.append(f"<rect x='{start:.1f}' y='{y}' width='{max(end - start, 1):.1f}' "
                        f"height='12' fill='{colour}'><title>{escape(label)} {escape(name)}: "
                        f"{value:.6g}</title></rect>"
                        f"<text x='{max(end, x(0.0)) + 3:.1f}' y='{y + 10}' {_FONT}>"
                        f"{_number(value)}</text>")
    body.append(f"<line x1='{x(0):.1f}' x2='{x(0):.1f}' y1='{top}' y2='{height - 10}' "
                f"stroke='#555'/>")
    if reference is not None:
        body.append(f"<line x1='{x(reference):.1f}' x2='{x(reference):.1f}' y1='{top}' "
                    f"y2='{height - 10}' stroke='{THRESHOLD}' stroke-dasharray='4 3'/>")
    return _svg(width, height, title, body)


def distributions(title: str, baseline: list[tuple[float, float, float]],
                  current: list[tuple[float, float, float]], *, width: int = 560,
                  height: int = 200) -> str:
    """Two histograms as shares of rows: buckets ``(lower, upper, count)`` of the baseline
    (grey) and of the current data (blue), overlaid."""
    left, right, top, bottom = 44, 10, 30, 24
    shaped = [_shares(baseline), _shares(current)]
    bounds = [b for buckets in shaped for lo, hi, _ in buckets for b in (lo, hi)]
    body = [f"<text x='4' y='12' {_FONT} font-weight='bold'>{escape(title)}</text>"]
    if not bounds:
        body.append(f"<text x='{left}' y='{height / 2}' {_FONT}>no buckets recorded</text>")
        return _svg(width, height, title, body)
    x_low, x_high = min(bounds), max(bounds)
    span = (x_high - x_low) or 1.0
    peak = max(share for buckets in shaped for _, _, share in buckets) or 1.0
    plot_width = width - left - right

    def x(value: float) -> float:
        return left + (value - x_low) / span * plot_width

    body += _frame((left, top, width - right, height - bottom), f"{peak:.0%}", "0%",
                   _number(x_low), _number(x_high))
    for i, (name, colour, buckets) in enumerate((("baseline", BASELINE, shaped[0]),
                                                 ("current", OBSERVED, shaped[1]))):
        body.append(f"<rect x='{160 + 90 * i}' y='17' width='8' height='8' fill='{colour}'/>"
                    f"<text x='{172 + 90 * i}' y='25' {_FONT}>{name}</text>")
        for lower, upper, share in buckets:
            bar = share / peak * (height - top - bottom)
            # a bucket of one value (a constant feature) still gets a visible width
            start, end = x(lower), max(x(upper), x(lower) + 2)
            body.append(f"<rect x='{start:.1f}' y='{height - bottom - bar:.1f}' "
                        f"width='{end - start:.1f}' height='{bar:.1f}' fill='{colour}' "
                        f"fill-opacity='0.5'><title>{name} {_number(lower)} to {_number(upper)}: "
                        f"{share:.1%}</title></rect>")
    return _svg(width, height, title, body)


def _shares(buckets: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    total = sum(count for _, _, count in buckets) or 1.0
    return [(lower, upper, count / total) for lower, upper, count in buckets]
