import subprocess
import sys

import pytest

from byom_monitor.example.report import page, sections


def test_report_html_holds_every_chart_of_every_section(results, tmp_path):
    drawn = sections.scenario_sections(results, {})
    location = page.write_report(results, tmp_path / "report", {}, drawn)
    html = (tmp_path / "report" / "report.html").read_text()
    assert location.endswith("report.html")
    assert html.count("<img") == 1 + sum(len(s.charts) for s in drawn)  # + label drift
    for section in drawn:
        assert f"<h2 id='{section.scenario}'>" in html
    assert "<code>duration</code>" in html  # the little Markdown of the text


def test_a_failing_chart_leaves_no_report(results, tmp_path):
    drawn = sections.scenario_sections(results, {})

    def broken():
        raise KeyError("analysis.json has no bias facets")
    drawn[0].charts.append(("broken", broken))
    with pytest.raises(KeyError, match="no bias facets"):
        page.write_report(results, tmp_path, {}, drawn)
    assert not (tmp_path / "report.html").exists()


def test_importing_the_report_switches_no_backend_and_loads_no_pyplot():
    code = ("import sys, matplotlib; before = matplotlib.rcParams._get_backend_or_none(); "
            "import byom_monitor.example.report; "
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'; "
            "assert matplotlib.rcParams._get_backend_or_none() == before, 'backend changed'")
    subprocess.run([sys.executable, "-c", code], check=True)
