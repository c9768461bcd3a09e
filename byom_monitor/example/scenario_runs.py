"""The dashboard's page of the example's scenario runs, as notebook 06 shows them
(:mod:`byom_monitor.example.report`): the
runs of the last orchestration (config.ini ``[EXPERIMENT_TRIALS]``), expected against observed
violations, and per scenario its text, table and charts, the report's figures drawn as SVG.

Drawing the figures takes a second or more, so they are drawn once per set of runs and
baselines and kept; the server draws them in the background when it starts.
"""
from __future__ import annotations

import importlib
import importlib.util
import io
import re
import threading
from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from byom_monitor.io.config import Config
from byom_monitor.live.dashboard.app import ExtraPage
from byom_monitor.live.dashboard.context import Context
from byom_monitor.live.dashboard.layout import Page, hint, notice


class ScenarioPage:
    """The page body, made once per ``[EXPERIMENT_TRIALS]`` and ``[BASELINES]`` of config.ini."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._body = ""

    def body(self, config: Config) -> str:
        key = (tuple(config.items("EXPERIMENT_TRIALS").items()),
               tuple(config.items("BASELINES").items()))
        with self._lock:  # one drawing at a time; the others wait for its result
            if key != self._key:
                self._body, self._key = _draw(config), key
            return self._body


def scenario_registry() -> Mapping[str, Any]:
    """``generate_altered.SCENARIOS`` (descriptions and expected violations of each scenario),
    importable or in the current folder; empty when the project's script is not there."""
    try:
        return importlib.import_module("generate_altered").SCENARIOS
    except ImportError:
        path = Path.cwd() / "generate_altered.py"
        if not path.is_file():
            return {}
        spec = importlib.util.spec_from_file_location("generate_altered", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.SCENARIOS


def svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _paragraph(markdown: str) -> str:
    """The sections' Markdown (``code`` only) as HTML."""
    return "<p>" + re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(markdown)) + "</p>"


def _draw(config: Config) -> str:
    from byom_monitor.example.report import (
        Results,
        label_drift_overview,
        overview,
        scenario_sections,
    )
    from byom_monitor.session.sessions import session_from_config

    try:
        session, _, _ = session_from_config(config)  # the runs notebook 05 recorded with it
        results = Results.load(config, session)
        registry = scenario_registry()
        parts = ["<h2>Expected against observed violations</h2>",
                 overview(results, registry).to_html(border=0, na_rep="-"),
                 "<h2>Label drift across scenarios</h2>", svg(label_drift_overview(results))]
        for section in scenario_sections(results, registry):
            parts.append(f"<h2>{escape(section.scenario)}</h2>")
            parts += [_paragraph(p) for p in section.paragraphs]
            parts.append(section.table.to_html(border=0, na_rep="-"))
            parts += [f"<div>{svg(draw())}</div>" for _, draw in section.charts]
    except Exception as exc:  # an unreadable run or document: the page says which
        return notice(f"The scenario runs cannot be shown: {type(exc).__name__}: {exc}")
    return "".join(parts)


def scenario_runs_page() -> ExtraPage:
    """The page for :class:`~byom_monitor.live.dashboard.app.DashboardApp` (``/scenarios``)."""
    cache = ScenarioPage()

    def warm(context: Context) -> None:
        if context.config.items("EXPERIMENT_TRIALS"):
            cache.body(context.config)

    return ExtraPage("scenarios", "Scenario runs", lambda context: scenarios_page(context, cache),
                     warm)


def scenarios_page(context: Context, page: ScenarioPage) -> Page:
    if not context.config.items("EXPERIMENT_TRIALS") or not context.reader.database.is_file():
        return Page("Scenario runs", hint(
            "No recorded scenario runs. Notebook 05 (<code>make example</code>) runs every "
            "scenario through the four checks and names the runs in config.ini's "
            "[EXPERIMENT_TRIALS]; this page shows them as notebook 06 does."))
    return Page("Scenario runs", page.body(context.config))
