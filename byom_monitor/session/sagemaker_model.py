"""The SageMaker Models Clarify calls (the original's ``e2e-model``), kept current with models/.

The prep.py model is packaged as ``model.tar.gz`` with the booster in XGBoost's JSON format and
the preprocessor's one-hot encoding as JSON, served by the SageMaker XGBoost container with
:mod:`byom_monitor.session.serving.inference` as entry point (raw CSV feature rows in, probabilities
out), so no scikit-learn pickle has to load in the container.

Two things make the served model the local one:

- **The booster reads the same in the container.** xgboost 3.1+ writes ``base_score`` as a
  vector (``"[7.1E-1]"``); the container's xgboost 3.0.5 reads that as the default 0.5, which
  moved scores by up to 0.22. The package holds the scalar form (``"7.1E-1"``), read alike by
  both versions (tests/test_sagemaker_model.py loads it with xgboost 3.0.5).
- **A model is named by its content.** The package, the serving script and the container
  version are hashed; ``model.tar.gz`` and the uploaded code live under
  ``{root}/models/{digest}/`` (one key per content, never overwritten) and the SageMaker Model
  carries the digest as a tag. :func:`ensure_model` runs before every Clarify job: it creates
  the model when missing and replaces one made from other content (an older prep.py, the
  original sample's), so a check or a schedule never calls a stale model.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from byom_monitor.clarify.models import (
    BOOSTER_FILE,
    METADATA_FILE,
    PREPROCESSOR_FILE,
    one_hot_layout,
)

XGBOOST_VERSION = "3.0-5"  # the newest SageMaker XGBoost container the SDK knows
CONTAINER_XGBOOST = "3.0.5"  # the xgboost release inside that container
ENTRY_POINT = Path(__file__).parent / "serving" / "inference.py"
CONTENT_TAG = "byom-monitor:content-sha256"
INSTANCE_TYPE = "ml.m5.large"


def encoder_document(model_dir: str | os.PathLike) -> dict:
    """encoder.json: the folder's preprocessor (one-hot and passthrough columns) as plain data,
    which the serving script applies without scikit-learn."""
    import joblib

    features = json.loads((Path(model_dir) / METADATA_FILE).read_text())["features"]
    return one_hot_layout(joblib.load(Path(model_dir) / PREPROCESSOR_FILE), features)


def container_booster(booster_json: bytes, source: str = BOOSTER_FILE) -> bytes:
    """The booster JSON with ``base_score`` as a scalar, as xgboost 3.0.5 reads it.

    Newer releases write a one-element vector (``"[7.1E-1]"``) that 3.0.5 silently reads as
    0.5. A model with several base scores (multi-target) has no 3.0.5 form: ValueError."""
    document = json.loads(booster_json)
    parameters = document["learner"]["learner_model_param"]
    value = str(parameters["base_score"]).strip()
    if value.startswith("["):
        values = [v for v in value.strip("[]").split(",") if v.strip()]
        if len(values) != 1:
            raise ValueError(f"{source}: base_score {value} holds {len(values)} values; the "
                             f"XGBoost {XGBOOST_VERSION} container reads one")
        parameters["base_score"] = values[0].strip()
    return json.dumps(document, separators=(",", ":")).encode()


def package(model_dir: str | os.PathLike) -> bytes:
    """model.tar.gz: xgboost-model.json (container form) and encoder.json at the top level.
    Byte-for-byte the same for the same model (no times, owners or gzip timestamps)."""
    booster = container_booster((Path(model_dir) / BOOSTER_FILE).read_bytes(),
                                str(Path(model_dir) / BOOSTER_FILE))
    members = {BOOSTER_FILE: booster,
               "encoder.json": json.dumps(encoder_document(model_dir), sort_keys=True).encode()}
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            archive.addfile(info, io.BytesIO(data))
    return gzip.compress(tar_bytes.getvalue(), mtime=0)


def content_digest(package_bytes: bytes) -> str:
    """What the served model is made of: the package, the serving script, the container."""
    digest = hashlib.sha256()
    for part in (package_bytes, ENTRY_POINT.read_bytes(), XGBOOST_VERSION.encode()):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


@dataclass(frozen=True)
class EnsuredModel:
    name: str
    model_data: str
    digest: str
    action: str  # "current", "created" or "replaced"


def ensure_model(session: Any, role: str, model_dir: str | os.PathLike, name: str,
                 root: str, instance_type: str = INSTANCE_TYPE) -> EnsuredModel:
    """Make the SageMaker Model ``name`` serve exactly the model in ``model_dir``.

    ``root`` is ``s3://bucket/prefix``; the package goes to ``{root}/models/{digest}/`` once.
    An existing model with the same artefact is kept; one with another artefact is deleted and
    created again from this one."""
    data = package(model_dir)
    digest = content_digest(data)
    folder = f"{root.rstrip('/')}/models/{digest[:16]}"
    model_data = f"{folder}/model.tar.gz"
    bucket, key = model_data.removeprefix("s3://").split("/", 1)
    if key not in session.list_s3_files(bucket, key):
        session.upload_string_as_file_body(data, bucket, key)
    existing = _describe_model(session, name)
    if existing is not None and _model_data_url(existing) == model_data:
        return EnsuredModel(name, model_data, digest, "current")
    if existing is not None:
        session.sagemaker_client.delete_model(ModelName=name)
    _create(session, role, name, model_data, folder, digest, instance_type)
    return EnsuredModel(name, model_data, digest, "replaced" if existing else "created")


def predictor_model_names(analysis_config: dict[str, Any]) -> list[str]:
    """The SageMaker Model an analysis config's predictor names (empty when it names none)."""
    name = (analysis_config.get("predictor") or {}).get("model_name")
    return [name] if name else []


def _describe_model(session: Any, name: str) -> dict[str, Any] | None:
    from botocore.exceptions import ClientError

    try:
        return session.sagemaker_client.describe_model(ModelName=name)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ValidationException":
            return None  # the service's answer for a model that does not exist
        raise


def _model_data_url(description: dict[str, Any]) -> str | None:
    containers = description.get("Containers") or [description.get("PrimaryContainer") or {}]
    urls = {c.get("ModelDataUrl") for c in containers}
    return urls.pop() if len(urls) == 1 else None


def _create(session: Any, role: str, name: str, model_data: str, folder: str, digest: str,
            instance_type: str) -> None:
    from sagemaker.xgboost import XGBoostModel

    source = tempfile.mkdtemp(prefix="byom-serving-")
    try:  # only the script goes into sourcedir.tar.gz (not the package's __pycache__)
        shutil.copy(ENTRY_POINT, source)
        XGBoostModel(model_data=model_data, role=role, entry_point=ENTRY_POINT.name,
                     source_dir=source, framework_version=XGBOOST_VERSION, name=name,
                     code_location=folder, sagemaker_session=session).create(
            instance_type=instance_type, tags=[{"Key": CONTENT_TAG, "Value": digest}])
    finally:
        shutil.rmtree(source, ignore_errors=True)
