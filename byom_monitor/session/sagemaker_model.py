"""The SageMaker Models Clarify calls on the SageMaker backend (the original's ``e2e-model``).

The prep.py model is packaged as ``model.tar.gz`` with the booster in XGBoost's JSON format and
the preprocessor's one-hot encoding as JSON, served by the SageMaker XGBoost container with
:mod:`byom_monitor.session.serving.inference` as entry point (raw CSV feature rows in, probabilities
out), so no scikit-learn pickle has to load in the container.
"""
from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

from byom_monitor.io import storage
from byom_monitor.example.model import BOOSTER_FILE, CreditRiskModel

XGBOOST_VERSION = "3.0-5"  # the newest SageMaker XGBoost container the SDK knows
ENTRY_POINT = Path(__file__).parent / "serving" / "inference.py"


def encoder_document(model: CreditRiskModel) -> dict:
    encoder = model.encoder
    return {"features": model.features, "categorical_index": encoder.categorical_index,
            "categories": [c.tolist() for c in encoder.categories],
            "numeric_index": encoder.numeric_index}


def package(model_dir: str | os.PathLike) -> bytes:
    """model.tar.gz: xgboost-model.json and encoder.json at the top level."""
    model = CreditRiskModel.load(model_dir)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(Path(model_dir) / BOOSTER_FILE, arcname=BOOSTER_FILE)
        encoder = json.dumps(encoder_document(model)).encode()
        info = tarfile.TarInfo("encoder.json")
        info.size = len(encoder)
        archive.addfile(info, io.BytesIO(encoder))
    return buffer.getvalue()


def create_models(model_dir: str | os.PathLike, session, role: str, model_data_uri: str,
                  names: tuple[str, ...] = ("e2e-model", "e2e-model-bias"),
                  instance_type: str = "ml.m5.large") -> list[str]:
    """Upload the package and create one SageMaker Model per name (Clarify's predictors)."""
    from sagemaker.xgboost import XGBoostModel

    storage.write_bytes(model_data_uri, package(model_dir))
    for name in names:
        XGBoostModel(model_data=model_data_uri, role=role, entry_point=ENTRY_POINT.name,
                     source_dir=str(ENTRY_POINT.parent), framework_version=XGBOOST_VERSION,
                     name=name, sagemaker_session=session).create(instance_type=instance_type)
    return list(names)
