"""The README's Python API example runs as written."""
from __future__ import annotations

import re
from pathlib import Path

import matplotlib

README = Path(__file__).resolve().parents[1] / "README.md"


def _api_example() -> str:
    text = README.read_text()
    section = text[text.index("## Your own model and data"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    import matplotlib.pyplot as plt

    backend = matplotlib.get_backend()
    plt.switch_backend("agg")  # the test draws off-screen; the example itself switches nothing
    try:
        namespace: dict = {}
        exec(compile(_api_example(), str(README), "exec"), namespace)
    finally:
        plt.close("all")
        plt.switch_backend(backend)
    check, shap = namespace["check"], namespace["shap"]
    assert check.status == "CompletedWithViolations"
    assert "age" in set(check.to_df()["feature_name"])
    assert "CompletedWithViolations" in capsys.readouterr().out
    assert (tmp_path / "results/my-baseline/statistics.json").exists()
    # SHAP of a model using both features: both get weight, the result plots on an Axes
    assert set(shap.to_df()["feature"]) == {"age", "income"}
    assert (shap.to_df()["global_shap_value"] > 0).all()
    assert shap.plot().get_title() == "global SHAP values"
