"""Running the analyses of an analysis config on a dataset: bias metrics and Kernel SHAP,
gathered into Clarify's ``analysis.json`` (spec E.4, F.2).

The dataset is reduced to its distinct rows with counts first: the model is called once per
distinct row and every metric is weighted by the counts, so a dataset of replicated rows (the
example's 746,000-row bias scenario has about a thousand distinct rows) costs what its distinct
rows cost. Results equal those on the full data.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from byom_monitor.clarify.config import (
    AnalysisConfig,
    ClarifyError,
    Facet,
    ShapSettings,
    is_continuous,
    positive_mask,
)
from byom_monitor.clarify.predictor import Predictor
from byom_monitor.engines import bias_metrics as bm
from byom_monitor.engines.shap import ShapResult, kernel_shap, tree_shap
from byom_monitor.io import storage
from byom_monitor.io.datasets import data_files
from byom_monitor.io.staged_output import StagedOutput

COUNT = "__rows__"


def read_dataset(location: str, config: AnalysisConfig) -> pd.DataFrame:
    """All rows of the dataset, named by ``headers`` (or ``column_0``, ...)."""
    frames = []
    for path in data_files(location):
        raw = storage.read_bytes(path)
        if config.dataset_type == "application/jsonlines":
            frames.append(_json_lines(raw, path, config))
        else:
            frames.append(_csv(raw, path, config))
    frame = pd.concat(frames, ignore_index=True)
    if frame.empty:
        raise ClarifyError(f"{location}: the dataset has no rows")
    return frame


def _csv(raw: bytes, path: str, config: AnalysisConfig) -> pd.DataFrame:
    first_line = raw.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip()
    headers = config.headers
    has_header = headers is not None and first_line.split(",") == [str(h) for h in headers]
    try:
        frame = pd.read_csv(io.BytesIO(raw), header=0 if has_header else None)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise ClarifyError(f"{path}: cannot read CSV ({exc})") from None
    names = list(headers) if headers else [f"column_{i}" for i in range(frame.shape[1])]
    if len(names) != frame.shape[1]:
        raise ClarifyError(f"{path}: {frame.shape[1]} columns but {len(names)} headers in the "
                           f"analysis config")
    frame.columns = names
    return frame


def _json_lines(raw: bytes, path: str, config: AnalysisConfig) -> pd.DataFrame:
    rows = []
    for number, line in enumerate(raw.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise ClarifyError(f"{path}: line {number} is not valid JSON") from None
        features = _path(record, config.features, f"{path}: line {number}")
        row = list(features)
        for key in (config.label, config.predicted_label):
            if key is not None:
                row.append(_path(record, str(key), f"{path}: line {number}"))
        rows.append(row)
    width = len(rows[0]) if rows else 0
    names = list(config.headers or [])
    if len(names) != width:
        names = [f"column_{i}" for i in range(width - 1)] + ([str(config.label)] if width else [])
    return pd.DataFrame(rows, columns=names)


def _path(record: dict[str, Any], path: str, where: str) -> Any:
    value: Any = record
    for part in str(path).replace("[*]", "").split("."):
        if not isinstance(value, dict) or part not in value:
            raise ClarifyError(f"{where}: no '{path}' in the record")
        value = value[part]
    return value


def column_name(frame: pd.DataFrame, name_or_index: str | int, role: str) -> str:
    if isinstance(name_or_index, int) and not isinstance(name_or_index, bool):
        if 0 <= name_or_index < frame.shape[1]:
            return frame.columns[name_or_index]
    elif name_or_index in frame.columns:
        return name_or_index
    raise ClarifyError(f"{role} {name_or_index!r} is not a column of the dataset "
                       f"(columns: {', '.join(map(str, frame.columns[:25]))})")


@dataclass
class Columns:
    label: str
    features: list[str]
    predicted: str | None


def columns_of(frame: pd.DataFrame, config: AnalysisConfig) -> Columns:
    label = column_name(frame, config.label, "label") if config.label is not None else None
    predicted = (column_name(frame, config.predicted_label, "predicted_label")
                 if config.predicted_label is not None else None)
    excluded = {column_name(frame, c, "excluded column") for c in config.excluded_columns}
    features = [c for c in frame.columns if c not in {label, predicted} | excluded]
    return Columns(label, features, predicted)


def distinct_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Each distinct row once, with its number of occurrences in ``__rows__``."""
    counts = frame.groupby(list(frame.columns), sort=False, dropna=False).size()
    return counts.rename(COUNT).reset_index()


