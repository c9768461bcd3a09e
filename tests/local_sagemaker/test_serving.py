"""SageMaker Models served in-process in script mode, as Clarify's predictor calls them."""
from __future__ import annotations

import tarfile
import textwrap

import numpy as np
import pandas as pd
import pytest

from byom_monitor.clarify.config import ClarifyError
from byom_monitor.session.local_sagemaker.serving import served_predictor
from byom_monitor.session.local_sagemaker.session import LocalSagemakerSession
from byom_monitor.session.sessions import LOCAL_ROLE

SCALE = textwrap.dedent('''
    import numpy as np

    def model_fn(model_dir):
        return float(open(model_dir + "/factor.txt").read())

    def input_fn(body, content_type):
        assert content_type == "text/csv", content_type
        return np.loadtxt(body.decode().splitlines(), delimiter=",", ndmin=2)

    def predict_fn(data, factor):
        return data * factor

    def output_fn(prediction, accept):
        return "\\n".join(",".join(str(v) for v in row) for row in prediction), "text/csv"
''')
SQUASH = textwrap.dedent('''
    import json
    import numpy as np
    from helper import squash  # a neighbour of the entry point, as in a source_dir

    def model_fn(model_dir):
        return None

    def transform_fn(model, body, content_type, accept):
        rows = np.loadtxt(body.splitlines(), delimiter=",", ndmin=2)
        return json.dumps({"predictions": squash(rows.sum(axis=1)).tolist()}), "application/json"
''')


@pytest.fixture
def session(tmp_path):
    return LocalSagemakerSession(tmp_path / "s3", tmp_path / "db.sqlite")


def script_model(session, tmp_path, name: str, script: str, factor: str | None = None,
                 helper: str | None = None):
    from sagemaker import Model, image_uris

    folder = tmp_path / name
    (folder / "code").mkdir(parents=True)
    (folder / "code" / "inference.py").write_text(script)
    if helper:
        (folder / "code" / "helper.py").write_text(helper)
    (folder / "factor.txt").write_text(factor or "1")
    with tarfile.open(folder / "model.tar.gz", "w:gz") as archive:
        archive.add(folder / "factor.txt", arcname="factor.txt")
    data = session.upload_data(str(folder / "model.tar.gz"), session.default_bucket(),
                               f"{name}/model")
    return Model(image_uri=image_uris.retrieve("sklearn", "us-east-1", "1.2-1"),
                 model_data=data, entry_point="inference.py", source_dir=str(folder / "code"),
                 role=LOCAL_ROLE, name=name, sagemaker_session=session)


def test_a_pipeline_chains_its_containers(session, tmp_path):
    from sagemaker import PipelineModel

    first = script_model(session, tmp_path, "scale", SCALE, factor="2")
    second = script_model(session, tmp_path, "squash", SQUASH,
                          helper="import numpy as np\n\ndef squash(x):\n"
                                 "    return 1 / (1 + np.exp(-x))\n")
    PipelineModel(name="chain", models=[first, second], role=LOCAL_ROLE,
                  sagemaker_session=session).create(instance_type="ml.m5.large")
    predictor = served_predictor({"predictor": {"model_name": "chain"}}, session.resources,
                                 session.s3_path, tmp_path / "served")
    features = pd.DataFrame({"a": [0.0, 1.0, -3.0], "b": [0.0, 0.5, 1.0]})
    expected = 1 / (1 + np.exp(-(features.sum(axis=1).to_numpy() * 2)))
    assert np.allclose(predictor.predict(features), expected)


def test_an_unknown_model_name_is_one_clear_error(session, tmp_path):
    predictor = served_predictor({"predictor": {"model_name": "missing"}}, session.resources,
                                 session.s3_path, tmp_path / "served")
    with pytest.raises(ClarifyError, match="model_name 'missing' is not a SageMaker Model "
                                           "created through the local session"):
        predictor.predict(pd.DataFrame({"a": [1.0]}))


def test_an_endpoint_name_is_left_to_config_ini(session, tmp_path):
    assert served_predictor({"predictor": {"endpoint_name": "remote"}}, session.resources,
                            session.s3_path, tmp_path) is None


def test_the_example_model_packaged_for_sagemaker_serves_its_probabilities(prepared, tmp_path):
    from byom_monitor.example.model import CreditRiskModel
    from byom_monitor.session.sagemaker_model import ensure_model

    session = LocalSagemakerSession(tmp_path / "s3", tmp_path / "db.sqlite")
    ensure_model(session, LOCAL_ROLE, prepared["models"], "e2e-model",
                 f"s3://{session.default_bucket()}")
    predictor = served_predictor({"predictor": {"model_name": "e2e-model"}}, session.resources,
                                 session.s3_path, tmp_path / "served")
    test = pd.read_csv(prepared["data"] / "test.csv").drop(columns="credit_risk")
    model = CreditRiskModel.load(prepared["models"])
    assert np.allclose(predictor.predict(test), model.predict_proba(test), atol=1e-6)
