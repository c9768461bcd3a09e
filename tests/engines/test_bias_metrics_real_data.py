"""The 13 post-training bias metrics, Flip Test included, on the real South German Credit data
with a model's predictions, against an independent computation written here from the
definitions in the Clarify documentation (pandas and scikit-learn on every row; the package
works on distinct rows with weights)."""
import json

import numpy as np
import pytest
from shared_files import shared_path
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import accuracy_score, confusion_matrix, precision_score, recall_score
from sklearn.neighbors import KNeighborsClassifier

from byom_monitor.clarify import ClarifyJob, run_clarify
from byom_monitor.example.credit_data import LABEL, load_south_german_credit

THRESHOLD = 0.5
GROUP = "housing"


class ModelPredictor:
    default_threshold = THRESHOLD

    def __init__(self, model, features):
        self.model, self.features = model, features

    def predict(self, frame):
        return self.model.predict_proba(frame[self.features])[:, 1]


@pytest.fixture(scope="module")
def credit(tmp_path_factory):
    frame = load_south_german_credit(shared_path("data", "SouthGermanCredit.asc"))
    features = [c for c in frame.columns if c != LABEL]
    model = GradientBoostingClassifier(n_estimators=60, max_depth=3, random_state=0)
    model.fit(frame[features], frame[LABEL])
    path = tmp_path_factory.mktemp("credit") / "credit.csv"
    frame.to_csv(path, index=False)
    return frame, ModelPredictor(model, features), path


def clarify_metrics(credit, tmp_path, facet):
    frame, predictor, path = credit
    config = {"dataset_type": "text/csv", "headers": list(frame.columns), "label": LABEL,
              "label_values_or_threshold": [1], "facet": [facet], "group_variable": GROUP,
              "probability_threshold": THRESHOLD,
              "methods": {"post_training_bias": {"methods": "all"}},
              "predictor": {"model_name": "gbm"}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    outcome = run_clarify(ClarifyJob(str(tmp_path / "config.json"), str(path),
                                     str(tmp_path / "out"), predictor=predictor),
                          message_file=None)
    assert outcome.status == "Completed", outcome.message
    analysis = json.loads((tmp_path / "out" / "analysis.json").read_text())
    (group,) = analysis["post_training_bias_metrics"]["facets"][facet["name_or_index"]]
    return {m["name"]: m["value"] for m in group["metrics"]}


def ratio(numerator, denominator):
    """Clarify's division: 0/0 is 0, x/0 is +-infinity."""
    if denominator == 0:
        return 0.0 if numerator == 0 else np.copysign(np.inf, numerator)
    return numerator / denominator


def difference(first, second):
    """Clarify's rule: two infinite ratios of the same sign differ by 0."""
    return 0.0 if first == second == np.inf else first - second


def independent_metrics(frame, in_d, predicted, features):
    """Every post-training metric straight from its documented definition, on all rows."""
    y, yhat = frame[LABEL].to_numpy() == 1, predicted
    a, d = ~in_d, in_d

    def counts(mask):
        tn, fp, fn, tp = confusion_matrix(y[mask], yhat[mask], labels=[False, True]).ravel()
        return tp, fp, fn, tn

    (_, fp_a, fn_a, tn_a), (_, fp_d, fn_d, tn_d) = counts(a), counts(d)
    q_a, q_d = yhat[a].mean(), yhat[d].mean()
    cdd = 0.0
    for _, rows in frame.groupby(GROUP).groups.items():
        member = frame.index.isin(rows)
        accepted, rejected = member & yhat, member & ~yhat
        share_rejected = (rejected & d).sum() / rejected.sum() if rejected.sum() else 0.0
        share_accepted = (accepted & d).sum() / accepted.sum() if accepted.sum() else 0.0
        cdd += member.sum() * (share_rejected - share_accepted)
    benefit = yhat.astype(float) - y.astype(float) + 1
    knn = KNeighborsClassifier(n_neighbors=5 if a.sum() > 9 else 1, p=2)
    knn.fit(frame.loc[a, features].to_numpy(float), yhat[a])
    knn_d = knn.predict(frame.loc[d, features].to_numpy(float))
    return {
        "DPPL": q_a - q_d,
        "DI": ratio(q_d, q_a),
        "DCA": difference(ratio(y[a].sum(), yhat[a].sum()), ratio(y[d].sum(), yhat[d].sum())),
        "DCR": difference(ratio((~y[d]).sum(), (~yhat[d]).sum()),
                          ratio((~y[a]).sum(), (~yhat[a]).sum())),
        "RD": recall_score(y[a], yhat[a]) - recall_score(y[d], yhat[d]),
        "SD": ratio(tn_d, tn_d + fp_d) - ratio(tn_a, tn_a + fp_a),
        "DAR": (precision_score(y[a], yhat[a], zero_division=0)
                - precision_score(y[d], yhat[d], zero_division=0)),
        "DRR": difference(ratio(tn_d, tn_d + fn_d), ratio(tn_a, tn_a + fn_a)),
        "AD": accuracy_score(y[a], yhat[a]) - accuracy_score(y[d], yhat[d]),
        "TE": difference(ratio(fn_d, fp_d), ratio(fn_a, fp_a)),
        "CDDPL": cdd / len(frame),
        "GE": ((benefit / benefit.mean()) ** 2 - 1).sum() / (len(frame) * 2),
        "FT": (np.sum(yhat[d] & ~knn_d) - np.sum(~yhat[d] & knn_d)) / d.sum(),
    }


@pytest.mark.parametrize("facet, in_d", [
    ({"name_or_index": "foreign_worker", "value_or_threshold": [1]},
     lambda f: f["foreign_worker"] == 1),
    ({"name_or_index": "personal_status_sex", "value_or_threshold": [2, 4]},
     lambda f: f["personal_status_sex"].isin([2, 4])),
    ({"name_or_index": "age", "value_or_threshold": [25]}, lambda f: f["age"] > 25),
])
def test_post_training_metrics_match_an_independent_computation(credit, tmp_path, facet, in_d):
    frame, predictor, _ = credit
    predicted = predictor.predict(frame) > THRESHOLD
    features = [c for c in frame.columns if c not in (LABEL, facet["name_or_index"])]
    expected = independent_metrics(frame, in_d(frame).to_numpy(), predicted, features)
    ours = clarify_metrics(credit, tmp_path, facet)
    assert sorted(ours) == sorted(expected)  # all 13
    for name, value in expected.items():
        assert ours[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name
    assert sum(1 for v in expected.values() if v != 0 and np.isfinite(v)) >= 10  # not degenerate


def test_the_data_is_the_real_one(credit):
    frame, predictor, _ = credit
    assert frame.shape == (1000, 21) and frame[LABEL].sum() == 700  # 700 good, 300 bad risks
    predicted = predictor.predict(frame) > THRESHOLD
    assert 0 < predicted.sum() < len(frame)  # both classes predicted
