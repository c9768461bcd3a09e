import json
import shutil
from pathlib import Path

import pytest

from byom_monitor.io.config import Config
from byom_monitor.example.experiments import ExperimentStore
from byom_monitor.example.run_notebooks import NOTEBOOKS, main, run_notebooks

ROOT = Path(__file__).resolve().parents[2]


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
    _check_scenario_outcomes(config)
    assert (tmp_path / "results" / "report" / "report.html").exists()
    assert config.get_trial("bias-drift").startswith("model-monitor-byom-bias_drift-")
    for check in ("data-quality", "model-quality", "model-bias", "model-explainability"):
        config.get_baseline(f"{check}-violations")  # recorded (empty when none were found)


def test_a_missing_notebook_is_a_clear_failure(tmp_path, capsys):
    assert main(["--folder", str(tmp_path)]) == 1
    assert "notebook not found" in capsys.readouterr().err


def _check_scenario_outcomes(config):
    """What each scenario of notebook 05 must show (read back from the experiment store)."""
    runs = ExperimentStore(config.database).checks()
    found = {(r.scenario, r.check_name): r for r in runs.itertuples()}
    assert len(found) == 7 * 4 and all(r.status != "Failed" for r in found.values())

    def violations(scenario, check):
        row = found[(scenario, check)]
        name = "constraint_violations.json"
        return json.loads(Path(row.outputs[name]).read_text())["violations"] if name in row.outputs else []

    def drifted(scenario):
        return {v["feature_name"] for v in violations(scenario, "data-quality")
                if v["constraint_check_type"] == "baseline_drift_check"}

    assert "duration" in drifted("feature_drift")
    assert "duration" in drifted("feature_drift_systematic")
    assert violations("concept_drift", "data-quality") == []  # features unchanged
    concept = {v["metric_name"] for v in violations("concept_drift", "model-quality")}
    assert {"precision", "accuracy"} <= concept
    assert "DPPL" in {v["metric_name"] for v in violations("bias_drift", "model-bias")}
    (attribution,) = violations("explainability_drift", "model-explainability")
    assert attribution["constraint_check_type"] == "feature_attribution_drift_check"
    assert violations("default", "model-explainability") == []
