"""Page 5: the example's scenario runs (notebook 05), as notebook 06 shows them: violations
per scenario and check, and the report's charts (``byom_monitor.example.report``) drawn as SVG.

Drawing the charts takes a second or two, so they are drawn once per set of recorded runs and
kept; the server draws them in the background when it starts.
"""
from __future__ import annotations

import io
import threading
from typing import Any

from byom_monitor.io.config import Config
from byom_monitor.live.dashboard.context import Context
from byom_monitor.live.dashboard.layout import Page, badge, esc, hint, notice, table


class ScenarioCharts:
    """The report's figures as SVG text, drawn once per set of recorded runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._charts: list[tuple[str, str]] = []
        self._problem: str | None = None

    def get(self, config: Config, checks: list[dict[str, Any]]) -> tuple[list[tuple[str, str]],
                                                                       str | None]:
        key = tuple(sorted((c["run_id"], c["check_name"]) for c in checks))
        with self._lock:  # pyplot is not thread-safe; one drawing at a time
            if key != self._key:
                self._charts, self._problem = _draw(config)
                self._key = key
            return self._charts, self._problem


def _draw(config: Config) -> tuple[list[tuple[str, str]], str | None]:
    import matplotlib
    import matplotlib.pyplot as plt

    from byom_monitor.example import report

    if matplotlib.get_backend().lower() != "agg":
        plt.switch_backend("agg")  # a server thread draws off-screen
    try:
        figures = report.standard_figures(report.Results.load(config))
    except Exception as exc:  # any unreadable result file: the page says why, the rest stays
        return [], f"The charts cannot be drawn: {type(exc).__name__}: {exc}"
    charts = []
    for name, figure in figures.items():
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg")
        plt.close(figure)
        svg = buffer.getvalue()
        charts.append((name, svg[svg.index("<svg"):]))
    return charts, None


def scenarios_page(context: Context, charts: ScenarioCharts) -> Page:
    checks = context.reader.scenario_checks()
    if not checks:
        return Page("Scenario runs", hint(
            "No recorded scenario runs. Notebook 05 (<code>make example</code>) runs every "
            "scenario through the four checks and records them here."))
    scenarios = list(dict.fromkeys(c["scenario"] for c in checks))
    names = list(dict.fromkeys(c["check_name"] for c in checks))
    cell = {(c["scenario"], c["check_name"]): c for c in checks}
    rows = []
    for scenario in scenarios:
        row = [esc(scenario), esc(next(c["started"] for c in checks if c["scenario"] == scenario))]
        for name in names:
            found = cell.get((scenario, name))
            row.append(f"{badge(found['status'])} {esc(found['violations'])}" if found else "-")
        rows.append(row)
    body = ("<h2>Violations per scenario and check (newest run of each scenario)</h2>"
            + table(["scenario", "run started", *names], rows))
    drawn, problem = charts.get(context.config, checks)
    if problem:
        body += notice(problem)
    body += "".join(f"<h3>{esc(name)}</h3><div>{svg}</div>" for name, svg in drawn)
    return Page("Scenario runs", body)
