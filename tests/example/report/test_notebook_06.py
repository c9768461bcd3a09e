"""Notebook 06 executed on a small orchestration: charts inline, one section per scenario."""
import json
import re
import shutil
from pathlib import Path

from byom_monitor.example.run_notebooks import run_notebooks

ROOT = Path(__file__).resolve().parents[3]
NOTEBOOK = "06_evaluate_results.ipynb"


def outputs_of(cell) -> list[dict]:
    return [o for o in cell.get("outputs", []) if o["output_type"] in ("display_data",
                                                                      "execute_result")]


def test_notebook_06_shows_charts_inline_for_every_scenario(orchestrated, results):
    folder = orchestrated.path.parent
    for name in (NOTEBOOK, "generate_altered.py", "prep.py"):
        shutil.copy(ROOT / name, folder / name)
    (executed,) = run_notebooks(folder, "executed", names=(NOTEBOOK,))
    cells = [c for c in json.loads(executed.read_text())["cells"] if c["cell_type"] == "code"]
    (shown,) = [c for c in cells if "report.show(" in "".join(c["source"])]
    images_per_section: dict[str, int] = {}
    for output in outputs_of(shown):
        heading = "".join(output["data"].get("text/markdown", ""))
        if heading.startswith("## "):
            current = heading.splitlines()[0][3:]
            images_per_section[current] = 0
        elif "image/png" in output["data"]:
            images_per_section[current] += 1
    assert list(images_per_section) == results.scenarios
    assert all(count >= 2 for count in images_per_section.values()), images_per_section
    all_images = sum("image/png" in o["data"] for cell in cells for o in outputs_of(cell))
    assert all_images >= sum(images_per_section.values()) + 2  # label drift, the by-hand chart
    page = (folder / "results" / "report" / "report.html").read_text()
    assert page.count("<img") == sum(images_per_section.values()) + 1  # + label drift
    (overview,) = [c for c in cells if "report.overview(" in "".join(c["source"])]
    table = "".join(outputs_of(overview)[0]["data"]["text/html"])
    assert "not declared" not in table  # the verdicts come from generate_altered's declarations
    cells_of_control = re.search(r"<th>control</th>(.*?)</tr>", table, re.S).group(1)
    assert re.findall(r"<td>(.*?)</td>", cells_of_control) == ["0", "0", "0", "0", "as expected"]
    printed = "".join("".join(o.get("text", "")) for cell in cells for o in cell["outputs"])
    assert "report:" in printed and "nDCG" in printed
