import json
import shutil
from pathlib import Path

import pytest

from byom_monitor.config import Config
from byom_monitor.run_notebooks import NOTEBOOKS, main, run_notebooks

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_notebooks_have_no_outputs(name):
    notebook = json.loads((ROOT / name).read_text())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert code and not any(c.get("outputs") or c.get("execution_count") for c in code)


def test_notebooks_run_top_to_bottom(prepared, tmp_path):
    for name in NOTEBOOKS + ("prep.py", "generate_altered.py"):  # laid out as in a clone
        shutil.copy(ROOT / name, tmp_path / name)
    config = Config(tmp_path / "config.ini")
    config.set("monitoring", "model_dir", str(prepared["models"]))
    config.set("monitoring", "data_dir", str(prepared["data"]))
    written = run_notebooks(tmp_path, "executed")
    assert [p.name for p in written] == list(NOTEBOOKS)
    first = json.loads(written[0].read_text())
    assert any(c.get("outputs") for c in first["cells"] if c["cell_type"] == "code")
    for executed in written[1:4]:  # 02, 03 (default scenario) and 04 (bias, explainability)
        notebook = json.loads(executed.read_text())
        printed = "".join(text for c in notebook["cells"] for o in c.get("outputs", [])
                          for text in o.get("text", []))
        assert "CompletedWithViolations" in printed, executed.name
    config = Config(tmp_path / "config.ini")
    assert config.get_baseline("data-quality-violations")
    assert config.get_baseline("model-quality-violations")
    assert config.get_baseline("model-bias-violations")
    assert config.get_baseline("model-explainability-violations")


def test_a_missing_notebook_is_a_clear_failure(tmp_path, capsys):
    assert main(["--folder", str(tmp_path)]) == 1
    assert "notebook not found" in capsys.readouterr().err
