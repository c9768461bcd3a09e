import numpy as np
import pytest

from byom_monitor.example.model import build_preprocessor, choose_threshold, classification_metrics


def test_threshold_separates_perfectly_separable_scores():
    y = np.array([0, 0, 0, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.9])
    t = choose_threshold(y, p)
    assert 0.3 < t <= 0.6
    assert classification_metrics(y, p, t)["accuracy"] == 1.0


def test_threshold_does_not_approve_everyone_on_imbalanced_data():
    rng = np.random.default_rng(0)
    y = (rng.random(2000) < 0.7).astype(int)
    p = np.clip(0.55 + 0.2 * (y - 0.5) + rng.normal(0, 0.15, size=y.size), 0, 1)
    t = choose_threshold(y, p)
    assert classification_metrics(y, p, t)["recall"] < 0.99


def test_metrics_match_their_definitions():
    y = np.array([1, 0, 1, 1, 0])
    p = np.array([0.9, 0.8, 0.4, 0.7, 0.1])
    m = classification_metrics(y, p, 0.5)
    assert m["accuracy"] == pytest.approx(3 / 5)
    assert m["precision"] == pytest.approx(2 / 3) and m["recall"] == pytest.approx(2 / 3)
    assert m["rows"] == 5


def test_preprocessor_ignores_unknown_codes():
    import pandas as pd

    pre = build_preprocessor(["c"], ["x"])
    pre.fit(pd.DataFrame({"c": [1, 2], "x": [0.5, 1.5]}))
    out = pre.transform(pd.DataFrame({"c": [9], "x": [2.0]}))
    assert out.tolist() == [[0.0, 0.0, 2.0]]
