"""The sections shown twice from the same drawn charts: inline in a notebook (:func:`show`) and
as one self-contained ``report.html`` (:func:`write_report`, images inlined as PNG)."""
from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from byom_monitor.example.report.runs import Results
from byom_monitor.example.report.sections import (
    Section,
    label_drift_overview,
    overview,
    png,
    scenario_sections,
)
from byom_monitor.io import storage

STYLE = ("body{font-family:sans-serif;margin:2em;max-width:1000px}"
         "table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd}"
         "img{max-width:100%}")


def show(section: Section) -> None:
    """Display one section in a notebook: heading and text, its table, then each chart."""
    from IPython.display import Image, Markdown, display

    display(Markdown(f"## {section.scenario}\n\n" + "\n\n".join(section.paragraphs)))
    display(section.table)
    for _, image in section.images:
        display(Image(data=image, format="png"))


def _inline_markdown(text: str) -> str:
    """The little Markdown the sections use (``code``), as HTML."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def _image(name: str, image: bytes) -> str:
    encoded = base64.b64encode(image).decode()
    return f"<img alt='{html.escape(name)}' src='data:image/png;base64,{encoded}'>"


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(border=0, na_rep="-")


def section_html(section: Section) -> str:
    parts = [f"<h2 id='{html.escape(section.scenario)}'>{html.escape(section.scenario)}</h2>"]
    parts += [f"<p>{_inline_markdown(p)}</p>" for p in section.paragraphs]
    parts.append(_table(section.table))
    parts += [_image(f"{section.scenario}-{name}", image) for name, image in section.images]
    return "\n".join(parts)


def report_html(results: Results, scenarios: Mapping[str, Any],
                sections: list[Section] | None = None) -> str:
    """The whole report: expected against observed, label drift, then every scenario
    (``sections`` when already drawn for the notebook)."""
    if sections is None:
        sections = scenario_sections(results, scenarios)
    body = ["<h1>Model monitoring report</h1>",
            "<h2>Expected against observed violations</h2>",
            _table(overview(results, scenarios)),
            "<h2>Label drift across scenarios</h2>",
            _image("label-drift", png(label_drift_overview(results)))]
    body += [section_html(section) for section in sections]
    return ("<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>Model monitoring report</title><style>{STYLE}</style></head><body>"
            + "\n".join(body) + "</body></html>")


def write_report(results: Results, folder: str | Path,
                 scenarios: Mapping[str, Any] | None = None,
                 sections: list[Section] | None = None) -> str:
    """``report.html`` in ``folder`` (a local folder or S3), written only once complete;
    ``scenarios`` is the registry of generate_altered (descriptions, expected checks)."""
    page = report_html(results, scenarios if scenarios is not None else {}, sections)
    target = storage.join(str(folder), "report.html")
    storage.write_text(target, page)
    return target