# -- bias -----------------------------------------------------------------------------------------
def bias_report(frame: pd.DataFrame, config: AnalysisConfig, predictor: Predictor | None,
                threshold: float) -> dict[str, Any]:
    """``pre_training_bias_metrics`` and ``post_training_bias_metrics`` blocks."""
    columns = columns_of(frame, config)
    rows = distinct_rows(frame)
    weights = rows[COUNT].to_numpy()
    given = list(config.label_values_or_threshold)
    label_values = rows[columns.label]
    label_continuous = is_continuous(frame[columns.label], given)
    label, label_text = positive_mask(label_values, given, label_continuous)
    predicted = None
    if config.post_training_methods:
        predicted_values = _predicted_labels(rows, columns, predictor, threshold)
        predicted, _ = positive_mask(predicted_values, given, label_continuous)
    group = None
    if config.group_variable is not None:
        group = rows[column_name(frame, config.group_variable, "group_variable")].to_numpy()
    report: dict[str, Any] = {}
    for stage, methods in (("pre_training_bias_metrics", config.pre_training_methods),
                           ("post_training_bias_metrics", config.post_training_methods)):
        if not methods:
            continue
        facets: dict[str, list[dict[str, Any]]] = {}
        for facet in config.facets:
            name = column_name(frame, facet.name_or_index, "facet")
            features = _flip_test_features(rows, columns, name)
            entries = []
            for mask, text in _facet_groups(frame, rows, name, facet):
                data = bm.BiasData(facet=mask, label=label, weights=weights,
                                   predicted=predicted, group=group, features=features)
                entries.append({"value_or_threshold": text, "metrics": bm.compute(methods, data)})
            facets[name] = entries
        report[stage] = {"label": columns.label, "facets": facets,
                         "label_value_or_threshold": label_text}
    return report


def _predicted_labels(rows: pd.DataFrame, columns: Columns, predictor: Predictor | None,
                      threshold: float) -> pd.Series:
    if columns.predicted is not None:
        return rows[columns.predicted]
    if predictor is None:
        raise ClarifyError("post-training bias needs a predictor or a predicted_label column")
    scores = predictor.predict(rows[columns.features])
    if len(scores) != len(rows) or not np.all(np.isfinite(scores)):
        raise ClarifyError("the predictor returned missing or non-numeric scores")
    return pd.Series((scores > threshold).astype(int), name="predicted_label")


def _facet_groups(frame: pd.DataFrame, rows: pd.DataFrame, name: str,
                  facet: Facet) -> list[tuple[np.ndarray, str]]:
    values = rows[name]
    given = facet.value_or_threshold
    if given:
        return [positive_mask(values, list(given), is_continuous(frame[name], given))]
    if is_continuous(frame[name], None):
        raise ClarifyError(f"facet {name!r} is continuous: give a value_or_threshold")
    return [positive_mask(values, [v], False) for v in sorted(values.dropna().unique(), key=str)]


def _flip_test_features(rows: pd.DataFrame, columns: Columns, facet: str) -> np.ndarray | None:
    """Numeric matrix of the non-facet feature columns (None: some are not numeric)."""
    others = rows[[c for c in columns.features if c != facet]]
    if not all(pd.api.types.is_numeric_dtype(others[c]) for c in others.columns):
        return None
    return others.to_numpy(dtype=float)


# -- explainability -------------------------------------------------------------------------------
def shap_report(frame: pd.DataFrame, config: AnalysisConfig, predictor: Predictor,
                output_path: str | None, staged: StagedOutput | None = None) -> dict[str, Any]:
    """``explanations.kernel_shap.label0``, or ``explanations.tree_shap.label0`` with
    ``methods.shap.algorithm: "tree"``; the per-row values file, when asked, is staged for
    publication with the job's other results."""
    settings = config.shap
    columns = columns_of(frame, config)
    features = frame[columns.features]
    for name in columns.features:
        if not pd.api.types.is_numeric_dtype(features[name]):
            example = features[name][pd.to_numeric(features[name], errors="coerce").isna()]
            raise ClarifyError(f"SHAP needs numeric features: column {name!r} holds text "
                               f"(e.g. {example.iloc[0]!r}); encode it or exclude it "
                               f"(excluded_columns)")
    rows = distinct_rows(features)
    unique, weights = rows[columns.features], rows[COUNT].to_numpy()
    # each dataset row's distinct row (groups numbered in order of first appearance, as above)
    row_of = features.groupby(columns.features, sort=False, dropna=False).ngroup().to_numpy()
    if settings.algorithm == "tree":
        result = _tree_shap(predictor, unique)
    else:
        result = _kernel_shap(predictor, unique, weights, settings)
    per_row = type(result)(result.values[row_of], result.expected_value)
    global_values = per_row.global_values(settings.agg_method)
    if settings.save_local_shap_values and output_path and staged is not None:
        # format each distinct row once; the file has one line per dataset row, in order
        lines = np.array(pd.DataFrame(result.values).to_csv(header=False, index=False)
                         .splitlines(), dtype=object)
        text = ",".join(columns.features) + "\n" + "\n".join(lines[row_of]) + "\n"
        staged.add(storage.join(output_path, "explanations_shap", "out.csv"), text,
                   "explanations_shap/out.csv")
    return {f"{settings.algorithm}_shap": {"label0": {
        "global_shap_values": {name: float(v) for name, v in zip(columns.features, global_values)},
        "expected_value": float(result.expected_value)}}}


