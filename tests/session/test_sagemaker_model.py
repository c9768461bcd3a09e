"""The model SageMaker serves for Clarify: the same scores as the local model, also under the
XGBoost container's own xgboost, and kept current by content (moto)."""
import io
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import boto3
import numpy as np
import pandas as pd
import pytest
from moto import mock_aws
from xgboost_venv import container_python

from byom_monitor.example.model import BOOSTER_FILE, CreditRiskModel
from byom_monitor.session.sagemaker_model import (
    CONTAINER_XGBOOST,
    CONTENT_TAG,
    container_booster,
    ensure_model,
    package,
    predictor_model_names,
)
from byom_monitor.session.serving import inference

ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
REGION = "us-east-1"


def _unpack(data: bytes, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tarfile.open(fileobj=io.BytesIO(data)).extractall(folder, filter="data")
    return folder


def test_the_container_xgboost_scores_the_package_like_the_local_model(prepared, tmp_path):
    """Issue 12 item 1: under xgboost 3.0.5 the vector base_score read as 0.5 (max diff 0.22)."""
    python = container_python()  # a cached venv with xgboost 3.0.5; skips only outside CI
    folder = _unpack(package(prepared["models"]), tmp_path / "model")
    model = CreditRiskModel.load(prepared["models"])
    train = pd.read_csv(prepared["data"] / "train.csv")
    (tmp_path / "body.csv").write_text(train[model.features].to_csv(header=False, index=False))
    script = ("import json, sys, xgboost, inference\n"
              "scores = inference.score(sys.argv[1], open(sys.argv[2]).read())\n"
              "print(json.dumps({'xgboost': xgboost.__version__, "
              "'scores': [float(s) for s in scores]}))\n")
    answer = subprocess.run(
        [str(python), "-c", script, str(folder), str(tmp_path / "body.csv")],
        capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(Path(inference.__file__).parent)})
    result = json.loads(answer.stdout)
    assert result["xgboost"] == CONTAINER_XGBOOST
    served = np.asarray(result["scores"])
    assert len(served) == len(train)
    assert np.abs(served - model.predict_proba(train)).max() < 1e-6


def test_base_score_is_written_as_a_scalar(prepared):
    booster = (prepared["models"] / BOOSTER_FILE).read_bytes()
    written = json.loads(booster)["learner"]["learner_model_param"]["base_score"]
    fixed = json.loads(container_booster(booster))["learner"]["learner_model_param"]["base_score"]
    assert fixed == written.strip("[]") and not fixed.startswith("[")
    vector = json.loads(booster)
    vector["learner"]["learner_model_param"]["base_score"] = "[5E-1,6E-1]"
    with pytest.raises(ValueError, match="base_score .* holds 2 values"):
        container_booster(json.dumps(vector).encode())


def test_the_package_scores_like_the_model_here(prepared, tmp_path):
    folder = _unpack(package(prepared["models"]), tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["encoder.json", "xgboost-model.json"]
    test = pd.read_csv(prepared["data"] / "test.csv")
    test.loc[0, "purpose"] = 7  # an unknown code: all one-hot zeros, as in the preprocessor
    model = CreditRiskModel.load(prepared["models"])
    body = test[model.features].to_csv(header=False, index=False)
    assert np.abs(inference.score(str(folder), body) - model.predict_proba(test)).max() < 1e-6
    assert inference.output_fn(np.array([0.25]), "text/csv") == ("0.25\n", "text/csv")
    with pytest.raises(ValueError, match="text/csv only"):
        inference.input_fn(b"{}", "application/json")


def test_the_package_is_the_same_bytes_for_the_same_model(prepared):
    assert package(prepared["models"]) == package(prepared["models"])


@pytest.fixture
def sagemaker_session(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        from sagemaker import Session

        boto_session = boto3.Session(region_name=REGION)
        boto_session.client("s3").create_bucket(Bucket="bkt")
        session = Session(boto_session=boto_session, default_bucket="bkt")
        created = []
        session.sagemaker_client.meta.events.register(
            "provide-client-params.sagemaker.CreateModel",
            lambda params, **_: created.append(params))
        yield session, created


def _retrained(prepared, tmp_path) -> Path:
    """Another model folder: the same trees with another base score."""
    folder = tmp_path / "retrained"
    shutil.copytree(prepared["models"], folder)
    document = json.loads((folder / BOOSTER_FILE).read_text())
    parameters = document["learner"]["learner_model_param"]
    parameters["base_score"] = "[6E-1]"
    (folder / BOOSTER_FILE).write_text(json.dumps(document))
    return folder


def test_models_are_created_kept_and_replaced_by_content(sagemaker_session, prepared, tmp_path):
    session, created = sagemaker_session
    root = "s3://bkt/model-monitor-bring-your-own-model"
    first = ensure_model(session, ROLE, prepared["models"], "e2e-model", root)
    again = ensure_model(session, ROLE, prepared["models"], "e2e-model", root)
    assert (first.action, again.action) == ("created", "current")
    assert len(created) == 1  # a current model is not created again
    request = created[0]
    container = request["PrimaryContainer"]
    assert "sagemaker-xgboost:3.0-5" in container["Image"]
    assert container["ModelDataUrl"] == first.model_data
    assert first.model_data.startswith(f"{root}/models/") and first.digest[:16] in first.model_data
    assert container["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"
    assert container["Environment"]["SAGEMAKER_SUBMIT_DIRECTORY"].startswith(
        first.model_data.rsplit("/", 1)[0] + "/")  # the code sits beside its package
    assert {"Key": CONTENT_TAG, "Value": first.digest} in request["Tags"]
    assert request["ExecutionRoleArn"] == ROLE

    changed = ensure_model(session, ROLE, _retrained(prepared, tmp_path), "e2e-model", root)
    assert changed.action == "replaced" and changed.model_data != first.model_data
    described = session.sagemaker_client.describe_model(ModelName="e2e-model")
    assert described["PrimaryContainer"]["ModelDataUrl"] == changed.model_data
    s3 = session.boto_session.client("s3")
    for ensured in (first, changed):  # one key per content; the first one is not overwritten
        key = ensured.model_data.removeprefix("s3://bkt/")
        body = s3.get_object(Bucket="bkt", Key=key)["Body"].read()
        assert body == package(prepared["models"] if ensured is first
                               else tmp_path / "retrained")


def test_a_model_left_from_elsewhere_is_replaced(sagemaker_session, prepared):
    session, created = sagemaker_session
    session.sagemaker_client.create_model(  # as the original sample or an older prep.py left it
        ModelName="e2e-model-bias", ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": "123.dkr.ecr.us-east-1.amazonaws.com/sklearn:1",
                          "ModelDataUrl": "s3://bkt/old/model.tar.gz"})
    ensured = ensure_model(session, ROLE, prepared["models"], "e2e-model-bias", "s3://bkt/p")
    assert ensured.action == "replaced"
    described = session.sagemaker_client.describe_model(ModelName="e2e-model-bias")
    assert described["PrimaryContainer"]["ModelDataUrl"] == ensured.model_data


def test_the_model_an_analysis_config_names():
    assert predictor_model_names({"predictor": {"model_name": "e2e-model"}}) == ["e2e-model"]
    assert predictor_model_names({"methods": {}}) == []
