"""A SageMaker Model served in-process the way the framework containers serve script mode.

For each container of the model (one, or a PipelineModel's chain): unpack ``model.tar.gz``
(``ModelDataUrl``) into a model folder, load the entry point ``SAGEMAKER_PROGRAM`` from
``SAGEMAKER_SUBMIT_DIRECTORY`` (an ``s3://.../sourcedir.tar.gz``, or ``/opt/ml/model/code``
when the SDK repacked the code into the model), call ``model_fn(model_dir)`` once, then per
request ``input_fn(body, content_type)``, ``predict_fn(data, model)`` and
``output_fn(prediction, accept)`` (or ``transform_fn``), as sagemaker-inference-toolkit does.
A pipeline passes each container's response to the next, as inference pipelines do.
"""
from __future__ import annotations

import importlib.util
import io
import json
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from byom_monitor.clarify.config import ClarifyError
from byom_monitor.session.local_sagemaker.store import ResourceStore

_MODEL_DIR = "/opt/ml/model"
_BATCH_ROWS = 1000


class ScriptModeContainer:
    def __init__(self, model_name: str, index: int, container: dict[str, Any],
                 s3_path: Callable[[str], Path], folder: Path) -> None:
        self.where = f"model {model_name} container {index + 1}"
        environment = container.get("Environment", {})
        program = environment.get("SAGEMAKER_PROGRAM")
        if not program:
            raise ClarifyError(f"{self.where}: no SAGEMAKER_PROGRAM entry point; only "
                               f"script-mode models are served locally")
        model_dir = folder / "model"
        model_dir.mkdir(parents=True)
        if container.get("ModelDataUrl"):
            _unpack(s3_path(container["ModelDataUrl"]), model_dir, self.where)
        submit = environment.get("SAGEMAKER_SUBMIT_DIRECTORY", f"{_MODEL_DIR}/code")
        if submit.startswith("s3://"):
            code_dir = folder / "code"
            _unpack(s3_path(submit), code_dir, self.where)
        elif Path(submit).is_relative_to(_MODEL_DIR):
            code_dir = model_dir / Path(submit).relative_to(_MODEL_DIR)
        else:
            raise ClarifyError(f"{self.where}: SAGEMAKER_SUBMIT_DIRECTORY {submit} is neither "
                               f"an s3:// source archive nor a folder of the model")
        self.module = _load_script(code_dir, program, f"byom_served_{index}_{id(self)}",
                                   self.where)
        self.model = self._handler("model_fn")(str(model_dir))

    def _handler(self, name: str) -> Callable:
        handler = getattr(self.module, name, None)
        if handler is None:
            raise ClarifyError(f"{self.where}: the entry point defines no {name}")
        return handler

    def invoke(self, body: Any, content_type: str, accept: str) -> tuple[Any, str]:
        if hasattr(self.module, "transform_fn"):
            result = self.module.transform_fn(self.model, body, content_type, accept)
        else:
            data = self._handler("input_fn")(body, content_type)
            prediction = self._handler("predict_fn")(data, self.model)
            result = self._handler("output_fn")(prediction, accept)
        if isinstance(result, tuple):
            return result[0], result[1]
        return result, accept


class ScriptModePredictor:
    """Clarify's predictor for a SageMaker Model: CSV rows in, one probability per row out.
    The containers load on the first prediction, so a job that needs no model never loads
    one."""

    default_threshold = 0.5  # Clarify's default when the analysis config gives none

    def __init__(self, model_name: str, describe: Callable[[str], dict | None],
                 s3_path: Callable[[str], Path], folder: Path, content_type: str = "text/csv",
                 accept: str = "text/csv") -> None:
        self.model_name, self._describe, self._s3_path = model_name, describe, s3_path
        self.folder, self.content_type, self.accept = folder, content_type, accept
        self._containers: list[ScriptModeContainer] | None = None

    def containers(self) -> list[ScriptModeContainer]:
        if self._containers is None:
            model = self._describe(self.model_name)
            if model is None:
                raise ClarifyError(f"analysis_config.json: predictor model_name "
                                   f"'{self.model_name}' is not a SageMaker Model created "
                                   f"through the local session (create it with "
                                   f"Model(...).create() or PipelineModel(...).create())")
            specs = model.get("Containers") or [model["PrimaryContainer"]]
            self._containers = [ScriptModeContainer(self.model_name, i, spec, self._s3_path,
                                                    self.folder / f"{self.model_name}-{i}")
                                for i, spec in enumerate(specs)]
        return self._containers

    def invoke(self, body: bytes) -> Any:
        """One request through the container chain; the last container's response body."""
        content_type = self.content_type
        for container in self.containers():
            try:
                body, content_type = container.invoke(body, content_type, self.accept)
            except ClarifyError:
                raise
            except Exception as exc:  # the script's own error, as the endpoint reports it
                raise ClarifyError(f"{container.where} failed: {type(exc).__name__}: "
                                   f"{exc}") from exc
        return body

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        scores = []
        for start in range(0, len(features), _BATCH_ROWS):
            batch = features.iloc[start:start + _BATCH_ROWS]
            answer = self.invoke(batch.to_csv(header=False, index=False).encode())
            values = _scores(answer, len(batch), self.model_name)
            scores.append(values)
        return np.concatenate(scores) if scores else np.empty(0)


def _unpack(archive: Path, target: Path, where: str) -> None:
    if not archive.is_file():
        raise ClarifyError(f"{where}: {archive.name} not found in the local S3 ({archive})")
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")


def _load_script(code_dir: Path, program: str, module_name: str, where: str) -> ModuleType:
    script = code_dir / program
    if not script.is_file():
        raise ClarifyError(f"{where}: entry point {program} not found in its source directory")
    spec = importlib.util.spec_from_file_location(module_name, script)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(code_dir))  # the script may import its neighbours, as in a container
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(code_dir))
    return module


def _scores(answer: Any, rows: int, model_name: str) -> np.ndarray:
    """The first value of every row of a CSV or JSON answer."""
    text = answer.decode("utf-8") if isinstance(answer, (bytes, bytearray)) else answer
    if not isinstance(text, str):  # a script answering with an array
        values = np.asarray(text, dtype=float)
    elif text.lstrip().startswith(("[", "{")):
        document = json.loads(text)
        if isinstance(document, dict):
            document = document.get("predictions", [])
        values = np.asarray(document, dtype=float)
    else:
        values = np.loadtxt(io.StringIO(text), delimiter=",", ndmin=2)
    values = values.reshape(len(values), -1)[:, 0] if values.ndim else values.reshape(1)
    if len(values) != rows:
        raise ClarifyError(f"model {model_name} returned {len(values)} scores for {rows} rows")
    return values


def served_predictor(analysis_config: dict, store: ResourceStore,
                     s3_path: Callable[[str], Path], folder: Path) -> ScriptModePredictor | None:
    """Clarify's model when the analysis config names one by ``model_name`` (None for an
    ``endpoint_name``, which config.ini's [predictors] maps to a URL)."""
    settings = analysis_config.get("predictor") or {}
    name = settings.get("model_name")
    if not name:
        return None
    return ScriptModePredictor(name, lambda n: store.find("Model", n), s3_path, folder,
                               settings.get("content_type", "text/csv"),
                               settings.get("accept_type", "text/csv"))