def _kernel_shap(predictor: Predictor, unique: pd.DataFrame, weights: np.ndarray,
                 settings: ShapSettings) -> ShapResult:
    baseline = _shap_baseline(settings.baseline, unique, weights, settings.num_clusters)
    dtypes = unique.dtypes.to_dict()

    def model(matrix: np.ndarray) -> np.ndarray:
        return predictor.predict(pd.DataFrame(matrix, columns=unique.columns).astype(dtypes))

    num_samples = settings.num_samples or 2 * unique.shape[1] + 2048
    return kernel_shap(model, unique.to_numpy(), baseline, num_samples=num_samples,
                       seed=settings.seed, use_logit=settings.use_logit)


def _tree_shap(predictor: Predictor, unique: pd.DataFrame) -> ShapResult:
    """Exact tree SHAP of an XGBoost booster predictor, in log-odds (``use_logit`` is implied)."""
    inputs = getattr(predictor, "tree_inputs", None)
    if inputs is None:
        raise ClarifyError(f"methods.shap.algorithm 'tree' needs an XGBoost booster as predictor "
                           f"(a BoosterPredictor, or a model folder with xgboost-model.json); "
                           f"{getattr(predictor, 'name', predictor)!r} is not one (use "
                           f"algorithm 'kernel')")
    booster, encoded, sources = inputs(unique)
    # explained columns the model does not use get 0, as exact Shapley values do
    return tree_shap(booster, encoded, sources, unique.shape[1])


def _shap_baseline(baseline: Any, unique: pd.DataFrame, weights: np.ndarray,
                   clusters: int | None) -> np.ndarray:
    if isinstance(baseline, list) and baseline:
        rows = [r.get("features", r) if isinstance(r, dict) else r for r in baseline]
        try:
            matrix = np.array(rows, dtype=float)
        except (TypeError, ValueError):
            raise ClarifyError("methods.shap.baseline: every value must be a number (one row "
                               "of feature values per baseline record)") from None
        if matrix.ndim != 2 or matrix.shape[1] != unique.shape[1]:
            raise ClarifyError(f"methods.shap.baseline rows must have {unique.shape[1]} values "
                               f"(one per feature)")
        return matrix
    if isinstance(baseline, str):
        try:
            frame = pd.read_csv(io.BytesIO(storage.read_bytes(baseline)), header=None)
            return frame.to_numpy(dtype=float)
        except (OSError, ValueError, pd.errors.ParserError) as exc:
            raise ClarifyError(f"methods.shap.baseline {baseline}: not a CSV file of numbers "
                               f"({exc})") from None
    # Clarify summarises the data with k-means when no baseline is given.
    from sklearn.cluster import KMeans

    k = min(clusters or 10, len(unique))
    model = KMeans(n_clusters=k, n_init=4, random_state=0)
    model.fit(unique.to_numpy(dtype=float), sample_weight=weights)
    return model.cluster_centers_


def analysis_document(bias: dict[str, Any] | None, explanations: dict[str, Any] | None
                      ) -> dict[str, Any]:
    document: dict[str, Any] = {"version": "1.0"}
    document.update(bias or {})
    if explanations:
        document["explanations"] = explanations
    return document


def load_analysis_config(location: str) -> AnalysisConfig:
    try:
        document = json.loads(storage.read_text(location))
    except FileNotFoundError:
        raise ClarifyError(f"{location}: analysis config not found") from None
    except IsADirectoryError:
        raise ClarifyError(f"{location}: is a folder, expected the analysis config file") from None
    except UnicodeDecodeError:
        raise ClarifyError(f"{location}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ClarifyError(f"{location}: not valid JSON ({exc.msg})") from None
    if not isinstance(document, dict):
        raise ClarifyError(f"{location}: expected a JSON object")
    return AnalysisConfig.from_dict(document, str(Path(location).name))
