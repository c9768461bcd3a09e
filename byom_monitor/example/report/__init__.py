"""Notebook 06: the runs of the last orchestration, charted against the baselines.

- :mod:`.runs` reads the runs config.ini's [EXPERIMENT_TRIALS] names and their result files;
- :mod:`.charts` draws each chart from parsed documents (pure functions, no file I/O);
- :mod:`.sections` says per scenario what was expected, what was seen, and which charts;
- :mod:`.page` shows the sections in a notebook and writes the self-contained report.html.
"""
from byom_monitor.example.report.page import show, write_report
from byom_monitor.example.report.runs import Results
from byom_monitor.example.report.sections import label_drift_overview, overview, scenario_sections

__all__ = ["Results", "label_drift_overview", "overview", "scenario_sections", "show", "write_report"]
